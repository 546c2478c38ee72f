"""Kabar: streaming news ingest for Indonesian portals."""

__version__ = "0.1.0"
