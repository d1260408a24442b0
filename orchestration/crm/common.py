"""Types shared by the exporters: planned records, per-record outcomes, batch failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..delivery import BudgetExhausted, DeliveryError, HttpClient, TransientDeliveryError


class CrmError(Exception):
    """A CRM export or setup failed; the message is already scrubbed of secrets."""


@dataclass(frozen=True)
class Part:
    """One model's values for one contact, with their fingerprint."""

    model_id: str
    values: dict[str, Any]
    values_hash: str


@dataclass
class ExportItem:
    """One record to write in one target: a contact, the changed models' values merged."""

    contact_id: str
    record_key: str | None
    """HubSpot record id or e-mail, Salesforce id; None for the outbox."""
    key_kind: str
    """`id` or `email` (HubSpot), `salesforce_id`, `file` (outbox)."""
    parts: list[Part] = field(default_factory=list)

    @property
    def values(self) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for part in self.parts:
            merged.update(part.values)
        return merged

    @property
    def match(self) -> str:
        return f"{self.key_kind}:{self.record_key}" if self.record_key else self.key_kind


@dataclass(frozen=True)
class ItemOutcome:
    accepted: bool
    error: str | None = None


ACCEPTED = ItemOutcome(True)


@dataclass
class BatchResult:
    outcomes: list[ItemOutcome]
    tries: int


class BatchRejected(Exception):
    """The target refused the whole batch (a 4xx answer); the next batches are still tried."""

    def __init__(self, message: str, tries: int):
        super().__init__(message)
        self.tries = tries


class TargetAborted(Exception):
    """No point sending more this run (token refused, limit reached, service down, or the
    delivery budget ended the retries: `out_of_budget`)."""

    def __init__(self, message: str, tries: int, *, out_of_budget: bool = False):
        super().__init__(message)
        self.tries = tries
        self.out_of_budget = out_of_budget

    @classmethod
    def after(cls, error: DeliveryError) -> TargetAborted:
        """A delivery that failed for good (retries used up, request impossible)."""
        return cls(error.describe(), max(error.tries, 1), out_of_budget=error.out_of_budget)


def batch_failure(error: DeliveryError) -> Exception:
    """What a batch request that got no usable answer means for the export.

    Budget spent before it was sent: BudgetExhausted as it is (the batch and the rest wait).
    Sent without an answer in time: the CRM may have applied it, so it is not sent again in
    this run (BatchRejected: the batch is failed, later batches are still sent). Otherwise the
    target stops for this run (TargetAborted).
    """
    if isinstance(error, BudgetExhausted):
        return error
    if isinstance(error, TransientDeliveryError) and error.maybe_delivered:
        return BatchRejected(error.describe(), max(error.tries, 1))
    return TargetAborted.after(error)


class Sender(Protocol):
    target: str
    batch_size: int
    client: HttpClient

    def batch_group(self, item: ExportItem) -> str: ...

    def batch_key(self, item: ExportItem) -> object: ...

    def send(self, batch: list[ExportItem]) -> BatchResult: ...

    def close(self) -> None: ...


def truncate(text: str, limit: int = 1000) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
