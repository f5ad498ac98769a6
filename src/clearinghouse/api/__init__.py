"""The HTTP API (FastAPI): the OSV-compatible endpoints and ``/api/v1``."""
