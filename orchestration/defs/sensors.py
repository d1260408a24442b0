"""Sensors: new or changed landing files (sales feedback too) and seed edits trigger a refresh."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from ..config import LANDING_ENTITIES, SEEDS_DIR, load_settings
from ..ingest import SUPPORTED_SUFFIXES
from .jobs import refresh_job

Snapshot = dict[str, list[int]]


def landing_snapshot(landing_dir: Path) -> Snapshot:
    """name -> [size, mtime_ns] of every supported landing file (the sensor's cursor)."""
    snapshot: Snapshot = {}
    for entity in LANDING_ENTITIES:
        folder = landing_dir / entity
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                stat = path.stat()
                snapshot[path.relative_to(landing_dir).as_posix()] = [
                    stat.st_size,
                    stat.st_mtime_ns,
                ]
    return dict(sorted(snapshot.items()))


def seeds_snapshot(seeds_dir: Path) -> Snapshot:
    """name -> [size, content hash prefix as int] of every seed CSV (mtime alone lies in git)."""
    snapshot: Snapshot = {}
    for path in sorted(seeds_dir.glob("*.csv")):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        snapshot[path.name] = [path.stat().st_size, int(digest, 16)]
    return snapshot


def changed_entries(previous: Snapshot, current: Snapshot) -> list[str]:
    """Names that are new or whose size or stamp changed (removals do not trigger a run)."""
    return [name for name, stamp in current.items() if previous.get(name) != stamp]


def _decode(cursor: str | None) -> Snapshot:
    return json.loads(cursor) if cursor else {}


def _encode(snapshot: Snapshot) -> str:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"))


def _run_key(prefix: str, snapshot: Snapshot) -> str:
    return f"{prefix}-{hashlib.sha256(_encode(snapshot).encode()).hexdigest()[:16]}"


@sensor(
    name="landing_files_sensor",
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Refreshes when a landing file (contacts, activities, deals, sales feedback) "
    "appears or changes; the cursor remembers each file's size and modification time.",
)
def landing_files_sensor(context: SensorEvaluationContext):
    current = landing_snapshot(load_settings().landing_dir)
    changed = changed_entries(_decode(context.cursor), current)
    if not changed:
        return SkipReason("no new or changed landing files")
    context.update_cursor(_encode(current))
    return RunRequest(
        run_key=_run_key("landing", current),
        tags={"leadscore/trigger": "landing", "leadscore/files": ", ".join(changed)[:1000]},
    )


@sensor(
    name="seed_changes_sensor",
    job=refresh_job,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Refreshes when an analyst edits a seed (seeds/*.csv); the rule-change guard "
    "then decides whether the new stages may be published.",
)
def seed_changes_sensor(context: SensorEvaluationContext):
    current = seeds_snapshot(SEEDS_DIR)
    previous = _decode(context.cursor)
    changed = changed_entries(previous, current)
    context.update_cursor(_encode(current))
    if not previous:
        return SkipReason("remembered the current seeds; edits from now on trigger a refresh")
    if not changed:
        return SkipReason("seeds unchanged")
    return RunRequest(
        run_key=_run_key("seeds", current),
        tags={"leadscore/trigger": "seeds", "leadscore/files": ", ".join(changed)},
    )
