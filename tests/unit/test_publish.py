"""Publishing: an atomic swap that an open read-only reader neither blocks nor observes."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.warehouse.publish import publish_warehouse


def make_build(path, score):
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists ops")
        con.execute("create schema if not exists intermediate")
        con.execute(
            "create or replace table marts.contact_scores as select 'c1' as contact_id, "
            f"{score} as total_score"
        )
        con.execute("create or replace table ops.quarantine as select 'x' as reason")
        con.execute("create or replace table intermediate.scratch as select 1 as x")


def test_publishes_marts_and_ops_only(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "wh" / "lead_scoring.duckdb"
    make_build(build, 10)
    counts = publish_warehouse(build, warehouse)
    assert counts == {"marts.contact_scores": 1, "ops.quarantine": 1}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"marts", "ops"}


def test_an_open_reader_does_not_block_publishing_and_keeps_its_snapshot(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "lead_scoring.duckdb"
    make_build(build, 10)
    publish_warehouse(build, warehouse)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        make_build(build, 20)
        publish_warehouse(build, warehouse)  # must not raise "Could not set lock"
        assert reader.execute("select total_score from marts.contact_scores").fetchone() == (10,)
    finally:
        reader.close()
    with duckdb.connect(str(warehouse), read_only=True) as fresh:
        assert fresh.execute("select total_score from marts.contact_scores").fetchone() == (20,)


def test_a_failed_publish_leaves_the_published_file_as_it_was(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "lead_scoring.duckdb"
    make_build(build, 10)
    publish_warehouse(build, warehouse)
    before = warehouse.read_bytes()
    with pytest.raises(duckdb.Error):
        publish_warehouse(tmp_path / "missing" / "build.duckdb", warehouse)
    assert warehouse.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_table_and_column_descriptions_reach_the_published_file(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "lead_scoring.duckdb"
    make_build(build, 10)
    with duckdb.connect(str(build)) as con:
        con.execute("comment on table marts.contact_scores is 'One row per scored contact.'")
        con.execute("comment on column marts.contact_scores.total_score is 'Fit + engagement.'")
    publish_warehouse(build, warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute(
            "select comment from duckdb_tables() where table_name = 'contact_scores'"
        ).fetchone() == ("One row per scored contact.",)
        assert con.execute(
            "select column_name, comment from duckdb_columns() "
            "where table_name = 'contact_scores' and comment is not null"
        ).fetchall() == [("total_score", "Fit + engagement.")]
