"""What a CRM receives: the field map, value formats, lifecycle stages and change hashes.

Everything here is pure (no database, no HTTP), so it is unit-tested directly. It is also the
reference the set-based planner reproduces in SQL (sql_values.py): change both together.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..vocabulary import CRM_TARGETS, EXCLUDED_STAGE, LIFECYCLE_COLUMN, trim

HUBSPOT, SALESFORCE = CRM_TARGETS
OUTBOX = "outbox"
"""Not a CRM: the file every run writes (outbox/crm_updates.csv), tracked like a target."""


LIFECYCLE_VALUES: dict[str, dict[str, str]] = {
    # HubSpot's internal values of the default `lifecyclestage` property.
    HUBSPOT: {"lead": "lead", "mql": "marketingqualifiedlead", "sql": "salesqualifiedlead"},
    # Salesforce has no standard lifecycle field: these are the values of the picklist (or
    # text field) the field map points at; see docs/crm.md.
    SALESFORCE: {"lead": "Lead", "mql": "MQL", "sql": "SQL"},
    OUTBOX: {"lead": "lead", "mql": "marketingqualifiedlead", "sql": "salesqualifiedlead"},
}
"""Our stage -> the CRM's lifecycle value. Stages not listed (excluded, unqualified, customer
stages of other models, ...) are not sent: the CRM keeps whatever lifecycle it has."""

OUTBOX_COLUMNS = (
    "model_id",
    "contact_id",
    "email",
    "hubspot_id",
    "salesforce_id",
    "total_score",
    "fit_score",
    "engagement_score",
    "fit_band",
    "engagement_band",
    "total_band",
    "matrix_label",
    "stage",
    "stage_rank",
    LIFECYCLE_COLUMN,
    "is_excluded",
    "top_reasons",
    "last_activity_at",
    "as_of",
)
"""Columns of outbox/crm_updates.csv: target-neutral, one row per changed (model, contact)."""

UNHASHED_COLUMNS = frozenset({"as_of"})
"""Values that change every run without the score changing: written, never a reason to send."""

IDENTITY_COLUMNS = ("email", "hubspot_id", "salesforce_id")


@dataclass(frozen=True)
class FieldMapping:
    """One row of seeds/crm_field_map.csv (as normalized by staging.stg_crm_field_map)."""

    model_id: str
    target: str
    score_column: str
    crm_field: str


DEFAULT_FIELD_MAP: tuple[FieldMapping, ...] = tuple(
    FieldMapping("lead", target, column, field)
    for target, pairs in (
        (
            HUBSPOT,
            (
                ("total_score", "leadscore_total"),
                ("fit_score", "leadscore_fit"),
                ("engagement_score", "leadscore_engagement"),
                ("stage", "leadscore_stage"),
                ("total_band", "leadscore_band"),
                ("top_reasons", "leadscore_reasons"),
            ),
        ),
        (
            SALESFORCE,
            (
                ("total_score", "Lead_Score__c"),
                ("fit_score", "Lead_Fit__c"),
                ("engagement_score", "Lead_Engagement__c"),
                ("stage", "Lead_Stage__c"),
                ("total_band", "Lead_Band__c"),
                ("top_reasons", "Lead_Reasons__c"),
            ),
        ),
    )
    for column, field in pairs
)
"""Contract §6 defaults, used only when the field map has no rows at all."""


def clean(value: Any) -> str:
    """Seed text as staging cleans it: trimmed (spaces, tabs, CR/LF, U+3000); None -> ''."""
    return trim(value)


def normalize_field_map(rows: Iterable[Mapping[str, Any]]) -> list[FieldMapping]:
    """Field-map rows (seed or staging column names) -> mappings; incomplete rows are dropped."""
    mappings: list[FieldMapping] = []
    for row in rows:
        target = clean(row.get("crm_target", row.get("target"))).lower()
        mapping = FieldMapping(
            model_id=clean(row.get("model_id")).lower(),
            target=target,
            score_column=clean(row.get("score_column")).lower(),
            crm_field=clean(row.get("crm_field")),
        )
        complete = mapping.model_id and mapping.score_column and mapping.crm_field
        if complete and target in CRM_TARGETS:
            mappings.append(mapping)
    return mappings


def read_field_map_csv(path: Path) -> list[FieldMapping]:
    """The seed file itself (for `crm setup`, which needs no build database)."""
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return normalize_field_map(csv.DictReader(handle))


def fields_by_model(
    field_map: Iterable[FieldMapping], target: str
) -> dict[str, tuple[FieldMapping, ...]]:
    """The target's mappings grouped by model, in field-map order."""
    grouped: dict[str, list[FieldMapping]] = {}
    for mapping in field_map:
        if mapping.target == target:
            grouped.setdefault(mapping.model_id, []).append(mapping)
    return {model: tuple(mappings) for model, mappings in grouped.items()}


# --- values ---------------------------------------------------------------------------------


def format_number(value: Any) -> str:
    """A number as plain decimal text: 12.50 -> '12.5', 100.00 -> '100', never an exponent."""
    if isinstance(value, bool):
        return "1" if value else "0"
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return ""
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, as both CRMs accept: 2026-11-01T09:30:00.000Z."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def text_value(value: Any) -> str:
    """HubSpot and the outbox take text: blank clears a HubSpot property."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isnan(value):
        return ""
    if _is_number(value):
        return format_number(value)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def json_value(value: Any) -> Any:
    """Salesforce takes typed JSON: numbers as numbers, booleans, null clears a field."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if _is_number(value):
        text = format_number(value)
        if not text:
            return None
        return int(text) if "." not in text else float(text)
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def target_value(target: str, value: Any) -> Any:
    return json_value(value) if target == SALESFORCE else text_value(value)


def export_stage(row: Mapping[str, Any]) -> str | None:
    """The stage a CRM may see: an excluded contact is `excluded`, never MQL/SQL."""
    if _truthy(row.get("is_excluded")):
        return EXCLUDED_STAGE
    stage = row.get("stage")
    return None if stage is None else str(stage)


def lifecycle_value(target: str, row: Mapping[str, Any]) -> str | None:
    """The CRM lifecycle value for the row's stage, or None (then nothing is sent)."""
    if _truthy(row.get("is_excluded")):
        return None
    stage = clean(row.get("stage")).lower()
    return LIFECYCLE_VALUES.get(target, {}).get(stage)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "t", "y")
    return bool(value)


def column_value(row: Mapping[str, Any], column: str, target: str) -> tuple[bool, Any]:
    """(send it?, raw value) of one score column for one target."""
    if column == LIFECYCLE_COLUMN:
        value = lifecycle_value(target, row)
        return value is not None, value
    if column == "stage":
        return True, export_stage(row)
    return True, row.get(column)


def mapped_values(
    row: Mapping[str, Any], mappings: Iterable[FieldMapping], target: str
) -> dict[str, Any]:
    """CRM field -> value in the target's format, for one (model, contact) score row."""
    values: dict[str, Any] = {}
    for mapping in mappings:
        send, raw = column_value(row, mapping.score_column, target)
        if send:
            values[mapping.crm_field] = target_value(target, raw)
    return values


def outbox_values(row: Mapping[str, Any]) -> dict[str, str]:
    """One outbox row (every OUTBOX_COLUMNS entry), as text."""
    values: dict[str, str] = {}
    for column in OUTBOX_COLUMNS:
        _, raw = column_value(row, column, OUTBOX)
        values[column] = text_value(raw)
    return values


def values_hash(target: str, record_key: str | None, values: Mapping[str, Any]) -> str:
    """A stable fingerprint of what one record would receive (unhashed columns left out).

    The record key is part of it: a contact now matched to another CRM record is sent again.
    sql_values.fingerprint_sql() computes the same text and hash in DuckDB, so the ledger
    holds one definition whichever side computed it.
    """
    hashed = {name: value for name, value in values.items() if name not in UNHASHED_COLUMNS}
    text = json.dumps(
        [target, record_key, hashed],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]
