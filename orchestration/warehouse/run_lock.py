"""One run at a time per data directory: an OS file lock that dies with its process.

`flock` is released by the kernel when the holding process ends, however it ends (kill -9
included), so a killed run never leaves a lock to clean up. The lock file names the holder
(pid, start, command) for the message the next run prints. dbt runs as a child process that
would outlive a killed parent and keep DuckDB's write lock on the build database: every child
carries the data directory in its environment (`CHILD_MARKER`), and the next run that takes the
lock ends such orphans first (nothing else can legitimately hold it then).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

CHILD_MARKER = "LEADSCORE_RUN_DATA_DIR"
"""Set in the environment the pipeline's child processes (dbt) inherit."""


class RunLockedError(RuntimeError):
    """Another run holds the data directory."""


class RunLock:
    """`with RunLock(data_dir):` holds `work/run.lock` for the duration of one run."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.path = data_dir / "work" / "run.lock"
        self._handle = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            raise RunLockedError(_busy_message(self.data_dir, holder)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "command": " ".join(sys.argv[:3]),
                }
            )
        )
        handle.flush()
        self._handle = handle
        end_orphans(self.data_dir)
        os.environ[CHILD_MARKER] = str(self.data_dir)
        return self

    def release(self) -> None:
        if self._handle is not None:
            os.environ.pop(CHILD_MARKER, None)
            self._handle.close()  # closing the file releases the flock
            self._handle = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _busy_message(data_dir: Path, holder: str) -> str:
    try:
        details = json.loads(holder)
        who = f"pid {details['pid']}, started {details['started_at']} ({details['command']})"
    except (ValueError, KeyError, TypeError):
        who = "another process"
    return (
        f"another leadscore run is using {data_dir} ({who}); wait for it to finish "
        "(one run at a time per data directory)"
    )


def end_orphans(data_dir: Path, grace_seconds: float = 5.0) -> list[int]:
    """Terminate processes left by an earlier run of this data directory (Linux /proc).

    Called only while holding the lock, so every process carrying the marker for this data
    directory belongs to a run that is gone. Returns the pids that were ended.
    """
    marker = f"{CHILD_MARKER}={data_dir}".encode()
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    orphans = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        if marker in environ.split(b"\0"):
            orphans.append(int(entry.name))
    for pid in orphans:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline and any(_alive(pid) for pid in orphans):
        time.sleep(0.1)
    for pid in orphans:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    return orphans


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (ended, not yet reaped) no longer holds files
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return False
