"""Salesforce: sObject Collections update (PATCH composite/sobjects) of Leads or Contacts."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .common import (
    ACCEPTED,
    BatchRejected,
    BatchResult,
    ExportItem,
    ItemOutcome,
    TargetAborted,
    truncate,
)
from .mapping import SALESFORCE
from .transport import (
    CrmConfigError,
    CrmError,
    ExportPolicy,
    TransientHttpError,
    Transport,
    check_base_url,
    check_token,
    error_text,
)

DEFAULT_API_VERSION = "v61.0"
DEFAULT_SOBJECT = "Lead"
MAX_BATCH = 200
_SOBJECT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_VERSION = re.compile(r"v\d+\.\d+")


@dataclass(frozen=True)
class SalesforceConfig:
    instance_url: str
    token: str
    sobject: str = DEFAULT_SOBJECT
    api_version: str = DEFAULT_API_VERSION

    @property
    def collections_path(self) -> str:
        return f"/services/data/{self.api_version}/composite/sobjects"


def salesforce_config(env: Mapping[str, str]) -> SalesforceConfig | None:
    """From SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN (both required; None when neither
    is set), SALESFORCE_SOBJECT (Lead or Contact, default Lead), SALESFORCE_API_VERSION."""
    instance = (env.get("SALESFORCE_INSTANCE_URL") or "").strip()
    token = (env.get("SALESFORCE_ACCESS_TOKEN") or "").strip()
    if not instance and not token:
        return None
    if not instance or not token:
        missing = "SALESFORCE_INSTANCE_URL" if not instance else "SALESFORCE_ACCESS_TOKEN"
        raise CrmConfigError(f"Salesforce export needs {missing} as well")
    sobject = (env.get("SALESFORCE_SOBJECT") or "").strip() or DEFAULT_SOBJECT
    if not _SOBJECT.fullmatch(sobject):
        raise CrmConfigError(f"SALESFORCE_SOBJECT={sobject!r} is not an sObject name")
    version = (env.get("SALESFORCE_API_VERSION") or "").strip() or DEFAULT_API_VERSION
    if not version.startswith("v"):
        version = f"v{version}"
    if not _VERSION.fullmatch(version):
        raise CrmConfigError(f"SALESFORCE_API_VERSION={version!r} is not like v61.0")
    return SalesforceConfig(
        instance_url=check_base_url("SALESFORCE_INSTANCE_URL", instance),
        token=check_token("SALESFORCE_ACCESS_TOKEN", token),
        sobject=sobject,
        api_version=version,
    )


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

    def __init__(self, config: SalesforceConfig, policy: ExportPolicy, logger: logging.Logger):
        self.config = config
        self.batch_size = max(1, min(policy.salesforce_batch_size, MAX_BATCH))
        self.transport = Transport("Salesforce", config.instance_url, config.token, policy, logger)

    def close(self) -> None:
        self.transport.close()

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
            response, tries = self.transport.request(
                "PATCH", self.config.collections_path, {"allOrNone": False, "records": records}
            )
        except TransientHttpError as exc:
            raise TargetAborted(f"{exc} (gave up after {exc.tries} attempts)", exc.tries) from None
        except CrmError as exc:
            raise TargetAborted(str(exc), 1) from None
        status = response.status_code
        scrub = self.transport.scrub
        if status == 401:
            raise TargetAborted(
                scrub(
                    f"Salesforce refused the session (HTTP 401): {error_text(response)}; "
                    "check SALESFORCE_ACCESS_TOKEN and SALESFORCE_INSTANCE_URL"
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
