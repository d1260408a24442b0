"""Export changed scores: outbox file always, HubSpot and Salesforce when configured.

Per target the run (1) maps every scored (model, contact) row to the target's fields,
(2) compares each row's fingerprint with the one the target last accepted (ops.export_ledger),
(3) records the changed rows as `pending`, (4) sends them batch by batch, committing each
batch's outcome before the next batch is sent. A crash therefore loses nothing (pending rows
are sent next run) and repeats at most the batch in flight, whose values are identical.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..sql_text import sql_ident
from .batching import batches
from .common import (
    BatchRejected,
    ExportItem,
    ItemOutcome,
    Part,
    Sender,
    TargetAborted,
)
from .hubspot import HubSpotSender, hubspot_config
from .ledger import (
    LEDGER_TABLE,
    LedgerEntry,
    OutcomeRow,
    PendingRow,
    ensure_export_ledger,
    mark_pending,
    read_ledger,
    record_outcomes,
    settle,
    transaction,
)
from .mapping import (
    DEFAULT_FIELD_MAP,
    HUBSPOT,
    IDENTITY_COLUMNS,
    LIFECYCLE_COLUMN,
    OUTBOX,
    OUTBOX_COLUMNS,
    SALESFORCE,
    FieldMapping,
    clean,
    fields_by_model,
    mapped_values,
    normalize_field_map,
    outbox_values,
    values_hash,
)
from .outbox import OUTBOX_FILE, write_outbox
from .salesforce import SalesforceSender, salesforce_config
from .transport import CrmConfigError, CrmError, ExportPolicy, Scrubber, policy_from_env

LOGGER_NAME = "orchestration.crm"

_SKIP_REASON = {HUBSPOT: "no hubspot_id or email", SALESFORCE: "no salesforce_id"}


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --- summary --------------------------------------------------------------------------------


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
    def errors(self) -> list[str]:
        return [f"{t.target}: {error}" for t in self.targets for error in t.errors]

    @property
    def success(self) -> bool:
        """Nothing failed and every configured-looking target could run."""
        return self.failed == 0 and not any(t.errors or t.aborted for t in self.targets)

    def describe(self) -> str:
        head = "crm export (dry run: nothing sent)" if self.dry_run else "crm export"
        return f"{head}: " + "; ".join(t.describe(self.dry_run) for t in self.targets)


# --- reading the build ----------------------------------------------------------------------


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
    ]


def load_field_map(
    con: duckdb.DuckDBPyConnection, log: logging.Logger | None = None
) -> list[FieldMapping]:
    """staging.stg_crm_field_map (else the seed file); the contract defaults when empty."""
    log = log or logging.getLogger(LOGGER_NAME)
    if _columns(con, "staging", "stg_crm_field_map"):
        cursor = con.execute(
            "select model_id, crm_target, score_column, crm_field from staging.stg_crm_field_map"
        )
        names = [d[0] for d in cursor.description]
        mappings = normalize_field_map(
            dict(zip(names, row, strict=True)) for row in cursor.fetchall()
        )
    else:
        from ..settings import SEEDS_DIR
        from .mapping import read_field_map_csv

        mappings = read_field_map_csv(SEEDS_DIR / "crm_field_map.csv")
    if not mappings:
        log.info("crm_field_map has no rows: using the default fields (contract §6)")
        return list(DEFAULT_FIELD_MAP)
    return mappings


def iter_score_rows(
    con: duckdb.DuckDBPyConnection, field_map: Sequence[FieldMapping], chunk: int = 50_000
) -> Iterator[dict[str, Any]]:
    """Every scored (model, contact) row with the columns the exports need, plus identities.

    Streamed in chunks: a target's plan keeps only the changed rows in memory.
    """
    available = _columns(con, "marts", "contact_scores")
    wanted = ["model_id", "contact_id", "stage", "is_excluded"]
    wanted += [m.score_column for m in field_map if m.score_column != LIFECYCLE_COLUMN]
    wanted += [c for c in OUTBOX_COLUMNS if c not in IDENTITY_COLUMNS and c != LIFECYCLE_COLUMN]
    columns = [c for c in dict.fromkeys(wanted) if c in available]
    select = [f"scores.{sql_ident(c)}" for c in columns]
    contact_columns = set(_columns(con, "marts", "contacts"))
    join = ""
    if "contact_id" in contact_columns:
        join = "left join marts.contacts as contacts on scores.contact_id = contacts.contact_id"
    for name in IDENTITY_COLUMNS:
        if join and name in contact_columns:
            select.append(f"cast(contacts.{sql_ident(name)} as varchar) as {sql_ident(name)}")
        else:
            select.append(f"cast(null as varchar) as {sql_ident(name)}")
    cursor = con.execute(
        f"select {', '.join(select)} from marts.contact_scores as scores {join} "
        "order by scores.contact_id, scores.model_id"
    )
    names = [d[0] for d in cursor.description]
    while values_chunk := cursor.fetchmany(chunk):
        for values in values_chunk:
            row = dict(zip(names, values, strict=True))
            row["model_id"] = clean(row["model_id"]).lower()
            row["contact_id"] = str(row["contact_id"])
            yield row


# --- planning -------------------------------------------------------------------------------


@dataclass
class Plan:
    target: str
    items: list[ExportItem] = field(default_factory=list)
    skipped: int = 0
    unchanged: int = 0
    settle: list[tuple[str, str]] = field(default_factory=list)
    """(contact, model) rows back at their accepted values while the ledger says otherwise."""


def record_identity(target: str, row: Mapping[str, Any]) -> tuple[str, str | None]:
    """(key kind, key) a target matches the contact by: HubSpot id, else e-mail; Salesforce id."""
    if target == HUBSPOT:
        hubspot_id = clean(row.get("hubspot_id"))
        if hubspot_id:
            return "id", hubspot_id
        email = clean(row.get("email"))
        return "email", email or None
    if target == SALESFORCE:
        return "salesforce_id", clean(row.get("salesforce_id")) or None
    return "file", None


def plan_target(
    target: str,
    rows: Iterable[Mapping[str, Any]],
    field_map: Sequence[FieldMapping],
    ledger: Mapping[tuple[str, str], LedgerEntry],
) -> Plan:
    """The records whose values differ from what the target last accepted."""
    plan = Plan(target)
    by_model = fields_by_model(field_map, target)
    items: dict[tuple[str, str], ExportItem] = {}
    unchanged: set[str] = set()
    skipped: set[str] = set()
    for row in rows:
        model_id, contact_id = row["model_id"], row["contact_id"]
        if target == OUTBOX:
            values: dict[str, Any] = outbox_values(row)
            kind, key = "file", None
            item_key = (contact_id, model_id)
        else:
            mappings = by_model.get(model_id)
            if not mappings:
                continue
            values = mapped_values(row, mappings, target)
            if not values:
                continue
            kind, key = record_identity(target, row)
            if key is None:
                skipped.add(contact_id)
                continue
            item_key = (contact_id, "")
        fingerprint = values_hash(target, key, values)
        entry = ledger.get((contact_id, model_id))
        if entry is not None and entry.accepted_hash == fingerprint:
            unchanged.add(contact_id if target != OUTBOX else f"{contact_id}\x1f{model_id}")
            if entry.status != "sent":
                plan.settle.append((contact_id, model_id))
            continue
        item = items.get(item_key)
        if item is None:
            item = items[item_key] = ExportItem(contact_id, key, kind)
        item.parts.append(Part(model_id, values, fingerprint))
    plan.items = list(items.values())
    if target == OUTBOX:
        plan.unchanged = len(unchanged)
    else:
        changed = {item.contact_id for item in plan.items}
        plan.unchanged = len(unchanged - changed)
        plan.skipped = len(skipped)
    return plan


def _preview(plan: Plan, limit: int) -> list[dict[str, Any]]:
    return [
        {
            "contact_id": item.contact_id,
            "match": item.match,
            "models": [part.model_id for part in item.parts],
            "values": item.values,
        }
        for item in plan.items[:limit]
    ]


def _pending_rows(items: Iterable[ExportItem]) -> list[PendingRow]:
    return [
        PendingRow(
            item.contact_id,
            part.model_id,
            item.record_key,
            part.values_hash,
            json.dumps(part.values, sort_keys=True, ensure_ascii=False, default=str),
        )
        for item in items
        for part in item.parts
    ]


def _outcome_rows(
    batch: Sequence[ExportItem], outcomes: Sequence[ItemOutcome], tries: int
) -> list[OutcomeRow]:
    return [
        OutcomeRow(item.contact_id, part.model_id, part.values_hash, o.accepted, o.error, tries)
        for item, o in zip(batch, outcomes, strict=True)
        for part in item.parts
    ]


# --- sending --------------------------------------------------------------------------------


def _send_plan(
    con: duckdb.DuckDBPyConnection,
    sender: Sender,
    plan: Plan,
    summary: TargetSummary,
    policy: ExportPolicy,
    log: logging.Logger,
) -> None:
    target = plan.target
    groups: dict[str, list[ExportItem]] = {}
    for item in plan.items:
        groups.setdefault(sender.batch_group(item), []).append(item)
    work = [
        batch
        for group in groups.values()
        for batch in batches(group, sender.batch_size, sender.batch_key)
    ]
    with transaction(con):
        mark_pending(con, target, _pending_rows(plan.items), _now())
        settle(con, target, plan.settle, _now())
    rejected_in_a_row = 0
    for index, batch in enumerate(work):
        aborted: str | None = None
        try:
            result = sender.send(batch)
            outcomes, tries = result.outcomes, result.tries
            rejected_in_a_row = 0
        except BatchRejected as exc:
            outcomes, tries = [ItemOutcome(False, str(exc))] * len(batch), exc.tries
            rejected_in_a_row += 1
            summary.errors.append(str(exc))
            log.warning("%s: %s", target, exc)
        except TargetAborted as exc:
            outcomes, tries = [ItemOutcome(False, str(exc))] * len(batch), exc.tries
            aborted = str(exc)
        with transaction(con):
            record_outcomes(con, target, _outcome_rows(batch, outcomes, tries), _now())
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome.accepted:
                summary.sent += 1
            else:
                summary.failed += 1
                if aborted is None:
                    log.warning(
                        "%s: %s (%s) not accepted: %s",
                        target,
                        item.contact_id,
                        item.match,
                        outcome.error,
                    )
        if aborted is None and rejected_in_a_row >= policy.abort_after_rejected_batches:
            aborted = f"{rejected_in_a_row} batches in a row were refused; stopping this run"
        if aborted is not None:
            rest = [item for later in work[index + 1 :] for item in later]
            if rest:
                note = ItemOutcome(False, f"not attempted: {aborted}")
                with transaction(con):
                    record_outcomes(con, target, _outcome_rows(rest, [note] * len(rest), 0), _now())
                summary.failed += len(rest)
            summary.aborted = aborted
            summary.errors.append(aborted)
            log.warning("%s: %s; %d record(s) left for the next run", target, aborted, len(rest))
            break


def _make_sender(
    target: str, env: Mapping[str, str], policy: ExportPolicy, log: logging.Logger
) -> Sender | None:
    if target == HUBSPOT:
        config = hubspot_config(env)
        return HubSpotSender(config, policy, log) if config else None
    config_sf = salesforce_config(env)
    return SalesforceSender(config_sf, policy, log) if config_sf else None


def _export_outbox(
    con: duckdb.DuckDBPyConnection,
    outbox_dir: Path,
    field_map: Sequence[FieldMapping],
    summary: ExportSummary,
    policy: ExportPolicy,
) -> None:
    """Write the changed rows to the file, then record them as sent (at least once)."""
    outbox = summary.outbox
    ledger = read_ledger(con, OUTBOX)
    plan = plan_target(OUTBOX, iter_score_rows(con, field_map), field_map, ledger)
    outbox.changed, outbox.unchanged = len(plan.items), plan.unchanged
    outbox.preview = [item.values for item in plan.items[: policy.preview_limit]]
    summary.outbox_path = outbox_dir / OUTBOX_FILE
    if summary.dry_run:
        return
    summary.outbox_path = write_outbox(outbox_dir, (item.values for item in plan.items))
    with transaction(con):
        mark_pending(con, OUTBOX, _pending_rows(plan.items), _now(), accepted=True)
        settle(con, OUTBOX, plan.settle, _now())
    outbox.sent = len(plan.items)


def _export_crm(
    con: duckdb.DuckDBPyConnection,
    target_summary: TargetSummary,
    field_map: Sequence[FieldMapping],
    *,
    dry_run: bool,
    env: Mapping[str, str],
    policy: ExportPolicy,
    log: logging.Logger,
    scrub: Scrubber,
) -> None:
    target = target_summary.target
    try:
        sender = _make_sender(target, env, policy, log)
    except CrmConfigError as exc:
        sender = None
        target_summary.note = f"not configured: {scrub(exc)}"
        target_summary.errors.append(scrub(exc))
        log.warning("%s export skipped: %s", target, scrub(exc))
    target_summary.configured = sender is not None
    if sender is None:
        target_summary.note = target_summary.note or "not configured"
        if not dry_run:
            return  # a dry run still shows what a configured target would receive
    try:
        if not fields_by_model(field_map, target):
            target_summary.note = target_summary.note or "no fields mapped"
            return
        ledger = read_ledger(con, target)
        plan = plan_target(target, iter_score_rows(con, field_map), field_map, ledger)
        del ledger
        target_summary.changed = len(plan.items)
        target_summary.skipped = plan.skipped
        target_summary.unchanged = plan.unchanged
        target_summary.preview = _preview(plan, policy.preview_limit)
        if not dry_run and sender is not None:
            _send_plan(con, sender, plan, target_summary, policy, log)
    finally:
        if sender is not None:
            target_summary.requests = sender.transport.requests
            sender.close()


def run_crm_exports(
    con: duckdb.DuckDBPyConnection,
    outbox_dir: Path,
    *,
    dry_run: bool = False,
    env: Mapping[str, str] | None = None,
    log: logging.Logger | None = None,
    policy: ExportPolicy | None = None,
) -> ExportSummary:
    """Write the scores that changed since the last accepted export to every target.

    `con` is the build database (marts.contact_scores, marts.contacts,
    staging.stg_crm_field_map); ops.export_ledger is created in it. The outbox file
    (`outbox_dir`/crm_updates.csv) is always written; HubSpot and Salesforce only when their
    environment variables are set (`env`, default os.environ). With `dry_run` nothing is sent,
    written or recorded: the summary's counts and previews show what would be.
    A target that fails (token refused, service down) does not stop the others.
    """
    env = os.environ if env is None else env
    log = log or logging.getLogger(LOGGER_NAME)
    policy = policy or policy_from_env(env)
    scrub = Scrubber([env.get("HUBSPOT_ACCESS_TOKEN"), env.get("SALESFORCE_ACCESS_TOKEN")])
    summary = ExportSummary(dry_run=dry_run)
    field_map = load_field_map(con, log)
    if not _columns(con, "marts", "contact_scores"):
        raise CrmError("marts.contact_scores does not exist: build the marts first")
    if not dry_run:
        ensure_export_ledger(con)
    # The file first: it needs no network and is written every run.
    _export_outbox(con, outbox_dir, field_map, summary, policy)
    for target_summary in (summary.hubspot, summary.salesforce):
        _export_crm(
            con,
            target_summary,
            field_map,
            dry_run=dry_run,
            env=env,
            policy=policy,
            log=log,
            scrub=scrub,
        )
    log.info(scrub(summary.describe()))
    return summary


__all__ = [
    "LEDGER_TABLE",
    "ExportSummary",
    "TargetSummary",
    "load_field_map",
    "iter_score_rows",
    "plan_target",
    "run_crm_exports",
]
