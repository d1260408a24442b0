"""outbox/crm_updates.csv: the rows that changed in this run, for any other CRM or import."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from .mapping import OUTBOX_COLUMNS

OUTBOX_FILE = "crm_updates.csv"


def write_outbox(outbox_dir: Path, lines: Iterable[str]) -> Path:
    """Replace the outbox file in one step (write a temporary file, then rename it).

    `lines` are CSV text already rendered as csv.writer writes rows (planning.OutboxPlan);
    the header is written here. Each run's file holds that run's changed rows (just the
    header when nothing changed): a reader never sees a half-written file.
    """
    outbox_dir.mkdir(parents=True, exist_ok=True)
    path = outbox_dir / OUTBOX_FILE
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(OUTBOX_COLUMNS)
            for chunk in lines:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path
