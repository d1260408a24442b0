"""ops.export_ledger: per target, contact and model, what the target last accepted.

One row per (target, contact_id, model_id). `accepted_hash` is the fingerprint of the values
the target last accepted; a row is sent again only when its current fingerprint differs.
`status` is `pending` (changed, not yet accepted), `sent` (accepted) or `failed` (refused or
not delivered: tried again next run), by the rule of delivery/ledger.py. Outcomes are committed
batch by batch.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import duckdb
import pyarrow as pa

from ..delivery.ledger import PENDING, SENT, outcome_assignments

LEDGER_TABLE = "ops.export_ledger"

_names = (f"_leadscore_crm_rows_{n}" for n in itertools.count())


@dataclass(frozen=True)
class PendingRow:
    contact_id: str
    model_id: str
    record_key: str | None
    values_hash: str
    values_json: str


@dataclass(frozen=True)
class OutcomeRow:
    contact_id: str
    model_id: str
    values_hash: str
    accepted: bool
    error: str | None
    tries: int


def ensure_export_ledger(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"""
        create table if not exists {LEDGER_TABLE} (
            target varchar not null,
            contact_id varchar not null,
            model_id varchar not null,
            record_key varchar,
            status varchar not null,
            values_hash varchar not null,
            accepted_hash varchar,
            attempts integer not null,
            last_error varchar,
            sent_values varchar,
            created_at timestamp not null,
            sent_at timestamp,
            updated_at timestamp not null,
            primary key (target, contact_id, model_id)
        )
        """
    )


def ledger_exists(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() "
            "where database_name = current_database() "
            "and schema_name = 'ops' and table_name = 'export_ledger'"
        ).fetchone()[0]
    )


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    con.begin()
    try:
        yield
    except BaseException:
        con.rollback()
        raise
    con.commit()


@contextlib.contextmanager
def _registered(con: duckdb.DuckDBPyConnection, table: pa.Table) -> Iterator[str]:
    name = next(_names)
    con.register(name, table)
    try:
        yield name
    finally:
        con.unregister(name)


def mark_pending(
    con: duckdb.DuckDBPyConnection,
    target: str,
    rows: Iterable[PendingRow],
    now: datetime,
    *,
    accepted: bool = False,
) -> None:
    """mark_pending_from() for rows held in Python (the CRM targets' changed records)."""
    rows = list(rows)
    if not rows:
        return
    table = pa.table(
        {
            "contact_id": pa.array([r.contact_id for r in rows], pa.string()),
            "model_id": pa.array([r.model_id for r in rows], pa.string()),
            "record_key": pa.array([r.record_key for r in rows], pa.string()),
            "values_hash": pa.array([r.values_hash for r in rows], pa.string()),
            "sent_values": pa.array([r.values_json for r in rows], pa.string()),
        }
    )
    with _registered(con, table) as source:
        mark_pending_from(con, target, source, now, accepted=accepted)


def mark_pending_from(
    con: duckdb.DuckDBPyConnection,
    target: str,
    source: str,
    now: datetime,
    *,
    accepted: bool = False,
) -> None:
    """Record what is about to be sent; `attempts` restarts when the values changed.

    `source` is a relation (table name or parenthesized query) with the columns
    contact_id, model_id, record_key, values_hash and sent_values. With `accepted` (the
    outbox: written before it is recorded), the rows are recorded as sent in the same
    statement.
    """
    con.execute(
        f"""
        insert into {LEDGER_TABLE} (
            target, contact_id, model_id, record_key, status, values_hash, accepted_hash,
            attempts, last_error, sent_values, created_at, sent_at, updated_at
        )
        select ?, contact_id, model_id, record_key, ?, values_hash,
            case when ? then values_hash end, ?, null, sent_values, ?,
            case when ? then ?::timestamp end, ?
        from {source}
        on conflict (target, contact_id, model_id) do update set
            record_key = excluded.record_key,
            status = excluded.status,
            accepted_hash = coalesce(excluded.accepted_hash, export_ledger.accepted_hash),
            attempts = case
                when export_ledger.values_hash = excluded.values_hash
                then export_ledger.attempts else 0 end + excluded.attempts,
            last_error = case when ? then null else export_ledger.last_error end,
            values_hash = excluded.values_hash,
            sent_values = excluded.sent_values,
            sent_at = coalesce(excluded.sent_at, export_ledger.sent_at),
            updated_at = excluded.updated_at
        """,
        [
            target,
            SENT if accepted else PENDING,
            accepted,
            int(accepted),
            now,
            accepted,
            now,
            now,
            accepted,
        ],
    )


def record_outcomes(
    con: duckdb.DuckDBPyConnection, target: str, rows: Iterable[OutcomeRow], now: datetime
) -> None:
    """Store one batch's results: `sent` only for what the target accepted."""
    rows = list(rows)
    if not rows:
        return
    table = pa.table(
        {
            "contact_id": pa.array([r.contact_id for r in rows], pa.string()),
            "model_id": pa.array([r.model_id for r in rows], pa.string()),
            "values_hash": pa.array([r.values_hash for r in rows], pa.string()),
            "accepted": pa.array([r.accepted for r in rows], pa.bool_()),
            "error": pa.array([r.error for r in rows], pa.string()),
            "tries": pa.array([r.tries for r in rows], pa.int32()),
        }
    )
    with _registered(con, table) as source:
        assignments = outcome_assignments(
            ledger="ledger",
            accepted="outcome.accepted",
            error="outcome.error",
            tries="outcome.tries",
            now="$now",
            sent_at="sent_at",
        )
        con.execute(
            f"""
            update {LEDGER_TABLE} as ledger set
                {assignments},
                accepted_hash = case
                    when outcome.accepted then outcome.values_hash else ledger.accepted_hash end,
                updated_at = $now
            from {source} as outcome
            where ledger.target = $target
                and ledger.contact_id = outcome.contact_id
                and ledger.model_id = outcome.model_id
            """,
            {"now": now, "target": target},
        )


def settle(
    con: duckdb.DuckDBPyConnection,
    target: str,
    keys: Iterable[tuple[str, str]],
    now: datetime,
) -> None:
    """settle_from() for (contact_id, model_id) keys held in Python."""
    keys = list(keys)
    if not keys:
        return
    table = pa.table(
        {
            "contact_id": pa.array([c for c, _ in keys], pa.string()),
            "model_id": pa.array([m for _, m in keys], pa.string()),
        }
    )
    with _registered(con, table) as source:
        settle_from(con, target, source, now)


def settle_from(con: duckdb.DuckDBPyConnection, target: str, source: str, now: datetime) -> None:
    """Rows whose values went back to what the target last accepted: nothing is owed.

    `source` is a relation with the columns contact_id and model_id.
    """
    con.execute(
        f"""
        update {LEDGER_TABLE} as ledger set
            status = $sent, values_hash = ledger.accepted_hash, last_error = null,
            updated_at = $now
        from {source} as settled
        where ledger.target = $target
            and ledger.contact_id = settled.contact_id
            and ledger.model_id = settled.model_id
            and ledger.accepted_hash is not null
        """,
        {"sent": SENT, "now": now, "target": target},
    )
