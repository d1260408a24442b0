"""Which rows each target is owed: values, fingerprints and the ledger compared in DuckDB.

Every scored (model, contact) row is formatted and fingerprinted in SQL (sql_values.py) and
anti-joined with what the target last accepted; only the changed rows reach Python: the CRM
records to send (their values made by mapping.py, as always), or the outbox file's lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..delivery.ledger import SENT
from ..sql_text import sql_ident, sql_literal
from .common import ExportItem, Part
from .ledger import LEDGER_TABLE, ledger_exists
from .mapping import (
    HUBSPOT,
    IDENTITY_COLUMNS,
    LIFECYCLE_COLUMN,
    OUTBOX,
    OUTBOX_COLUMNS,
    SALESFORCE,
    UNHASHED_COLUMNS,
    FieldMapping,
    clean,
    fields_by_model,
    mapped_values,
)
from .sql_values import (
    ScoreSource,
    clean_sql,
    crm_members_sql,
    csv_field_sql,
    fingerprint_sql,
    hashed,
    json_members_sql,
    json_object_sql,
    json_string_sql,
    models_case_sql,
    outbox_quoting,
    outbox_text_sql,
)

OUTBOX_PLAN = "_leadscore_crm_outbox_plan"
CRM_PLAN = "_leadscore_crm_plan"
FETCH_ROWS = 50_000


def _column_types(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    return dict(
        con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and schema_name = ? and table_name = ? "
            "order by column_index",
            [schema, table],
        ).fetchall()
    )


def score_source(con: duckdb.DuckDBPyConnection) -> ScoreSource:
    return ScoreSource(
        _column_types(con, "marts", "contact_scores"), _column_types(con, "marts", "contacts")
    )


def _ledger_sql(con: duckdb.DuckDBPyConnection, target: str) -> str:
    """The target's ledger rows as a relation (there are none before the first real run)."""
    if not ledger_exists(con):
        return (
            "(select null::varchar as contact_id, null::varchar as model_id, "
            "null::varchar as status, null::varchar as accepted_hash where false)"
        )
    return (
        f"(select contact_id, model_id, status, accepted_hash from {LEDGER_TABLE} "
        f"where target = {sql_literal(target)})"
    )


@contextlib.contextmanager
def _temporary(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[str]:
    """A connection-local table for one plan (also on a read-only connection: dry run)."""
    try:
        yield name
    finally:
        con.execute(f"drop table if exists temp.{sql_ident(name)}")


# --- the outbox -----------------------------------------------------------------------------


@dataclass
class OutboxPlan:
    """The outbox rows of this run, in temporary table `table` (text only where changed)."""

    table: str
    changed: int = 0
    unchanged: int = 0
    quoting: Mapping[str, bool] = field(default_factory=dict)

    def preview(self, con: duckdb.DuckDBPyConnection, limit: int) -> list[dict[str, str]]:
        columns = ", ".join(sql_ident(name) for name in OUTBOX_COLUMNS)
        rows = con.execute(
            f"select {columns} from {self.table} where changed order by ord limit ?", [limit]
        ).fetchall()
        return [dict(zip(OUTBOX_COLUMNS, row, strict=True)) for row in rows]

    def csv_lines(self, con: duckdb.DuckDBPyConnection) -> Iterator[str]:
        """The changed rows as csv.writer writes them (CRLF), in chunks of many lines."""
        fields = [csv_field_sql(sql_ident(name), self.quoting[name]) for name in OUTBOX_COLUMNS]
        reader = con.sql(
            f"select concat_ws(',', {', '.join(fields)}) || chr(13) || chr(10) "
            f"from {self.table} where changed order by ord"
        ).to_arrow_reader(FETCH_ROWS)
        for batch in reader:
            yield "".join(batch.column(0).to_pylist())

    def ledger_rows_sql(self) -> str:
        """The changed rows as mark_pending_from() takes them; sent_values as json.dumps."""
        values = {
            name: json_string_sql(sql_ident(name), self.quoting[name]) for name in OUTBOX_COLUMNS
        }
        return (
            f"(select contact_id, model_id, null::varchar as record_key, "
            f"fingerprint as values_hash, {json_object_sql(values)} as sent_values "
            f"from {self.table} where changed)"
        )

    def settle_sql(self) -> str:
        return f"(select contact_id, model_id from {self.table} where settle)"


@contextlib.contextmanager
def outbox_plan(con: duckdb.DuckDBPyConnection, source: ScoreSource) -> Iterator[OutboxPlan]:
    """Every scored row as outbox text with its fingerprint, compared with the ledger."""
    texts = outbox_text_sql(source)
    quoting = outbox_quoting(source)
    members = json_members_sql(
        hashed({name: json_string_sql(f"t.{sql_ident(name)}", quoting[name]) for name in texts})
    )
    keep = ", ".join(
        f"case when changed then f.{sql_ident(name)} end as {sql_ident(name)}"
        for name in OUTBOX_COLUMNS
        if name not in ("contact_id", "model_id")
    )
    with _temporary(con, OUTBOX_PLAN) as table:
        con.execute(
            f"""
            create or replace temp table {table} as
            with texts as (
                select row_number() over (order by {source.order_sql}) as ord,
                    {", ".join(f"{sql} as {sql_ident(name)}" for name, sql in texts.items())}
                from {source.from_sql()}
            ),
            fingerprinted as (
                select t.*, {fingerprint_sql(OUTBOX, None, members)} as fingerprint
                from texts as t
            ),
            compared as (
                select f.*, ledger.status,
                    ledger.accepted_hash is distinct from f.fingerprint as changed,
                    ledger.accepted_hash = f.fingerprint
                        and ledger.status <> {sql_literal(SENT)} as settle
                from fingerprinted as f
                left join {_ledger_sql(con, OUTBOX)} as ledger
                    on ledger.contact_id = f.contact_id and ledger.model_id = f.model_id
            )
            -- Only changed rows keep their text: the table stays small when little changed.
            select f.ord, f.fingerprint, f.changed, coalesce(f.settle, false) as settle,
                f.contact_id, f.model_id, {keep}
            from compared as f
            """
        )
        # fetchall, not fetchone: it finishes the result, so the connection is free again.
        ((changed, unchanged),) = con.execute(
            f"select count(*) filter (where changed), count(*) filter (where not changed) "
            f"from {table}"
        ).fetchall()
        yield OutboxPlan(table, changed, unchanged, quoting)


# --- HubSpot and Salesforce -----------------------------------------------------------------


@dataclass
class Plan:
    target: str
    items: list[ExportItem] = field(default_factory=list)
    skipped: int = 0
    unchanged: int = 0
    settle: list[tuple[str, str]] = field(default_factory=list)
    """(contact, model) rows back at their accepted values while the ledger says otherwise."""


def record_identity(target: str, row: Mapping[str, Any]) -> tuple[str, str | None]:
    """(key kind, key) a target matches the contact by: HubSpot id, else e-mail; Salesforce id."""
    if target == HUBSPOT:
        hubspot_id = clean(row.get("hubspot_id"))
        if hubspot_id:
            return "id", hubspot_id
        email = clean(row.get("email"))
        return "email", email or None
    if target == SALESFORCE:
        return "salesforce_id", clean(row.get("salesforce_id")) or None
    return "file", None


def _record_key_sql(source: ScoreSource, target: str) -> str:
    """record_identity()'s key in SQL; null: the contact cannot be matched (skipped)."""

    def key(name: str) -> str:
        return f"nullif({clean_sql(source.column(name).sql)}, '')"

    if target == HUBSPOT:
        return f"coalesce({key('hubspot_id')}, {key('email')})"
    return key("salesforce_id")


def _row_columns(source: ScoreSource, field_map: Sequence[FieldMapping]) -> dict[str, str]:
    """The columns mapped_values() and record_identity() read -> the plan column keeping each.

    Positional names in the plan: a score column may be called like a column of the plan.
    """
    wanted = ["model_id", "contact_id", *IDENTITY_COLUMNS, "stage", "is_excluded"]
    wanted += [m.score_column for m in field_map if m.score_column != LIFECYCLE_COLUMN]
    always = {"model_id", "contact_id", *IDENTITY_COLUMNS}
    names = [n for n in dict.fromkeys(wanted) if n in always or n in source.score_types]
    return {name: f"score_{index}" for index, name in enumerate(names)}


def _crm_plan_sql(
    con: duckdb.DuckDBPyConnection,
    source: ScoreSource,
    target: str,
    by_model: Mapping[str, Sequence[FieldMapping]],
    columns: Mapping[str, str],
) -> str:
    """Per mapped row: skipped (no record key), fingerprint, changed, and for the changed rows
    the values Python needs to build what is sent."""

    def per_model(every: bool) -> str:
        bodies = [
            (model, crm_members_sql(source, maps, target, every=every))
            for model, maps in by_model.items()
        ]
        return models_case_sql(source.column("model_id").sql, bodies)

    members = per_model(every=False)
    # A row is sent when any field is (a field named like an unhashed column is not hashed).
    unhashed = any(m.crm_field in UNHASHED_COLUMNS for maps in by_model.values() for m in maps)
    sends = per_model(every=True) if unhashed else "members"
    raw = ", ".join(f"{source.column(name).sql} as {kept}" for name, kept in columns.items())
    # Only changed rows keep their values: the table stays small when little changed.
    keep = ", ".join(f"case when changed then {kept} end as {kept}" for kept in columns.values())
    return f"""
        with scored as (
            select row_number() over (order by {source.order_sql}) as ord,
                {source.column("contact_id").sql} as contact_id,
                {source.column("model_id").sql} as model_id,
                {_record_key_sql(source, target)} as record_key,
                {members} as members,
                {raw}
            from {source.from_sql()}
        ),
        fingerprinted as (
            select *, record_key is null as skipped,
                {fingerprint_sql(target, "record_key", "members")} as fingerprint
            from scored
            where {sends} <> ''  -- a model without mapped fields, or nothing to send
        ),
        compared as (
            select f.*, ledger.status,
                not f.skipped and ledger.accepted_hash is distinct from f.fingerprint as changed
            from fingerprinted as f
            left join {_ledger_sql(con, target)} as ledger
                on ledger.contact_id = f.contact_id and ledger.model_id = f.model_id
        )
        select ord, contact_id, model_id, skipped, fingerprint, status, changed, {keep}
        from compared
    """


def plan_crm(
    con: duckdb.DuckDBPyConnection,
    source: ScoreSource,
    target: str,
    field_map: Sequence[FieldMapping],
) -> Plan:
    """The records whose values differ from what the target last accepted.

    A record is one contact: its changed models' values merged, each model with its own
    fingerprint. Unchanged and skipped rows are only counted, never fetched.
    """
    by_model = fields_by_model(field_map, target)
    columns = _row_columns(source, field_map)
    plan = Plan(target)
    with _temporary(con, CRM_PLAN) as table:
        sql = _crm_plan_sql(con, source, target, by_model, columns)
        con.execute(f"create or replace temp table {table} as {sql}")
        ((plan.skipped, plan.unchanged),) = con.execute(
            f"""
            select count(distinct contact_id) filter (where skipped),
                count(distinct contact_id) filter (
                    where not skipped and not changed
                    and contact_id not in (select contact_id from {table} where changed)
                )
            from {table}
            """
        ).fetchall()
        plan.settle = con.execute(
            f"select contact_id, model_id from {table} "
            f"where not skipped and not changed and status <> {sql_literal(SENT)} order by ord"
        ).fetchall()
        plan.items = _changed_items(con, table, target, by_model, columns)
    return plan


def _changed_items(
    con: duckdb.DuckDBPyConnection,
    table: str,
    target: str,
    by_model: Mapping[str, Sequence[FieldMapping]],
    columns: Mapping[str, str],
) -> list[ExportItem]:
    """The changed rows, merged per contact; values as mapped_values() makes them.

    `columns` maps the row's column names to the plan's columns holding them.
    """
    names = list(columns)
    cursor = con.execute(
        f"select contact_id, model_id, fingerprint, {', '.join(columns.values())} "
        f"from {table} where changed order by ord"
    )
    items: dict[str, ExportItem] = {}
    while chunk := cursor.fetchmany(FETCH_ROWS):
        for contact_id, model_id, fingerprint, *values in chunk:
            row = dict(zip(names, values, strict=True))
            item = items.get(contact_id)
            if item is None:
                kind, key = record_identity(target, row)
                item = items[contact_id] = ExportItem(contact_id, key, kind)
            item.parts.append(
                Part(model_id, mapped_values(row, by_model[model_id], target), fingerprint)
            )
    return list(items.values())
