"""Alerts: routed stage changes delivered exactly once, retried on failure, never duplicated."""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import datetime

import duckdb
import pytest

from orchestration.alerts import alert_policy, deliver_pending, run_alerts
from orchestration.config import ConfigError
from orchestration.delivery import RetryPolicy, redact_url
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
            "channel varchar, destination varchar, direction varchar)"
        )
        connection.execute(
            "create table marts.stage_changes (model_id varchar, contact_id varchar, "
            "from_stage varchar, to_stage varchar, stage_direction varchar, changed_at timestamp, "
            "previous_as_of timestamp, change_cause varchar)"
        )
        for contact_id, from_stage, to_stage, direction in (
            ("c1", "lead", "mql", "up"),
            ("c2", "mql", "sql", "up"),
            ("c3", "lead", "mql", "up"),
            ("c4", "mql", "lead", "down"),
        ):
            change(connection, contact_id, from_stage, to_stage, direction, "activity")
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


def change(con, contact_id, from_stage, to_stage, direction, cause, changed_at=AS_OF):
    """A row of marts.stage_changes for model `lead`, measured from the day before `changed_at`."""
    con.execute(
        "insert into marts.stage_changes values "
        "('lead', ?, ?, ?, ?, ?, cast(? as timestamp) - interval 1 day, ?)",
        [contact_id, from_stage, to_stage, direction, changed_at, changed_at, cause],
    )


def route(con, to_stage, channel, destination=None, direction="up"):
    """A route of model `lead`; `up` is what stg_alert_routes makes of a blank direction."""
    con.execute(
        "insert into staging.stg_alert_routes values ('lead', ?, ?, ?, ?)",
        [to_stage, channel, destination, direction],
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


# --- directions and backfills (contract §8) --------------------------------------------------


def add_demotion_and_newcomer(con):
    """c5 fell from sql to mql; c6, scored for the first time, went straight into mql."""
    con.execute(
        "insert into marts.contact_scores values "
        "('lead', 'c5', 50.0, 'decay -30', false), ('lead', 'c6', 40.0, 'demo +40', false)"
    )
    change(con, "c5", "sql", "mql", "down", "decay")
    change(con, "c6", None, "mql", "up", "first_scored")


def logged(con, tmp_path):
    run_alerts(con, AS_OF, tmp_path / "outbox", baseline=False, policy=FAST, env={})
    return con.execute(
        "select contact_id, from_stage, to_stage from ops.alerts order by contact_id"
    ).fetchall()


RISES = [("c1", "lead", "mql"), ("c6", None, "mql")]
FALLS = [("c5", "sql", "mql")]


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        pytest.param("up", RISES, id="default-up-ignores-the-demotion"),
        pytest.param("down", FALLS, id="down-alerts-only-the-demotion"),
        pytest.param("any", sorted(RISES + FALLS), id="any-alerts-both"),
    ],
)
def test_a_route_alerts_the_changes_in_its_direction(con, tmp_path, direction, expected):
    add_demotion_and_newcomer(con)
    route(con, "mql", "log", direction=direction)
    # c3 rose into mql too, but is excluded: never alerted whatever the direction.
    assert logged(con, tmp_path) == expected


def test_an_up_and_a_down_route_to_one_destination_alert_each_change_once(con, tmp_path):
    add_demotion_and_newcomer(con)
    route(con, "mql", "log", direction="up")
    route(con, "mql", "log", direction="down")
    assert logged(con, tmp_path) == sorted(RISES + FALLS)
    assert con.execute("select count(*) from ops.alert_deliveries").fetchone()[0] == 3


def test_backfilled_changes_are_never_alerted(con, tmp_path):
    con.execute(
        "insert into marts.contact_scores values "
        "('lead', 'b1', 40.0, 'demo +40', false), ('lead', 'b2', 50.0, '', false)"
    )
    # What `leadscore backfill` computed for past instants, one of them the run's own as-of.
    change(con, "b1", "lead", "mql", "up", "backfill")
    change(con, "b2", "sql", "mql", "down", "backfill")
    change(con, "b1", "lead", "mql", "up", "backfill", changed_at=datetime(2026, 10, 1))
    route(con, "mql", "log", direction="any")
    assert logged(con, tmp_path) == [("c1", "lead", "mql")]
    summary = run_alerts(
        con, datetime(2026, 10, 1), tmp_path / "outbox", baseline=False, policy=FAST, env={}
    )
    assert summary.new == 0


# --- secrets, https, budget -----------------------------------------------------------------

SLACK_SECRET = "Xq7LeadScoreSecret42"
SLACK_PATH = f"/services/T0LEADS01/B0SCORE02/{SLACK_SECRET}"


def ledger_text(con):
    return repr(con.execute("select * from ops.alert_deliveries").fetchall())


def test_a_secret_destination_is_stored_redacted_and_never_logged(con, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    receiver = Receiver(failures=[500] * 6, echo=True)  # both alerts fail a whole run
    secret_url = receiver.base_url + SLACK_PATH
    try:
        route(con, "mql", "webhook", secret_url)
        route(con, "sql", "slack", secret_url)
        down = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
        stored = con.execute("select distinct destination from ops.alert_deliveries").fetchall()
        failed_text = ledger_text(con)
        up = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env={})
    finally:
        receiver.close()
    assert (down.failed, up.sent) == (2, 2)
    # Sent to the real URL, looked up from the routes by its redacted form.
    assert receiver.paths == [SLACK_PATH] * 8
    assert sorted(body.get("contact_id") or body["text"][:4] for body in receiver.accepted) == [
        "*c2*",
        "c1",
    ]
    assert stored == [(redact_url(secret_url),)]
    assert stored[0][0].startswith(f"{receiver.base_url}/… sha256:")
    assert "no hook at [redacted]" in failed_text  # the receiver echoed the path
    assert "HTTP Request: POST [redacted]" in caplog.text  # httpx's own log line, scrubbed
    for text in (failed_text, ledger_text(con), caplog.text, repr(down), repr(up)):
        assert SLACK_SECRET not in text and "T0LEADS01" not in text


def test_destinations_stored_by_an_earlier_version_are_redacted(con, tmp_path):
    receiver = Receiver(failures=[])
    secret_url = receiver.base_url + SLACK_PATH
    try:
        route(con, "sql", "webhook", secret_url)
        run_alerts(con, AS_OF, tmp_path, baseline=True, policy=FAST, env={})
        # An older version stored the URL itself; its owed alert is still delivered.
        con.execute(
            "update ops.alert_deliveries set destination = ?, status = 'pending'", [secret_url]
        )
        summary = deliver_pending(con, tmp_path, FAST, {})
    finally:
        receiver.close()
    assert summary.sent == 1 and receiver.paths == [SLACK_PATH]
    assert SLACK_SECRET not in ledger_text(con)


def test_a_route_removed_from_the_seed_leaves_its_alert_owed_with_a_clear_error(con, tmp_path):
    route(con, "sql", "webhook", "https://hooks.example.com/services/T1/B2/" + SLACK_SECRET)
    run_alerts(con, AS_OF, tmp_path, baseline=True, policy=FAST, env={})
    con.execute("update ops.alert_deliveries set status = 'pending'")
    con.execute("delete from staging.stg_alert_routes")
    summary = deliver_pending(con, tmp_path, FAST, {})
    assert summary.failed == 1
    (error,) = con.execute("select last_error from ops.alert_deliveries").fetchone()
    assert "no longer in alert_routes.csv" in error and "lead → sql (webhook)" in error
    assert SLACK_SECRET not in error


def test_plain_http_is_refused_except_for_loopback_hosts(con, tmp_path):
    route(con, "mql", "webhook", "http://hooks.example.com/services/T1/B2/" + SLACK_SECRET)
    route(con, "sql", "webhook")  # the environment's
    env = {"LEADSCORE_WEBHOOK_URL": "http://alerts.example.com/in?token=" + SLACK_SECRET}
    summary = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=FAST, env=env)
    assert summary.failed == 2
    errors = dict(con.execute("select to_stage, last_error from ops.alert_deliveries").fetchall())
    assert errors["mql"].startswith("the destination of alert_routes.csv route lead → mql")
    assert errors["sql"].startswith("LEADSCORE_WEBHOOK_URL uses plain http")
    for error in errors.values():
        assert "https is required" in error and SLACK_SECRET not in error
    assert con.execute("select max(attempts) from ops.alert_deliveries").fetchone()[0] == 0


def test_the_budget_bounds_a_slow_receiver_and_nothing_is_sent_twice_in_a_run(con, tmp_path):
    # The issue, scaled down: a receiver answering after the timeout used to hold the run for
    # timeout x attempts x alerts, and got every alert `attempts` times.
    receiver = Receiver(failures=[], delay=2.0)
    policy = RetryPolicy(attempts=3, backoff_seconds=0.01, timeout_seconds=1, budget_seconds=0.5)
    try:
        for stage in ("mql", "sql", "lead"):  # c4's fall into lead alerts too
            route(con, stage, "webhook", receiver.url, direction="any")
        started = time.monotonic()
        slow = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=policy, env={})
        elapsed = time.monotonic() - started
        in_run = Counter(body["contact_id"] for body in receiver.received)
        rows = con.execute(
            "select contact_id, status, attempts, last_error from ops.alert_deliveries order by all"
        ).fetchall()
        receiver.delay = 0.0
        fast = run_alerts(con, AS_OF, tmp_path, baseline=False, policy=policy, env={})
    finally:
        receiver.close()
    assert elapsed < 1.5  # unbounded: 3 alerts x 1 s (and formerly x 3 attempts)
    assert set(in_run.values()) == {1}  # a late answer is never followed by a second send
    assert slow.sent == 0 and slow.failed + slow.deferred == 3 and slow.deferred >= 1
    assert f"{slow.deferred} left for the next run (delivery budget of 0.5 s used up)" in (
        slow.describe()
    )
    for _, status, attempts, error in rows:
        if attempts:  # sent once, no answer in time: failed, owed to the next run
            assert status == "failed" and "it may have arrived" in error
        else:  # never attempted: still owed as it was
            assert status == "pending" and error is None
    assert sum(1 for row in rows if row[2] == 0) == slow.deferred
    assert (fast.sent, fast.failed, fast.deferred) == (3, 0, 0)


def test_the_budget_comes_from_the_environment():
    assert alert_policy({}).budget_seconds == 60
    assert alert_policy({"LEADSCORE_DELIVERY_BUDGET_SECONDS": "2.5"}).budget_seconds == 2.5
    with pytest.raises(ConfigError, match="LEADSCORE_DELIVERY_BUDGET_SECONDS='soon'"):
        alert_policy({"LEADSCORE_DELIVERY_BUDGET_SECONDS": "soon"})
