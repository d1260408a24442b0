"""The SQL export values equal the Python reference (mapping.py) value for value, byte for byte.

Each test builds the rows in an in-memory DuckDB, reads them back as the former Python planner
did (iter_score_rows) and compares mapping.py's output with what the SQL planner makes of them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import struct
from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from orchestration.config import SEEDS_DIR
from orchestration.crm.ledger import ensure_export_ledger
from orchestration.crm.mapping import (
    HUBSPOT,
    OUTBOX,
    OUTBOX_COLUMNS,
    SALESFORCE,
    FieldMapping,
    _truthy,
    clean,
    fields_by_model,
    json_value,
    mapped_values,
    outbox_values,
    read_field_map_csv,
    text_value,
    values_hash,
)
from orchestration.crm.outbox import append_outbox
from orchestration.crm.planning import outbox_plan, plan_crm, record_identity, score_source
from orchestration.crm.sql_values import Column, ScoreSource, json_value_sql, text_sql

FIELD_MAP = read_field_map_csv(SEEDS_DIR / "crm_field_map.csv") + [
    # More column types than the shipped map sends, to both CRMs.
    FieldMapping("lead", HUBSPOT, "last_activity_at", "ls_last_activity"),
    FieldMapping("lead", HUBSPOT, "is_excluded", "ls_excluded"),
    FieldMapping("lead", HUBSPOT, "stage_rank", "ls_rank"),
    FieldMapping("lead", SALESFORCE, "last_activity_at", "Last_Activity__c"),
    FieldMapping("lead", SALESFORCE, "is_excluded", "Excluded__c"),
    FieldMapping("lead", SALESFORCE, "stage_rank", "Rank__c"),
    FieldMapping("lead", SALESFORCE, "lifecycle_stage", "Lifecycle__c"),
    FieldMapping("lead", SALESFORCE, "not_a_column", "Missing__c"),
]

AWKWARD_TEXT = 'a,b "quoted" line\nbreak\r\ttab \\ back\x01\x1f\x7f 役職 +4 😀 \u2028'

SCORES = [
    # model_id, contact_id, fit, engagement, total, bands..., stage, rank, excluded, reasons,
    # last activity, as of
    ("lead", "c01", "20.00", "22.50", "42.50", "A", "1", "warm", "A1", "mql", 1, False,
     "demo_request +50, 役職 +4", datetime(2026, 10, 30, 12, 0, 0, 123999)),
    ("lead", "c02", "-5.00", "-0.05", "-43.00", "D", "4", "cold", "有望度_低", "lead", 0, False,
     'decay_no_visit_45d -15, "quoted", comma,here', datetime(2026, 7, 24, 11, 24, 18)),
    ("lead", "c03", None, None, None, None, None, None, None, None, None, None, None, None),
    ("lead", "c04", "60.00", "40.00", "100.00", "A", "1", "hot", "A1", "sql", 2, True,
     "competitor", None),
    (" Lead ", "c05", "0.00", "0.00", "0.00", "", "", "", "", " SQL ", 2, False, "", None),
    ("cross_sell", "c01", "1.10", "2.20", "3.30", "B", "2", "warm", "B2", "Lead", 0, False,
     AWKWARD_TEXT, datetime(2026, 1, 2, 3, 4, 5)),
    ("churn_risk", "c07", "0.01", "-0.01", "12345678901234567.89", "A", "1", "hot", "A1",
     "at_risk", 3, False, "x", datetime(2026, 11, 1)),
    ("challenger", "c08", "1.00", "1.00", "2.00", "A", "1", "hot", "A1", "mql", 1, False,
     "not in the field map", None),
    ("lead", "c09", "7.00", "0.00", "7.00", "A", "1", "cold", "A1", "unqualified", 0, False,
     "no contact row", None),
]  # fmt: skip

CONTACTS = [
    ("c01", "a@example.com", "h1", "00Q000000000001AAA"),
    ("c02", " b@example.com ", " ", None),
    ("c03", None, None, None),
    ("c04", "d@example.com", "h4", "00Q000000000004AAA"),
    ("c05", "e@example.com", "\u3000h5\u3000", ""),
    ("c07", "担当者@example.jp", None, "00Q000000000007AAA"),
    ("c08", None, "h8", None),
]


def build(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """marts.contact_scores and marts.contacts with the types dbt builds."""
    con.execute("create schema marts")
    con.execute(
        """
        create table marts.contact_scores (
            model_id varchar, contact_id varchar, fit_score decimal(20, 2),
            engagement_score decimal(21, 2), total_score decimal(23, 2), fit_band varchar,
            engagement_band varchar, total_band varchar, matrix_label varchar, stage varchar,
            stage_rank integer, is_excluded boolean, top_reasons varchar,
            last_activity_at timestamp, as_of timestamp
        )
        """
    )
    con.execute(
        "create table marts.contacts "
        "(contact_id varchar, email varchar, hubspot_id varchar, salesforce_id varchar)"
    )
    as_of = datetime(2026, 11, 1, 0, 0)
    con.executemany(
        "insert into marts.contact_scores values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(*row, as_of) for row in SCORES],
    )
    con.executemany("insert into marts.contacts values (?, ?, ?, ?)", CONTACTS)
    return con


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        yield build(connection)


def reference_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The rows as the former Python planner read them (iter_score_rows)."""
    cursor = con.execute(
        "select scores.*, cast(contacts.email as varchar) as email, "
        "cast(contacts.hubspot_id as varchar) as hubspot_id, "
        "cast(contacts.salesforce_id as varchar) as salesforce_id "
        "from marts.contact_scores as scores left join marts.contacts as contacts "
        "on scores.contact_id = contacts.contact_id order by scores.contact_id, scores.model_id"
    )
    names = [d[0] for d in cursor.description]
    rows = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        row["model_id"] = clean(row["model_id"]).lower()
        row["contact_id"] = str(row["contact_id"])
        rows.append(row)
    return rows


def dict_writer_bytes(rows: list[dict]) -> bytes:
    """The outbox file as csv.DictWriter wrote it."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=OUTBOX_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- the outbox -----------------------------------------------------------------------------


def test_outbox_text_fingerprints_and_ledger_values_equal_the_python_reference(con):
    ensure_export_ledger(con)
    expected = [outbox_values(row) for row in reference_rows(con)]
    with outbox_plan(con, score_source(con)) as plan:
        assert (plan.changed, plan.unchanged) == (len(SCORES), 0)
        assert plan.preview(con, 100) == expected
        got = con.execute(
            f"select fingerprint, sent_values from {plan.ledger_rows_sql()} as r "
            f"join {plan.table} using (contact_id, model_id) order by ord"
        ).fetchall()
    assert [fingerprint for fingerprint, _ in got] == [
        values_hash(OUTBOX, None, values) for values in expected
    ]
    assert [sent for _, sent in got] == [
        json.dumps(values, sort_keys=True, ensure_ascii=False, default=str) for values in expected
    ]
    # The awkward cases came through as the reference formats them.
    by_key = {(v["contact_id"], v["model_id"]): v for v in expected}
    assert by_key[("c02", "lead")]["engagement_score"] == "-0.05"
    assert by_key[("c03", "lead")]["total_score"] == "" and by_key[("c03", "lead")]["stage"] == ""
    assert by_key[("c04", "lead")]["stage"] == "excluded"
    assert by_key[("c05", "lead")]["lifecycle_stage"] == "salesqualifiedlead"
    assert by_key[("c01", "lead")]["last_activity_at"] == "2026-10-30T12:00:00.123Z"


def test_the_outbox_file_is_byte_identical_to_csv_dict_writer(con, tmp_path):
    ensure_export_ledger(con)
    with outbox_plan(con, score_source(con)) as plan:
        path = append_outbox(tmp_path, plan.csv_lines(con))
    content = path.read_bytes()
    assert content == dict_writer_bytes([outbox_values(row) for row in reference_rows(con)])
    assert b"\r\n" in content and b'"a,b ""quoted"" line\nbreak\r\ttab' in content


def test_an_outbox_without_changes_is_the_header_alone(con, tmp_path):
    path = append_outbox(tmp_path, [])
    assert path.read_bytes() == dict_writer_bytes([])


# --- HubSpot and Salesforce -----------------------------------------------------------------


@pytest.mark.parametrize("target", [HUBSPOT, SALESFORCE])
def test_crm_fingerprints_equal_values_hash_of_what_is_sent(con, target):
    by_model = fields_by_model(FIELD_MAP, target)
    expected_parts = {}
    skipped = set()
    for row in reference_rows(con):
        if row["model_id"] not in by_model:
            continue
        kind, key = record_identity(target, row)
        if key is None:
            skipped.add(row["contact_id"])
            continue
        values = mapped_values(row, by_model[row["model_id"]], target)
        expected_parts[(row["contact_id"], row["model_id"])] = (kind, key, values)
    plan = plan_crm(con, score_source(con), target, FIELD_MAP)
    assert plan.skipped == len(skipped)
    got = {
        (item.contact_id, part.model_id): (item.key_kind, item.record_key, part.values)
        for item in plan.items
        for part in item.parts
    }
    assert got == expected_parts
    for item in plan.items:
        for part in item.parts:
            assert part.values_hash == values_hash(target, item.record_key, part.values)


# --- one column type at a time --------------------------------------------------------------


def _random_doubles(count: int) -> list[float]:
    rng = random.Random(7)
    bits = (struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0] for _ in range(count))
    values = [x for x in bits if math.isfinite(x)]
    values += [rng.uniform(-1000, 1000) for _ in range(count)]
    values += [round(rng.uniform(-1000, 1000), 2) for _ in range(count)]
    return values + [0.0, -0.0, 1e16, 1e-5, 1.5e-5, 123.0, 0.1, 5e-324, float("nan")]


TYPED_VALUES = [
    ("DOUBLE", [*_random_doubles(2000), float("inf"), float("-inf"), None]),
    ("FLOAT", [1.5, 0.1, -2.25, 3.4e38, None]),
    ("DECIMAL(38,10)", [Decimal("-1234567890123.4567890000"), Decimal("0.0000000001"), None]),
    ("DECIMAL(18,0)", [Decimal("100"), Decimal("-7"), Decimal("0")]),
    ("BIGINT", [0, -9223372036854775808, 9223372036854775807, None]),
    ("HUGEINT", [170141183460469231731687303715884105727]),
    ("UTINYINT", [0, 255]),
    ("BOOLEAN", [True, False, None]),
    ("VARCHAR", ["", "plain", AWKWARD_TEXT, "\x00nul", None]),
    ("DATE", ["2026-11-01", None]),
    ("TIMESTAMP", ["2026-11-01 09:30:15.123999", "1999-12-31 23:59:59", None]),
    ("TIMESTAMP_NS", ["2026-11-01 09:30:15.123456789"]),
    ("TIMESTAMP WITH TIME ZONE", ["2026-11-01 18:30:00.5+09", None]),
    ("UUID", ["0a0b0c0d-0000-0000-0000-000000000001"]),
]


@pytest.mark.parametrize(("data_type", "values"), TYPED_VALUES, ids=[t for t, _ in TYPED_VALUES])
def test_each_column_type_is_formatted_like_the_python_reference(data_type, values):
    with duckdb.connect() as con:
        con.execute(f"create table t (n integer, x {data_type})")
        con.executemany("insert into t values (?, ?)", list(enumerate(values)))
        column = Column("x", con.execute("select typeof(x) from t limit 1").fetchone()[0])
        rows = con.execute(
            f"select x, coalesce({text_sql(column)}, ''), {json_value_sql(column)} from t "
            "order by n"
        ).fetchall()
    for value, text, json_text in rows:
        assert text == text_value(value), value
        assert json_text == json.dumps(json_value(value), ensure_ascii=False), value


@pytest.mark.parametrize(
    ("data_type", "values"),
    [
        ("VARCHAR", ["true", " Yes ", "T", "y", "1", "no", "false", "", "0", None, "\u3000t\n"]),
        ("INTEGER", [0, 1, -3, None]),
        ("DECIMAL(5,2)", [Decimal("0.00"), Decimal("0.01"), None]),
        ("BOOLEAN", [True, False, None]),
    ],
)
def test_is_excluded_is_truthy_like_the_python_reference(data_type, values):
    with duckdb.connect() as con:
        con.execute(f"create table t (n integer, is_excluded {data_type})")
        con.executemany("insert into t values (?, ?)", list(enumerate(values)))
        source = ScoreSource({"is_excluded": data_type}, {})
        sql = source.is_excluded_sql().replace("scores.", "t.")
        rows = con.execute(f"select is_excluded, {sql} from t order by n").fetchall()
    assert [excluded for _, excluded in rows] == [_truthy(value) for value, _ in rows]


def test_the_export_follows_each_models_ranking():
    from orchestration.crm.sql_values import ScoreSource

    ranked = ScoreSource(
        score_types={"contact_id": "VARCHAR", "score_rank": "BIGINT"}, contact_types={}
    )
    assert ranked.order_sql == "scores.model_id, scores.score_rank, scores.contact_id"
    # a warehouse published before the ranking existed: by contact, as before
    plain = ScoreSource(score_types={"contact_id": "VARCHAR"}, contact_types={})
    assert plain.order_sql == "scores.contact_id, scores.model_id"
