"""The contract's fixed vocabularies and text rules, shared by the loader, validator and exports."""

from __future__ import annotations

# Trimming removes spaces, tabs, CR/LF and the full-width space U+3000 (contract §3, "Text").
TRIM_CHARS = " \t\r\n\u3000"

FEEDBACK_KINDS = ("true_sql", "not_ready", "unqualified")
DEAL_STATUSES = ("open", "won", "lost")
ALERT_CHANNELS = ("webhook", "slack", "log")


def trim(value: object) -> str:
    """The contract's trim: '' for None, else the text without surrounding TRIM_CHARS."""
    return "" if value is None else str(value).strip(TRIM_CHARS)
