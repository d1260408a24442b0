"""Failures a user's machine causes (full disk, locked or damaged database file), in one line."""

from __future__ import annotations

import errno
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

# DuckDB names the file in quotes (escaped inside a JSON error text).
_QUOTED_PATH = re.compile(r'(?:file|database) \\?"([^"\\]+)\\?"', re.IGNORECASE)
# Python's OSError text: "[Errno 28] No space left on device: 'src' -> 'dst'" (dst is written).
_OS_ERROR_PATHS = re.compile(r"\[Errno \d+\] [^:\n]+: '([^'\n]+)'(?: -> '([^'\n]+)')?")
_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.+?) \(PID (\d+)\)")
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_DISK_FULL_TEXTS = ("no space left on device", "disk quota exceeded")
# DuckDB's wording for a failed write (a short write is a full disk) and for the database it
# invalidates after one; unless the text names another cause.
_WRITE_FAILED_TEXTS = (
    "could not write",
    "reopen the database",
    "has been invalidated",
    "must be restarted prior to being used again",
)
_OTHER_WRITE_CAUSES = ("permission denied", "read-only file system", "out of memory")
_DAMAGED_TEXTS = (
    "not a valid duckdb database file",
    "corrupt database file",
    "could not read enough bytes from file",
    "failure while replaying wal file",
    "restored data doesn't match checksum",
)
_MISSING_TEXT = "in read-only mode: database does not exist"
_DENIED, _READ_ONLY = "permission denied", "the file system is read-only"
_NO_PERMISSION_ERRNOS = {errno.EACCES: _DENIED, errno.EPERM: _DENIED, errno.EROFS: _READ_ONLY}
_NO_PERMISSION_TEXTS = {"permission denied": _DENIED, "read-only file system": _READ_ONLY}


def describe_failure(failure: BaseException | str, paths: Sequence[Path | str] = ()) -> str | None:
    """What went wrong and what to do, in one line; None when `failure` is none of these:

    - a full disk (errno ENOSPC/EDQUOT, or DuckDB's "No space left on device" or "Could not
      write ..." text, or the "invalidated, reopen the database" that follows it): which path,
      how much space is free on its disk, that nothing was published, and not to delete work/;
    - a DuckDB file locked by another process ("Could not set lock on file ... Conflicting lock
      is held in PROGRAM (PID N)"): which file, which process, to wait or stop it;
    - a damaged file, or one that is not a DuckDB database: which file, to move it aside and
      let `leadscore run` build it again;
    - a database opened read-only that does not exist;
    - a file or folder the user may not read or write (permission denied, read-only disk).

    `failure` is an exception (its `__cause__`/`__context__` chain is searched, so a wrapped
    DuckDB or OS error is found) or an error's text (e.g. from a Dagster step failure).
    `paths` are the files or folders the failed operation used, most relevant first: the
    message names the path in the error when there is one, else the first of `paths`.
    """
    texts, error_numbers, file_names = [], set(), []
    for link in _chain(failure):
        texts.append(str(link))
        if isinstance(link, OSError):
            if link.errno is not None:
                error_numbers.add(link.errno)
            # A copy or rename writes its second file.
            file_names.extend(str(name) for name in (link.filename2, link.filename) if name)
    text = "\n".join(texts)
    lowered = text.lower()
    for source, target in _OS_ERROR_PATHS.findall(text):
        file_names.extend(name for name in (target, source) if name)
    named = file_names + _QUOTED_PATH.findall(text) + [str(path) for path in paths]
    path = named[0] if named else None

    if error_numbers & _DISK_FULL_ERRNOS or any(t in lowered for t in _DISK_FULL_TEXTS):
        return _disk_full(path)
    lock = _LOCK_HOLDER.search(text)
    if "could not set lock on file" in lowered or lock:
        holder = f"process {lock.group(2)} ({lock.group(1)})" if lock else "another process"
        return (
            f"{path or 'the database'} is locked by {holder}: wait until it finishes (another "
            "`leadscore run`, `dagster dev`, or a program that opened the file for writing) "
            "or stop it, then try again"
        )
    if any(t in lowered for t in _DAMAGED_TEXTS):
        return (
            f"{path or 'the database'} is damaged or is not a DuckDB database: move it aside "
            "(rename it, keep it for diagnosis) and run `leadscore run` to build it again"
        )
    if _MISSING_TEXT in lowered:
        return f"no database at {path or 'that path'}; run `leadscore run` first"
    if any(t in lowered for t in _WRITE_FAILED_TEXTS) and not any(
        t in lowered for t in _OTHER_WRITE_CAUSES
    ):
        return _disk_full(path)
    denied = [
        _NO_PERMISSION_ERRNOS[n] for n in sorted(error_numbers & _NO_PERMISSION_ERRNOS.keys())
    ]
    denied += [reason for text_, reason in _NO_PERMISSION_TEXTS.items() if text_ in lowered]
    if denied:
        return (
            f"cannot use {path or 'a file'}: {denied[0]}. Let the user running leadscore read "
            "and write it, or set LEADSCORE_DATA_DIR to a folder that user owns"
        )
    return None


def _chain(failure: BaseException | str) -> Iterator[BaseException | str]:
    """The failure and every exception it was raised from or during, once each."""
    seen: set[int] = set()
    link: BaseException | str | None = failure
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        if isinstance(link, str):
            return
        link = link.__cause__ or link.__context__


def _disk_full(path: str | None) -> str:
    where = f"writing to {path}" if path else "writing"
    return (
        f"the disk is full: {where} failed ({_free_space(path)}). Nothing was published: the "
        "warehouse still holds the last published marts. Free space on that disk and run "
        "again; do not delete the data folder's work/ (it holds the state kept across runs)"
    )


def _free_space(path: str | None) -> str:
    """'N MB free of M GB on that disk', measured at the nearest existing folder of `path`."""
    if path is None:
        return "free space unknown"
    folder = Path(path)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return "free space unknown"
    return f"{_size(usage.free)} free of {_size(usage.total)} on that disk"


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    value = float(count)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024:
            return f"{value:,.1f} {unit}"
    return f"{value / 1024:,.1f} TB"
