"""`leadscore backfill`: past instants computed into history only, never into the present.

Each instant is built by dbt in a scratch database (`work/backfill.duckdb`) that starts as a
copy of the published history, with the landing files and the seeds as they are now. Only
history leaves it (score_history, its contributions, stage_changes and ops.backfill_log): the
current marts, the sticky memory, the alert and export ledgers are never touched, nothing is
alerted, exported or quarantined. Re-running the same range leaves the same rows.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from .config import DBT_PROJECT_DIR, Settings, display_instant, parse_as_of
from .dbt_cli import SKIP_UNIT_TESTS, dbt_executable, ensure_manifest
from .ingest.loader import ingest_landing
from .warehouse.publish import remove_database_file, republish_with
from .warehouse.run_lock import RunLock
from .warehouse.spark_handoff import finish_dbt_build, prepare_dbt_build
from .warehouse.state import (
    ensure_publish_log,
    prepare_kept_state,
    published_instants,
    repair_validity_periods,
)

MAX_INSTANTS = 1000
HISTORY_TABLES = [
    "marts.score_history",
    "marts.score_history_contributions",
    "marts.stage_changes",
    "ops.backfill_log",
]
"""What a backfill writes to the warehouse; everything else there stays as published."""
# dbt builds these and everything they depend on (contact_scores, score_breakdown, the seeds).
_SELECTION = ["+stage_changes", "+score_history_contributions"]
_EVERY = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class BackfillError(RuntimeError):
    """A backfill the user asked for cannot run as asked (the message says why)."""


def parse_every(text: str) -> timedelta:
    """`30m`, `12h`, `1d`, `7d`, `2w`: the step between backfilled instants."""
    match = _EVERY.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise BackfillError(
            f"--every {text!r}: expected a positive number and a unit m, h, d or w, "
            "e.g. 1d, 7d, 12h"
        )
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def backfill_instants(start: datetime, end: datetime, every: timedelta) -> list[datetime]:
    """start, start + every, ... up to and including end."""
    if end < start:
        raise BackfillError(f"--from {display_instant(start)} is after --to {display_instant(end)}")
    count = int((end - start) / every) + 1
    if count > MAX_INSTANTS:
        raise BackfillError(
            f"{count:,} instants from {display_instant(start)} to {display_instant(end)} every "
            f"{every}: at most {MAX_INSTANTS:,} per backfill (use a longer --every, or split "
            "the range)"
        )
    return [start + every * step for step in range(count)]


@dataclass
class BackfillSummary:
    """What one backfill computed."""

    computed: list[datetime] = field(default_factory=list)
    skipped_published: list[datetime] = field(default_factory=list)
    history_rows: int = 0
    stage_changes: int = 0

    def describe(self) -> str:
        lines = [
            f"backfilled {len(self.computed)} instant(s) into history: "
            f"{self.history_rows:,} score_history row(s), {self.stage_changes:,} stage change(s) "
            "(cause backfill); nothing alerted, exported or changed in the current marts"
        ]
        if self.skipped_published:
            skipped = ", ".join(display_instant(i) for i in self.skipped_published[:5])
            more = len(self.skipped_published) - 5
            lines.append(
                f"  skipped {len(self.skipped_published)} instant(s) a run published (their "
                f"history is what was published): {skipped}"
                + (f" and {more} more" if more > 0 else "")
            )
        return "\n".join(lines)


def run_backfill(
    settings: Settings,
    start: str,
    end: str,
    every: str,
    report: Callable[[str], None] = lambda line: None,
) -> BackfillSummary:
    """Compute `start`..`end` every `every` into the published history (see the module)."""
    instants = backfill_instants(parse_as_of(start), parse_as_of(end), parse_every(every))
    with RunLock(settings.data_dir):
        published = published_instants(settings.warehouse_path)
        if published and instants[-1] > published[-1]:
            raise BackfillError(
                f"--to {display_instant(instants[-1])} is later than the last published run "
                f"({display_instant(published[-1])}): instants from then on are the present, "
                "computed by `leadscore run` (which alerts and exports). Backfill up to "
                f"{display_instant(published[-1])} at most."
            )
        summary = BackfillSummary()
        summary.skipped_published = [i for i in instants if i in set(published)]
        todo = [i for i in instants if i not in set(published)]
        if not todo:
            return summary
        ensure_manifest()
        scratch = settings.work_dir / "backfill.duckdb"
        remove_database_file(scratch)
        try:
            with duckdb.connect(str(scratch), config=settings.duckdb_config()) as con:
                ensure_publish_log(con)
                ingest_landing(con, settings.landing_dir)
                prepare_kept_state(con, settings.warehouse_path, settings.history_min_delta)
            for number, instant in enumerate(todo, start=1):
                report(f"  [{number}/{len(todo)}] {display_instant(instant)}")
                _compute_instant(settings, scratch, instant)
                summary.computed.append(instant)
            with duckdb.connect(str(scratch), read_only=True) as con:
                summary.history_rows, summary.stage_changes = con.execute(
                    "select (select count(*) from marts.score_history where valid_from in "
                    "(select unnest(?))), (select count(*) from marts.stage_changes where "
                    "changed_at in (select unnest(?)))",
                    [todo, todo],
                ).fetchone()
            settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
            if settings.warehouse_path.exists():
                republish_with(settings.warehouse_path, scratch, HISTORY_TABLES)
            else:
                republish_with_nothing_published(settings.warehouse_path, scratch)
        finally:
            remove_database_file(scratch)
    return summary


def republish_with_nothing_published(warehouse: Path, scratch: Path) -> None:
    """Before any run published: the warehouse holds the backfilled history only."""
    empty = warehouse.with_name(f".{warehouse.name}.empty")
    remove_database_file(empty)
    try:
        duckdb.connect(str(empty)).close()
        republish_with(empty, scratch, [*HISTORY_TABLES, "ops.publish_log"])
        os.replace(empty, warehouse)
    finally:
        remove_database_file(empty)


def _compute_instant(settings: Settings, scratch: Path, instant: datetime) -> None:
    """dbt builds one past instant into the scratch history; the next computed instant keeps
    the state it had (history is a change log: an inserted row would otherwise hold there)."""
    with duckdb.connect(str(scratch)) as con:
        _pin_next_instant(con, instant)
    log = settings.work_dir / "last_backfill.log"
    command = [
        dbt_executable(), "build",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(settings.work_dir / "backfill_target"),
        "--select", *_SELECTION, *SKIP_UNIT_TESTS,
    ]  # fmt: skip
    environment = (
        os.environ
        | settings.dbt_environment(instant, backfill=True, database=scratch)
        | prepare_dbt_build(settings, scratch)
    )
    with log.open("w", encoding="utf-8") as output:
        finished = subprocess.run(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, check=False
        )
    if finished.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise BackfillError(
            f"dbt failed computing {display_instant(instant)} (nothing was written to the "
            f"warehouse; full output: {log}):\n" + "\n".join(tail)
        )
    finish_dbt_build(settings, scratch, settings.work_dir / "backfill_target")
    with duckdb.connect(str(scratch)) as con:
        _restore_next_instant(con, instant)


def _pin_next_instant(con: duckdb.DuckDBPyConnection, instant: datetime) -> None:
    """Remember, per contact, the history row that holds at the next computed instant after
    `instant` (a published run or an earlier backfill) when the contact has no row there."""
    con.execute(
        """
        create or replace table main.backfill_pinned as
        with next_instant as (
            select min(as_of) as as_of from (
                select as_of from ops.publish_log union all select as_of from ops.backfill_log
            ) as computed
            where as_of > $instant
        )
        select history.*, next_instant.as_of as pinned_at
        from marts.score_history as history, next_instant
        where next_instant.as_of is not null
            and history.valid_from < next_instant.as_of
            and (history.valid_to is null or history.valid_to > next_instant.as_of)
        """,
        {"instant": instant},
    )


def _restore_next_instant(con: duckdb.DuckDBPyConnection, instant: datetime) -> None:
    """Where the backfilled instant recorded a different state, the pinned row holds again
    from the next computed instant on (with its contributions)."""
    con.execute(
        """
        create or replace temp table restored as
        select pinned.*
        from main.backfill_pinned as pinned
        inner join marts.score_history as backfilled
            on backfilled.valid_from = $instant
            and backfilled.model_id = pinned.model_id
            and backfilled.contact_id = pinned.contact_id
        where (
            backfilled.stage, backfilled.stage_rank, backfilled.fit_band,
            backfilled.engagement_band, backfilled.total_band, backfilled.matrix_label,
            backfilled.is_excluded, backfilled.total_score, backfilled.rule_set_version
        ) is distinct from (
            pinned.stage, pinned.stage_rank, pinned.fit_band, pinned.engagement_band,
            pinned.total_band, pinned.matrix_label, pinned.is_excluded, pinned.total_score,
            pinned.rule_set_version
        )
        """,
        {"instant": instant},
    )
    con.execute(
        """
        insert into marts.score_history_contributions by name
        select restored.pinned_at as valid_from, contributions.* exclude (valid_from)
        from restored
        inner join marts.score_history_contributions as contributions
            on contributions.valid_from = restored.valid_from
            and contributions.model_id = restored.model_id
            and contributions.contact_id = restored.contact_id
        """
    )
    con.execute(
        """
        insert into marts.score_history by name
        select * exclude (valid_from, pinned_at) replace (cast(null as timestamp) as valid_to),
            pinned_at as valid_from
        from restored
        """
    )
    repair_validity_periods(con, "marts.score_history")
    con.execute(
        """
        insert into ops.backfill_log
        select $instant, rule_set_version, now()::timestamp
        from intermediate.int_rule_set_version
        on conflict (as_of) do update set
            rule_set_version = excluded.rule_set_version,
            backfilled_at = excluded.backfilled_at
        where ops.backfill_log.rule_set_version <> excluded.rule_set_version
        """,
        {"instant": instant},
    )
