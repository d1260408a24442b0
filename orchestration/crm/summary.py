"""What one CRM export run did (or, dry, would do) per target: counts, errors, previews."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .mapping import HUBSPOT, OUTBOX, SALESFORCE

_SKIP_REASON = {HUBSPOT: "no hubspot_id or email", SALESFORCE: "no salesforce_id"}


@dataclass
class TargetSummary:
    """One target's counts. CRM counts are records (contacts); outbox counts are rows."""

    target: str
    configured: bool = False
    changed: int = 0
    """Records whose values differ from what the target last accepted (to be sent)."""
    sent: int = 0
    """Accepted by the target in this run."""
    failed: int = 0
    """Refused or not delivered in this run: recorded, sent again next run, never counted sent."""
    skipped: int = 0
    """Records that cannot be matched in the target (no id / e-mail): never sent."""
    deferred: int = 0
    """Not attempted: the delivery budget was used up first. Left pending, sent next run."""
    budget: str = ""
    """The budget that ran out (`delivery budget of 60 s`), when one did."""
    unchanged: int = 0
    requests: int = 0
    note: str | None = None
    """Why the target did not run (not configured, misconfigured)."""
    aborted: str | None = None
    errors: list[str] = field(default_factory=list)
    preview: list[dict[str, Any]] = field(default_factory=list)
    """The first records planned (all a dry run shows), values as they would be sent."""

    def describe(self, dry_run: bool = False) -> str:
        if self.target == OUTBOX:
            verb = "would be written" if dry_run else "written"
            return f"outbox {self.changed:,} changed row(s) {verb}"
        if not self.configured and not dry_run:
            return f"{self.target} {self.note or 'not configured'}"
        if dry_run:
            text = f"{self.target} {self.changed:,} would be sent"
        else:
            text = f"{self.target} {self.changed:,} changed, {self.sent:,} sent"
            if self.failed:
                text += f", {self.failed:,} failed (retried next run)"
            if self.deferred:
                text += f", {self.deferred:,} left for the next run ({self.budget} used up)"
        if self.skipped:
            text += f", {self.skipped:,} skipped ({_SKIP_REASON.get(self.target, 'no match')})"
        if dry_run and not self.configured:
            text += f" [{self.note or 'not configured'}]"
        return text


@dataclass
class ExportSummary:
    """What one export run did (or, with dry_run, would do) per target."""

    outbox: TargetSummary = field(default_factory=lambda: TargetSummary(OUTBOX, True))
    hubspot: TargetSummary = field(default_factory=lambda: TargetSummary(HUBSPOT))
    salesforce: TargetSummary = field(default_factory=lambda: TargetSummary(SALESFORCE))
    dry_run: bool = False
    outbox_path: Path | None = None

    @property
    def targets(self) -> tuple[TargetSummary, TargetSummary, TargetSummary]:
        return (self.outbox, self.hubspot, self.salesforce)

    @property
    def changed(self) -> int:
        return sum(t.changed for t in self.targets)

    @property
    def sent(self) -> int:
        return sum(t.sent for t in self.targets)

    @property
    def failed(self) -> int:
        return sum(t.failed for t in self.targets)

    @property
    def deferred(self) -> int:
        return sum(t.deferred for t in self.targets)

    @property
    def errors(self) -> list[str]:
        return [f"{t.target}: {error}" for t in self.targets for error in t.errors]

    @property
    def success(self) -> bool:
        """Nothing failed or was left over, and every configured-looking target could run."""
        return (
            self.failed == 0
            and self.deferred == 0
            and not any(t.errors or t.aborted for t in self.targets)
        )

    def describe(self) -> str:
        head = "crm export (dry run: nothing sent)" if self.dry_run else "crm export"
        return f"{head}: " + "; ".join(t.describe(self.dry_run) for t in self.targets)
