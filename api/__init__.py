"""The HTTP contract for API clients (FastAPI)."""
