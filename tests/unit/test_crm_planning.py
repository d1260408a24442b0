"""Change detection in DuckDB: only rows whose values differ from what a target accepted."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from orchestration.crm.export import _pending_rows, run_crm_exports
from orchestration.crm.ledger import (
    LEDGER_TABLE,
    PendingRow,
    ensure_export_ledger,
    mark_pending,
    settle,
)
from orchestration.crm.mapping import (
    HUBSPOT,
    OUTBOX,
    SALESFORCE,
    outbox_values,
    values_hash,
)
from orchestration.crm.planning import outbox_plan, plan_crm, score_source
from orchestration.crm.policy import ExportPolicy
from tests.support.crm_rows import SEED_MAP, row

NOW = datetime(2026, 11, 1, 6, 0)
SCORE_COLUMNS = {
    "model_id": "varchar",
    "contact_id": "varchar",
    "total_score": "decimal(18, 2)",
    "fit_score": "decimal(18, 2)",
    "engagement_score": "decimal(18, 2)",
    "stage": "varchar",
    "total_band": "varchar",
    "top_reasons": "varchar",
    "is_excluded": "boolean",
    "as_of": "timestamp",
}
IDENTITIES = ("email", "hubspot_id", "salesforce_id")


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        connection.execute("create schema marts")
        columns = ", ".join(f"{name} {kind}" for name, kind in SCORE_COLUMNS.items())
        connection.execute(f"create table marts.contact_scores ({columns})")
        connection.execute(
            "create table marts.contacts "
            "(contact_id varchar, email varchar, hubspot_id varchar, salesforce_id varchar)"
        )
        ensure_export_ledger(connection)
        yield connection


def insert(con, *rows):
    for score in rows:
        con.execute(
            f"insert into marts.contact_scores values ({', '.join('?' * len(SCORE_COLUMNS))})",
            [score[name] for name in SCORE_COLUMNS],
        )
        con.execute("delete from marts.contacts where contact_id = ?", [score["contact_id"]])
        con.execute(
            "insert into marts.contacts values (?, ?, ?, ?)",
            [score["contact_id"], *(score[name] for name in IDENTITIES)],
        )


def plan(con, target):
    return plan_crm(con, score_source(con), target, SEED_MAP)


def accept(con, target):
    """Record everything planned now as accepted by the target."""
    mark_pending(con, target, _pending_rows(plan(con, target).items), NOW, accepted=True)


def test_only_rows_whose_values_changed_are_planned(con):
    insert(con, row(contact_id="c1"))
    accept(con, HUBSPOT)
    insert(con, row(contact_id="c2", hubspot_id="102", total_score=Decimal("7")))
    planned = plan(con, HUBSPOT)
    assert [item.contact_id for item in planned.items] == ["c2"]
    assert planned.unchanged == 1
    con.execute("update marts.contact_scores set total_score = 43 where contact_id = 'c1'")
    assert [item.contact_id for item in plan(con, HUBSPOT).items] == ["c1", "c2"]


def test_the_as_of_instant_alone_is_not_a_change(con):
    insert(con, row())
    accept(con, HUBSPOT)
    con.execute("update marts.contact_scores set as_of = as_of + interval 1 day")
    assert plan(con, HUBSPOT).items == []


def test_a_failed_row_is_planned_again_until_accepted(con):
    insert(con, row())
    accept(con, HUBSPOT)
    con.execute(f"update {LEDGER_TABLE} set status = 'failed', accepted_hash = null")
    assert len(plan(con, HUBSPOT).items) == 1
    # Values back at what HubSpot accepted earlier: nothing is owed, the ledger is settled.
    fingerprint = plan(con, HUBSPOT).items[0].parts[0].values_hash
    con.execute(
        f"update {LEDGER_TABLE} set values_hash = 'something-newer', accepted_hash = ?",
        [fingerprint],
    )
    planned = plan(con, HUBSPOT)
    assert planned.items == [] and planned.settle == [("c1", "lead")]
    settle(con, HUBSPOT, planned.settle, NOW)
    assert con.execute(f"select status, values_hash from {LEDGER_TABLE}").fetchall() == [
        ("sent", fingerprint)
    ]


def test_a_contact_merges_its_changed_models_only(con):
    insert(con, row(), row(model_id="cross_sell", stage="lead"))
    accept(con, HUBSPOT)
    con.execute("update marts.contact_scores set total_score = 1 where model_id = 'lead'")
    (item,) = plan(con, HUBSPOT).items
    assert [p.model_id for p in item.parts] == ["lead"]
    assert not any(name.startswith("leadscore_cross_sell") for name in item.values)
    assert item.values["leadscore_total"] == "1"


def test_matching_hubspot_by_id_else_email_and_salesforce_by_id(con):
    insert(
        con,
        row(contact_id="c1"),
        row(contact_id="c2", hubspot_id=None, email=" b@example.com ", salesforce_id="00Q2"),
        row(contact_id="c3", hubspot_id=" ", email=None, salesforce_id=None),
    )
    hubspot = plan(con, HUBSPOT)
    assert [(i.key_kind, i.record_key) for i in hubspot.items] == [
        ("id", "101"),
        ("email", "b@example.com"),
    ]
    assert hubspot.skipped == 1
    salesforce = plan(con, SALESFORCE)
    assert [i.record_key for i in salesforce.items] == ["00Q000000000001AAA", "00Q2"]
    assert salesforce.skipped == 1
    assert salesforce.items[0].values["Lead_Score__c"] == 42.5


def test_models_without_mapped_fields_are_not_sent_but_go_to_the_outbox(con):
    insert(con, row(model_id="challenger"))
    assert plan(con, HUBSPOT).items == []
    with outbox_plan(con, score_source(con)) as outbox:
        assert outbox.changed == 1


def test_a_ledger_written_by_the_python_planner_is_still_valid(con):
    """The SQL fingerprint is values_hash() itself: upgrading re-exports nothing."""
    rows = [row(contact_id="c1"), row(contact_id="c2", top_reasons='a, "b"\nc')]
    insert(con, *rows)
    recorded = [
        PendingRow(r["contact_id"], "lead", None, values_hash(OUTBOX, None, outbox_values(r)), "")
        for r in rows
    ]
    mark_pending(con, OUTBOX, recorded, NOW, accepted=True)
    with outbox_plan(con, score_source(con)) as outbox:
        assert (outbox.changed, outbox.unchanged) == (0, 2)


def test_unchanged_rows_are_not_exported_again(con, tmp_path):
    insert(con, row(contact_id="c1"), row(contact_id="c2"))
    policy = ExportPolicy(sleep=lambda seconds: None)
    outbox_file = tmp_path / "crm_updates.csv"

    def export(**kwargs):
        return run_crm_exports(con, tmp_path, env={}, policy=policy, **kwargs)

    def outbox_rows():
        with outbox_file.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    assert export().outbox.changed == 2
    first = outbox_rows()
    assert len(first) == 2 and len(outbox_file.read_text(encoding="utf-8").splitlines()) == 3
    again = export()
    assert (again.outbox.changed, again.outbox.unchanged) == (0, 2)
    assert outbox_rows() == first  # nothing appended, nothing rewritten
    con.execute("update marts.contact_scores set as_of = as_of + interval 1 day")
    assert export().outbox.changed == 0
    con.execute("update marts.contact_scores set total_score = 1 where contact_id = 'c2'")
    before = con.execute(f"select * from {LEDGER_TABLE} order by all").fetchall()
    dry = export(dry_run=True)
    assert dry.outbox.changed == 1 and dry.outbox.preview[0]["total_score"] == "1"
    assert con.execute(f"select * from {LEDGER_TABLE} order by all").fetchall() == before
    assert export().outbox.changed == 1
    rows = outbox_rows()
    assert rows[:2] == first  # appended: the earlier run's rows stay
    # The run's rows are the ones with its as_of.
    (later,) = {r["as_of"] for r in rows} - {r["as_of"] for r in first}
    assert [(r["contact_id"], r["total_score"]) for r in rows if r["as_of"] == later] == [
        ("c2", "1")
    ]
    assert con.execute("select count(*) from duckdb_tables() where temporary").fetchall() == [(0,)]
