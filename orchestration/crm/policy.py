"""How hard a CRM export tries: the shared retry policy with CRM defaults, plus batching."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import (
    DEFAULT_CRM_MAX_ATTEMPTS,
    DEFAULT_CRM_TIMEOUT_SECONDS,
    DEFAULT_DELIVERY_BUDGET_SECONDS,
    delivery_limits,
)
from ..delivery import RetryPolicy


@dataclass(frozen=True)
class ExportPolicy(RetryPolicy):
    """The retry policy of the CRM requests, and how the export batches and previews."""

    attempts: int = DEFAULT_CRM_MAX_ATTEMPTS
    timeout_seconds: float = DEFAULT_CRM_TIMEOUT_SECONDS
    budget_seconds: float | None = DEFAULT_DELIVERY_BUDGET_SECONDS
    """Per target and run: batches that do not fit wait for the next run."""
    hubspot_batch_size: int = 100
    salesforce_batch_size: int = 200
    abort_after_rejected_batches: int = 3
    """Whole batches refused in a row (4xx) before the target is left for the next run."""
    preview_limit: int = 20
    """Records per target kept in the summary (dry-run preview)."""


def policy_from_env(env: Mapping[str, str] | None = None) -> ExportPolicy:
    """The export policy with `LEADSCORE_CRM_TIMEOUT_SECONDS`, `LEADSCORE_CRM_MAX_ATTEMPTS` and
    `LEADSCORE_DELIVERY_BUDGET_SECONDS`."""
    limits = delivery_limits(env)
    return ExportPolicy(
        timeout_seconds=limits.timeout_seconds,
        attempts=limits.attempts,
        budget_seconds=limits.budget_seconds,
    )
