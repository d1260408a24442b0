"""A Dagster logger that prints one line per step to the terminal (for `leadscore run`)."""

from __future__ import annotations

import logging
import sys
import time

from dagster import logger

# Dagster attaches each record's structured event under this attribute (its log manager's
# documented record shape; the constant itself lives in a private module, so it is not imported).
DAGSTER_RECORD_ATTRIBUTE = "dagster_meta"


class StepProgressHandler(logging.Handler):
    """Writes `→ step` when a step starts and `✓ step (12.3 s)` / `✗ step` when it ends."""

    def __init__(self, stream=None):
        super().__init__(level=logging.DEBUG)
        self.stream = stream
        self.started: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, DAGSTER_RECORD_ATTRIBUTE, None) or {}
        event = meta.get("dagster_event")
        step = meta.get("step_key")
        if event is None or step is None:
            return
        kind = event.event_type_value
        stream = self.stream or sys.__stderr__
        if kind == "STEP_START":
            self.started[step] = time.monotonic()
            stream.write(f"  → {step}\n")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            seconds = time.monotonic() - self.started.get(step, time.monotonic())
            mark = {"STEP_SUCCESS": "✓", "STEP_FAILURE": "✗", "STEP_SKIPPED": "-"}[kind]
            stream.write(f"  {mark} {step} ({seconds:.1f} s)\n")
        stream.flush()


@logger(description="One line per step start and end, for terminals.")
def step_progress_logger(_init_context) -> logging.Logger:
    progress = logging.Logger("leadscore.progress", level=logging.DEBUG)
    progress.addHandler(StepProgressHandler())
    return progress
