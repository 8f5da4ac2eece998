"""API keys: long-lived credentials a user makes for scripts and services, sent in the x-api-key header."""
