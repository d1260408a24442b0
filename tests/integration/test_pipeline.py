"""End to end: `leadscore demo` then `leadscore run` through the Dagster definitions."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01T00:00:00Z"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A small demo data set scored once; shared by the tests of this module (read-only)."""
    data_dir = tmp_path_factory.mktemp("pipeline")
    runner = CliRunner()
    generated = runner.invoke(
        main,
        [
            "--data-dir",
            str(data_dir),
            "demo",
            "--contacts",
            "400",
            "--activities-per-contact",
            "15",
            "--seed",
            "7",
            "--as-of",
            AS_OF,
            "--no-progress",
        ],
    )
    assert generated.exit_code == 0, generated.output
    first = runner.invoke(main, ["--data-dir", str(data_dir), "run", "--as-of", AS_OF])
    assert first.exit_code == 0, first.output
    return data_dir, first.output


def query(data_dir, sql):
    warehouse = data_dir / "warehouse" / "lead_scoring.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_run_scores_every_demo_contact_and_publishes_the_warehouse(demo_run):
    data_dir, output = demo_run
    assert "success" in output
    assert f"warehouse: {data_dir / 'warehouse' / 'lead_scoring.duckdb'}" in output
    (contacts,) = query(data_dir, "select count(*) from marts.contacts")[0]
    assert contacts == 400
    per_model = dict(
        query(data_dir, "select model_id, count(*) from marts.contact_scores group by 1")
    )
    customers = query(
        data_dir, "select count(*) from marts.contacts where lifecycle_stage = 'customer'"
    )[0][0]
    assert per_model["cross_sell"] == customers
    assert per_model["lead"] + customers == contacts


def test_the_summary_counts_landing_rows(demo_run):
    _, output = demo_run
    assert "rows loaded" in output and "quarantined" in output


def test_breakdown_sums_to_the_total_for_every_contact(demo_run):
    data_dir, _ = demo_run
    mismatches = query(
        data_dir,
        """
        select count(*) from marts.contact_scores as s
        left join (
            select model_id, contact_id, sum(points) as total
            from marts.score_breakdown group by all
        ) as b using (model_id, contact_id)
        where s.total_score <> coalesce(b.total, 0)
        """,
    )
    assert mismatches == [(0,)]


def test_a_second_run_with_the_same_inputs_changes_nothing(demo_run):
    data_dir, _ = demo_run
    snapshots = [
        "select * from marts.contact_scores order by all",
        "select * from marts.score_breakdown order by all",
        "select * from marts.stage_changes order by all",
        "select count(*) from marts.score_history",
    ]
    before = [query(data_dir, sql) for sql in snapshots]
    again = CliRunner().invoke(main, ["--data-dir", str(data_dir), "run", "--as-of", AS_OF])
    assert again.exit_code == 0, again.output
    assert "files loaded 0" in again.output
    assert [query(data_dir, sql) for sql in snapshots] == before


def test_top_prints_the_best_leads(demo_run):
    data_dir, _ = demo_run
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "top", "--limit", "5"])
    assert result.exit_code == 0, result.output
    best = query(
        data_dir,
        "select contact_id from marts.contact_scores where model_id = 'lead' "
        "and not is_excluded order by total_score desc, contact_id limit 1",
    )[0][0]
    assert best in result.output


def test_an_invalid_seed_fails_the_run_and_keeps_the_published_marts(
    demo_run, monkeypatch, tmp_path
):
    data_dir, _ = demo_run
    import shutil

    from orchestration import config as settings_module

    seeds = tmp_path / "seeds"
    shutil.copytree(settings_module.SEEDS_DIR, seeds)
    rules = seeds / "scoring_rules.csv"
    rules.write_text(
        rules.read_text(encoding="utf-8") + "lead,broken_rule,fit,x,lots,once,,\n", encoding="utf-8"
    )
    monkeypatch.setattr("orchestration.defs.assets.dbt.SEEDS_DIR", seeds)
    warehouse = data_dir / "warehouse" / "lead_scoring.duckdb"
    before = warehouse.read_bytes()
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "run", "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "seeds/scoring_rules.csv:" in result.output
    assert "points" in result.output
    assert warehouse.read_bytes() == before


def test_leadscore_as_of_from_the_environment_is_the_scoring_instant(
    demo_run, monkeypatch, tmp_path
):
    import shutil
    from datetime import datetime

    data_dir, _ = demo_run
    fresh = tmp_path / "data"
    shutil.copytree(data_dir / "landing", fresh / "landing")
    monkeypatch.setenv("LEADSCORE_AS_OF", "2026-10-15T12:00:00Z")
    # With DAGSTER_HOME set, the run is recorded where `dagster dev` shows its run history.
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(dagster_home))
    result = CliRunner().invoke(main, ["--data-dir", str(fresh), "run"])
    assert result.exit_code == 0, result.output
    assert "as of 2026-10-15T12:00:00Z" in result.output
    instants = query(fresh, "select distinct as_of from marts.contact_scores")
    assert instants == [(datetime(2026, 10, 15, 12),)]
    from dagster import DagsterInstance

    with DagsterInstance.get() as instance:
        runs = instance.get_runs()
    assert [run.job_name for run in runs] == ["refresh"]
    assert runs[0].is_success


def test_every_published_mart_column_is_described_for_bi_tools(demo_run):
    data_dir, _ = demo_run
    undescribed = query(
        data_dir,
        "select schema_name || '.' || table_name || '.' || column_name from duckdb_columns() "
        "where schema_name = 'marts' and coalesce(comment, '') = ''",
    )
    assert undescribed == []
    tables = query(data_dir, "select count(*) from duckdb_tables() where schema_name = 'marts'")[0][
        0
    ]
    assert tables >= 5


def test_published_tables_are_bi_friendly_with_one_decimal_type_for_points(demo_run):
    data_dir, _ = demo_run
    types = query(
        data_dir,
        "select table_schema || '.' || table_name || '.' || column_name, data_type "
        "from information_schema.columns where table_schema in ('marts', 'ops')",
    )
    nested = [
        (column, kind)
        for column, kind in types
        if kind.startswith(("MAP", "STRUCT", "UNION")) or kind.endswith("[]") or kind == "HUGEINT"
    ]
    assert nested == []
    decimals = {kind for _, kind in types if kind.startswith("DECIMAL")}
    assert decimals == {"DECIMAL(18,2)"}
