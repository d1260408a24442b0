"""Secrets out of every message: tokens and webhook URLs, plain and URL-encoded; URLs redacted."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

REDACTED = "[redacted]"

_REDACTED_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://[^/\s]*)?/… sha256:[0-9a-f]{8}")


class Scrubber:
    """Replaces every secret (and its URL-encoded forms) in a text by a placeholder."""

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


def _token_like(part: str) -> bool:
    """A path segment or query value that may be a credential (not a word like `services`)."""
    return len(part) >= 16 or (len(part) >= 8 and any(c.isdigit() for c in part))


def url_secrets(url: str | None) -> list[str]:
    """What of a URL to scrub from messages: the URL, everything after its host, the query,
    credentials, and token-like path segments and query values (a Slack incoming webhook's
    path is its secret; a receiver may echo only the path)."""
    if not url or not url.strip():
        return []
    url = url.strip()
    secrets = [url]
    try:
        parts = urlsplit(url)
    except ValueError:
        return secrets
    after_host = url.split(parts.netloc, 1)[1] if parts.netloc else ""
    if len(after_host) > 1:
        secrets.append(after_host)
    if parts.query:
        secrets.append(parts.query)
        secrets += [value for _, value in parse_qsl(parts.query) if len(value) >= 6]
    if parts.password:
        secrets += [parts.password, parts.netloc.rsplit("@", 1)[0]]
    secrets += [segment for segment in parts.path.split("/") if _token_like(segment)]
    return secrets


def redact_url(url: str) -> str:
    """The form of a destination URL that may be stored and shown: scheme and host, `/…` and
    the first 8 hex digits of the SHA-256 of the whole URL (tells routes apart, reveals
    nothing), e.g. `https://hooks.slack.com/… sha256:1a2b3c4d`. Idempotent."""
    text = url.strip()
    if is_redacted_url(text):
        return text
    fingerprint = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return f"/… sha256:{fingerprint}"
    if not parts.scheme or not host:
        return f"/… sha256:{fingerprint}"
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return f"{parts.scheme.lower()}://{netloc}/… sha256:{fingerprint}"


def is_redacted_url(text: str) -> bool:
    """Whether `text` is already a redact_url() form."""
    return bool(_REDACTED_URL.fullmatch(text))
