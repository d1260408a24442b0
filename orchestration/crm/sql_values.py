"""mapping.py's export values and fingerprints as DuckDB SQL text, to compute them for all rows.

Every function returns a SQL expression. The expressions reproduce the pure Python reference
(`text_value`, `json_value`, `outbox_values`, `values_hash`) exactly, value for value and byte
for byte; tests/unit/test_crm_sql_values.py proves it on the awkward cases.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

from ..sql_text import sql_ident, sql_literal
from ..vocabulary import EXCLUDED_STAGE, TRIM_CHARS
from .mapping import (
    IDENTITY_COLUMNS,
    LIFECYCLE_COLUMN,
    LIFECYCLE_VALUES,
    OUTBOX,
    OUTBOX_COLUMNS,
    SALESFORCE,
    UNHASHED_COLUMNS,
    FieldMapping,
)

_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
    | {"UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)
_TIMESTAMP_TYPES = frozenset({"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"})
_ISO_MILLIS = "'%Y-%m-%dT%H:%M:%S.%g'"  # %g: milliseconds, truncated like `microsecond // 1000`
_STRIP_ZEROS = r"'\.?0+$'"
_NEEDS_JSON_ESCAPE = r"'[\x00-\x1f\"\\]'"
_TRUTHY_TEXT = ("true", "1", "yes", "t", "y")
_STAGE = "stage"


@dataclass(frozen=True)
class Column:
    """A SQL expression and the DuckDB type of its values (`NULL`: a column that is missing)."""

    sql: str
    type: str


NULL_COLUMN = Column("cast(null as varchar)", "NULL")


def value_kind(data_type: str) -> str:
    """How Python would see a DuckDB type's values: the branch of text_value / json_value."""
    data_type = data_type.strip().upper()
    if data_type in _INTEGER_TYPES:
        return "int"
    decimal = re.fullmatch(r"DECIMAL\(\d+,\s*(\d+)\)", data_type)
    if decimal:
        return "decimal" if int(decimal.group(1)) else "int"
    if data_type in ("FLOAT", "DOUBLE", "REAL"):
        return "float"
    if data_type in _TIMESTAMP_TYPES:
        return "timestamp"
    if data_type == "TIMESTAMP WITH TIME ZONE":
        return "timestamptz"
    return {"BOOLEAN": "bool", "NULL": "null", "VARCHAR": "text"}.get(data_type, "other")


# --- text: text_value() -------------------------------------------------------------------


def _plain_double(value: str) -> str:
    """format_number() of a double: its shortest repr (DuckDB's cast equals Python's repr),
    rewritten without an exponent; null for nan and infinities."""
    text = f"cast({value} as varchar)"
    mantissa = f"ltrim(split_part({text}, 'e', 1), '-')"
    digits = f"replace({mantissa}, '.', '')"
    point = (
        f"(coalesce(nullif(strpos({mantissa}, '.'), 0) - 1, length({mantissa}))"
        f" + cast(split_part({text}, 'e', 2) as integer))"
    )
    width = f"length({digits})"
    expanded = (
        f"case when {point} <= 0 then '0.' || repeat('0', -{point}) || {digits}"
        f" when {point} >= {width} then {digits} || repeat('0', {point} - {width})"
        f" else left({digits}, {point}) || '.' || substr({digits}, {point} + 1) end"
    )
    unsigned = f"case when contains({text}, 'e') then {expanded} else ltrim({text}, '-') end"
    stripped = (
        f"case when contains({unsigned}, '.') "
        f"then regexp_replace({unsigned}, {_STRIP_ZEROS}, '') else {unsigned} end"
    )
    signed = f"case when {value} < 0 and {stripped} <> '0' then '-' else '' end || {stripped}"
    return f"case when isfinite({value}) then {signed} end"


def text_sql(column: Column) -> str:
    """text_value() of the column's values, as varchar; null where text_value gives ''."""
    kind, value = value_kind(column.type), column.sql
    if kind == "null":
        return "cast(null as varchar)"
    if kind == "bool":
        return f"case when {value} then 'true' when not {value} then 'false' end"
    if kind == "decimal":
        # A decimal's text always has its scale's digits: 12.50 -> 12.5, 100.00 -> 100.
        return f"regexp_replace(cast({value} as varchar), {_STRIP_ZEROS}, '')"
    if kind == "float":
        return _plain_double(f"cast({value} as double)")
    if kind == "timestamp":
        return f"strftime(cast({value} as timestamp), {_ISO_MILLIS}) || 'Z'"
    if kind == "timestamptz":
        return f"strftime(timezone('UTC', {value}), {_ISO_MILLIS}) || 'Z'"
    return f"cast({value} as varchar)"  # text, integers, dates (ISO), anything else as str()


def text_needs_quoting(column: Column) -> bool:
    """Whether the text may hold characters that JSON or CSV must escape (free text)."""
    return value_kind(column.type) in ("text", "other")


# --- JSON: json.dumps(..., ensure_ascii=False) ---------------------------------------------


@cache
def _json_escapes() -> tuple[tuple[str, str], ...]:
    """(character, escape) exactly as json.dumps writes them; the backslash comes first."""
    specials = ["\\", '"'] + [chr(code) for code in range(32)]
    return tuple((char, json.dumps(char)[1:-1]) for char in specials)


def _char_sql(char: str) -> str:
    return f"chr({ord(char)})" if ord(char) < 32 else sql_literal(char)


def json_string_sql(text: str, escape: bool = True) -> str:
    """The JSON string literal of a varchar (null stays null). `escape=False`: the text is
    known to hold no quote, backslash or control character (numbers, timestamps)."""
    if not escape:
        return f"'\"' || {text} || '\"'"
    escaped = text
    for char, replacement in _json_escapes():
        escaped = f"replace({escaped}, {_char_sql(char)}, {sql_literal(replacement)})"
    needed = f"regexp_matches({text}, {_NEEDS_JSON_ESCAPE})"
    guarded = f"case when {needed} then {escaped} else {text} end"
    return f"'\"' || {guarded} || '\"'"


def json_members_sql(members: Mapping[str, str], compact: bool = True) -> str:
    """The inside of a JSON object with sorted keys (`sort_keys=True`) from name -> value JSON.

    A member whose value is SQL null is left out (a lifecycle stage that is not sent).
    """
    item_sep, key_sep = (",", ":") if compact else (", ", ": ")
    parts = [
        f"{sql_literal(json.dumps(name, ensure_ascii=False) + key_sep)} || {value}"
        for name, value in sorted(members.items())
    ]
    if not parts:
        return "''"
    return f"concat_ws({sql_literal(item_sep)}, {', '.join(parts)})"


def json_object_sql(members: Mapping[str, str], compact: bool = False) -> str:
    """json.dumps(values, sort_keys=True, ensure_ascii=False): the ledger's `sent_values`."""
    return f"'{{' || {json_members_sql(members, compact)} || '}}'"


def fingerprint_sql(target: str, record_key: str | None, members: str) -> str:
    """values_hash(): sha256 of `[target, record_key, {hashed values}]` as compact JSON, 40 hex
    digits. `members` is json_members_sql() of the hashed values (UNHASHED_COLUMNS left out)."""
    key = "'null'" if record_key is None else f"coalesce({json_string_sql(record_key)}, 'null')"
    head = sql_literal("[" + json.dumps(target, ensure_ascii=False) + ",")
    return f"left(sha256({head} || {key} || ',{{' || {members} || '}}]'), 40)"


def hashed(members: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in members.items() if name not in UNHASHED_COLUMNS}


def json_value_sql(column: Column) -> str:
    """The JSON text of json_value() (what Salesforce receives); never null."""
    kind, value = value_kind(column.type), column.sql
    if kind == "null":
        return "'null'"
    if kind == "bool":
        return f"case when {value} then 'true' when not {value} then 'false' else 'null' end"
    if kind in ("int", "decimal", "float"):
        text = text_sql(column)
        # int(text) when it has no point, else float(text), whose repr DuckDB's cast writes.
        as_float = f"cast(cast({text} as double) as varchar)"
        number = f"case when contains({text}, '.') then {as_float} else {text} end"
        return f"coalesce({number}, 'null')"
    return f"coalesce({json_string_sql(text_sql(column), text_needs_quoting(column))}, 'null')"


# --- the score rows -------------------------------------------------------------------------


@cache
def _python_whitespace() -> str:
    """The characters str.strip() removes (for text is_excluded values)."""
    return "".join(char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace())


def clean_sql(text: str) -> str:
    """mapping.clean(): trimmed like staging trims seed text; null -> ''."""
    return f"trim(coalesce({text}, ''), {sql_literal(TRIM_CHARS)})"


@dataclass(frozen=True)
class ScoreSource:
    """marts.contact_scores as `scores`, left-joined to marts.contacts for the identities.

    `column(name)` is the value iter_score_rows gave the Python code under that name.
    """

    score_types: Mapping[str, str]
    """contact_scores column -> DuckDB type."""
    contact_types: Mapping[str, str]

    def from_sql(self) -> str:
        sql = "marts.contact_scores as scores"
        if "contact_id" in self.contact_types:
            sql += " left join marts.contacts as contacts "
            sql += "on scores.contact_id = contacts.contact_id"
        return sql

    @property
    def order_sql(self) -> str:
        """The export order: each model's ranking (contact_scores.score_rank), so the contacts
        sales works first reach the CRM first; by contact without a ranking column."""
        if "score_rank" in self.score_types:
            return "scores.model_id, scores.score_rank, scores.contact_id"
        return "scores.contact_id, scores.model_id"

    def column(self, name: str) -> Column:
        if name == "model_id":
            return Column(f"lower({clean_sql('cast(scores.model_id as varchar)')})", "VARCHAR")
        if name == "contact_id":
            # str(contact_id), as the ledger keys always were (str(None) included).
            return Column("coalesce(cast(scores.contact_id as varchar), 'None')", "VARCHAR")
        if name in IDENTITY_COLUMNS:
            if "contact_id" in self.contact_types and name in self.contact_types:
                return Column(f"cast(contacts.{sql_ident(name)} as varchar)", "VARCHAR")
            return NULL_COLUMN
        if name in self.score_types:
            return Column(f"scores.{sql_ident(name)}", self.score_types[name])
        return NULL_COLUMN

    def is_excluded_sql(self) -> str:
        """mapping._truthy(is_excluded), never null."""
        column = self.column("is_excluded")
        kind, value = value_kind(column.type), column.sql
        if kind == "null":
            return "false"
        if kind == "bool":
            return f"coalesce({value}, false)"
        if kind in ("int", "decimal", "float"):
            return f"coalesce({value} <> 0, false)"
        if kind == "text":
            stripped = f"lower(trim({value}, {sql_literal(_python_whitespace())}))"
            truthy = ", ".join(sql_literal(word) for word in _TRUTHY_TEXT)
            return f"coalesce({stripped} in ({truthy}), false)"
        return f"({value} is not null)"

    def stage_sql(self) -> str:
        """export_stage(): `excluded` for an excluded contact, else the stage as text."""
        stage = f"cast({self.column('stage').sql} as varchar)"
        excluded = sql_literal(EXCLUDED_STAGE)
        return f"case when {self.is_excluded_sql()} then {excluded} else {stage} end"

    def lifecycle_sql(self, target: str) -> str:
        """lifecycle_value(): the target's lifecycle value, null when nothing is sent."""
        stage = f"lower({clean_sql(f'cast({self.column(_STAGE).sql} as varchar)')})"
        whens = " ".join(
            f"when {sql_literal(ours)} then {sql_literal(theirs)}"
            for ours, theirs in LIFECYCLE_VALUES.get(target, {}).items()
        )
        if not whens:
            return "cast(null as varchar)"
        return f"case when {self.is_excluded_sql()} then null else case {stage} {whens} end end"

    def value(self, name: str, target: str) -> Column:
        """column_value(): the raw value of a score column for a target, as a Column."""
        if name == LIFECYCLE_COLUMN:
            return Column(self.lifecycle_sql(target), "VARCHAR")
        if name == "stage":
            return Column(self.stage_sql(), "VARCHAR")
        return self.column(name)


# --- per target -----------------------------------------------------------------------------


def outbox_text_sql(source: ScoreSource) -> dict[str, str]:
    """outbox_values(): every outbox column as never-null text."""
    return {
        name: f"coalesce({text_sql(source.value(name, OUTBOX))}, '')" for name in OUTBOX_COLUMNS
    }


def outbox_quoting(source: ScoreSource) -> dict[str, bool]:
    """Per outbox column: may its text need JSON or CSV escaping?"""
    return {name: text_needs_quoting(source.value(name, OUTBOX)) for name in OUTBOX_COLUMNS}


def crm_members_sql(
    source: ScoreSource, mappings: Sequence[FieldMapping], target: str, *, every: bool = False
) -> str:
    """The JSON members of mapped_values() for one model: the hashed ones, or `every` one
    (empty text: nothing to send)."""
    by_field: dict[str, list[str]] = {}
    for mapping in mappings:
        by_field.setdefault(mapping.crm_field, []).append(_crm_value_json(source, mapping, target))
    # A field mapped twice keeps the last value sent (a later lifecycle that is not sent does
    # not overwrite), as the dict in mapped_values() does.
    members = {
        name: values[0] if len(values) == 1 else f"coalesce({', '.join(reversed(values))})"
        for name, values in by_field.items()
    }
    return json_members_sql(members if every else hashed(members))


def _crm_value_json(source: ScoreSource, mapping: FieldMapping, target: str) -> str:
    column = source.value(mapping.score_column, target)
    if mapping.score_column == LIFECYCLE_COLUMN:  # null: not sent at all
        return json_string_sql(column.sql, escape=False)
    if target == SALESFORCE:
        return json_value_sql(column)
    text = f"coalesce({text_sql(column)}, '')"
    return json_string_sql(text, text_needs_quoting(column))


def models_case_sql(model: str, bodies: Iterable[tuple[str, str]]) -> str:
    """`case model when 'lead' then ... end`: per model's SQL; null for unmapped models."""
    whens = " ".join(f"when {sql_literal(name)} then {body}" for name, body in bodies)
    return f"case {model} {whens} end" if whens else "cast(null as varchar)"


def csv_field_sql(text: str, quote: bool) -> str:
    """The field as csv.writer (excel dialect, QUOTE_MINIMAL) writes it."""
    if not quote:
        return text
    special = " or ".join(f"contains({text}, {_char_sql(char)})" for char in (",", '"', "\n", "\r"))
    return f"case when {special} then '\"' || replace({text}, '\"', '\"\"') || '\"' else {text} end"
