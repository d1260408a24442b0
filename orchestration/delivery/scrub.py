"""Secrets out of every message: tokens and webhook URLs, plain and URL-encoded."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

REDACTED = "[redacted]"


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
