"""HTTP to the CRMs: httpx for the requests, tenacity for the retries, secrets scrubbed.

Retried: HTTP 429 (waiting what `Retry-After` says, else exponential backoff), 5xx, timeouts
and connection errors. Every other answer goes back to the caller, which knows the API.
No message that leaves this module (exception, log line) can contain a token: messages are
scrubbed and httpx exceptions are replaced, not chained (their reprs can quote headers).
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential

from ..settings import ConfigError

REDACTED = "[redacted]"


class CrmConfigError(ConfigError):
    """A CRM environment variable is missing or unusable."""


class CrmError(Exception):
    """A CRM call failed; the message is already scrubbed of secrets."""


class TransientHttpError(CrmError):
    """Worth trying again: 429, 5xx, timeout, connection error."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.tries = 0


@dataclass(frozen=True)
class ExportPolicy:
    """How hard one run tries, and how long it waits; tests shrink the waits."""

    attempts: int = 4
    """Requests per batch at most (the first one plus retries)."""
    backoff_seconds: float = 0.5
    """Exponential backoff base when the server gives no Retry-After: 0.5, 1, 2, ... s."""
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    """A longer Retry-After (a daily limit) is not waited for: the rest waits for the next run."""
    timeout_seconds: float = 30.0
    hubspot_batch_size: int = 100
    salesforce_batch_size: int = 200
    abort_after_rejected_batches: int = 3
    """Whole batches refused in a row (4xx) before the target is left for the next run."""
    preview_limit: int = 20
    """Records per target kept in the summary (dry-run preview)."""
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)


def _env_number(env: Mapping[str, str], name: str, default: float, *, integer: bool) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError as exc:
        raise CrmConfigError(f"{name}={raw!r} is not a number") from exc
    if not math.isfinite(value) or value <= 0:
        raise CrmConfigError(f"{name}={raw!r} must be positive")
    return value


def policy_from_env(env: Mapping[str, str] | None = None) -> ExportPolicy:
    """`LEADSCORE_CRM_TIMEOUT_SECONDS` (default 30) and `LEADSCORE_CRM_MAX_ATTEMPTS` (4)."""
    env = os.environ if env is None else env
    return ExportPolicy(
        timeout_seconds=_env_number(env, "LEADSCORE_CRM_TIMEOUT_SECONDS", 30.0, integer=False),
        attempts=int(_env_number(env, "LEADSCORE_CRM_MAX_ATTEMPTS", 4, integer=True)),
    )


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


class Scrubber:
    """Replaces every secret (and its URL-encoded form) in a text by a placeholder."""

    def __init__(self, secrets: Iterable[str | None]):
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote(secret)})
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in sorted(forms, key=len, reverse=True)))
            if forms
            else None
        )

    def __call__(self, text: Any) -> str:
        text = "" if text is None else str(text)
        return self._pattern.sub(REDACTED, text) if self._pattern else text


_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


def check_token(name: str, token: str) -> str:
    """A token usable in an Authorization header (never quoted in the error)."""
    if not _HEADER_SAFE.fullmatch(token):
        raise CrmConfigError(f"{name} contains spaces or characters a token cannot have")
    return token


def check_base_url(name: str, url: str) -> str:
    url = url.strip().rstrip("/")
    if not re.match(r"https?://[^/\s]+", url):
        raise CrmConfigError(f"{name} must be an http(s) URL, e.g. https://api.example.com")
    return url


def _wait(policy: ExportPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential(multiplier=policy.backoff_seconds, max=policy.max_backoff_seconds)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientHttpError) and error.retry_after is not None:
            return error.retry_after
        return backoff(state)

    return wait


def _retryable(policy: ExportPolicy) -> Callable[[BaseException], bool]:
    def retryable(error: BaseException) -> bool:
        if not isinstance(error, TransientHttpError):
            return False
        return error.retry_after is None or error.retry_after <= policy.max_retry_after_seconds

    return retryable


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


class Transport:
    """One service's HTTP client: base URL, bearer token, timeout, retries, scrubbing."""

    def __init__(
        self,
        service: str,
        base_url: str,
        token: str,
        policy: ExportPolicy,
        log: logging.Logger,
        scrub: Scrubber | None = None,
    ):
        self.service = service
        self.policy = policy
        self.log = log
        self.scrub = scrub or Scrubber([token])
        self.requests = 0
        self._client = httpx.Client(
            base_url=base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": "leadscore-crm-export",
            },
            timeout=httpx.Timeout(policy.timeout_seconds),
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _once(self, method: str, path: str, body: Any) -> httpx.Response:
        self.requests += 1
        try:
            response = self._client.request(method, path, json=body)
        except httpx.TimeoutException:
            raise TransientHttpError(
                f"{self.service} did not answer within {self.policy.timeout_seconds:g} s"
            ) from None
        except httpx.TransportError as exc:
            message = f"{self.service} connection failed: {type(exc).__name__}: {exc}"
            raise TransientHttpError(self.scrub(message)) from None
        except httpx.HTTPError as exc:  # invalid URL and the like: not worth retrying
            message = f"{self.service} request failed: {type(exc).__name__}: {exc}"
            raise CrmError(self.scrub(message)) from None
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            raise TransientHttpError(
                self.scrub(f"{self.service} rate limit (HTTP 429): {error_text(response)}"),
                status=429,
                retry_after=wait,
            )
        if response.status_code >= 500:
            raise TransientHttpError(
                self.scrub(
                    f"{self.service} server error (HTTP {response.status_code}): "
                    f"{error_text(response)}"
                ),
                status=response.status_code,
            )
        return response

    def request(self, method: str, path: str, body: Any = None) -> tuple[httpx.Response, int]:
        """Send with retries; returns (final non-retryable response, requests made).

        Raises TransientHttpError when the retries are used up (or Retry-After is too long),
        CrmError when the request cannot be made at all.
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
                    response = self._once(method, path, body)
        except TransientHttpError as error:
            error.tries = tries
            raise
        return response, tries
