"""Fault injection: a run killed at any step, or out of disk, leaves the next run clean.

Each test starts from the same published baseline, breaks one run, then runs again at a later
instant. The webhook and HubSpot stand-ins must see every change exactly once, the state kept
across runs must hold only published runs, and the published warehouse stays readable.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.config import DEFAULT_SEEDS_DIR
from tests.support.crm_servers import FakeHubSpot
from tests.support.webhook_receiver import Receiver

pytestmark = pytest.mark.faults

BASELINE = "2026-11-01T00:00:00Z"
BROKEN = "2026-11-02T00:00:00Z"
NEXT = "2026-11-02T01:00:00Z"
TOKEN = "pat-faults-TEST-SECRET"
WARMED = 3


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


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A demo installation published once (the baseline run alerts nothing), with three lead
    contacts warmed up so that the next run moves them to MQL."""
    root = tmp_path_factory.mktemp("faults-baseline")
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
            for hour, (kind, target) in enumerate(
                [
                    ("webinar_attended", "webinar:scoring-101"),
                    ("content_download", "guide:lead-scoring"),
                    ("content_download", "whitepaper:intent"),
                    ("form_submission", "webinar_signup"),
                    ("form_submission", "ebook_download"),
                    ("event_attended", "event:summit"),
                    ("social_engagement", "linkedin:follow"),
                ]
            ):
                writer.writerow([contact_id, kind, f"2026-11-01T{hour + 1:02d}:00:00Z", target])
    return root, warmed, emails


class Installation:
    """A private copy of the baseline with its own webhook and HubSpot stand-ins."""

    def __init__(self, baseline, tmp_path: Path):
        root, self.warmed, emails = baseline
        shutil.copytree(root, tmp_path / "copy")
        self.data = tmp_path / "copy" / "data"
        self.receiver = Receiver(failures=[])
        self.hubspot = FakeHubSpot(TOKEN, strict_properties=False).start()
        for index, email in enumerate(sorted(e for e in emails.values() if e)):
            self.hubspot.add_contact(str(1000 + index), email)
        self.env = os.environ | {
            "LEADSCORE_DATA_DIR": str(self.data),
            "LEADSCORE_SEEDS_DIR": str(tmp_path / "copy" / "seeds"),
            "LEADSCORE_WEBHOOK_URL": self.receiver.url,
            "HUBSPOT_ACCESS_TOKEN": TOKEN,
            "HUBSPOT_BASE_URL": self.hubspot.url,
        }

    def close(self) -> None:
        self.receiver.close()
        self.hubspot.stop()

    def run(self, as_of: str, check=True):
        return leadscore(self.env, "run", "--as-of", as_of, check=check)

    def run_and_kill(self, step: str, delay: float, whole_group: bool) -> None:
        """Start a run and SIGKILL it `delay` seconds after `step` starts (the parent only,
        unless `whole_group`: a dbt child then outlives it, as after an OOM kill)."""
        process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "run", "--as-of", BROKEN],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True,
        )  # fmt: skip
        seen = []
        try:
            for line in process.stderr:
                seen.append(line)
                if line.strip() == f"→ {step}":
                    time.sleep(delay)
                    break
            else:
                log = (self.data / "work" / "last_run.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"the run ended before step {step} started:\n{''.join(seen)}{log}")
            if whole_group:
                os.killpg(process.pid, signal.SIGKILL)
            else:
                process.kill()
        finally:
            process.wait(timeout=60)
            process.stderr.close()

    def assert_each_change_delivered_once(self) -> None:
        delivered = [(body["contact_id"], body["to_stage"]) for body in self.receiver.accepted]
        assert sorted(delivered) == sorted((contact, "mql") for contact in self.warmed)
        updates = [(record, tuple(sorted(props.items()))) for record, props in self.hubspot.updates]
        assert updates, "the CRM received the changed scores"
        assert len(updates) == len(set(updates)), "a CRM update was sent twice"

    def assert_kept_state_holds_published_runs_only(self) -> None:
        published = {row[0] for row in query(self.data, "select as_of from ops.publish_log")}
        history = {
            row[0] for row in query(self.data, "select distinct as_of from marts.score_history")
        }
        changes = {
            row[0]
            for row in query(self.data, "select distinct changed_at from marts.stage_changes")
        }
        assert history == published
        assert changes <= published
        duplicates = query(
            self.data,
            "select model_id, contact_id, changed_at from marts.stage_changes "
            "group by all having count(*) > 1",
        )
        assert duplicates == []
        stages = dict(
            query(
                self.data,
                "select contact_id, stage from marts.contact_scores where model_id = 'lead'",
            )
        )
        assert all(stages[contact] == "mql" for contact in self.warmed)


@pytest.fixture
def installation(baseline, tmp_path):
    copy = Installation(baseline, tmp_path)
    yield copy
    copy.close()


@pytest.mark.parametrize(
    ("step", "delay", "whole_group"),
    [
        ("ingest_activities", 0.0, True),
        ("leadscore_dbt_assets", 3.0, False),  # dbt (a child process) outlives its parent
        ("alerts__stage_change_alerts", 0.0, True),
        ("crm__crm_exports", 0.0, True),
        ("warehouse__lead_scoring", 0.0, True),  # alerts and exports already went out
    ],
)
def test_a_run_killed_at_any_step_leaves_the_next_run_clean(installation, step, delay, whole_group):
    before = warehouse_path(installation.data).read_bytes()
    installation.run_and_kill(step, delay, whole_group)
    # The published warehouse is the last complete one, readable right away.
    assert warehouse_path(installation.data).read_bytes() == before
    assert query(installation.data, "select count(*) from marts.contact_scores")[0][0] > 0
    # The next run needs no cleanup (locks, orphaned dbt, half-written state).
    result = installation.run(NEXT)
    assert "success" in result.stdout
    installation.assert_each_change_delivered_once()
    installation.assert_kept_state_holds_published_runs_only()


def test_a_full_disk_at_publish_fails_clearly_and_the_next_run_alerts_nothing_twice(
    installation,
):
    """ENOSPC (simulated) where the publish writes the new warehouse file: alerts and exports
    already went out, the publish fails, and the next run must not repeat them."""
    target = str(warehouse_path(installation.data))
    script = (
        "import errno, sys\n"
        "import orchestration.defs.assets.publish as publish_asset\n"
        "def disk_full(*args, **kwargs):\n"
        f"    raise OSError(errno.ENOSPC, 'No space left on device', {target!r})\n"
        "publish_asset.publish_warehouse = disk_full\n"
        "from orchestration.cli import main\n"
        f"sys.argv = ['leadscore', 'run', '--as-of', {BROKEN!r}]\n"
        "main()\n"
    )
    failed = subprocess.run(
        [sys.executable, "-c", script], env=installation.env, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip
    assert failed.returncode == 1
    # One line naming the path and what to do, not DuckDB's or Python's wording.
    assert f"the disk is full: writing to {target} failed" in failed.stdout
    assert "Nothing was published" in failed.stdout
    assert "Traceback" not in failed.stdout + failed.stderr
    result = installation.run(NEXT)
    assert "success" in result.stdout
    installation.assert_each_change_delivered_once()
    installation.assert_kept_state_holds_published_runs_only()


def test_deleting_work_keeps_history_and_ledgers(installation):
    installation.run(BROKEN)
    history_before = query(installation.data, "select count(*) from marts.score_history")[0][0]
    shutil.rmtree(installation.data / "work")
    result = installation.run(NEXT)
    assert "restored" in result.stdout
    installation.assert_each_change_delivered_once()
    installation.assert_kept_state_holds_published_runs_only()
    instants = query(installation.data, "select count(distinct as_of) from marts.score_history")
    assert instants == [(3,)]  # baseline, BROKEN (a success here) and NEXT
    assert query(installation.data, "select count(*) from marts.score_history")[0][0] > (
        history_before
    )
    ledger = query(
        installation.data, "select status, count(*) from ops.alert_deliveries group by 1"
    )
    assert ("sent", WARMED) in ledger


def test_two_runs_at_once_the_second_names_the_first(installation):
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "run", "--as-of", BROKEN],
        env=installation.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        for line in process.stderr:
            if line.strip() == "→ leadscore_dbt_assets":
                break
        second = installation.run(NEXT, check=False)
    finally:
        process.wait(timeout=600)
        process.stderr.close()
    assert second.returncode == 1
    assert "another leadscore run is using" in second.stdout
    assert f"pid {process.pid}" in second.stdout
    assert "Traceback" not in second.stdout + second.stderr
