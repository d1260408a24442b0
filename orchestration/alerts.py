"""Stage-change alerts: routed by seeds/alert_routes.csv, delivered exactly once via a ledger."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from .config import DEFAULT_DELIVERY_BUDGET_SECONDS, delivery_budget, secrets
from .delivery import (
    Budget,
    BudgetExhausted,
    DeliveryError,
    HttpClient,
    PermanentDeliveryError,
    RetryPolicy,
    Scrubber,
    error_text,
    url_secrets,
)
from .delivery.destinations import destination_url, redact_destinations, route_urls
from .delivery.ledger import OWED, PENDING, outcome_assignments
from .sql_text import sql_literal
from .vocabulary import ANY_DIRECTION, BACKFILL_CHANGE_CAUSE

log = logging.getLogger(__name__)

ALERT_RETRY_POLICY = RetryPolicy(
    attempts=3,
    backoff_seconds=0.5,
    timeout_seconds=10.0,
    budget_seconds=DEFAULT_DELIVERY_BUDGET_SECONDS,
)
"""How hard one run tries one alert, and all alerts, before leaving the rest for the next run."""

SERVICE_NAMES = {"webhook": "webhook", "slack": "Slack"}
"""The HTTP channels, by the name their messages use."""

SUPPRESSED = "suppressed"
"""A first run's alert status: recorded as the baseline, never sent."""


@dataclass
class AlertSummary:
    """What the alert step did in one run."""

    new: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    pending_before: int = 0
    deferred: int = 0
    """Not attempted: the delivery budget was used up first. Still owed, sent next run."""
    budget: str = ""
    """The budget that ran out (`delivery budget of 60 s`), when one did."""
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"alerts: {self.new} new, {self.sent} sent, {self.failed} failed (retried next run)"
        if self.deferred:
            text += f", {self.deferred} left for the next run ({self.budget} used up)"
        if self.suppressed:
            text += f", {self.suppressed} recorded without sending (first run baseline)"
        return text


def alert_policy(env: Mapping[str, str] | None = None) -> RetryPolicy:
    """The alert retry policy with the step's budget, `LEADSCORE_DELIVERY_BUDGET_SECONDS`."""
    return dataclasses.replace(ALERT_RETRY_POLICY, budget_seconds=delivery_budget(env))


def ensure_alert_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        """
        create table if not exists ops.alert_deliveries (
            alert_id varchar primary key,
            model_id varchar not null,
            contact_id varchar not null,
            from_stage varchar,
            to_stage varchar not null,
            changed_at timestamp not null,
            channel varchar not null,
            destination varchar,
            status varchar not null,
            attempts integer not null,
            last_error varchar,
            created_at timestamp not null,
            delivered_at timestamp,
            payload varchar not null
        )
        """
    )
    con.execute(
        """
        create table if not exists ops.alerts (
            alert_id varchar primary key,
            model_id varchar not null,
            contact_id varchar not null,
            email varchar,
            from_stage varchar,
            to_stage varchar not null,
            total_score decimal(18, 2),
            top_reasons varchar,
            changed_at timestamp not null,
            logged_at timestamp not null
        )
        """
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def record_new_alerts(
    con: duckdb.DuckDBPyConnection, as_of: datetime, *, baseline: bool
) -> tuple[int, int]:
    """Insert a ledger row for every routed stage change of `as_of` not yet recorded.

    A route alerts a change into its `to_stage` in its direction (contract §8): `up` when the
    change's `stage_direction` is up (a rise in stage rank, or a contact scored for the first
    time), `down` when it is down, `any` for both. A backfilled change never alerts.

    The delivery key hashes model, contact, from and to stage, the published run the change is
    measured from, and the route's channel and destination (not its direction: editing it never
    re-sends a change; validation refuses overlapping directions to one destination): re-running
    the same change (also after a run that failed after alerting) never adds a second row. On
    the first run of an installation (`baseline`) the rows are recorded as `suppressed`:
    alerting on every existing MQL would flood sales.
    `destination` is the route's own; blank means the environment's, looked up when sending
    (a Slack webhook URL is a secret: it is never stored). One set-based insert, whatever the
    number of changes. Returns (new, suppressed).
    """
    ensure_alert_tables(con)
    status = SUPPRESSED if baseline else PENDING
    inserted = con.execute(
        """
        insert into ops.alert_deliveries
        with routed as (
            select
                changes.model_id,
                changes.contact_id,
                contacts.email,
                changes.from_stage,
                changes.to_stage,
                scores.total_score,
                scores.top_reasons,
                changes.changed_at,
                routes.channel,
                routes.destination,
                -- The change itself is the identity, not the run that computed it: from and
                -- to stage against the published run it was compared with. A run that failed
                -- after alerting computes the same change again next time: same id, no repeat.
                left(sha256(concat_ws(
                    chr(31), changes.model_id, changes.contact_id,
                    coalesce(changes.from_stage, ''), changes.to_stage,
                    coalesce(strftime(changes.previous_as_of, '%Y-%m-%dT%H:%M:%S.%f'), ''),
                    routes.channel, coalesce(routes.destination, '')
                )), 32) as alert_id
            from marts.stage_changes as changes
            inner join staging.stg_alert_routes as routes
                on
                    changes.model_id = routes.model_id
                    and changes.to_stage = routes.to_stage
                    and routes.direction in ($any_direction, changes.stage_direction)
            inner join marts.contact_scores as scores
                on changes.model_id = scores.model_id and changes.contact_id = scores.contact_id
            left join marts.contacts as contacts on changes.contact_id = contacts.contact_id
            where
                changes.changed_at = $as_of
                and changes.to_stage is distinct from changes.from_stage
                -- A backfill computes past instants into history only: it never alerts.
                and changes.change_cause is distinct from $backfill
                and not scores.is_excluded
        )
        select
            alert_id, model_id, contact_id, from_stage, to_stage, changed_at, channel,
            destination, $status, 0, null, $now, null,
            cast(to_json({
                'alert_id': alert_id,
                'model_id': model_id,
                'contact_id': contact_id,
                'email': email,
                'from_stage': from_stage,
                'to_stage': to_stage,
                'total_score': cast(total_score as double),
                'top_reasons': top_reasons,
                'changed_at': strftime(changed_at, '%Y-%m-%dT%H:%M:%S')
            }) as varchar)
        from routed
        where alert_id not in (select alert_id from ops.alert_deliveries)
        order by model_id, contact_id, channel
        """,
        {
            "as_of": as_of,
            "status": status,
            "now": _now(),
            "any_direction": ANY_DIRECTION,
            "backfill": BACKFILL_CHANGE_CAUSE,
        },
    ).fetchone()[0]
    return inserted, inserted if baseline else 0


def _slack_text(payload: Mapping[str, Any]) -> str:
    return (
        f"*{payload['contact_id']}* ({payload.get('email') or 'no e-mail'}) moved "
        f"{payload.get('from_stage') or 'new'} → *{payload['to_stage']}* in model "
        f"`{payload['model_id']}` with {payload.get('total_score')} points: "
        f"{payload.get('top_reasons') or ''}"
    )


def _post(client: HttpClient, channel: str, url: str, payload: Mapping[str, Any]) -> int:
    """POST one alert (a Slack incoming webhook takes `{"text": ...}`); returns the requests made.

    Raises DeliveryError, whose `tries` counts the requests, when it was not accepted.
    """
    body = {"text": _slack_text(payload)} if channel == "slack" else dict(payload)
    response, tries = client.request("POST", url, body)
    if response.status_code >= 400:
        detail = error_text(response)
        message = f"{client.service} refused the alert: HTTP {response.status_code}"
        refused = PermanentDeliveryError(
            client.scrub(f"{message}: {detail}" if detail else message), response.status_code
        )
        refused.tries = tries
        raise refused
    return tries


class _Clients:
    """One HTTP client per channel for the whole queue, opened on first use, sharing a budget."""

    def __init__(self, policy: RetryPolicy, scrub: Scrubber, budget: Budget):
        self.policy, self.scrub, self.budget = policy, scrub, budget
        self._open: dict[str, HttpClient] = {}

    def __call__(self, channel: str) -> HttpClient:
        if channel not in self._open:
            service = SERVICE_NAMES[channel]
            self._open[channel] = HttpClient(
                service, self.policy, log, scrub=self.scrub, budget=self.budget
            )
        return self._open[channel]

    def close(self) -> None:
        for client in self._open.values():
            client.close()


def _deliver_once(
    row: Mapping[str, Any],
    clients: _Clients,
    urls: Mapping[tuple[str, str], str],
    outbox_dir: Path,
    con: duckdb.DuckDBPyConnection,
    env: Mapping[str, str] | None,
) -> int:
    """Deliver one alert (a queue row), retrying transient failures; returns the requests made."""
    channel, payload = row["channel"], json.loads(row["payload"])
    if channel == "log":
        _log_alert(con, payload, outbox_dir)
        return 1
    if channel not in SERVICE_NAMES:
        raise PermanentDeliveryError(f"unknown alert channel {channel!r}")
    route = f"{row['model_id']} → {row['to_stage']} ({channel})"
    url = destination_url(channel, row["destination"], route, urls, env)
    return _post(clients(channel), channel, url, payload)


def _log_alert(
    con: duckdb.DuckDBPyConnection, payload: Mapping[str, Any], outbox_dir: Path
) -> None:
    con.execute(
        """
        insert into ops.alerts values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (alert_id) do nothing
        """,
        [
            payload["alert_id"],
            payload["model_id"],
            payload["contact_id"],
            payload.get("email"),
            payload.get("from_stage"),
            payload["to_stage"],
            payload.get("total_score"),
            payload.get("top_reasons"),
            payload["changed_at"],
            _now(),
        ],
    )
    outbox_dir.mkdir(parents=True, exist_ok=True)
    with (outbox_dir / "alerts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, ensure_ascii=False, default=_json_default) + "\n")


def deliver_pending(
    con: duckdb.DuckDBPyConnection,
    outbox_dir: Path,
    policy: RetryPolicy | None = None,
    env: Mapping[str, str] | None = None,
) -> AlertSummary:
    """Deliver every pending or failed alert; each outcome is committed as soon as it is known.

    A delivery is marked `sent` only after the receiver accepted it; one that fails stays
    `failed` in the ledger and is tried again by the next run — never dropped, never duplicated.
    The HTTP deliveries share the policy's budget (default `alert_policy(env)`): once it is
    used up, the rest stay as they are (owed, not attempted) and the summary counts them.
    """
    ensure_alert_tables(con)
    redact_destinations(con)
    summary = AlertSummary()
    owed = ", ".join(sql_literal(status) for status in OWED)
    cursor = con.execute(
        "select alert_id, model_id, to_stage, channel, destination, payload "
        f"from ops.alert_deliveries where status in ({owed}) order by created_at, alert_id"
    )
    names = [d[0] for d in cursor.description]
    queue = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    summary.pending_before = len(queue)
    # Webhook URLs are secrets too (a Slack incoming webhook's path is one).
    urls = route_urls(con)
    known = [*secrets(env), *urls.values()]
    scrub = Scrubber([part for url in known for part in url_secrets(url)])
    policy = policy or alert_policy(env)
    budget = Budget(policy.budget_seconds)
    clients = _Clients(policy, scrub, budget)
    record = (
        "update ops.alert_deliveries as ledger set "
        + outcome_assignments(
            ledger="ledger",
            accepted="$accepted",
            error="$error",
            tries="$tries",
            now="$now",
            sent_at="delivered_at",
        )
        + " where ledger.alert_id = $alert_id"
    )
    try:
        for row in queue:
            key, channel = row["alert_id"], row["channel"]
            if channel in SERVICE_NAMES and budget.spent:
                summary.deferred += 1  # owed as it is: sent by the next run
                continue
            try:
                tries = _deliver_once(row, clients, urls, outbox_dir, con, env)
            except BudgetExhausted:
                summary.deferred += 1
                continue
            except DeliveryError as exc:
                error = scrub(exc.describe())
                summary.failed += 1
                summary.errors.append(f"{key} ({channel}): {error}")
                outcome = {"accepted": False, "error": error, "tries": exc.tries}
                con.execute(record, {**outcome, "now": _now(), "alert_id": key})
                log.warning("alert %s via %s not delivered: %s", key, channel, error)
                continue
            summary.sent += 1
            outcome = {"accepted": True, "error": None, "tries": tries}
            con.execute(record, {**outcome, "now": _now(), "alert_id": key})
    finally:
        clients.close()
    if summary.deferred:
        summary.budget = budget.describe()
        note = f"{summary.deferred} alert(s) left for the next run: the {summary.budget} is used up"
        summary.errors.append(note)
        log.warning("alerts: %s", note)
    return summary


def run_alerts(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    outbox_dir: Path,
    *,
    baseline: bool,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
) -> AlertSummary:
    """Record this run's routed stage changes, then deliver everything still owed.

    deliver_pending() first redacts the destinations just recorded (before anything is
    published), then sends.
    """
    new, suppressed = record_new_alerts(con, as_of, baseline=baseline)
    summary = deliver_pending(con, outbox_dir, policy, env)
    summary.new, summary.suppressed = new, suppressed
    return summary
