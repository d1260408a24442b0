"""HTTP delivery for alerts and CRM exports: httpx requests, tenacity retries, scrubbed errors.

Retried: HTTP 429 (waiting what `Retry-After` says, else exponential backoff), 5xx, timeouts
and connection errors. Every other answer goes back to the caller, which knows the receiver.
No message that leaves this module (exception, log line) can contain a secret: messages are
scrubbed and httpx exceptions are replaced, not chained (their reprs can quote headers).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from .scrub import Scrubber


class DeliveryError(Exception):
    """A request failed; the message is already scrubbed of secrets."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status
        self.tries = 0
        """Requests made before giving up (set by HttpClient.request)."""

    def describe(self) -> str:
        """The message as a ledger or summary records it."""
        return str(self)


class TransientDeliveryError(DeliveryError):
    """Worth trying again: 429, 5xx, timeout, connection error."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message, status)
        self.retry_after = retry_after

    def describe(self) -> str:
        return f"{self} (gave up after {self.tries} attempts)"


class PermanentDeliveryError(DeliveryError):
    """Not worth trying again: the request cannot be made, or the receiver refused it."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one run tries one request, and how long it waits; tests shrink the waits."""

    attempts: int = 3
    """Requests at most (the first one plus retries)."""
    backoff_seconds: float = 0.5
    """Exponential backoff base when the server gives no Retry-After: 0.5, 1, 2, ... s."""
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    """A longer Retry-After (a daily limit) is not waited for: the rest waits for the next run."""
    timeout_seconds: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), else None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


def error_text(response: httpx.Response, limit: int = 500) -> str:
    """The useful part of an error body (JSON `message`s, else the start of the text)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:limit].strip()
    items = body if isinstance(body, list) else [body]
    parts = []
    for item in items:
        if isinstance(item, dict):
            code = item.get("errorCode") or item.get("category") or ""
            message = item.get("message") or ""
            parts.append(f"{code}: {message}".strip(": "))
    return "; ".join(p for p in parts if p)[:limit] or response.text[:limit].strip()


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential(multiplier=policy.backoff_seconds, max=policy.max_backoff_seconds)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientDeliveryError) and error.retry_after is not None:
            return error.retry_after
        return backoff(state)

    return wait


def _retryable(policy: RetryPolicy) -> Callable[[BaseException], bool]:
    def retryable(error: BaseException) -> bool:
        if not isinstance(error, TransientDeliveryError):
            return False
        return error.retry_after is None or error.retry_after <= policy.max_retry_after_seconds

    return retryable


class HttpClient:
    """One receiver's HTTP client: base URL, bearer token or none, timeout, retries, scrubbing.

    Without a base URL, requests name absolute URLs (alert webhooks, Slack).
    """

    def __init__(
        self,
        service: str,
        policy: RetryPolicy,
        log: logging.Logger,
        *,
        base_url: str = "",
        token: str | None = None,
        scrub: Scrubber | None = None,
    ):
        self.service = service
        self.policy = policy
        self.log = log
        self.scrub = scrub or Scrubber([token])
        self.requests = 0
        headers = {"Accept": "application/json", "User-Agent": "leadscore"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(policy.timeout_seconds)
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _once(self, method: str, url: str, body: Any) -> httpx.Response:
        self.requests += 1
        try:
            response = self._client.request(method, url, json=body)
        except httpx.TimeoutException:
            raise TransientDeliveryError(
                f"{self.service} did not answer within {self.policy.timeout_seconds:g} s"
            ) from None
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            message = f"{self.service} URL is unusable: {type(exc).__name__}: {exc}"
            raise PermanentDeliveryError(self.scrub(message)) from None
        except httpx.TransportError as exc:
            message = f"{self.service} connection failed: {type(exc).__name__}: {exc}"
            raise TransientDeliveryError(self.scrub(message)) from None
        except httpx.HTTPError as exc:  # a malformed request and the like: not worth retrying
            message = f"{self.service} request failed: {type(exc).__name__}: {exc}"
            raise PermanentDeliveryError(self.scrub(message)) from None
        if response.status_code == 429:
            raise TransientDeliveryError(
                self.scrub(f"{self.service} rate limit (HTTP 429): {error_text(response)}"),
                status=429,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if response.status_code >= 500:
            raise TransientDeliveryError(
                self.scrub(
                    f"{self.service} server error (HTTP {response.status_code}): "
                    f"{error_text(response)}"
                ),
                status=response.status_code,
            )
        return response

    def request(self, method: str, url: str, body: Any = None) -> tuple[httpx.Response, int]:
        """Send with retries; returns (final non-retryable response, requests made).

        Raises TransientDeliveryError when the retries are used up (or Retry-After is too long),
        PermanentDeliveryError when the request cannot be made at all; `tries` tells how many
        requests were made.
        """
        tries = 0

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0
            self.log.info(
                "%s: %s; retrying in %.2f s (attempt %d of %d)",
                self.service,
                self.scrub(error),
                wait,
                state.attempt_number + 1,
                self.policy.attempts,
            )

        retrying = Retrying(
            retry=retry_if_exception(_retryable(self.policy)),
            stop=stop_after_attempt(max(self.policy.attempts, 1)),
            wait=_wait(self.policy),
            sleep=self.policy.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    tries += 1
                    response = self._once(method, url, body)
        except DeliveryError as error:
            error.tries = tries
            raise
        return response, tries
