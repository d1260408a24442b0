"""HTTP delivery for alerts and CRM exports: httpx requests, tenacity retries, scrubbed errors.

Retried: HTTP 429 (waiting what `Retry-After` says, else exponential backoff), 5xx, connection
errors and timeouts before the request went out. A request sent without an answer in time is
not: the receiver may have it, and sending it again in the same run could deliver it twice.
Every other answer goes back to the caller, which knows the receiver. The step's Budget bounds
the whole: each timeout is cut to what is left, a retry wait that would not fit ends the
retries, and no request is made once it is spent. No message that leaves this module
(exception, log line, httpx's own request log) can contain a secret: messages are scrubbed and
httpx exceptions are replaced, not chained (their reprs can quote headers).
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
from tenacity import RetryCallState, Retrying, retry_if_exception
from tenacity.wait import wait_exponential

from .budget import Budget
from .scrub import Scrubber


class DeliveryError(Exception):
    """A request failed; the message is already scrubbed of secrets."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status
        self.tries = 0
        """Requests made before giving up (set by HttpClient.request)."""
        self.out_of_budget = False
        """The step's delivery budget ended the retries: the rest of the step waits too."""

    def describe(self) -> str:
        """The message as a ledger or summary records it."""
        return str(self)


class TransientDeliveryError(DeliveryError):
    """Worth trying again: 429, 5xx, timeout, connection error."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
        *,
        maybe_delivered: bool = False,
    ):
        super().__init__(message, status)
        self.retry_after = retry_after
        self.maybe_delivered = maybe_delivered
        """Sent, but no answer in time: the receiver may have it, so not sent again this run."""

    def describe(self) -> str:
        if self.maybe_delivered:
            return f"{self}; it may have arrived, so it is not sent again in this run"
        reason = ": delivery budget used up" if self.out_of_budget else ""
        return f"{self} (gave up after {self.tries} attempts{reason})"


class PermanentDeliveryError(DeliveryError):
    """Not worth trying again: the request cannot be made, or the receiver refused it."""


class BudgetExhausted(DeliveryError):
    """Not sent at all: the step's delivery budget was spent first; owed to the next run."""


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
    budget_seconds: float | None = None
    """How long one delivery step (the alerts, one CRM target) may send; None: no limit."""
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
        if not isinstance(error, TransientDeliveryError) or error.maybe_delivered:
            return False
        return error.retry_after is None or error.retry_after <= policy.max_retry_after_seconds

    return retryable


class _ScrubbedLog(logging.Filter):
    """Scrubs httpx's own log lines (`HTTP Request: POST <url> ...`: a webhook URL is a secret)."""

    def __init__(self, scrub: Scrubber):
        super().__init__()
        self.scrub = scrub

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.scrub(record.getMessage()), None
        return True


_HTTPX_LOG = logging.getLogger("httpx")


class HttpClient:
    """One receiver's HTTP client: base URL, bearer token or none, timeout, retries, scrubbing.

    Without a base URL, requests name absolute URLs (alert webhooks, Slack). `budget` is the
    delivery step's (shared by the step's clients); by default one of the policy's length
    starts with the client.
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
        budget: Budget | None = None,
    ):
        self.service = service
        self.policy = policy
        self.log = log
        self.scrub = scrub or Scrubber([token])
        self.budget = budget or Budget(policy.budget_seconds)
        self.requests = 0
        self._log_filter = _ScrubbedLog(self.scrub)
        _HTTPX_LOG.addFilter(self._log_filter)
        headers = {"Accept": "application/json", "User-Agent": "leadscore"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=base_url, headers=headers, timeout=httpx.Timeout(policy.timeout_seconds)
        )

    def start_budget(self) -> Budget:
        """A fresh budget of the policy's length, from now (a step starting to send)."""
        self.budget = Budget(self.policy.budget_seconds)
        return self.budget

    def close(self) -> None:
        self._client.close()
        _HTTPX_LOG.removeFilter(self._log_filter)

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_budget(self) -> float:
        """The timeout of the next request: the policy's, cut to what is left of the budget."""
        remaining = self.budget.remaining()
        if remaining <= 0:
            raise BudgetExhausted(
                f"{self.service}: not sent, the {self.budget.describe()} is used up; "
                "left for the next run"
            )
        return min(self.policy.timeout_seconds, remaining)

    def _once(self, method: str, url: str, body: Any, timeout: float) -> httpx.Response:
        self.requests += 1
        try:
            response = self._client.request(method, url, json=body, timeout=timeout)
        except (httpx.ReadTimeout, httpx.WriteTimeout):
            raise TransientDeliveryError(
                f"{self.service} did not answer within {timeout:.3g} s", maybe_delivered=True
            ) from None
        except httpx.TimeoutException:  # connecting, or waiting for a pooled connection
            raise TransientDeliveryError(
                f"{self.service} could not be reached within {timeout:.3g} s"
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

        Raises TransientDeliveryError when the retries are used up (or Retry-After is too long,
        or the budget ends them: `out_of_budget`), or at once when the request went out without
        an answer in time (`maybe_delivered`); PermanentDeliveryError when the request cannot be
        made at all; BudgetExhausted when the budget was spent before the first request. `tries`
        tells how many requests were made.
        """
        tries = 0
        retried: list[DeliveryError] = []
        budget_stop = False

        def stop(state: RetryCallState) -> bool:
            nonlocal budget_stop
            if state.attempt_number >= max(self.policy.attempts, 1):
                return True
            budget_stop = state.upcoming_sleep >= self.budget.remaining()
            return budget_stop

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, DeliveryError):
                retried.append(error)
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
            stop=stop,
            wait=_wait(self.policy),
            sleep=self.policy.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    timeout = self._check_budget()
                    tries += 1
                    response = self._once(method, url, body, timeout)
        except BudgetExhausted:
            if not retried:
                raise
            # The budget ran out during a retry wait: the last failure is the story.
            error = retried[-1]
            error.tries, error.out_of_budget = tries, True
            raise error from None
        except DeliveryError as error:
            error.tries = tries
            error.out_of_budget = budget_stop
            raise
        return response, tries
