"""The auth core (sessions, cookies, credentials, origins, rate limits, errors) and its plugins."""
