"""`describe_failure` on real exceptions: a full disk, a DuckDB file locked by another process, a
damaged or missing database; anything else is left alone (None)."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from orchestration.errors import describe_failure

FREE_SPACE = re.compile(r"\(([\d.,]+ (?:bytes|KB|MB|GB|TB)) free of [\d.,]+ (?:KB|MB|GB|TB) on")
DEV_FULL = Path("/dev/full")  # Linux: every write to it fails with ENOSPC


@contextmanager
def held_open_by_another_process(path: Path) -> Iterator[int]:
    """A second process holding `duckdb.connect(path)` (DuckDB's write lock); yields its PID."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield holder.pid
    finally:
        holder.communicate(input="", timeout=30)  # closing stdin ends it


def raised(action) -> BaseException:
    try:
        action()
    except BaseException as exc:  # noqa: BLE001 - the test inspects whatever was raised
        return exc
    raise AssertionError("nothing was raised")


# --- full disk -----------------------------------------------------------------------------------


def test_enospc_names_the_path_free_space_and_what_not_to_do(tmp_path):
    target = tmp_path / "warehouse" / "lead_scoring.duckdb.new"  # folder does not exist
    error = OSError(errno.ENOSPC, "No space left on device", str(target))
    message = describe_failure(error, [tmp_path / "work" / "build.duckdb"])
    assert message is not None
    assert message.startswith(f"the disk is full: writing to {target} failed (")
    assert FREE_SPACE.search(message), message  # measured on the nearest existing folder
    assert "Nothing was published: the warehouse still holds the last published marts" in message
    assert "do not delete the data folder's work/ (it holds the state kept across runs)" in message
    assert "\n" not in message


def test_enospc_without_a_file_name_names_the_first_path_given(tmp_path):
    error = OSError(errno.ENOSPC, "No space left on device")
    message = describe_failure(error, [tmp_path / "build.duckdb", tmp_path])
    assert message is not None and f"writing to {tmp_path / 'build.duckdb'} failed" in message


def test_a_failed_copy_names_the_file_it_was_writing(tmp_path):
    source, target = tmp_path / "partial_parse.msgpack", tmp_path / "work" / "copy.msgpack"
    error = OSError(errno.ENOSPC, "No space left on device", str(source), None, str(target))
    for failure in (error, f"step leadscore_dbt_assets: OSError: {error}"):  # object or text
        message = describe_failure(failure)
        assert message is not None
        assert message.startswith(f"the disk is full: writing to {target} failed (")


@pytest.mark.skipif(not DEV_FULL.exists(), reason="needs /dev/full")
def test_a_real_python_write_to_a_full_device():
    def write() -> None:
        with DEV_FULL.open("w") as handle:
            handle.write("x" * 10_000)

    error = raised(write)
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC
    # A failed write (unlike a failed open) names no file: the caller's paths say which.
    message = describe_failure(error, [DEV_FULL])
    assert message is not None and message.startswith("the disk is full: writing to /dev/full")


@pytest.mark.skipif(not DEV_FULL.exists(), reason="needs /dev/full")
def test_a_real_duckdb_write_to_a_full_device_even_when_wrapped():
    con = duckdb.connect()

    def copy() -> None:
        con.execute("copy (select range from range(100000)) to '/dev/full' (format csv)")

    def pipeline_step() -> None:
        try:
            copy()
        except duckdb.Error as exc:
            raise RuntimeError("step publish failed") from exc

    direct = raised(copy)
    assert isinstance(direct, duckdb.IOException)
    assert "No space left on device" in str(direct)
    for failure in (direct, raised(pipeline_step), str(direct)):
        message = describe_failure(failure)
        assert message is not None and message.startswith("the disk is full: writing to /dev/full")


@pytest.mark.parametrize(
    "text",
    [
        'IO Error: Could not write all bytes to file "/data/work/build.duckdb.wal": wanted=4096',
        "FATAL Error: Failed: database has been invalidated because of a previous fatal error. "
        "The database must be restarted prior to being used again.",
        "Reopen the database instance to recover.",
    ],
)
def test_duckdb_write_failure_wording_counts_as_a_full_disk(text):
    message = describe_failure(text, ["/data/work/build.duckdb"])
    assert message is not None and message.startswith("the disk is full: writing to /data/work/")


def test_a_write_refused_for_lack_of_permission_is_not_a_full_disk():
    text = 'IO Error: Could not write file "/data/x.duckdb": Permission denied'
    assert describe_failure(text) == (
        "cannot use /data/x.duckdb: permission denied. Let the user running leadscore read and "
        "write it, or set LEADSCORE_DATA_DIR to a folder that user owns"
    )


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to any folder")
def test_a_real_permission_error_names_the_file(tmp_path):
    locked_folder = tmp_path / "warehouse"
    locked_folder.mkdir(mode=0o500)
    target = locked_folder / "lead_scoring.duckdb"
    error = raised(lambda: target.write_text("x"))
    assert isinstance(error, PermissionError)
    message = describe_failure(error)
    assert message is not None and message.startswith(f"cannot use {target}: permission denied.")


def test_a_read_only_disk():
    read_only = OSError(errno.EROFS, "Read-only file system", "/mnt/data/work")
    assert describe_failure(read_only) == (
        "cannot use /mnt/data/work: the file system is read-only. Let the user running "
        "leadscore read and write it, or set LEADSCORE_DATA_DIR to a folder that user owns"
    )


# --- locked --------------------------------------------------------------------------------------


def test_a_real_lock_conflict_names_the_file_and_the_process(tmp_path):
    path = tmp_path / "build.duckdb"
    duckdb.connect(str(path)).close()
    with held_open_by_another_process(path) as pid:
        for read_only in (True, False):
            error = raised(lambda ro=read_only: duckdb.connect(str(path), read_only=ro))
            assert "Conflicting lock is held" in str(error)
            message = describe_failure(error, [tmp_path / "other.duckdb"])
            assert message is not None
            assert message.startswith(f"{path} is locked by process {pid} (")
            assert "wait until it finishes" in message and "then try again" in message


# --- damaged or missing --------------------------------------------------------------------------


def test_a_garbage_file_is_damaged_with_what_to_do(tmp_path):
    path = tmp_path / "lead_scoring.duckdb"
    path.write_bytes(b"this is not a database " * 200)
    message = describe_failure(raised(lambda: duckdb.connect(str(path), read_only=True)))
    assert message == (
        f"{path} is damaged or is not a DuckDB database: move it aside (rename it, keep it for "
        "diagnosis) and run `leadscore run` to build it again"
    )


def test_a_truncated_database_is_damaged(tmp_path):
    path = tmp_path / "build.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as x from range(200000)")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def read() -> None:
        with duckdb.connect(str(path), read_only=True) as con:
            con.execute("select sum(x) from t").fetchall()

    message = describe_failure(raised(read))
    assert message is not None and message.startswith(f"{path} is damaged")


def test_a_missing_database_opened_read_only(tmp_path):
    path = tmp_path / "missing.duckdb"
    message = describe_failure(raised(lambda: duckdb.connect(str(path), read_only=True)))
    assert message == f"no database at {path}; run `leadscore run` first"


# --- everything else -----------------------------------------------------------------------------


def test_other_failures_are_not_described():
    con = duckdb.connect()
    assert describe_failure(raised(lambda: con.execute("select * from nowhere"))) is None
    assert describe_failure(ValueError("bad value")) is None
    assert describe_failure(OSError(errno.ENOENT, "No such file or directory", "/x")) is None
