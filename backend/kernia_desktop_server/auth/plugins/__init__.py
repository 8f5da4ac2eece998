"""Features added to the auth core, each owning its routes and tables."""
