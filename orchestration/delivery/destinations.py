"""Alert destinations: stored redacted (the ledger is published), looked up when sending."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from ..config import (
    ALERT_DESTINATION_VARIABLES,
    ConfigError,
    default_alert_destination,
    url_problem,
)
from .http import PermanentDeliveryError
from .scrub import redact_url


def redact_destinations(con: duckdb.DuckDBPyConnection) -> int:
    """Keep only the redacted form of route destinations in ops.alert_deliveries.

    The ledger is published to BI users and a destination can be a secret (a Slack incoming
    webhook's path, a token in a webhook's path or query): it is stored as scheme, host and a
    fingerprint (delivery.redact_url); the real URL stays in the seed and is looked up when
    sending. Also redacts rows stored by earlier versions. Returns the rows changed.
    """
    stored = con.execute(
        "select distinct destination from ops.alert_deliveries where destination is not null"
    ).fetchall()
    changed = 0
    for (destination,) in stored:
        redacted = redact_url(destination)
        if redacted != destination:
            changed += con.execute(
                "update ops.alert_deliveries set destination = ? where destination = ?",
                [redacted, destination],
            ).fetchone()[0]
    return changed


def route_urls(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], str]:
    """(channel, redacted destination) -> the real URL, from the current alert routes."""
    try:
        rows = con.execute(
            "select distinct channel, destination from staging.stg_alert_routes "
            "where destination is not null"
        ).fetchall()
    except duckdb.CatalogException:  # no routes built yet
        return {}
    return {(channel, redact_url(url)): url for channel, url in rows}


def destination_url(
    channel: str,
    destination: str | None,
    route: str,
    urls: Mapping[tuple[str, str], str],
    env: Mapping[str, str] | None,
) -> str:
    """The URL to send to: the route's own (looked up by its redacted form), else the
    environment's; an unusable one is a PermanentDeliveryError that never quotes it."""
    if destination is None:
        try:
            url = default_alert_destination(channel, env)
        except ConfigError as exc:
            raise PermanentDeliveryError(str(exc)) from None
        if not url:
            variable = ALERT_DESTINATION_VARIABLES[channel]
            raise PermanentDeliveryError(
                f"no destination: set it in alert_routes.csv or {variable}"
            )
        return url
    where = f"the destination of alert_routes.csv route {route}"
    url = urls.get((channel, destination))
    if url is None:
        raise PermanentDeliveryError(
            f"{where} ({destination}) is no longer in alert_routes.csv: restore the route, "
            "or delete the alert from ops.alert_deliveries"
        )
    problem = url_problem(url)
    if problem:  # https only (plain http to a loopback host): never quoting the URL
        raise PermanentDeliveryError(f"{where} {problem}")
    return url
