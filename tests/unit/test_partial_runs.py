"""Partial runs (as `dagster dev` allows them) never mix two as-of instants in what is published.

A selection of only some dbt assets is refused before dbt starts; publish alone publishes only
a build that a complete `dbt build` produced at the run's instant. No test here runs dbt.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from orchestration.config import load_settings
from orchestration.defs.assets.dbt import leadscore_dbt_assets
from orchestration.defs.definitions import defs
from orchestration.defs.jobs import refresh_job
from orchestration.warehouse.complete_build import (
    complete_build_as_of,
    forget_complete_build,
    publish_refusal,
    record_complete_build,
)

BUILT_AS_OF = datetime(2026, 11, 1)
WAREHOUSE = AssetKey(["warehouse", "lead_scoring"])


def run_refresh_subset(data_dir, selection, as_of):
    """The `refresh` job restricted to `selection`, as the UI's "Materialize selected" runs it."""
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("refresh").execute_in_process(
            run_config={
                "resources": {"leadscore": {"config": {"data_dir": str(data_dir), "as_of": as_of}}}
            },
            instance=instance,
            asset_selection=selection,
            raise_on_error=False,
        )
        failures = [
            event.step_failure_data.error.message
            for event in result.all_events
            if event.is_step_failure
        ]
    return result, failures


def make_complete_build(data_dir, as_of=BUILT_AS_OF):
    """A tiny build database as a complete dbt build as of `as_of` leaves it."""
    settings = load_settings(data_dir)
    settings.work_dir.mkdir(parents=True)
    with duckdb.connect(str(settings.build_db_path)) as con:
        for schema in ("marts", "ops", "intermediate"):
            con.execute(f"create schema {schema}")
        con.execute(
            "create table marts.contact_scores as "
            "select 'C1' as contact_id, 12.0 as total_score, ?::timestamp as as_of",
            [as_of],
        )
        con.execute("create table ops.quarantine as select 'none' as reason")
        con.execute(
            "create table intermediate.int_rule_set_version as select 'r1' as rule_set_version"
        )
        if as_of is not None:
            record_complete_build(con, as_of, datetime(2026, 11, 1, 0, 5))
    return settings


@pytest.mark.parametrize(
    "selection",
    [
        [AssetKey(["marts", "contact_scores"])],  # one mart from the asset graph
        [*sorted(k for k in leadscore_dbt_assets.keys if k.path[0] == "marts"), WAREHOUSE],
    ],
    ids=["one-mart", "marts-group-and-publish"],
)
def test_materializing_part_of_the_dbt_assets_is_refused_before_dbt_runs(tmp_path, selection):
    settings = make_complete_build(tmp_path / "data")
    before = settings.build_db_path.read_bytes()

    result, failures = run_refresh_subset(settings.data_dir, selection, "2026-11-02")

    assert not result.success
    assert len(failures) == 1
    assert "dbt assets" in failures[0] and "were selected" in failures[0]
    assert "nothing was built" in failures[0]
    assert "Run the `refresh` job" in failures[0]
    # dbt never started (it writes its target folder first), and the build is as it was.
    assert not (settings.work_dir / "dbt_target").exists()
    assert settings.build_db_path.read_bytes() == before
    assert not settings.warehouse_path.exists()


def test_the_refresh_job_selects_every_dbt_asset_and_test():
    """The refusal above must never hit the job that `leadscore run` and the schedule run."""
    graph = defs.resolve_asset_graph()
    assert leadscore_dbt_assets.keys <= refresh_job.selection.resolve(graph)
    assert leadscore_dbt_assets.check_keys <= refresh_job.selection.resolve_checks(graph)


def test_publish_alone_refuses_a_build_of_another_instant(tmp_path):
    settings = make_complete_build(tmp_path / "data")

    result, failures = run_refresh_subset(settings.data_dir, [WAREHOUSE], "2026-11-02")

    assert not result.success
    assert len(failures) == 1
    assert "last complete dbt build is as of 2026-11-01T00:00:00Z," in failures[0]
    assert "not this run's 2026-11-02T00:00:00Z;" in failures[0]
    assert "nothing was published" in failures[0] and "Run the `refresh` job" in failures[0]
    assert not settings.warehouse_path.exists()


def test_publish_alone_refuses_a_build_that_never_completed(tmp_path):
    settings = make_complete_build(tmp_path / "data", as_of=BUILT_AS_OF)
    with duckdb.connect(str(settings.build_db_path)) as con:
        forget_complete_build(con)  # what the dbt asset does before `dbt build` starts

    result, failures = run_refresh_subset(settings.data_dir, [WAREHOUSE], "2026-11-01")

    assert not result.success
    assert "holds no complete dbt build" in failures[0]
    assert not settings.warehouse_path.exists()


def test_publish_alone_publishes_the_complete_build_of_its_instant(tmp_path):
    settings = make_complete_build(tmp_path / "data")

    result, failures = run_refresh_subset(settings.data_dir, [WAREHOUSE], "2026-11-01")

    assert result.success, failures
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        schemas = {
            row[0] for row in con.execute("select schema_name from duckdb_tables()").fetchall()
        }
        assert con.execute("select total_score from marts.contact_scores").fetchone() == (12.0,)
    assert "build_status" not in schemas  # the record describes the build, not the warehouse


def test_the_complete_build_record():
    with duckdb.connect() as con:
        assert complete_build_as_of(con) is None
        assert "holds no complete dbt build" in publish_refusal(con, BUILT_AS_OF)
        record_complete_build(con, BUILT_AS_OF, datetime(2026, 11, 1, 0, 5))
        assert complete_build_as_of(con) == BUILT_AS_OF
        assert publish_refusal(con, BUILT_AS_OF) is None
        record_complete_build(con, datetime(2026, 11, 2), datetime(2026, 11, 2, 0, 5))
        assert complete_build_as_of(con) == datetime(2026, 11, 2)  # one record, the last
        forget_complete_build(con)
        assert complete_build_as_of(con) is None
