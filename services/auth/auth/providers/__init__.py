"""External adapters of the auth service (mail)."""
