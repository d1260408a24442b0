"""Time only moves forward: runs never go back, backfills fill history and nothing else."""

from __future__ import annotations

import pytest

from tests.support.installation import BASELINE, Installation, build_baseline, warehouse_path

pytestmark = pytest.mark.integration

NEXT = "2026-11-02T00:00:00Z"
CURRENT = [
    "select * from marts.contact_scores order by all",
    "select * from marts.score_breakdown order by all",
    "select * from state.int_sticky_stages order by all",
    "select * from ops.quarantine order by all",
    "select * from ops.alert_deliveries order by all",
    "select * from ops.export_ledger order by all",
    "select * from ops.publish_log order by all",
]
HISTORY = [
    "select * from marts.score_history order by all",
    "select * from marts.score_history_contributions order by all",
    "select * from marts.stage_changes order by all",
    "select * exclude (backfilled_at) from ops.backfill_log order by all",
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    return build_baseline(tmp_path_factory.mktemp("time-baseline"))


@pytest.fixture
def installation(baseline, tmp_path):
    copy = Installation(baseline, tmp_path)
    yield copy
    copy.close()


def snapshot(installation: Installation, queries: list[str]) -> list[list[tuple]]:
    return [installation.query(sql) for sql in queries]


def test_a_run_earlier_than_the_last_publish_is_refused_and_changes_nothing(installation):
    before = warehouse_path(installation.data).read_bytes()
    refused = installation.run("2026-10-01T00:00:00Z", check=False)
    assert refused.returncode == 1
    assert (
        "as of 2026-10-01T00:00:00Z is earlier than the last published run "
        f"({BASELINE})" in refused.stdout
    )
    assert "leadscore backfill" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr
    assert warehouse_path(installation.data).read_bytes() == before
    assert installation.receiver.accepted == [] and installation.hubspot.updates == []


@pytest.mark.slow
def test_a_backfill_fills_history_only_and_then_the_run_alerts_and_exports_as_if_alone(
    baseline, tmp_path
):
    alone = Installation(baseline, tmp_path, "alone")
    backfilled = Installation(baseline, tmp_path, "backfilled")
    try:
        current = snapshot(backfilled, CURRENT)
        args = ("backfill", "--from", "2026-10-30", "--to", BASELINE, "--every", "1d")
        first = backfilled.cli(*args)
        assert "backfilled 2 instant(s) into history" in first.stdout
        assert "skipped 1 instant(s) a run published" in first.stdout  # BASELINE itself
        # Nothing but history changed: no alert, no CRM call, same marts, memory and ledgers.
        assert backfilled.receiver.accepted == [] and backfilled.hubspot.updates == []
        assert snapshot(backfilled, CURRENT) == current
        history = snapshot(backfilled, HISTORY)
        causes = backfilled.query(
            "select distinct change_cause from marts.stage_changes where changed_at < ?",
            [BASELINE.rstrip("Z")],
        )
        assert causes == [("backfill",)]
        assert (
            backfilled.query("select count(*) from marts.score_history where is_backfill")[0][0] > 0
        )
        # Idempotent: the same range again leaves the same rows.
        backfilled.cli(*args)
        assert snapshot(backfilled, HISTORY) == history

        alone.run(NEXT)
        backfilled.run(NEXT)
        assert backfilled.alerts_delivered() == alone.alerts_delivered()
        assert len(alone.alerts_delivered()) == len(alone.warmed)
        assert backfilled.crm_updates() == alone.crm_updates()
        assert alone.crm_updates()
        for sql in (
            "select * from marts.contact_scores order by all",
            "select * from marts.stage_changes where changed_at = '2026-11-02' order by all",
            "select * exclude (valid_to) from marts.score_history "
            "where valid_from >= '2026-11-01' order by all",
        ):
            assert backfilled.query(sql) == alone.query(sql), sql
        # The history before the first run is the backfill's.
        assert backfilled.query("select count(*) from ops.backfill_log") == [(2,)]
    finally:
        alone.close()
        backfilled.close()


def test_a_backfill_refuses_the_present_and_bad_steps_clearly(installation):
    later = installation.cli("backfill", "--from", "2026-10-30", "--to", "2026-11-05", check=False)
    assert later.returncode == 1
    assert "is later than the last published run" in later.stderr
    assert "leadscore run" in later.stderr
    bad_step = installation.cli(
        "backfill", "--from", "2026-10-01", "--to", "2026-10-05", "--every", "daily", check=False
    )
    assert bad_step.returncode == 1
    assert "--every 'daily'" in bad_step.stderr and "1d" in bad_step.stderr
    backwards = installation.cli(
        "backfill", "--from", "2026-10-05", "--to", "2026-10-01", check=False
    )
    assert "is after --to" in backwards.stderr
    assert "Traceback" not in later.stderr + bad_step.stderr + backwards.stderr
