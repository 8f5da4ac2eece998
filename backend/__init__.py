"""Kernia Desktop backend: a Kernia/Better Auth wire-compatible auth server and the app's protected API."""
