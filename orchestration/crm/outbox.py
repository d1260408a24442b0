"""outbox/crm_updates.csv: every run's changed rows, appended (never rewritten), crash-safe."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from .mapping import OUTBOX_COLUMNS

OUTBOX_FILE = "crm_updates.csv"
JOURNAL_SUFFIX = ".append"
"""`.crm_updates.csv.append` holds the file's length while an append is under way."""


def outbox_header() -> bytes:
    """The header line, as csv.writer writes it (CRLF)."""
    text = io.StringIO(newline="")
    csv.writer(text).writerow(OUTBOX_COLUMNS)
    return text.getvalue().encode("utf-8")


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a folder
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _write_durably(path: Path, data: bytes) -> None:
    """Write a whole file (temporary file, fsync, rename, fsync of the folder)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _recover(path: Path, journal: Path) -> None:
    """Undo an append that did not finish: cut the file back to its length before it."""
    if not journal.exists():
        return
    try:
        length = int(journal.read_text(encoding="ascii").strip())
    except ValueError:
        length = None  # the journal itself was cut short: the append had not started
    if length is not None and path.exists() and path.stat().st_size > length:
        with path.open("r+b") as handle:
            handle.truncate(length)
            handle.flush()
            os.fsync(handle.fileno())
    journal.unlink()
    _fsync_dir(path.parent)


def _ensure_header(path: Path) -> None:
    """Start the file with the header; one with another header (an older version's columns)
    is set aside as crm_updates.until-<UTC time>.csv rather than mixed with new rows."""
    header = outbox_header()
    if path.exists() and path.stat().st_size:
        with path.open("rb") as handle:
            if handle.read(len(header)) == header:
                return
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        os.replace(path, path.with_name(f"{path.stem}.until-{stamp}{path.suffix}"))
    _write_durably(path, header)


def append_outbox(outbox_dir: Path, lines: Iterable[str]) -> Path:
    """Append this run's changed rows to the outbox file (created with its header once).

    `lines` are CSV text already rendered as csv.writer writes rows (planning.OutboxPlan). They
    are first written to a temporary file, so an error while rendering appends nothing. Then
    the file's length is recorded in a journal, the rows are appended and fsynced, and the
    journal is removed: after a crash mid-append the next call cuts the file back to that
    length (no half row survives) before appending. Rows already carry their run's `as_of`.
    """
    outbox_dir.mkdir(parents=True, exist_ok=True)
    path = outbox_dir / OUTBOX_FILE
    journal = outbox_dir / f".{OUTBOX_FILE}{JOURNAL_SUFFIX}"
    _recover(path, journal)
    _ensure_header(path)
    staged = outbox_dir / f".{OUTBOX_FILE}.{os.getpid()}.rows"
    try:
        with staged.open("w", newline="", encoding="utf-8") as handle:
            for chunk in lines:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        if staged.stat().st_size:
            _write_durably(journal, str(path.stat().st_size).encode("ascii"))
            try:
                with staged.open("rb") as rows, path.open("ab") as target:
                    shutil.copyfileobj(rows, target, 1 << 20)
                    target.flush()
                    os.fsync(target.fileno())
            except BaseException:
                _recover(path, journal)  # a failed append (disk full, ...) leaves nothing
                raise
            journal.unlink()
            _fsync_dir(outbox_dir)
    finally:
        staged.unlink(missing_ok=True)
    return path
