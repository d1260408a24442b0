"""Load landing files into raw tables, once each, replacing changed files, quarantining bad rows."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ..config import LANDING_ENTITIES
from ..sql_text import sql_ident, sql_literal
from ..vocabulary import trim_sql
from ..warehouse.state import ensure_publish_log
from .entities import ENTITY_SPECS, SQL_TYPES, SUPPORTED_SUFFIXES, EntitySpec
from .reading import drop_staged, stage_file
from .results import FileResult, IngestSummary, LandingFileError

log = logging.getLogger(__name__)


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and ops tables the loader writes (idempotent)."""
    con.execute("create schema if not exists raw")
    ensure_publish_log(con)  # dbt reads it as a source: which runs were published
    con.execute(
        """
        create table if not exists ops.loaded_files (
            file_path varchar primary key,
            entity varchar not null,
            content_hash varchar not null,
            size_bytes bigint not null,
            mtime_ns bigint not null,
            rows_read bigint not null,
            rows_loaded bigint not null,
            rows_quarantined bigint not null,
            status varchar not null,
            error varchar,
            load_seq bigint not null,
            loaded_at timestamp not null
        )
        """
    )
    con.execute(
        """
        create table if not exists ops.landing_quarantine (
            entity varchar not null,
            file_path varchar not null,
            row_number bigint,
            reason varchar not null,
            raw_row varchar,
            load_seq bigint not null
        )
        """
    )
    for spec in ENTITY_SPECS.values():
        columns = ",\n".join(f"{sql_ident(c.name)} {SQL_TYPES[c.kind]}" for c in spec.columns)
        con.execute(
            f"""
            create table if not exists raw.{spec.entity} (
                _file_path varchar not null,
                _row_number bigint not null,
                _load_seq bigint not null,
                {columns}
            )
            """
        )
    con.execute(
        """
        create table if not exists raw.contact_properties (
            _file_path varchar not null,
            _row_number bigint not null,
            _load_seq bigint not null,
            contact_id varchar not null,
            property_header varchar not null,
            property_value varchar not null
        )
        """
    )


def discover_landing_files(landing_dir: Path) -> list[tuple[str, Path]]:
    """(entity, path) for every supported file under landing/<entity>/, in a stable order."""
    found: list[tuple[str, Path]] = []
    for entity in LANDING_ENTITIES:
        folder = landing_dir / entity
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
                found.append((entity, path))
    return found


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_file(
    con: duckdb.DuckDBPyConnection,
    spec: EntitySpec,
    headers: dict[str, str],
    relative: str,
    load_seq: int,
) -> tuple[int, int, int]:
    """Insert a staged file inside the caller's transaction; returns (read, loaded, quarantined)."""
    typed_names = ", ".join(sql_ident(c.name) for c in spec.columns)
    file_literal = sql_literal(relative)
    loaded = con.execute(
        f"""
        insert into raw.{spec.entity} (_file_path, _row_number, _load_seq, {typed_names})
        select {file_literal}, _row_number, {load_seq}, {typed_names}
        from _landing_checked where _reason is null
        """
    ).fetchone()[0]
    if spec.keep_other_columns:
        property_columns = [
            sql_ident(written) for norm, written in headers.items() if norm != "contact_id"
        ]
        if property_columns:
            unpivot_list = ", ".join(property_columns)
            as_text = ", ".join(f"cast({c} as varchar) as {c}" for c in property_columns)
            con.execute(
                f"""
                insert into raw.contact_properties
                select {file_literal}, checked._row_number, {load_seq}, checked.contact_id,
                    long.property_header, long.property_value
                from (
                    unpivot (select _row_number, {as_text} from _landing_file)
                    on {unpivot_list}
                    into name property_header value property_value
                ) as long
                inner join _landing_checked as checked
                    on checked._row_number = long._row_number and checked._reason is null
                where {trim_sql("long.property_value")} is not null
                """
            )
    quarantined = con.execute(
        f"""
        insert into ops.landing_quarantine
        select {sql_literal(spec.entity)}, {file_literal}, _row_number, _reason, _raw_row,
            {load_seq}
        from _landing_checked where _reason is not null
        """
    ).fetchone()[0]
    read = con.execute("select count(*) from _landing_file").fetchone()[0]
    if loaded + quarantined != read:  # every row read is either loaded or quarantined
        raise RuntimeError(
            f"{relative}: read {read} rows but loaded {loaded} + quarantined {quarantined}"
        )
    return read, loaded, quarantined


def _forget_file(con: duckdb.DuckDBPyConnection, relative: str) -> None:
    """Remove the rows of an earlier version of a file, so a changed file replaces them."""
    literal = sql_literal(relative)
    for entity in ENTITY_SPECS:
        con.execute(f"delete from raw.{entity} where _file_path = {literal}")
    con.execute(f"delete from raw.contact_properties where _file_path = {literal}")
    con.execute(f"delete from ops.landing_quarantine where file_path = {literal}")
    con.execute(f"delete from ops.loaded_files where file_path = {literal}")


def ingest_landing(
    con: duckdb.DuckDBPyConnection,
    landing_dir: Path,
    entities: Iterable[str] = LANDING_ENTITIES,
) -> IngestSummary:
    """Load every new or changed landing file; unchanged files (same content hash) are skipped.

    Each file loads in its own transaction: a crash leaves whole files loaded or not at all.
    """
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")
    ensure_raw_schema(con)
    wanted = set(entities)
    summary = IngestSummary()
    known = {
        row[0]: row[1:]
        for row in con.execute(
            "select file_path, content_hash, size_bytes, mtime_ns, status from ops.loaded_files"
        ).fetchall()
    }
    for entity, path in discover_landing_files(landing_dir):
        if entity not in wanted:
            continue
        relative = path.relative_to(landing_dir).as_posix()
        stat = path.stat()
        previous = known.get(relative)
        if previous and previous[1:3] == (stat.st_size, stat.st_mtime_ns):
            summary.files.append(FileResult(entity, relative, "skipped"))
            continue
        digest = file_digest(path)
        if previous and previous[0] == digest:
            con.execute(
                "update ops.loaded_files set size_bytes = ?, mtime_ns = ? where file_path = ?",
                [stat.st_size, stat.st_mtime_ns, relative],
            )
            summary.files.append(FileResult(entity, relative, "skipped"))
            continue
        load_seq = con.execute(
            "select coalesce(max(load_seq), 0) + 1 from ops.loaded_files"
        ).fetchone()[0]
        result = FileResult(entity, relative, "loaded")
        spec = ENTITY_SPECS[entity]
        headers: dict[str, str] | None
        try:
            headers, result.encoding = stage_file(con, spec, path)
        except LandingFileError as exc:
            headers = None
            result.status, result.error = "error", str(exc)
            log.error("landing file %s not loaded: %s", relative, exc)
        if result.encoding:
            log.warning("landing file %s is not UTF-8: read as %s", relative, result.encoding)
        con.execute("begin transaction")
        try:
            _forget_file(con, relative)
            if headers is not None:
                counts = _load_file(con, spec, headers, relative, load_seq)
                result.rows_read, result.rows_loaded, result.rows_quarantined = counts
            else:
                con.execute(
                    "insert into ops.landing_quarantine values (?, ?, null, ?, null, ?)",
                    [entity, relative, f"file not loaded: {result.error}", load_seq],
                )
        except BaseException:
            con.execute("rollback")
            raise
        con.execute(
            "insert into ops.loaded_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                relative,
                entity,
                digest,
                stat.st_size,
                stat.st_mtime_ns,
                result.rows_read,
                result.rows_loaded,
                result.rows_quarantined,
                result.status,
                result.error,
                load_seq,
                datetime.now(UTC).replace(tzinfo=None),
            ],
        )
        con.execute("commit")
        drop_staged(con)
        summary.files.append(result)
    present = {
        path.relative_to(landing_dir).as_posix() for _, path in discover_landing_files(landing_dir)
    }
    summary.missing_files = [
        file_path
        for file_path, entity in con.execute(
            "select file_path, entity from ops.loaded_files order by file_path"
        ).fetchall()
        if entity in wanted and file_path not in present
    ]
    return summary
