"""The landing loader: formats, idempotency, quarantine with reasons, and failed files."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from orchestration.ingest import ingest_landing

CONTACTS_CSV = (
    "contact_id,email,job_title,What is your current occupation,役職,updated_at\n"
    "c1,a@x.com,CEO,Founder,社長,2026-01-01\n"
    ",nobody@x.com,x,y,z,\n"
    "c2,b@x.com,学生,,,not a date\n"
    "c1,a2@x.com,CTO,,,2026-02-01T00:00:00+09:00\n"
)

ACTIVITIES_CSV = (
    "contact_id,activity_type,occurred_at,target,value\n"
    "c1,page_view,2026-10-01T10:00:00Z,/pricing,12\n"
    "c1,,2026-10-01,/x,\n"
    ",page_view,2026-10-01,,\n"
    "c2,page_view,yesterday,,abc\n"
    "c2,email_open,2026-10-02 08:00:00+09:00,nl-1,\n"
)


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    for entity in ("contacts", "activities", "deals", "sales_feedback"):
        (root / entity).mkdir(parents=True)
    (root / "contacts" / "contacts.csv").write_text(CONTACTS_CSV, encoding="utf-8")
    (root / "activities" / "web.csv").write_text(ACTIVITIES_CSV, encoding="utf-8")
    return root


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as connection:
        yield connection


def rows(con, sql):
    return con.execute(sql).fetchall()


def test_loads_good_rows_and_quarantines_bad_ones_with_reasons(con, landing):
    summary = ingest_landing(con, landing)
    assert summary.rows_read == 9
    assert summary.rows_loaded == 5
    assert summary.rows_quarantined == 4
    assert summary.rows_loaded + summary.rows_quarantined == summary.rows_read
    quarantine = rows(
        con,
        "select file_path, row_number, reason from ops.landing_quarantine order by 1, 2",
    )
    assert quarantine == [
        ("activities/web.csv", 3, "missing activity_type"),
        ("activities/web.csv", 4, "missing contact_id"),
        ("activities/web.csv", 5, "unparseable occurred_at: yesterday; unparseable value: abc"),
        ("contacts/contacts.csv", 3, "missing contact_id"),
    ]


def test_timestamps_with_zones_become_utc_and_zone_less_ones_are_utc(con, landing):
    ingest_landing(con, landing)
    occurred = dict(rows(con, "select target, occurred_at from raw.activities"))
    assert occurred["/pricing"] == datetime(2026, 10, 1, 10, 0)
    assert occurred["nl-1"] == datetime(2026, 10, 1, 23, 0)  # 08:00 +09:00
    updated = rows(con, "select updated_at from raw.contacts where _row_number = 5")
    assert updated == [(datetime(2026, 1, 31, 15, 0),)]


def test_a_bad_contact_timestamp_keeps_the_contact(con, landing):
    ingest_landing(con, landing)
    assert rows(con, "select contact_id, updated_at from raw.contacts where contact_id = 'c2'") == [
        ("c2", None)
    ]


def test_every_other_contact_column_is_a_property_with_its_header_as_written(con, landing):
    ingest_landing(con, landing)
    properties = dict(
        rows(
            con,
            "select property_header, property_value from raw.contact_properties "
            "where contact_id = 'c1' and _row_number = 2",
        )
    )
    assert properties == {
        "email": "a@x.com",
        "job_title": "CEO",
        "What is your current occupation": "Founder",
        "役職": "社長",
        "updated_at": "2026-01-01",
    }


def test_loading_the_same_folder_twice_changes_nothing(con, landing):
    ingest_landing(con, landing)
    before = {
        table: rows(con, f"select * exclude (_load_seq) from {table} order by all")
        for table in ("raw.contacts", "raw.contact_properties", "raw.activities")
    }
    again = ingest_landing(con, landing)
    assert again.files_loaded == 0 and again.files_skipped == 2
    assert again.rows_read == 0
    for table, content in before.items():
        assert rows(con, f"select * exclude (_load_seq) from {table} order by all") == content
    assert rows(con, "select count(*) from ops.landing_quarantine") == [(4,)]


def test_touched_but_identical_file_is_not_reloaded(con, landing):
    ingest_landing(con, landing)
    path = landing / "activities" / "web.csv"
    path.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")  # new mtime, same bytes
    assert ingest_landing(con, landing).files_loaded == 0


def test_a_changed_file_replaces_its_earlier_rows(con, landing):
    ingest_landing(con, landing)
    path = landing / "activities" / "web.csv"
    path.write_text("contact_id,activity_type,occurred_at\nc9,login,2026-10-05\n", encoding="utf-8")
    summary = ingest_landing(con, landing)
    assert summary.files_loaded == 1
    assert rows(con, "select contact_id, activity_type from raw.activities") == [("c9", "login")]
    assert rows(
        con, "select count(*) from ops.landing_quarantine where file_path = 'activities/web.csv'"
    ) == [(0,)]


def test_a_garbage_file_is_recorded_with_its_error_while_the_others_load(con, landing):
    (landing / "activities" / "broken.parquet").write_bytes(b"\x00\x01 not parquet")
    (landing / "activities" / "no_type.csv").write_text("contact_id,occurred_at\nc1,2026-01-01\n")
    summary = ingest_landing(con, landing)
    errors = {f.path: f.error for f in summary.file_errors}
    assert set(errors) == {"activities/broken.parquet", "activities/no_type.csv"}
    assert "cannot be read as parquet" in errors["activities/broken.parquet"]
    assert "missing required column(s) activity_type" in errors["activities/no_type.csv"]
    assert summary.rows_loaded == 5  # the good files still load
    recorded = rows(
        con,
        "select file_path, status from ops.loaded_files where status = 'error' order by 1",
    )
    assert recorded == [("activities/broken.parquet", "error"), ("activities/no_type.csv", "error")]
    quarantined = rows(
        con,
        "select file_path, reason like 'file not loaded:%' from ops.landing_quarantine "
        "where row_number is null order by 1",
    )
    assert quarantined == [("activities/broken.parquet", True), ("activities/no_type.csv", True)]
    # A failed file is not retried until it changes.
    assert ingest_landing(con, landing).files_loaded == 0


def test_jsonl_lines_that_are_not_json_are_quarantined_with_their_text(con, landing):
    lines = [
        json.dumps({"contact_id": "c1", "activity_type": "login", "occurred_at": "2026-10-01"}),
        "{not json",
        "",
        json.dumps(
            {
                "contact_id": "c1",
                "activity_type": "login",
                "occurred_at": "2026-10-02",
                "target/odd ~key": "x",
            }
        ),
    ]
    (landing / "activities" / "app.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest_landing(con, landing)
    assert rows(
        con,
        "select row_number, reason, raw_row from ops.landing_quarantine "
        "where file_path = 'activities/app.jsonl'",
    ) == [(2, "invalid JSON line", "{not json")]
    assert rows(
        con,
        "select _row_number from raw.activities where _file_path = 'activities/app.jsonl' "
        "order by 1",
    ) == [(1,), (4,)]


def test_parquet_with_typed_columns_loads_with_row_numbers(con, landing):
    table = pa.table(
        {
            "contact_id": ["c1", None, "c2"],
            "activity_type": ["login", "login", "feature_used"],
            "occurred_at": pa.array(
                [datetime(2026, 10, 1), datetime(2026, 10, 2), datetime(2026, 10, 3)],
                pa.timestamp("us"),
            ),
            "value": [1.5, 2.0, None],
        }
    )
    pq.write_table(table, landing / "activities" / "app.parquet")
    ingest_landing(con, landing)
    assert rows(
        con,
        "select _row_number, contact_id, value from raw.activities "
        "where _file_path = 'activities/app.parquet' order by 1",
    ) == [(1, "c1", 1.5), (3, "c2", None)]
    assert rows(
        con,
        "select row_number, reason from ops.landing_quarantine "
        "where file_path = 'activities/app.parquet'",
    ) == [(2, "missing contact_id")]


def test_feedback_and_deals_check_their_vocabularies(con, landing):
    (landing / "sales_feedback" / "fb.csv").write_text(
        "contact_id,feedback,given_at,model_id\n"
        "c1,NOT_READY,2026-10-01,\n"
        "c2,maybe,2026-10-01,lead\n",
        encoding="utf-8",
    )
    (landing / "deals" / "deals.csv").write_text(
        "deal_id,contact_id,created_at,status,amount\n"
        "d1,c1,2026-09-01,won,1000\n"
        "d2,c2,2026-09-01,pending,\n",
        encoding="utf-8",
    )
    ingest_landing(con, landing)
    assert rows(con, "select contact_id, feedback from raw.sales_feedback") == [("c1", "not_ready")]
    assert rows(con, "select deal_id, status, amount from raw.deals") == [("d1", "won", 1000.0)]
    reasons = rows(
        con,
        "select reason from ops.landing_quarantine where entity in ('deals', 'sales_feedback') "
        "order by 1",
    )
    assert reasons == [("unknown feedback: maybe",), ("unknown status: pending",)]


def test_quoted_line_breaks_and_short_rows_are_read(con, landing):
    (landing / "contacts" / "notes.csv").write_text(
        'contact_id,email,note\nc5,e@x.com,"two\nlines"\nc6\n', encoding="utf-8"
    )
    summary = ingest_landing(con, landing, entities=["contacts"])
    assert not summary.file_errors
    assert rows(
        con,
        "select contact_id from raw.contacts where _file_path = 'contacts/notes.csv' order by 1",
    ) == [("c5",), ("c6",)]


def test_single_quotes_are_text_not_csv_quotes(con, landing):
    (landing / "contacts" / "quotes.csv").write_text(
        "contact_id,company,title\nq1,'; drop table x; --,ceo\nq2,acme,c:\\temp\\'a'\n",
        encoding="utf-8",
    )
    ingest_landing(con, landing, entities=["contacts"])
    assert rows(
        con,
        "select contact_id, property_value from raw.contact_properties "
        "where _file_path = 'contacts/quotes.csv' order by 1, 2",
    ) == [("q1", "'; drop table x; --"), ("q1", "ceo"), ("q2", "acme"), ("q2", "c:\\temp\\'a'")]


def test_a_deleted_landing_file_is_reported_and_a_header_only_file_retracts_its_rows(
    landing, tmp_path
):
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    ingest_landing(con, landing)
    web = landing / "activities" / "web.csv"
    web.unlink()
    summary = ingest_landing(con, landing)
    assert summary.missing_files == ["activities/web.csv"]
    assert "no longer in the landing folder: activities/web.csv" in summary.describe()
    assert con.execute("select count(*) from raw.activities").fetchone()[0] > 0  # rows stay
    web.write_text("contact_id,activity_type,occurred_at\n", encoding="utf-8")
    summary = ingest_landing(con, landing)
    assert summary.missing_files == []
    assert con.execute("select count(*) from raw.activities").fetchone()[0] == 0
