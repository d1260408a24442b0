"""How hard a CRM export tries: the shared retry policy with CRM defaults, plus batching."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..config import DEFAULT_CRM_MAX_ATTEMPTS, DEFAULT_CRM_TIMEOUT_SECONDS, delivery_limits
from ..delivery import RetryPolicy


@dataclass(frozen=True)
class ExportPolicy(RetryPolicy):
    """The retry policy of the CRM requests, and how the export batches and previews."""

    attempts: int = DEFAULT_CRM_MAX_ATTEMPTS
    timeout_seconds: float = DEFAULT_CRM_TIMEOUT_SECONDS
    hubspot_batch_size: int = 100
    salesforce_batch_size: int = 200
    abort_after_rejected_batches: int = 3
    """Whole batches refused in a row (4xx) before the target is left for the next run."""
    preview_limit: int = 20
    """Records per target kept in the summary (dry-run preview)."""


def policy_from_env(env: Mapping[str, str] | None = None) -> ExportPolicy:
    """The export policy with `LEADSCORE_CRM_TIMEOUT_SECONDS` and `LEADSCORE_CRM_MAX_ATTEMPTS`."""
    limits = delivery_limits(env)
    return ExportPolicy(timeout_seconds=limits.timeout_seconds, attempts=limits.attempts)
