"""The refresh job end to end in separate processes: rule-change guard, impact, open readers."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys

import duckdb
import pytest

from orchestration.config import DEFAULT_SEEDS_DIR

# Several whole pipelines in subprocesses (minutes): `make test-slow`, which CI runs, keeps
# `make test` well under 15 minutes now that it also builds on Spark.
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def leadscore(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def stages(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select model_id, contact_id, stage, as_of from marts.contact_scores order by all"
        ).fetchall()


def lower_mql_threshold(seeds_dir, min_score):
    path = seeds_dir / "score_thresholds.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["model_id"] == "lead" and row["stage"] == "mql":
            row["min_score"] = str(min_score)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """Demo data scored and published once, with its own copy of the seeds."""
    root = tmp_path_factory.mktemp("orchestration")
    seeds = root / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    env = os.environ | {
        "LEADSCORE_DATA_DIR": str(root / "data"),
        "LEADSCORE_SEEDS_DIR": str(seeds),
        "LEADSCORE_MAX_STAGE_CHURN": "20%",
    }
    demo = leadscore(
        env,
        "demo",
        "--contacts",
        "300",
        "--activities-per-contact",
        "12",
        "--seed",
        "3",
        "--as-of",
        "2026-11-01",
        "--no-progress",
    )
    assert demo.returncode == 0, demo.stderr
    first = leadscore(env, "run", "--as-of", "2026-11-01")
    assert first.returncode == 0, first.stdout + first.stderr
    return env, seeds, root / "data" / "warehouse" / "lead_scoring.duckdb"


def test_a_seed_edit_moving_most_leads_is_refused_and_nothing_is_published(installation):
    env, seeds, warehouse = installation
    published = stages(warehouse)
    lower_mql_threshold(seeds, -1000)  # nearly every lead would become an MQL

    refused = leadscore(env, "run", "--as-of", "2026-11-02")

    assert refused.returncode == 1
    assert "rule change blocked" in refused.stdout
    assert "lead:" in refused.stdout and "BLOCKED" in refused.stdout
    assert "lead → mql" in refused.stdout
    assert stages(warehouse) == published  # same stages, same as-of

    preview = leadscore(env, "impact")
    assert preview.returncode == 0, preview.stderr
    assert "lead → mql" in preview.stdout and "BLOCKED" in preview.stdout
    # the seed row behind it, against the seeds of the published run (not the refused build)
    assert "seed rows changed since the last published run (1):" in preview.stdout
    assert re.search(
        r"seeds/score_thresholds\.csv:\d+: min_score: '[\d.]+' -> '-1000'", preview.stdout
    )


def test_a_refused_rerun_of_a_published_instant_keeps_its_published_history(installation):
    env, seeds, warehouse = installation
    lower_mql_threshold(seeds, -1000)
    history = "select * from marts.score_history where valid_from = '2026-11-01' order by all"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute(history).fetchall()

    refused = leadscore(env, "run", "--as-of", "2026-11-01")

    assert refused.returncode == 1
    assert "rule change blocked" in refused.stdout
    build = warehouse.parent.parent / "work" / "build.duckdb"
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute(history).fetchall() == published


def test_accept_impact_publishes_while_a_reader_holds_the_warehouse_open(installation):
    env, seeds, warehouse = installation
    lower_mql_threshold(seeds, -1000)
    reader = duckdb.connect(str(warehouse), read_only=True)
    try:
        before = reader.execute("select max(as_of) from marts.contact_scores").fetchone()
        accepted = leadscore(env, "run", "--as-of", "2026-11-02", "--accept-impact")
        assert accepted.returncode == 0, accepted.stdout + accepted.stderr
        # The open reader keeps its snapshot; it never sees a half-built file.
        assert reader.execute("select max(as_of) from marts.contact_scores").fetchone() == before
    finally:
        reader.close()
    after = stages(warehouse)
    lead_stages = [stage for model, _, stage, _ in after if model == "lead"]
    assert lead_stages.count("mql") > len(lead_stages) / 2
    assert {as_of.isoformat() for *_, as_of in after} == {"2026-11-02T00:00:00"}


def test_a_data_refresh_without_seed_changes_is_not_blocked(installation):
    env, _, warehouse = installation
    # Six weeks later decay moves many stages, but the rules did not change: not blocked.
    later = leadscore(env, "run", "--as-of", "2026-12-15")
    assert later.returncode == 0, later.stdout + later.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute("select as_of from ops.publish_log order by as_of").fetchall()
    assert [row[0].date().isoformat() for row in published][-1] == "2026-12-15"
