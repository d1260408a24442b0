"""A published demo installation with webhook and HubSpot stand-ins, copied per test."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.config import DEFAULT_SEEDS_DIR
from tests.support.crm_servers import FakeHubSpot
from tests.support.webhook_receiver import Receiver

BASELINE = "2026-11-01T00:00:00Z"
TOKEN = "pat-installation-TEST-SECRET"
WARMED = 3
# Mid-funnel engagement: enough for MQL in the shipped lead model, no BOFU form (so not SQL).
WARM_UP = [
    ("webinar_attended", "webinar:scoring-101"),
    ("content_download", "guide:lead-scoring"),
    ("content_download", "whitepaper:intent"),
    ("form_submission", "webinar_signup"),
    ("form_submission", "ebook_download"),
    ("event_attended", "event:summit"),
    ("social_engagement", "linkedin:follow"),
]


def leadscore(env, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def warehouse_path(data: Path) -> Path:
    return data / "warehouse" / "lead_scoring.duckdb"


def query(data: Path, sql: str, params=()):
    with duckdb.connect(str(warehouse_path(data)), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def build_baseline(root: Path) -> tuple[Path, list[str], dict[str, str]]:
    """A demo installation published once at BASELINE (its first run alerts nothing), with
    three lead contacts warmed up by later activities so that the next run moves them to MQL
    (routed to the webhook). Returns (root, warmed contact ids, e-mail by contact)."""
    seeds = root / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    with (seeds / "alert_routes.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(
            [["model_id", "to_stage", "channel", "destination"], ["lead", "mql", "webhook", ""]]
        )
    data = root / "data"
    env = os.environ | {"LEADSCORE_DATA_DIR": str(data), "LEADSCORE_SEEDS_DIR": str(seeds)}
    leadscore(env, "demo", "--contacts", "150", "--activities-per-contact", "8",
              "--seed", "5", "--as-of", BASELINE, "--no-progress")  # fmt: skip
    leadscore(env, "run", "--as-of", BASELINE)
    warmed = [
        row[0]
        for row in query(
            data,
            "select contact_id from marts.contact_scores where model_id = 'lead' "
            "and stage = 'lead' and not is_excluded and fit_score >= 0 "
            "order by total_score desc, contact_id limit ?",
            [WARMED],
        )
    ]
    emails = dict(query(data, "select contact_id, email from marts.contacts"))
    with (data / "landing" / "activities" / "warm_up.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contact_id", "activity_type", "occurred_at", "target"])
        for contact_id in warmed:
            for hour, (kind, target) in enumerate(WARM_UP):
                writer.writerow([contact_id, kind, f"2026-11-01T{hour + 1:02d}:00:00Z", target])
    return root, warmed, emails


class Installation:
    """A private copy of the baseline with its own webhook and HubSpot stand-ins."""

    def __init__(self, baseline, tmp_path: Path, name: str = "copy"):
        root, self.warmed, emails = baseline
        shutil.copytree(root, tmp_path / name)
        self.data = tmp_path / name / "data"
        self.receiver = Receiver(failures=[])
        self.hubspot = FakeHubSpot(TOKEN, strict_properties=False).start()
        for index, email in enumerate(sorted(e for e in emails.values() if e)):
            self.hubspot.add_contact(str(1000 + index), email)
        self.env = os.environ | {
            "LEADSCORE_DATA_DIR": str(self.data),
            "LEADSCORE_SEEDS_DIR": str(tmp_path / name / "seeds"),
            "LEADSCORE_WEBHOOK_URL": self.receiver.url,
            "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_BASE_URL": self.hubspot.url,
        }

    def close(self) -> None:
        self.receiver.close()
        self.hubspot.stop()

    def run(self, as_of: str, check=True):
        return leadscore(self.env, "run", "--as-of", as_of, check=check)

    def cli(self, *args, check=True):
        return leadscore(self.env, *args, check=check)

    def query(self, sql: str, params=()):
        return query(self.data, sql, params)

    def alerts_delivered(self) -> list[tuple[str, str, str]]:
        return sorted(
            (body["alert_id"], body["contact_id"], body["to_stage"])
            for body in self.receiver.accepted
        )

    def crm_updates(self) -> list[tuple[str, tuple]]:
        return sorted(
            (record, tuple(sorted(props.items()))) for record, props in self.hubspot.updates
        )
