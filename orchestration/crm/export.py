"""Export changed scores: outbox file always, HubSpot and Salesforce when configured.

Per target the run (1) maps every scored (model, contact) row to the target's fields and
(2) compares each row's fingerprint with the one the target last accepted (ops.export_ledger),
both set-based in DuckDB (planning.py), (3) records the changed rows as `pending`, (4) sends
them batch by batch, committing each batch's outcome before the next batch is sent. A crash
therefore loses nothing (pending rows are sent next run) and repeats at most the batch in
flight, whose values are identical. Each target sends within the delivery budget; batches
that do not fit stay `pending` for the next run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..config import SEEDS_DIR, CrmConfigError, hubspot_config, salesforce_config, secrets
from ..delivery import Budget, BudgetExhausted, Scrubber
from .batching import batches
from .common import BatchRejected, CrmError, ExportItem, ItemOutcome, Sender, TargetAborted
from .hubspot import HubSpotSender
from .ledger import (
    LEDGER_TABLE,
    OutcomeRow,
    PendingRow,
    ensure_export_ledger,
    mark_pending,
    mark_pending_from,
    record_outcomes,
    settle,
    settle_from,
    transaction,
)
from .mapping import (
    DEFAULT_FIELD_MAP,
    HUBSPOT,
    OUTBOX,
    FieldMapping,
    fields_by_model,
    normalize_field_map,
    read_field_map_csv,
)
from .outbox import OUTBOX_FILE, append_outbox
from .planning import Plan, ScoreSource, outbox_plan, plan_crm, score_source
from .policy import ExportPolicy, policy_from_env
from .salesforce import SalesforceSender
from .summary import ExportSummary, TargetSummary

LOGGER_NAME = "orchestration.crm"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


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
        mappings = read_field_map_csv(SEEDS_DIR / "crm_field_map.csv")
    if not mappings:
        log.info("crm_field_map has no rows: using the default fields (contract §6)")
        return list(DEFAULT_FIELD_MAP)
    return mappings


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


def _defer(
    summary: TargetSummary, rest: Sequence[ExportItem], budget: Budget, log: logging.Logger
) -> None:
    """The budget is used up: the rest stays `pending` in the ledger, sent by the next run."""
    if not rest:
        return
    summary.deferred += len(rest)
    summary.budget = budget.describe()
    note = f"{len(rest):,} record(s) left for the next run: the {summary.budget} is used up"
    summary.errors.append(note)
    log.warning("%s: %s", summary.target, note)


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
    budget = sender.client.start_budget()  # sending starts now: planning is not counted
    rejected_in_a_row = 0
    for index, batch in enumerate(work):
        aborted: str | None = None
        out_of_budget = False
        try:
            result = sender.send(batch)
            outcomes, tries = result.outcomes, result.tries
            rejected_in_a_row = 0
        except BudgetExhausted:
            _defer(summary, [item for later in work[index:] for item in later], budget, log)
            break
        except BatchRejected as exc:
            outcomes, tries = [ItemOutcome(False, str(exc))] * len(batch), exc.tries
            rejected_in_a_row += 1
            summary.errors.append(str(exc))
            log.warning("%s: %s", target, exc)
        except TargetAborted as exc:
            outcomes, tries = [ItemOutcome(False, str(exc))] * len(batch), exc.tries
            aborted, out_of_budget = str(exc), exc.out_of_budget
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
        rest = [item for later in work[index + 1 :] for item in later]
        if out_of_budget or (aborted is None and budget.spent):
            if aborted is not None:
                summary.errors.append(aborted)
                log.warning("%s: %s", target, aborted)
            _defer(summary, rest, budget, log)
            break
        if aborted is None and rejected_in_a_row >= policy.abort_after_rejected_batches:
            aborted = f"{rejected_in_a_row} batches in a row failed; stopping this run"
        if aborted is not None:
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
    target: str,
    env: Mapping[str, str] | None,
    policy: ExportPolicy,
    log: logging.Logger,
    scrub: Scrubber,
) -> Sender | None:
    if target == HUBSPOT:
        config = hubspot_config(env)
        return HubSpotSender(config, policy, log, scrub) if config else None
    config_sf = salesforce_config(env)
    return SalesforceSender(config_sf, policy, log, scrub) if config_sf else None


def _export_outbox(
    con: duckdb.DuckDBPyConnection,
    outbox_dir: Path,
    source: ScoreSource,
    summary: ExportSummary,
    policy: ExportPolicy,
) -> None:
    """Append the changed rows to the file, then record them as sent (at least once)."""
    outbox = summary.outbox
    summary.outbox_path = outbox_dir / OUTBOX_FILE
    with outbox_plan(con, source) as plan:
        outbox.changed, outbox.unchanged = plan.changed, plan.unchanged
        outbox.preview = plan.preview(con, policy.preview_limit)
        if summary.dry_run:
            return
        summary.outbox_path = append_outbox(outbox_dir, plan.csv_lines(con))
        with transaction(con):
            if plan.changed:
                mark_pending_from(con, OUTBOX, plan.ledger_rows_sql(), _now(), accepted=True)
            settle_from(con, OUTBOX, plan.settle_sql(), _now())
    outbox.sent = outbox.changed


def _export_crm(
    con: duckdb.DuckDBPyConnection,
    target_summary: TargetSummary,
    source: ScoreSource,
    field_map: Sequence[FieldMapping],
    *,
    dry_run: bool,
    env: Mapping[str, str] | None,
    policy: ExportPolicy,
    log: logging.Logger,
    scrub: Scrubber,
) -> None:
    target = target_summary.target
    try:
        sender = _make_sender(target, env, policy, log, scrub)
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
        plan = plan_crm(con, source, target, field_map)
        target_summary.changed = len(plan.items)
        target_summary.skipped = plan.skipped
        target_summary.unchanged = plan.unchanged
        target_summary.preview = _preview(plan, policy.preview_limit)
        if not dry_run and sender is not None:
            _send_plan(con, sender, plan, target_summary, policy, log)
    finally:
        if sender is not None:
            target_summary.requests = sender.client.requests
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
    staging.stg_crm_field_map); ops.export_ledger is created in it. The changed rows are
    always appended to the outbox file (`outbox_dir`/crm_updates.csv); HubSpot and Salesforce
    get theirs only when their environment variables are set (`env`, default os.environ), each
    within the policy's delivery budget. With `dry_run` nothing is sent, written or recorded:
    the summary's counts and previews show what would be.
    A target that fails (token refused, service down) does not stop the others.
    """
    log = log or logging.getLogger(LOGGER_NAME)
    policy = policy or policy_from_env(env)
    scrub = Scrubber(secrets(env))
    summary = ExportSummary(dry_run=dry_run)
    field_map = load_field_map(con, log)
    if not _columns(con, "marts", "contact_scores"):
        raise CrmError("marts.contact_scores does not exist: build the marts first")
    if not dry_run:
        ensure_export_ledger(con)
    # The file first: it needs no network and is written every run.
    source = score_source(con)
    _export_outbox(con, outbox_dir, source, summary, policy)
    for target_summary in (summary.hubspot, summary.salesforce):
        _export_crm(
            con,
            target_summary,
            source,
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
    "run_crm_exports",
]
