"""What each landing entity holds: its typed columns, required ones and closed vocabularies."""

from __future__ import annotations

from dataclasses import dataclass

from ..vocabulary import DEAL_STATUSES, FEEDBACK_KINDS

SUPPORTED_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def is_temporal_type(sql_type: str) -> bool:
    return sql_type.upper().startswith(("TIMESTAMP", "DATE"))


_NUMERIC_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE",
}  # fmt: skip


def is_numeric_type(sql_type: str) -> bool:
    return sql_type.upper() in _NUMERIC_TYPES or sql_type.upper().startswith("DECIMAL")


@dataclass(frozen=True)
class Column:
    """One landing column the loader types and checks."""

    name: str
    kind: str = "text"  # text | timestamp | number
    required: bool = False
    allowed: tuple[str, ...] = ()  # case-insensitive vocabulary, when closed
    strict: bool = True  # False: an unparseable value is kept as text, not quarantined


@dataclass(frozen=True)
class EntitySpec:
    """The typed columns of one landing entity and the raw table they land in."""

    entity: str
    columns: tuple[Column, ...]
    keep_other_columns: bool = False  # contacts: every other column is a property

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


ENTITY_SPECS: dict[str, EntitySpec] = {
    "contacts": EntitySpec(
        "contacts",
        (
            Column("contact_id", required=True),
            # Contact timestamps are properties too: a bad one must not drop the contact.
            Column("updated_at", "timestamp", strict=False),
            Column("created_at", "timestamp", strict=False),
        ),
        keep_other_columns=True,
    ),
    "activities": EntitySpec(
        "activities",
        (
            Column("contact_id", required=True),
            Column("activity_type", required=True),
            Column("occurred_at", "timestamp", required=True),
            Column("activity_id"),
            Column("target"),
            Column("value", "number"),
        ),
    ),
    "deals": EntitySpec(
        "deals",
        (
            Column("deal_id", required=True),
            Column("contact_id", required=True),
            Column("created_at", "timestamp", required=True),
            Column("status", required=True, allowed=DEAL_STATUSES),
            Column("closed_at", "timestamp"),
            Column("amount", "number"),
            Column("product_line"),
        ),
    ),
    "sales_feedback": EntitySpec(
        "sales_feedback",
        (
            Column("contact_id", required=True),
            Column("feedback", required=True, allowed=FEEDBACK_KINDS),
            Column("given_at", "timestamp", required=True),
            Column("model_id"),
            Column("given_by"),
            Column("note"),
        ),
    ),
}

SQL_TYPES = {"text": "varchar", "timestamp": "timestamp", "number": "double"}
