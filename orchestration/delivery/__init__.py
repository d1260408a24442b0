"""One delivery stack for alerts and CRM exports: HTTP with retries, secret scrubbing, ledgers."""

from .budget import Budget
from .http import (
    BudgetExhausted,
    DeliveryError,
    HttpClient,
    PermanentDeliveryError,
    RetryPolicy,
    TransientDeliveryError,
    error_text,
    parse_retry_after,
)
from .scrub import REDACTED, Scrubber, is_redacted_url, redact_url, url_secrets

__all__ = [
    "REDACTED",
    "Budget",
    "BudgetExhausted",
    "DeliveryError",
    "HttpClient",
    "PermanentDeliveryError",
    "RetryPolicy",
    "Scrubber",
    "TransientDeliveryError",
    "error_text",
    "is_redacted_url",
    "parse_retry_after",
    "redact_url",
    "url_secrets",
]
