"""Run the refresh job in-process (what `leadscore run` does) and summarise the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
from dagster import DagsterInstance, colored_console_logger

from ..config import Settings, dagster_home, display_instant, format_as_of, resolve_as_of
from ..errors import describe_failure
from ..ingest.results import missing_files_notice
from .progress import step_progress_logger


@dataclass
class RunSummary:
    """What one pipeline run did, for the terminal."""

    success: bool
    as_of: str
    warehouse: Path
    landing: dict[str, int] = field(default_factory=dict)
    scored: dict[str, dict[str, int]] = field(default_factory=dict)
    stage_changes: int = 0
    quarantined: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    exports: str | None = None
    kept_state: str | None = None
    failure: str | None = None
    failed_files: list[str] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"as of {self.as_of}: {'success' if self.success else 'FAILED'}"]
        if self.failure:
            lines.append(f"  {self.failure}")
        if self.landing:
            lines.append(
                "  landing: "
                + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in self.landing.items())
            )
        lines.extend(f"    ! {failed}" for failed in self.failed_files)
        if self.missing_files:
            lines.append(missing_files_notice(self.missing_files))
        for model_id, stages in self.scored.items():
            total = sum(stages.values())
            detail = ", ".join(f"{stage} {count:,}" for stage, count in stages.items())
            lines.append(f"  {model_id}: {total:,} scored ({detail})")
        if self.success:
            lines.append(f"  stage or band changes as of {self.as_of}: {self.stage_changes:,}")
            lines.append(f"  quarantined rows (all time): {self.quarantined:,}")
            if self.alerts:
                detail = ", ".join(f"{status} {count:,}" for status, count in self.alerts.items())
                lines.append(f"  alerts (all time): {detail}")
            if self.exports:
                lines.append(f"  {self.exports}")
            if self.kept_state and not self.kept_state.startswith("kept state consistent"):
                lines.append(f"  kept state: {self.kept_state}")
            lines.append(f"  warehouse: {self.warehouse}")
        return "\n".join(lines)


def _landing_counts(events) -> dict[str, int]:
    totals = {"files_loaded": 0, "files_failed": 0, "rows_loaded": 0, "rows_quarantined": 0}
    for event in events:
        if not event.is_step_materialization:
            continue
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key.path[0] != "raw":
            continue
        for key in totals:
            value = materialization.metadata.get(key)
            if value is not None:
                totals[key] += int(value.value)
    return totals


def _landing_texts(events, key: str) -> list[str]:
    """The lines of one text metadata entry (e.g. failed files) of every ingest asset."""
    lines = []
    for event in events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            value = materialization.metadata.get(key)
            if materialization.asset_key.path[0] == "raw" and value is not None and value.value:
                lines.extend(str(value.value).splitlines())
    return lines


def _root_cause(error) -> str:
    """The first line of the innermost error: what went wrong, not the wrappers around it."""
    while error is not None and error.cause is not None:
        error = error.cause
    if error is None:
        return "unknown error"
    first_line = error.message.strip().splitlines()[0]
    # Our own errors and Dagster's Failure are written for users: drop the `a.b.SomeError: `.
    prefix, _, rest = first_line.partition(": ")
    return rest if prefix.startswith(("orchestration.", "dagster.")) and rest else first_line


def _chain_text(error) -> str:
    texts = []
    while error is not None:
        texts.append(error.message)
        error = error.cause
    return "\n".join(texts)


def _summary_of(events, asset_path: list[str]) -> str | None:
    """The `summary` metadata an asset of this run materialized, if any."""
    for event in events:
        if event.is_step_materialization:
            materialization = event.step_materialization_data.materialization
            if materialization.asset_key.path == asset_path:
                value = materialization.metadata.get("summary")
                return str(value.value) if value is not None else None
    return None


def _instance() -> DagsterInstance:
    """The instance `dagster dev` shows when DAGSTER_HOME is set (so runs appear in its run
    history), else a throw-away one."""
    return DagsterInstance.get() if dagster_home() else DagsterInstance.ephemeral()


def run_pipeline(
    settings: Settings,
    as_of: str | datetime | None = None,
    log_level: str = "WARNING",
    accept_impact: bool = False,
    progress: bool = False,
) -> RunSummary:
    """Ingest, validate, build and publish, through the same definitions `dagster dev` loads.

    The instant is resolved once here (`--as-of` > LEADSCORE_AS_OF > now) and every step of
    the run receives that same instant through the resource config.
    """
    instant = resolve_as_of(as_of)
    resolved = format_as_of(instant)
    from .definitions import defs

    job = defs.resolve_job_def("refresh")
    if progress:
        job = job.with_logger_defs(
            {"console": colored_console_logger, "progress": step_progress_logger}
        )
    run_config = {
        "resources": {
            "leadscore": {
                "config": {
                    "data_dir": str(settings.data_dir),
                    "as_of": resolved,
                    "accept_impact": accept_impact,
                }
            }
        },
        "loggers": {"console": {"config": {"log_level": log_level}}}
        | ({"progress": {}} if progress else {}),
    }
    with _instance() as instance:
        result = job.execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
        events = result.all_events
    summary = RunSummary(
        success=result.success,
        as_of=display_instant(instant),
        warehouse=settings.warehouse_path,
        landing=_landing_counts(events),
        exports=_summary_of(events, ["crm", "crm_exports"]),
        kept_state=_summary_of(events, ["state", "kept_state"]),
        failed_files=_landing_texts(events, "failed_files"),
        missing_files=_landing_texts(events, "missing_files"),
    )
    if not result.success:
        messages = []
        for event in events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                user_failure = event.step_failure_data.user_failure_data
            elif event.event_type_value == "RESOURCE_INIT_FAILURE":
                # e.g. another run holds the data directory: no step ran at all
                error, user_failure = event.engine_event_data.error, None
            else:
                continue
            # A full disk, a locked or damaged file: one line saying which file and what to do.
            description = describe_failure(
                _chain_text(error), [settings.warehouse_path, settings.data_dir]
            ) or _root_cause(error)
            for key in ("problems", "impact"):
                if user_failure and user_failure.metadata.get(key):
                    description += "\n" + str(user_failure.metadata[key].value)
            where = f"step {event.step_key}" if event.step_key else "run"
            messages.append(f"{where}: {description}")
        summary.failure = "\n  ".join(messages) or "run failed"
        return summary
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for model_id, stage, count in con.execute(
            "select model_id, stage, count(*) from marts.contact_scores "
            "group by all order by model_id, max(stage_rank) desc, stage"
        ).fetchall():
            summary.scored.setdefault(model_id, {})[stage] = count
        summary.stage_changes = con.execute(
            "select count(*) from marts.stage_changes where changed_at = ?", [instant]
        ).fetchone()[0]
        summary.quarantined = con.execute("select count(*) from ops.quarantine").fetchone()[0]
        summary.alerts = dict(
            con.execute(
                "select status, count(*) from ops.alert_deliveries group by 1 order by 1"
            ).fetchall()
        )
    return summary
