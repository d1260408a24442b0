"""Load landing files (CSV, Parquet, JSONL) into raw tables, once each, quarantining bad rows."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from .publish import ensure_publish_log
from .settings import LANDING_ENTITIES
from .sql_text import sql_ident, sql_literal
from .vocabulary import DEAL_STATUSES, FEEDBACK_KINDS, trim

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def _trimmed(expr: str) -> str:
    """SQL that trims spaces, tabs, CR/LF and the full-width space, and maps '' to NULL.

    trim() with a character set is several times slower than looking at the first and last
    character, and most values need no trimming: only those that start or end with one are
    trimmed (the dbt macro `clean_text` does the same).
    """
    text = f"cast({expr} as varchar)"
    # A superset test (any control character or space); trim() then removes only the five.
    return (
        f"case when ord({text}) <= 32 or ord({text}) = 12288 "
        f"or ord({text}[-1]) <= 32 or ord({text}[-1]) = 12288 "
        f"then nullif(trim({text}, ' ' || chr(9) || chr(10) || chr(13) || chr(12288)), '') "
        f"else nullif({text}, '') end"
    )


def _is_temporal(sql_type: str) -> bool:
    return sql_type.upper().startswith(("TIMESTAMP", "DATE"))


_NUMERIC_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
    "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "REAL", "DOUBLE",
}  # fmt: skip


def _is_numeric(sql_type: str) -> bool:
    return sql_type.upper() in _NUMERIC_TYPES or sql_type.upper().startswith("DECIMAL")


@dataclass(frozen=True)
class Column:
    """One landing column the loader types and checks."""

    name: str
    kind: str = "text"  # text | timestamp | number
    required: bool = False
    allowed: tuple[str, ...] = ()  # case-insensitive vocabulary, when closed
    strict: bool = True  # False: an unparseable value is kept as text, not quarantined


@dataclass(frozen=True)
class EntitySpec:
    """The typed columns of one landing entity and the raw table they land in."""

    entity: str
    columns: tuple[Column, ...]
    keep_other_columns: bool = False  # contacts: every other column is a property

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


ENTITY_SPECS: dict[str, EntitySpec] = {
    "contacts": EntitySpec(
        "contacts",
        (
            Column("contact_id", required=True),
            # Contact timestamps are properties too: a bad one must not drop the contact.
            Column("updated_at", "timestamp", strict=False),
            Column("created_at", "timestamp", strict=False),
        ),
        keep_other_columns=True,
    ),
    "activities": EntitySpec(
        "activities",
        (
            Column("contact_id", required=True),
            Column("activity_type", required=True),
            Column("occurred_at", "timestamp", required=True),
            Column("activity_id"),
            Column("target"),
            Column("value", "number"),
        ),
    ),
    "deals": EntitySpec(
        "deals",
        (
            Column("deal_id", required=True),
            Column("contact_id", required=True),
            Column("created_at", "timestamp", required=True),
            Column("status", required=True, allowed=DEAL_STATUSES),
            Column("closed_at", "timestamp"),
            Column("amount", "number"),
            Column("product_line"),
        ),
    ),
    "sales_feedback": EntitySpec(
        "sales_feedback",
        (
            Column("contact_id", required=True),
            Column("feedback", required=True, allowed=FEEDBACK_KINDS),
            Column("given_at", "timestamp", required=True),
            Column("model_id"),
            Column("given_by"),
            Column("note"),
        ),
    ),
}

_SQL_TYPES = {"text": "varchar", "timestamp": "timestamp", "number": "double"}


class LandingFileError(Exception):
    """A landing file that cannot be loaded at all (unreadable, or a required column missing)."""


@dataclass
class FileResult:
    """What loading one landing file did."""

    entity: str
    path: str
    status: str  # loaded | skipped | error
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None


@dataclass
class IngestSummary:
    """What one pass over the landing folder did."""

    files: list[FileResult] = field(default_factory=list)

    def _sum(self, attr: str, status: str | None = None) -> int:
        return sum(getattr(f, attr) for f in self.files if status is None or f.status == status)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_loaded(self) -> int:
        return self._sum("rows_loaded")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    @property
    def files_loaded(self) -> int:
        return sum(1 for f in self.files if f.status == "loaded")

    @property
    def files_skipped(self) -> int:
        return sum(1 for f in self.files if f.status == "skipped")

    @property
    def file_errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]

    def describe(self) -> str:
        text = (
            f"landing: {self.files_loaded} file(s) loaded, {self.files_skipped} unchanged, "
            f"{len(self.file_errors)} failed; rows read {self.rows_read:,}, "
            f"loaded {self.rows_loaded:,}, quarantined {self.rows_quarantined:,}"
        )
        for failed in self.file_errors:
            text += f"\n  ! {failed.path}: {failed.error}"
        return text


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
        columns = ",\n".join(f"{sql_ident(c.name)} {_SQL_TYPES[c.kind]}" for c in spec.columns)
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


def _drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the temp objects of the previous file (the staged file may be a table or a view)."""
    for name, kind in con.execute(
        "select table_name, table_type from information_schema.tables "
        "where table_name in ('_landing_file', '_landing_checked', '_landing_json')"
    ).fetchall():
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} if exists {name}")


def _read_as_text(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """Stage one landing file as a temp table of text columns plus its row number.

    Returns the temp table's name. CSV and JSONL row numbers are line numbers (CSV header =
    line 1) as long as no value spans lines; Parquet row numbers count rows from 1.
    """
    kind = SUPPORTED_SUFFIXES[path.suffix.lower()]
    location = sql_literal(str(path))
    table = "_landing_file"
    _drop_staged(con)
    if kind == "csv":
        # Row order is kept by DuckDB's streaming window, so row_number() is the record order.
        options = "all_varchar = true, header = true, null_padding = true, strict_mode = false"
        try:
            con.execute(
                f"create temp table {table} as select *, row_number() over () + 1 as _row_number "
                f"from read_csv({location}, {options})"
            )
        except duckdb.Error:
            # The parallel reader rejects padded short rows next to quoted line breaks.
            con.execute(
                f"create temp table {table} as select *, row_number() over () + 1 as _row_number "
                f"from read_csv({location}, {options}, parallel = false)"
            )
    elif kind == "parquet":
        # Typed Parquet columns stay typed (timestamps, numbers are not re-parsed from text); a
        # view, since Parquet numbers its rows itself.
        con.execute(
            f"create temp view {table} as select * exclude (file_row_number), "
            "file_row_number + 1 as _row_number "
            f"from read_parquet({location}, file_row_number = true)"
        )
    else:
        # Read lines as text first so a line that is not JSON keeps its raw text and number.
        con.execute(
            "create temp table _landing_json as select line, row_number() over () as _row_number "
            f"from read_csv({location}, columns = {{'line': 'varchar'}}, delim = chr(1), "
            "quote = '', escape = '', header = false, auto_detect = false)"
        )
        con.execute(
            "create or replace temp table _landing_json as select _row_number, line, "
            "case when json_valid(line) and json_type(line) = 'OBJECT' then json(line) end as json "
            "from _landing_json where trim(line) <> ''"
        )
        keys = [
            row[0]
            for row in con.execute(
                "select distinct unnest(json_keys(json)) from _landing_json order by 1"
            ).fetchall()
        ]
        # JSON pointers ('/key', with ~ and / escaped) address any key without path syntax.
        pointers = {k: "/" + k.replace("~", "~0").replace("/", "~1") for k in keys}
        select = "".join(
            f"json_extract_string(json, {sql_literal(pointer)}) as {sql_ident(key)}, "
            for key, pointer in pointers.items()
        )
        con.execute(
            f"create temp table {table} as select {select}"
            "case when json is null then line end as _invalid_json, _row_number "
            "from _landing_json"
        )
        con.execute("drop table _landing_json")
    return table


def _header_map(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    """Normalised column name -> column name as written (first one wins)."""
    names = [row[0] for row in con.execute(f"describe {table}").fetchall()]
    mapping: dict[str, str] = {}
    for name in names:
        if name in ("_row_number", "_invalid_json"):
            continue
        mapping.setdefault(trim(name).lower(), name)
    return mapping


def _checks(
    spec: EntitySpec, headers: dict[str, str], types: dict[str, str]
) -> tuple[list[str], list[str], list[str]]:
    """SQL for one file: trimmed texts, typed columns (from the texts) and per-row problems.

    Each text is trimmed once, in its own column, and reused. Columns a Parquet file already
    types (timestamps, numbers) are cast, not re-parsed from text.
    """
    trims, selects, problems = [], [], []
    for column in spec.columns:
        written = headers.get(column.name)
        source = sql_ident(written) if written else "cast(null as varchar)"
        source_type = types.get(written, "VARCHAR") if written else "VARCHAR"
        text = sql_ident(f"__text_{column.name}")
        already_typed = (column.kind == "timestamp" and _is_temporal(source_type)) or (
            column.kind == "number" and _is_numeric(source_type)
        )
        # A typed value is never rendered as text: that cast alone costs more than the load.
        trims.append(f"{source if already_typed else _trimmed(source)} as {text}")
        if column.kind == "timestamp" and already_typed:
            typed = f"cast({source} as timestamp)"
        elif column.kind == "number" and already_typed:
            typed = f"cast({source} as double)"
        elif column.kind == "timestamp":
            # A zone-less timestamp is UTC; the session runs in UTC so the cast keeps it as is.
            typed = f"try_cast(try_cast({text} as timestamptz) as timestamp)"
            if column.strict:
                problems.append(
                    f"case when {text} is not null and {typed} is null "
                    f"then 'unparseable {column.name}: ' || {text} end"
                )
        elif column.kind == "number":
            typed = f"try_cast({text} as double)"
            problems.append(
                f"case when {text} is not null and {typed} is null "
                f"then 'unparseable {column.name}: ' || {text} end"
            )
        else:
            typed = text
        if column.required:
            problems.append(f"case when {text} is null then 'missing {column.name}' end")
        if column.allowed:
            vocabulary = ", ".join(sql_literal(v) for v in column.allowed)
            problems.append(
                f"case when {text} is not null and lower({text}) not in ({vocabulary}) "
                f"then 'unknown {column.name}: ' || {text} end"
            )
            typed = f"lower({text})"
        selects.append(f"{typed} as {sql_ident(column.name)}")
    return trims, selects, problems


def _stage_file(con: duckdb.DuckDBPyConnection, spec: EntitySpec, path: Path) -> dict[str, str]:
    """Read and check one file into temp tables, outside any transaction; returns its headers."""
    try:
        table = _read_as_text(con, path)
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LandingFileError(
            f"cannot be read as {path.suffix.lstrip('.')}: {first_line}"
        ) from exc
    headers = _header_map(con, table)
    missing = [name for name in spec.required if name not in headers]
    if missing:
        raise LandingFileError(
            f"missing required column(s) {', '.join(missing)} "
            f"(found: {', '.join(headers.values()) or 'none'})"
        )
    types = {name: kind for name, kind, *_ in con.execute(f"describe {table}").fetchall()}
    trims, selects, problems = _checks(spec, headers, types)
    # Every problem of a row is reported, joined; a row with none is loaded.
    reason = f"nullif(concat_ws('; ', {', '.join(problems)}), '')"
    raw_row_fallback = "null"
    if "_invalid_json" in types:
        reason = f"case when _invalid_json is not null then 'invalid JSON line' else {reason} end"
        raw_row_fallback = "_invalid_json"
    raw_struct = ", ".join(f"{sql_ident(c)} := {sql_ident(c)}" for c in headers.values())
    con.execute(
        f"""
        create or replace temp view _landing_checked as
        with

        trimmed as (
            select *, {", ".join(trims)} from {table}
        ),

        checked as (
            select *, {reason} as _reason from trimmed
        )

        select
            _row_number,
            {", ".join(selects)},
            _reason,
            -- The raw row is kept for quarantined rows only (JSON for every row is costly).
            case when _reason is not null then coalesce(
                {raw_row_fallback}, cast(to_json(struct_pack({raw_struct})) as varchar)
            ) end as _raw_row
        from checked
        """
    )
    return headers


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
                where {_trimmed("long.property_value")} is not null
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
        try:
            headers: dict[str, str] | None = _stage_file(con, spec, path)
        except LandingFileError as exc:
            headers = None
            result.status, result.error = "error", str(exc)
            log.error("landing file %s not loaded: %s", relative, exc)
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
        _drop_staged(con)
        summary.files.append(result)
    return summary
