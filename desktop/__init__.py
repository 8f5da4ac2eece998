"""Kernia Desktop shell: a pywebview app that signs in to a Kernia backend and keeps the session in the OS keyring."""
