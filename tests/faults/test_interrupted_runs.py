"""Fault injection: a run killed at any step, or out of disk, leaves the next run clean.

Each test starts from the same published baseline, breaks one run, then runs again at a later
instant. The webhook and HubSpot stand-ins must see every change exactly once, the state kept
across runs must hold only published runs, and the published warehouse stays readable.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.support.installation import (
    WARMED,
    Installation,
    build_baseline,
    query,
    warehouse_path,
)

pytestmark = pytest.mark.faults

BROKEN = "2026-11-02T00:00:00Z"
NEXT = "2026-11-02T01:00:00Z"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return build_baseline(tmp_path_factory.mktemp("faults-baseline"))


class FaultyInstallation(Installation):
    """An installation whose runs can be killed at a step."""

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
            row[0]
            for row in query(self.data, "select distinct valid_from from marts.score_history")
        }
        changes = {
            row[0]
            for row in query(self.data, "select distinct changed_at from marts.stage_changes")
        }
        assert history <= published  # a change log: instants where something changed
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
    copy = FaultyInstallation(baseline, tmp_path)
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
    history = "select * exclude (valid_to) from marts.score_history order by all"
    history_before = query(installation.data, history)
    shutil.rmtree(installation.data / "work")
    result = installation.run(NEXT)
    assert "restored" in result.stdout
    installation.assert_each_change_delivered_once()
    installation.assert_kept_state_holds_published_runs_only()
    assert query(installation.data, "select count(distinct as_of) from ops.publish_log") == [(3,)]
    kept = query(
        installation.data,
        "select * exclude (valid_to) from marts.score_history where valid_from <= ? order by all",
        [BROKEN.rstrip("Z")],
    )
    assert kept == history_before and kept
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
