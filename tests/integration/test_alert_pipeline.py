"""Alerts through the whole pipeline: a contact crossing into a routed stage alerts exactly once."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys

import duckdb
import pytest

from orchestration.config import DEFAULT_SEEDS_DIR
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.integration

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
    rows = [
        ("webinar_attended", "webinar:scoring-101"),
        ("content_download", "guide:lead-scoring"),
        ("content_download", "whitepaper:intent"),
        ("form_submission", "webinar_signup"),
        ("form_submission", "ebook_download"),
        ("event_attended", "event:summit"),
        ("social_engagement", "linkedin:follow"),
    ]
    path = landing_dir / "activities" / "warm_up.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contact_id", "activity_type", "occurred_at", "target"])
        for hour, (activity_type, target) in enumerate(rows):
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
