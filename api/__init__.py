"""HTTP API (FastAPI): parse, call one method, return a schema."""
