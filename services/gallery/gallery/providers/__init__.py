"""External adapters of the gallery (owner display names from auth)."""
