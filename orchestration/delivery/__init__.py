"""One delivery stack for alerts and CRM exports: HTTP with retries, secret scrubbing, ledgers."""

from .http import (
    DeliveryError,
    HttpClient,
    PermanentDeliveryError,
    RetryPolicy,
    TransientDeliveryError,
    error_text,
    parse_retry_after,
)
from .scrub import REDACTED, Scrubber

__all__ = [
    "REDACTED",
    "DeliveryError",
    "HttpClient",
    "PermanentDeliveryError",
    "RetryPolicy",
    "Scrubber",
    "TransientDeliveryError",
    "error_text",
    "parse_retry_after",
]
