"""Salesforce: sObject Collections update (PATCH composite/sobjects) of Leads or Contacts."""

from __future__ import annotations

import logging
from typing import Any

from ..config import EnvVar, SalesforceConfig
from ..delivery import DeliveryError, HttpClient, Scrubber, error_text
from .common import (
    ACCEPTED,
    BatchRejected,
    BatchResult,
    ExportItem,
    ItemOutcome,
    TargetAborted,
    batch_failure,
    truncate,
)
from .mapping import SALESFORCE
from .policy import ExportPolicy

MAX_BATCH = 200


def _errors_text(errors: Any) -> str:
    parts = []
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        text = f"{error.get('statusCode') or 'ERROR'}: {error.get('message') or 'no message'}"
        fields = error.get("fields") or []
        if fields:
            text += f" [{', '.join(str(f) for f in fields)}]"
        parts.append(text)
    return truncate("; ".join(parts) or "refused without a reason")


def collection_outcomes(ids: list[str], body: Any) -> list[ItemOutcome]:
    """Per record, from the list of SaveResults (in request order) a 200 answer carries."""
    results = body if isinstance(body, list) else []
    outcomes = []
    for index, record_id in enumerate(ids):
        result = results[index] if index < len(results) else None
        if not isinstance(result, dict):
            outcomes.append(ItemOutcome(False, "no result for this record"))
        elif result.get("success") is True:
            answered = result.get("id")
            if answered and str(answered)[:15] != record_id[:15]:
                outcomes.append(ItemOutcome(False, f"result names another record ({answered})"))
            else:
                outcomes.append(ACCEPTED)
        else:
            outcomes.append(ItemOutcome(False, _errors_text(result.get("errors"))))
    return outcomes


class SalesforceSender:
    """Sends up to 200 records per request with allOrNone false: each record stands alone."""

    target = SALESFORCE

    def __init__(
        self,
        config: SalesforceConfig,
        policy: ExportPolicy,
        logger: logging.Logger,
        scrub: Scrubber | None = None,
    ):
        self.config = config
        self.batch_size = max(1, min(policy.salesforce_batch_size, MAX_BATCH))
        self.client = HttpClient(
            "Salesforce",
            policy,
            logger,
            base_url=config.instance_url,
            token=config.token,
            scrub=scrub,
        )

    def close(self) -> None:
        self.client.close()

    def batch_key(self, item: ExportItem) -> object:
        return item.record_key

    def batch_group(self, item: ExportItem) -> str:
        return "all"

    def send(self, batch: list[ExportItem]) -> BatchResult:
        records = []
        for item in batch:
            record: dict[str, Any] = {"attributes": {"type": self.config.sobject}}
            record["id"] = item.record_key
            for name, value in item.values.items():
                if name.lower() not in ("id", "attributes"):
                    record[name] = value
            records.append(record)
        try:
            response, tries = self.client.request(
                "PATCH", self.config.collections_path, {"allOrNone": False, "records": records}
            )
        except DeliveryError as exc:
            raise batch_failure(exc) from None
        status = response.status_code
        scrub = self.client.scrub
        if status == 401:
            raise TargetAborted(
                scrub(
                    f"Salesforce refused the session (HTTP 401): {error_text(response)}; "
                    f"check {EnvVar.SALESFORCE_ACCESS_TOKEN} and {EnvVar.SALESFORCE_INSTANCE_URL}"
                ),
                tries,
            )
        if status == 403:  # REQUEST_LIMIT_EXCEEDED, API disabled for the user, ...
            raise TargetAborted(
                scrub(f"Salesforce refused the request (HTTP 403): {error_text(response)}"),
                tries,
            )
        if status != 200:
            raise BatchRejected(
                scrub(f"Salesforce refused the batch (HTTP {status}): {error_text(response)}"),
                tries,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        ids = [str(item.record_key) for item in batch]
        outcomes = [
            ItemOutcome(o.accepted, scrub(o.error) if o.error else None)
            for o in collection_outcomes(ids, body)
        ]
        return BatchResult(outcomes, tries)
