"""The Spark engine's hand-offs and settings, without Spark: Parquet in and out of DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.config import ConfigError, EnvVar, load_settings
from orchestration.contracts import kept_tables
from orchestration.warehouse.publish import publish_parquet
from orchestration.warehouse.spark_handoff import (
    SparkHandoffError,
    hand_back,
    hand_in,
    hand_in_variable,
    prepare_dbt_build,
    source_relations,
)


def test_engine_setting_is_checked_and_sets_the_dbt_target(tmp_path):
    assert load_settings(tmp_path, env={}).engine == "duckdb"
    spark = load_settings(tmp_path, env={EnvVar.ENGINE: "Spark", EnvVar.SPARK_MASTER: "local[2]"})
    environment = spark.dbt_environment()
    assert environment[EnvVar.DBT_TARGET] == "spark"
    assert environment[EnvVar.DBT_SPARK_MASTER] == "local[2]"
    assert environment[EnvVar.DBT_SPARK_DIR] == str(tmp_path.resolve() / "work" / "build.spark")
    assert EnvVar.DBT_SPARK_DIR not in load_settings(tmp_path, env={}).dbt_environment()
    with pytest.raises(ConfigError, match="LEADSCORE_ENGINE='postgres': expected one of duckdb"):
        load_settings(tmp_path, env={EnvVar.ENGINE: "postgres"})


def test_spark_dir_can_live_on_shared_storage(tmp_path):
    settings = load_settings(
        tmp_path, env={EnvVar.ENGINE: "spark", EnvVar.SPARK_DIR: str(tmp_path / "shared")}
    )
    assert (
        settings.spark_dir(tmp_path / "backfill.duckdb") == tmp_path / "shared" / "backfill.spark"
    )


def test_duckdb_builds_need_no_hand_in(tmp_path):
    assert prepare_dbt_build(load_settings(tmp_path, env={}), tmp_path / "build.duckdb") == {}


def test_hand_in_writes_the_sources_and_kept_tables_present(tmp_path):
    build = tmp_path / "build.duckdb"
    kept = kept_tables()[0].relation
    with duckdb.connect(str(build)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.activities as select 'c1' as contact_id, 3 as value")
        schema, table = kept.split(".")
        con.execute(f"create schema if not exists {schema}")
        con.execute(f"create table {kept} as select 1 as x")
    spark_dir = tmp_path / "build.spark"
    (spark_dir / "warehouse").mkdir(parents=True)  # a previous build's catalog: forgotten
    handed = hand_in(build, spark_dir)
    assert [(table.relation, table.kept) for table in handed] == [
        ("raw.activities", False),
        (kept, True),
    ]
    assert not (spark_dir / "warehouse").exists()
    listed = json.loads(hand_in_variable(handed))
    assert listed[0] == {
        "schema": "raw",
        "table": "activities",
        "path": (spark_dir / "hand_in" / "raw.activities").as_posix(),
        "kept": False,
    }
    rows = duckdb.sql(f"select * from read_parquet('{listed[0]['path']}/*.parquet')").fetchall()
    assert rows == [("c1", 3)]
    assert "raw.activities" in source_relations() and "ops.loaded_files" in source_relations()


def _spark_table(spark_dir: Path, schema: str, table: str, select: str) -> None:
    """A table as Spark leaves it: Parquet files in <warehouse>/<schema>.db/<table>/."""
    folder = spark_dir / "warehouse" / f"{schema}.db" / table
    folder.mkdir(parents=True)
    duckdb.sql(f"copy ({select}) to '{folder / 'part-00000.parquet'}' (format parquet)")


def _node(name: str, schema: str, description: str = "", columns=None) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "schema": schema,
        "config": {"materialized": "table"},
        "description": description,
        "columns": columns or {},
    }


def test_hand_back_types_orders_and_documents_each_built_table(tmp_path):
    build = tmp_path / "build.duckdb"
    spark_dir = tmp_path / "build.spark"
    with duckdb.connect(str(build)) as con:  # a DuckDB build left a view of the same name
        con.execute("create schema staging")
        con.execute("create view staging.undeclared_model as select 1 as old")
    # Spark's integers are narrower and its column order is the SQL's; stage_changes' yml
    # declares every column's type (a contract): it comes back in the yml's order and types.
    _spark_table(
        spark_dir,
        "marts",
        "stage_changes",
        "select * from (select cast(null as varchar) as x) where false",
    )
    _spark_table(spark_dir, "staging", "undeclared_model", "select 'c1' as contact_id")
    manifest = {
        "nodes": {
            "model.leadscore.undeclared_model": _node(
                "undeclared_model",
                "staging",
                "Contacts.",
                {"contact_id": {"description": "The contact's id."}},
            ),
            "model.leadscore.stage_changes": _node("stage_changes", "marts"),
            "model.leadscore.int_published_contacts": _node("int_published_contacts", "x"),
        }
    }
    run_results = {
        "results": [
            {"unique_id": "model.leadscore.undeclared_model", "status": "success"},
            {"unique_id": "model.leadscore.int_published_contacts", "status": "skipped"},
        ]
    }
    assert hand_back(build, spark_dir, manifest, run_results) == 1
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute("select * from staging.undeclared_model").fetchall() == [("c1",)]
        assert con.execute(
            "select comment from duckdb_tables() where table_name = 'undeclared_model'"
        ).fetchone() == ("Contacts.",)
        assert con.execute(
            "select comment from duckdb_columns() where table_name = 'undeclared_model'"
        ).fetchone() == ("The contact's id.",)

    run_results["results"].append(
        {"unique_id": "model.leadscore.stage_changes", "status": "success"}
    )
    with pytest.raises(SparkHandoffError, match="stage_changes lacks the declared column"):
        hand_back(build, spark_dir, manifest, run_results)


def test_publish_parquet_replaces_the_whole_set(tmp_path):
    warehouse = tmp_path / "lead_scoring.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.contact_scores as select 'c1' as contact_id, 2.5 as s")
        con.execute("create table marts.gone as select 1 as x")
    folder = tmp_path / "parquet"
    publish_parquet(warehouse, folder)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.gone")
    written = publish_parquet(warehouse, folder)
    assert sorted(written) == ["contact_scores"]
    assert sorted(path.name for path in (folder / "marts").iterdir()) == ["contact_scores"]
    rows = duckdb.sql(f"select * from read_parquet('{folder}/marts/contact_scores/*.parquet')")
    assert rows.fetchall() == [("c1", 2.5)]


def test_a_missing_java_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java-here"))
    settings = load_settings(tmp_path, env={EnvVar.ENGINE: "spark"})
    with pytest.raises(ConfigError, match="needs a Java 17\\+ runtime"):
        prepare_dbt_build(settings, tmp_path / "build.duckdb")
