"""Publish the checked marts to the warehouse file in one atomic step (os.replace)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ..contracts import kept_tables
from ..sql_text import sql_ident, sql_literal
from .state import ensure_publish_log

PUBLISHED_SCHEMAS = ("marts", "ops")


def _qualified(relation: str) -> str:
    return ".".join(sql_ident(part) for part in relation.split("."))


def _tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(build relation, warehouse relation) of every table to publish: all of marts and ops,
    and the other tables kept across runs (into `state`), so the warehouse can restore them."""
    existing = [
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'build' order by schema_name, table_name"
        ).fetchall()
    ]
    copies = [(name, name) for name in existing if name.split(".")[0] in PUBLISHED_SCHEMAS]
    copies += [
        (table.relation, table.published_relation)
        for table in kept_tables()
        if table.published and table.relation in existing and table.relation not in dict(copies)
    ]
    return copies


def _copy_comments(
    con: duckdb.DuckDBPyConnection, source: str, relation: str, database: str = "build"
) -> None:
    """Carry the table and column descriptions (dbt's persist_docs) into the published copy,
    where BI tools show them; `create table as` copies data, not comments."""
    schema, table = source.split(".")
    (table_comment,) = con.execute(
        "select comment from duckdb_tables() "
        "where database_name = ? and schema_name = ? and table_name = ?",
        [database, schema, table],
    ).fetchone()
    if table_comment:
        con.execute(f"comment on table {relation} is {sql_literal(table_comment)}")
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? "
        "and schema_name = ? and table_name = ? and comment is not null and comment <> ''",
        [database, schema, table],
    ).fetchall():
        con.execute(f"comment on column {relation}.{sql_ident(column)} is {sql_literal(comment)}")


def remove_database_file(path: Path) -> None:
    """A DuckDB file and its write-ahead log, if they exist."""
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


@contextmanager
def replaced_atomically(warehouse: Path) -> Iterator[Path]:
    """A staging file to write the new warehouse into: swapped into place (`os.replace`) when
    the block completes, removed whatever happens. Readers never see a half-written file."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    staging = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    remove_database_file(staging)
    try:
        yield staging
        os.replace(staging, warehouse)
    finally:
        remove_database_file(staging)


def publish_warehouse(
    build_db: Path,
    warehouse: Path,
    as_of: datetime | None = None,
    rule_set_version: str | None = None,
) -> dict[str, int]:
    """Copy every table of the published schemas into a new file, then swap it into place.

    A reader holding the old file open keeps its snapshot; nobody ever sees a half-written
    file, and a failure before the swap leaves the published file untouched. With `as_of`,
    the build records the publish in ops.publish_log (published too): later runs compare
    against, and remember stages from, published runs only.
    Returns row counts per published table.
    """
    counts: dict[str, int] = {}
    logged = False
    try:
        with replaced_atomically(warehouse) as staging, duckdb.connect() as con:
            read_only = " (read_only)" if as_of is None else ""
            con.execute(f"attach {sql_literal(str(build_db))} as build{read_only}")
            con.execute("use build")
            if as_of is not None:
                ensure_publish_log(con)
                con.execute(
                    "insert into ops.publish_log values (?, ?, ?)",
                    [as_of, rule_set_version, datetime.now(UTC).replace(tzinfo=None)],
                )
                logged = True
            con.execute(f"attach {sql_literal(str(staging))} as published")
            copies = _tables_to_publish(con)
            for schema in sorted({target.split(".")[0] for _, target in copies}):
                con.execute(f"create schema published.{sql_ident(schema)}")
            for source, target in copies:
                source_sql, target_sql = _qualified(source), "published." + _qualified(target)
                con.execute(f"create table {target_sql} as select * from {source_sql}")
                counts[target] = con.execute(f"select count(*) from {target_sql}").fetchone()[0]
                _copy_comments(con, source, target_sql)
            con.execute("checkpoint published")
            con.execute("detach published")
        logged = False  # published: the log row stays
        if as_of is not None:
            remember_published_seeds(build_db)
    finally:
        if logged:
            with duckdb.connect(str(build_db)) as con:
                con.execute(
                    "delete from ops.publish_log where as_of = ? and published_at = "
                    "(select max(published_at) from ops.publish_log)",
                    [as_of],
                )
    return counts


PUBLISHED_SEEDS_SCHEMA = "published_seeds"
"""The build's copy of the seeds as the last published run scored with them: `leadscore impact`
names the seed rows changed since then (a refused run rebuilds `seeds`, never this)."""


def remember_published_seeds(build_db: Path) -> None:
    """Copy every seed table of the build (schema `seeds`) to PUBLISHED_SEEDS_SCHEMA."""
    with duckdb.connect(str(build_db)) as con:
        con.execute(f"create schema if not exists {PUBLISHED_SEEDS_SCHEMA}")
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'seeds'"
        ).fetchall():
            con.execute(
                f"create or replace table {PUBLISHED_SEEDS_SCHEMA}.{sql_ident(table)} as "
                f"select * from seeds.{sql_ident(table)}"
            )


def republish_with(warehouse: Path, replacements_db: Path, relations: list[str]) -> None:
    """A new warehouse file equal to the published one except `relations`, taken from
    `replacements_db`, swapped into place like a publish (used by `leadscore backfill`, which
    adds to history without touching the current marts). The caller holds the run lock."""
    with replaced_atomically(warehouse) as staging, duckdb.connect() as con:
        con.execute(f"attach {sql_literal(str(warehouse))} as current (read_only)")
        con.execute(f"attach {sql_literal(str(replacements_db))} as replacements (read_only)")
        con.execute(f"attach {sql_literal(str(staging))} as published")
        tables = [
            f"{schema}.{table}"
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = 'current' order by all"
            ).fetchall()
        ]
        for schema in sorted({name.split(".")[0] for name in [*tables, *relations]}):
            con.execute(f"create schema published.{sql_ident(schema)}")
        for name in sorted({*tables, *relations}):
            database = "replacements" if name in relations else "current"
            target = "published." + _qualified(name)
            con.execute(f"create table {target} as select * from {database}.{_qualified(name)}")
            _copy_comments(con, name, target, database)
        con.execute("checkpoint published")
        con.execute("detach published")


def publish_parquet(warehouse: Path, folder: Path, schema: str = "marts") -> dict[str, Path]:
    """Write every table of `schema` of the published `warehouse` as Parquet, a folder per table
    under `folder/schema` (what a lakehouse reader, Spark included, reads as a table), replacing
    the previous set in one rename: a reader never sees marts of two runs mixed."""
    target = folder / schema
    fresh = folder / f".{schema}.new"
    shutil.rmtree(fresh, ignore_errors=True)
    written: dict[str, Path] = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from duckdb_tables() where schema_name = ? order by 1",
                [schema],
            ).fetchall()
        ]
        for table in tables:
            path = fresh / table / "part-0.parquet"
            path.parent.mkdir(parents=True)
            con.execute(
                f"copy {sql_ident(schema)}.{sql_ident(table)} to {sql_literal(str(path))} "
                "(format parquet)"
            )
            written[table] = target / table
    previous = folder / f".{schema}.old"
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        os.replace(target, previous)
    os.replace(fresh, target)
    shutil.rmtree(previous, ignore_errors=True)
    return written
