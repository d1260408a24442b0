"""Alerts: routed stage changes delivered exactly once, retried on failure, never duplicated."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pytest

from orchestration.alerts import run_alerts
from orchestration.delivery import RetryPolicy
from tests.support.webhook_receiver import Receiver

AS_OF = datetime(2026, 11, 1)
FAST = RetryPolicy(attempts=3, backoff_seconds=0.01, timeout_seconds=2)


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as connection:
        connection.execute("create schema marts")
        connection.execute("create schema staging")
        connection.execute(
            "create table staging.stg_alert_routes (model_id varchar, to_stage varchar, "
            "channel varchar, destination varchar)"
        )
        connection.execute(
            "create table marts.stage_changes as select * from (values "
            "('lead', 'c1', 'lead', 'mql', timestamp '2026-11-01'), "
            "('lead', 'c2', 'mql', 'sql', timestamp '2026-11-01'), "
            "('lead', 'c3', 'lead', 'mql', timestamp '2026-11-01'), "
            "('lead', 'c4', 'mql', 'lead', timestamp '2026-11-01')) "
            "as t(model_id, contact_id, from_stage, to_stage, changed_at)"
        )
        connection.execute(
            "create table marts.contact_scores as select * from (values "
            "('lead', 'c1', 40.0::decimal(18,2), 'demo +40', false), "
            "('lead', 'c2', 80.0::decimal(18,2), 'demo +70', false), "
            "('lead', 'c3', 45.0::decimal(18,2), 'x +45', true), "
            "('lead', 'c4', 10.0::decimal(18,2), '', false)) "
            "as t(model_id, contact_id, total_score, top_reasons, is_excluded)"
        )
        connection.execute(
            "create table marts.contacts as select * from (values "
            "('c1', 'one@example.com'), ('c2', 'two@example.com')) as t(contact_id, email)"
        )
        yield connection


def route(con, to_stage, channel, destination=None):
    con.execute(
        "insert into staging.stg_alert_routes values ('lead', ?, ?, ?)",
        [to_stage, channel, destination],
    )


def statuses(con):
    return con.execute(
        "select contact_id, to_stage, channel, status, attempts from ops.alert_deliveries "
        "order by all"
    ).fetchall()


def test_one_delivery_across_three_runs_although_the_first_attempt_fails(con, tmp_path):
    receiver = Receiver(failures=[500])
    try:
        route(con, "mql", "webhook", receiver.url)
        for _ in range(3):
            run_alerts(con, AS_OF, tmp_path / "outbox", baseline=False, policy=FAST, env={})
    finally:
        receiver.close()
    assert len(receiver.received) == 2  # the 500, then the retry inside the first run
    assert [body["contact_id"] for body in receiver.accepted] == ["c1"]
    body = receiver.accepted[0]
    assert body["to_stage"] == "mql" and body["from_stage"] == "lead"
    assert body["email"] == "one@example.com" and body["total_score"] == 40.0
    assert set(body) >= {
        "model_id",
        "contact_id",
        "email",
        "from_stage",
        "to_stage",
        "total_score",
        "top_reasons",
        "changed_at",
    }
    # c3 is excluded and c4 moved to an unrouted stage: no alert for either.
    assert statuses(con) == [("c1", "mql", "webhook", "sent", 2)]


def test_a_receiver_down_for_a_whole_run_gets_the_alert_next_run(con, tmp_path):
    receiver = Receiver(failures=[503, 503, 503])
    try:
        route(con, "sql", "webhook", receiver.url)
        first = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
        assert (first.new, first.sent, first.failed) == (1, 0, 1)
        assert statuses(con) == [("c2", "sql", "webhook", "failed", 3)]
        second = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
        assert (second.new, second.sent, second.failed) == (0, 1, 0)
        third = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
        assert (third.new, third.sent, third.failed) == (0, 0, 0)
    finally:
        receiver.close()
    assert [body["contact_id"] for body in receiver.accepted] == ["c2"]


def test_a_refused_alert_is_kept_as_failed_not_dropped(con, tmp_path):
    receiver = Receiver(failures=[400, 400])
    try:
        route(con, "sql", "webhook", receiver.url)
        summary = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
    finally:
        receiver.close()
    assert summary.failed == 1 and len(receiver.received) == 1  # 4xx: no retry in the run
    assert con.execute("select last_error from ops.alert_deliveries").fetchone()[0] == (
        "webhook refused the alert: HTTP 400"
    )


def test_the_default_webhook_comes_from_the_environment(con, tmp_path):
    receiver = Receiver(failures=[])
    try:
        route(con, "sql", "webhook")
        run_alerts(
            con,
            AS_OF,
            tmp_path,
            baseline=False,
            policy=FAST,
            env={"LEADSCORE_WEBHOOK_URL": receiver.url},
        )
    finally:
        receiver.close()
    assert [body["contact_id"] for body in receiver.accepted] == ["c2"]


def test_a_missing_destination_is_a_clear_failure(con, tmp_path):
    route(con, "sql", "slack")
    summary = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
    assert summary.failed == 1
    assert "SLACK_WEBHOOK_URL" in summary.errors[0]


def test_log_channel_writes_the_alerts_table_and_outbox_once(con, tmp_path):
    route(con, "mql", "log")
    route(con, "sql", "log")
    for _ in range(2):
        run_alerts(con, AS_OF, tmp_path / "outbox", baseline=False, policy=FAST, env={})
    logged = con.execute("select contact_id, to_stage from ops.alerts order by 1").fetchall()
    assert logged == [("c1", "mql"), ("c2", "sql")]
    lines = (tmp_path / "outbox" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    assert sorted(json.loads(line)["contact_id"] for line in lines) == ["c1", "c2"]


def test_the_first_run_records_a_baseline_without_alerting(con, tmp_path):
    receiver = Receiver(failures=[])
    try:
        route(con, "mql", "webhook", receiver.url)
        first = run_alerts(con, AS_OF, tmp_path, baseline=True, policy=FAST, env={})
        again = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
    finally:
        receiver.close()
    assert first.suppressed == 1 and first.sent == 0
    assert again.new == 0 and again.sent == 0
    assert receiver.received == []
    assert statuses(con) == [("c1", "mql", "webhook", "suppressed", 0)]
