"""The app's own API, protected by the auth core."""
