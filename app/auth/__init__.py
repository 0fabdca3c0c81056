"""API keys and the scopes they grant: read, write, admin."""
