"""Landing files (CSV, Parquet, JSONL) into raw tables, once each, with bad rows quarantined."""

from .entities import ENTITY_SPECS, SUPPORTED_SUFFIXES, Column, EntitySpec
from .loader import discover_landing_files, ensure_raw_schema, file_digest, ingest_landing
from .results import FileResult, IngestSummary, LandingFileError

__all__ = [
    "ENTITY_SPECS",
    "SUPPORTED_SUFFIXES",
    "Column",
    "EntitySpec",
    "FileResult",
    "IngestSummary",
    "LandingFileError",
    "discover_landing_files",
    "ensure_raw_schema",
    "file_digest",
    "ingest_landing",
]
