"""Stage-change alerts: routed by seeds/alert_routes.csv, delivered exactly once via a ledger."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
from slack_sdk.webhook import WebhookClient
from tenacity import (
    RetryError,
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)


class TransientDeliveryError(Exception):
    """A delivery that may succeed when tried again (5xx, 429, timeout, connection error)."""


class PermanentDeliveryError(Exception):
    """A delivery the receiver refused (4xx) or that is misconfigured (no URL)."""


@dataclass(frozen=True)
class DeliveryPolicy:
    """How hard one run tries before leaving a delivery for the next run."""

    attempts: int = 3
    backoff_seconds: float = 0.5
    timeout_seconds: float = 10.0


@dataclass
class AlertSummary:
    """What the alert step did in one run."""

    new: int = 0
    sent: int = 0
    failed: int = 0
    suppressed: int = 0
    pending_before: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        text = f"alerts: {self.new} new, {self.sent} sent, {self.failed} failed (retried next run)"
        if self.suppressed:
            text += f", {self.suppressed} recorded without sending (first run baseline)"
        return text


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
    con: duckdb.DuckDBPyConnection, as_of: datetime, *, baseline: bool, env: Mapping[str, str]
) -> tuple[int, int]:
    """Insert a ledger row for every routed stage change of `as_of` not yet recorded.

    The delivery key hashes model, contact, target stage, change time and route, so re-running
    the same change never adds a second row. On the first run of an installation (`baseline`)
    the rows are recorded as `suppressed`: alerting on every existing MQL would flood sales.
    One set-based insert, whatever the number of changes. Returns (new, suppressed).
    """
    ensure_alert_tables(con)
    status = "suppressed" if baseline else "pending"
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
                coalesce(
                    routes.destination,
                    case routes.channel when 'webhook' then $webhook when 'slack' then $slack end
                ) as destination,
                left(sha256(concat_ws(
                    chr(31), changes.model_id, changes.contact_id, changes.to_stage,
                    strftime(changes.changed_at, '%Y-%m-%dT%H:%M:%S.%f'), routes.channel,
                    coalesce(routes.destination, '')
                )), 32) as alert_id
            from marts.stage_changes as changes
            inner join staging.stg_alert_routes as routes
                on changes.model_id = routes.model_id and changes.to_stage = routes.to_stage
            inner join marts.contact_scores as scores
                on changes.model_id = scores.model_id and changes.contact_id = scores.contact_id
            left join marts.contacts as contacts on changes.contact_id = contacts.contact_id
            where
                changes.changed_at = $as_of
                and changes.to_stage is distinct from changes.from_stage
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
            "webhook": _default_destination("webhook", env),
            "slack": _default_destination("slack", env),
        },
    ).fetchone()[0]
    return inserted, inserted if baseline else 0


def _default_destination(channel: str, env: Mapping[str, str]) -> str | None:
    if channel == "webhook":
        return env.get("LEADSCORE_WEBHOOK_URL") or None
    if channel == "slack":
        return env.get("SLACK_WEBHOOK_URL") or None
    return None


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TransientDeliveryError)


def _post_webhook(url: str, payload: Mapping[str, Any], policy: DeliveryPolicy) -> None:
    try:
        response = httpx.post(url, json=payload, timeout=policy.timeout_seconds)
    except (httpx.TimeoutException, httpx.TransportError) as exc:
        raise TransientDeliveryError(f"{type(exc).__name__} posting to the webhook") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientDeliveryError(f"webhook answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise PermanentDeliveryError(f"webhook refused the alert: HTTP {response.status_code}")


def _slack_text(payload: Mapping[str, Any]) -> str:
    return (
        f"*{payload['contact_id']}* ({payload.get('email') or 'no e-mail'}) moved "
        f"{payload.get('from_stage') or 'new'} → *{payload['to_stage']}* in model "
        f"`{payload['model_id']}` with {payload.get('total_score')} points: "
        f"{payload.get('top_reasons') or ''}"
    )


def _post_slack(url: str, payload: Mapping[str, Any], policy: DeliveryPolicy) -> None:
    client = WebhookClient(url, timeout=int(max(policy.timeout_seconds, 1)))
    try:
        response = client.send(text=_slack_text(payload))
    except OSError as exc:  # timeouts and connection errors
        raise TransientDeliveryError(f"{type(exc).__name__} posting to Slack") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientDeliveryError(f"Slack answered HTTP {response.status_code}")
    if response.status_code >= 400:
        raise PermanentDeliveryError(f"Slack refused the alert: HTTP {response.status_code}")


def _deliver_once(
    channel: str,
    destination: str | None,
    payload: Mapping[str, Any],
    policy: DeliveryPolicy,
    outbox_dir: Path,
    con: duckdb.DuckDBPyConnection,
    tries: list[int],
) -> None:
    """Deliver one alert, retrying transient failures; `tries` counts the attempts made."""
    if channel == "log":
        tries.append(1)
        _log_alert(con, payload, outbox_dir)
        return
    if not destination:
        variable = "LEADSCORE_WEBHOOK_URL" if channel == "webhook" else "SLACK_WEBHOOK_URL"
        raise PermanentDeliveryError(f"no destination: set it in alert_routes.csv or {variable}")
    sender: Callable[[str, Mapping[str, Any], DeliveryPolicy], None] = (
        _post_webhook if channel == "webhook" else _post_slack
    )

    def counted(*args: Any) -> None:
        tries.append(1)
        sender(*args)

    attempt = retry(
        retry=retry_if_exception(_transient),
        stop=stop_after_attempt(policy.attempts),
        wait=wait_exponential(multiplier=policy.backoff_seconds, max=30),
        reraise=False,
    )(counted)
    try:
        attempt(destination, payload, policy)
    except RetryError as exc:
        raise exc.last_attempt.exception() from None


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
    policy: DeliveryPolicy | None = None,
) -> AlertSummary:
    """Deliver every pending or failed alert; each outcome is committed as soon as it is known.

    A delivery is marked `sent` only after the receiver accepted it; one that fails stays
    `failed` in the ledger and is tried again by the next run — never dropped, never duplicated.
    """
    policy = policy or DeliveryPolicy()
    ensure_alert_tables(con)
    summary = AlertSummary()
    queue = con.execute(
        "select alert_id, channel, destination, payload from ops.alert_deliveries "
        "where status in ('pending', 'failed') order by created_at, alert_id"
    ).fetchall()
    summary.pending_before = len(queue)
    for key, channel, destination, payload_text in queue:
        payload = json.loads(payload_text)
        tries: list[int] = []
        try:
            _deliver_once(channel, destination, payload, policy, outbox_dir, con, tries)
        except (TransientDeliveryError, PermanentDeliveryError) as exc:
            summary.failed += 1
            summary.errors.append(f"{key} ({channel}): {exc}")
            con.execute(
                "update ops.alert_deliveries set status = 'failed', attempts = attempts + ?, "
                "last_error = ? where alert_id = ?",
                [len(tries), str(exc), key],
            )
            log.warning("alert %s via %s not delivered: %s", key, channel, exc)
            continue
        summary.sent += 1
        con.execute(
            "update ops.alert_deliveries set status = 'sent', attempts = attempts + ?, "
            "last_error = null, delivered_at = ? where alert_id = ?",
            [len(tries), _now(), key],
        )
    return summary


def run_alerts(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    outbox_dir: Path,
    *,
    baseline: bool,
    env: Mapping[str, str] | None = None,
    policy: DeliveryPolicy | None = None,
) -> AlertSummary:
    """Record this run's routed stage changes, then deliver everything still owed."""
    new, suppressed = record_new_alerts(con, as_of, baseline=baseline, env=env or os.environ)
    summary = deliver_pending(con, outbox_dir, policy)
    summary.new, summary.suppressed = new, suppressed
    return summary
