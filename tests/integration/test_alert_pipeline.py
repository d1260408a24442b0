"""Alerts through the whole pipeline: a contact crossing into a routed stage alerts exactly once."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import datetime

import duckdb
import pytest

from orchestration.alerts import record_new_alerts
from orchestration.config import DEFAULT_SEEDS_DIR, parse_as_of
from tests.support.installation import WARM_UP
from tests.support.webhook_receiver import Receiver

# Three-run pipelines in subprocesses (about 3 minutes of one worker): `make test-slow`, which CI
# runs, keeps `make test` well under 15 minutes.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

AS_OF = "2026-11-01"


def leadscore(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


def route_mql_to_webhook(seeds_dir):
    with (seeds_dir / "alert_routes.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["model_id", "to_stage", "channel", "destination"])
        writer.writerow(["lead", "mql", "webhook", ""])  # destination: LEADSCORE_WEBHOOK_URL


def warm_up(landing_dir, contact_id):
    """Mid-funnel engagement the day before as-of: enough for MQL, no BOFU form (so not SQL)."""
    path = landing_dir / "activities" / "warm_up.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contact_id", "activity_type", "occurred_at", "target"])
        for hour, (activity_type, target) in enumerate(WARM_UP):
            writer.writerow([contact_id, activity_type, f"2026-10-31T{hour:02d}:00:00Z", target])


def lead_stage(warehouse, contact_id):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select stage from marts.contact_scores where model_id = 'lead' and contact_id = ?",
            [contact_id],
        ).fetchone()[0]


def test_a_contact_crossing_into_mql_alerts_once_across_three_runs(tmp_path):
    receiver = Receiver(failures=[500])  # the first delivery attempt fails
    try:
        seeds = tmp_path / "seeds"
        shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
        route_mql_to_webhook(seeds)
        data = tmp_path / "data"
        env = os.environ | {
            "LEADSCORE_DATA_DIR": str(data),
            "LEADSCORE_SEEDS_DIR": str(seeds),
            "LEADSCORE_WEBHOOK_URL": receiver.url,
        }
        demo = leadscore(
            env,
            "demo",
            "--contacts",
            "250",
            "--activities-per-contact",
            "10",
            "--seed",
            "11",
            "--as-of",
            AS_OF,
            "--no-progress",
        )
        assert demo.returncode == 0, demo.stderr
        first = leadscore(env, "run", "--as-of", AS_OF)
        assert first.returncode == 0, first.stdout + first.stderr
        assert receiver.received == []  # the first run records a baseline, it does not alert

        warehouse = data / "warehouse" / "lead_scoring.duckdb"
        with duckdb.connect(str(warehouse), read_only=True) as con:
            contact_id = con.execute(
                "select contact_id from marts.contact_scores where model_id = 'lead' "
                "and stage = 'lead' and not is_excluded and fit_score >= 0 "
                "order by total_score desc, contact_id limit 1"
            ).fetchone()[0]
        warm_up(data / "landing", contact_id)

        for _ in range(3):
            run = leadscore(env, "run", "--as-of", AS_OF)
            assert run.returncode == 0, run.stdout + run.stderr
        assert lead_stage(warehouse, contact_id) == "mql"
    finally:
        receiver.close()

    assert len(receiver.received) == 2  # the 500, then the retry that succeeded
    assert [(b["contact_id"], b["to_stage"]) for b in receiver.accepted] == [(contact_id, "mql")]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ledger = con.execute(
            "select status, attempts from ops.alert_deliveries "
            "where contact_id = ? and to_stage = 'mql'",
            [contact_id],
        ).fetchall()
    assert ledger == [("sent", 2)]


# --- alert_routes.csv with and without `direction` (contract §8) -------------------------------


def test_direction_is_optional_and_a_down_route_alerts_a_fall(scenario):
    """Installations keep 4-column alert_routes.csv files; one build database sees a file gain
    the `direction` column and lose it again. A route alerts the changes in its direction."""
    scenario.model("m", stage_policy="follow_score")
    pricing = {
        "subject": "activity",
        "field": "page_view",
        "operator": "eq",
        "value": "/pricing",
        "window_days": 10,
    }
    scenario.rule("pricing", 50, pricing)
    scenario.seed(
        "score_thresholds",
        [{"model_id": "m", "segment": "*", "stage": "mql", "stage_rank": 1, "min_score": 30}],
    )
    scenario.landing("contacts", [{"contact_id": "hot"}, {"contact_id": "cold"}])
    scenario.landing(
        "activities",
        [{"contact_id": "hot", "activity_type": "page_view", "occurred_at": "2026-10-01 12:00:00",
          "target": "/pricing"}],
    )  # fmt: skip
    routes = [
        {"model_id": "m", "to_stage": "mql", "channel": "log"},
        {"model_id": "m", "to_stage": "lead", "channel": "log"},
    ]

    def header() -> list[str]:
        with (scenario.seeds_dir / "alert_routes.csv").open(encoding="utf-8") as handle:
            return next(csv.reader(handle))

    def directions() -> dict[str, str]:
        rows = scenario.query("select to_stage, direction from staging.stg_alert_routes")
        return {row["to_stage"]: row["direction"] for row in rows}

    def alerts(as_of: str) -> list[tuple]:
        with duckdb.connect(str(scenario.db_path)) as con:
            record_new_alerts(con, parse_as_of(as_of), baseline=False)
            return con.execute(
                "select contact_id, from_stage, to_stage from ops.alert_deliveries "
                "where changed_at = ? order by all",
                [datetime.fromisoformat(as_of)],
            ).fetchall()

    # Day 1, a file without the column: every route alerts rises, and first scorings rise.
    scenario.seed("alert_routes", routes).build("2026-10-05 00:00:00")
    assert header() == ["model_id", "to_stage", "channel", "destination"]
    assert directions() == {"mql": "up", "lead": "up"}
    assert alerts("2026-10-05 00:00:00") == [("cold", None, "lead"), ("hot", None, "mql")]

    # Day 2, the column added: the lead route alerts falls only. The pricing view has left the
    # 10-day window, so hot falls back to lead.
    scenario.seed(
        "alert_routes", [routes[0] | {"direction": ""}, routes[1] | {"direction": "down"}]
    )
    scenario.build("2026-11-01 00:00:00")
    assert header()[-1] == "direction"
    assert directions() == {"mql": "up", "lead": "down"}
    assert alerts("2026-11-01 00:00:00") == [("hot", "mql", "lead")]

    # Day 3, the column removed again: still builds, back to the default.
    scenario.seed("alert_routes", routes).build("2026-11-02 00:00:00")
    assert directions() == {"mql": "up", "lead": "up"}
