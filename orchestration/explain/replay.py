"""The build database to explain: read as built, or replayed at another as-of on a scratch copy."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import duckdb

from ..errors import describe_failure
from ..warehouse.scratch import ScratchBuildError, build_scratch_copy
from .query import ExplainError


def build_as_of(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The as-of instant the build database was scored at (None when nothing is scored)."""
    try:
        row = con.execute("select max(as_of) from marts.contact_scores").fetchone()
    except duckdb.CatalogException as exc:
        raise ExplainError(
            "the build database has no marts.contact_scores; run `leadscore run` first"
        ) from exc
    return row[0] if row else None


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    if not path.exists():
        raise ExplainError(f"no build database at {path}; run `leadscore run` first")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        reason = describe_failure(exc, [path])  # locked, damaged, not a database
        raise ExplainError(
            reason or f"cannot open the build database {path} read-only: {exc}"
        ) from exc


def replay_build(build_db: Path, as_of: datetime, workdir: Path) -> Path:
    """Copy the build database into `workdir` and `dbt build` the copy as of `as_of`.

    Seeds are not reloaded: the replay scores with the rules of the original build.
    """
    try:
        return build_scratch_copy(build_db, as_of, workdir, reload_seeds=False)
    except ScratchBuildError as exc:
        raise ExplainError(str(exc)) from exc


@contextmanager
def open_build(
    build_db: Path,
    as_of: datetime | None = None,
    on_replay: Callable[[datetime, datetime | None], None] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the build, or to a scratch copy rebuilt as of `as_of`.

    When `as_of` is None or equals the build's own as-of, the build database is read directly;
    otherwise `on_replay(as_of, build's as-of)` is called before the (slow) replay.
    """
    con = _connect_read_only(build_db)
    try:
        built_at = build_as_of(con)
    except ExplainError:
        con.close()
        raise
    if as_of is None or built_at == as_of:
        try:
            yield con
        finally:
            con.close()
        return
    con.close()
    if on_replay is not None:
        on_replay(as_of, built_at)
    with tempfile.TemporaryDirectory(prefix="leadscore-explain-") as workdir:
        copy = replay_build(build_db, as_of, Path(workdir))
        replayed = _connect_read_only(copy)
        try:
            yield replayed
        finally:
            replayed.close()
