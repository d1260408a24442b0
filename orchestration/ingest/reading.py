"""Read one landing file into temp tables of trimmed texts, typed values and row problems."""

from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from ..sql_text import sql_ident, sql_literal
from ..vocabulary import trim, trim_sql
from .encoding import detect_encoding, write_utf8_copy
from .entities import SUPPORTED_SUFFIXES, EntitySpec, is_numeric_type, is_temporal_type
from .results import LandingFileError


def drop_staged(con: duckdb.DuckDBPyConnection) -> None:
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
    drop_staged(con)
    if kind == "csv":
        # Row order is kept by DuckDB's streaming window, so row_number() is the record order.
        # Quotes are RFC 4180's double quotes: left to sniff, a value starting with ' (such as
        # '; drop table x; --) made DuckDB read ' as the quote and merge lines.
        options = (
            "all_varchar = true, header = true, null_padding = true, strict_mode = false, "
            "quote = '\"', escape = '\"'"
        )
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
        already_typed = (column.kind == "timestamp" and is_temporal_type(source_type)) or (
            column.kind == "number" and is_numeric_type(source_type)
        )
        # A typed value is never rendered as text: that cast alone costs more than the load.
        trims.append(f"{source if already_typed else trim_sql(source)} as {text}")
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


def _read_any_encoding(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, str | None]:
    """`_read_as_text`, through a UTF-8 copy for a CP932 or UTF-16 text file.

    Returns the temp table and, for a re-encoded file, the encoding it was read from. DuckDB
    reads UTF-8 only (a UTF-8 BOM is fine): the encoding is looked at only when it fails.
    """
    try:
        return _read_as_text(con, path), None
    except duckdb.Error as exc:
        kind = SUPPORTED_SUFFIXES[path.suffix.lower()]
        encoding = detect_encoding(path) if kind != "parquet" else None
        if encoding is None or encoding.name == "utf-8":
            text = str(exc).strip()
            first_line = text.splitlines()[0] if text else type(exc).__name__
            raise LandingFileError(f"cannot be read as {kind}: {first_line}") from exc
        if not encoding.readable:
            raise LandingFileError(encoding.problem()) from exc
    # The staged table is a copy of the rows, so the UTF-8 copy is not needed after reading.
    with tempfile.TemporaryDirectory(prefix="leadscore-landing-") as folder:
        copy = write_utf8_copy(path, encoding, Path(folder) / path.name)
        try:
            return _read_as_text(con, copy), encoding.name
        except duckdb.Error as exc:
            text = str(exc).strip().splitlines()
            raise LandingFileError(
                f"cannot be read as {kind} (read as {encoding.name}): "
                f"{text[0] if text else type(exc).__name__}"
            ) from exc


def stage_file(
    con: duckdb.DuckDBPyConnection, spec: EntitySpec, path: Path
) -> tuple[dict[str, str], str | None]:
    """Read and check one file into temp tables, outside any transaction.

    Returns its headers, and the encoding it was read from when that was not UTF-8.
    """
    table, encoding = _read_any_encoding(con, path)
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
    return headers, encoding
