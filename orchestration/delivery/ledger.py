"""The delivery ledgers' one rule: `sent` only once accepted, else `failed`, owed to the next run.

ops.alert_deliveries (alerts) and ops.export_ledger (CRM exports) keep one row per thing owed
to a receiver. A row starts `pending`; its outcome is committed as soon as it is known: `sent`
when the receiver accepted it, `failed` (with the error, tried again next run) otherwise, and
`attempts` counts every request made for it. What each ledger owes and how it is keyed is its
own (an alert id; a CRM row's fingerprint), so only the statuses and the outcome update are here.
"""

from __future__ import annotations

from ..sql_text import sql_literal

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
OWED = (PENDING, FAILED)
"""Statuses still to deliver: a failed row is retried by the next run, never dropped."""


def outcome_assignments(
    *, ledger: str, accepted: str, error: str, tries: str, now: str, sent_at: str
) -> str:
    """The SET clause recording one outcome per ledger row, for an UPDATE of alias `ledger`.

    `accepted` (boolean), `error` (varchar), `tries` (integer) and `now` are SQL expressions;
    `sent_at` names the ledger's column for when the receiver accepted the row.
    """
    return (
        f"status = case when {accepted} then {sql_literal(SENT)} else {sql_literal(FAILED)} end, "
        f"attempts = {ledger}.attempts + {tries}, "
        f"last_error = case when {accepted} then null else {error} end, "
        f"{sent_at} = case when {accepted} then {now} else {ledger}.{sent_at} end"
    )
