"""The Spark engine's two hand-offs with the build database: its sources and kept state go in as
Parquet, and every table dbt built on Spark comes back, typed as the model ymls declare.

The build database stays the one place Python reads (publish, alerts, CRM export, explain) and
where the kept state is reconciled with the warehouse before a run, whatever the engine. Spark
starts every build from a fresh catalog under `spark_dir`: it can hold no state of its own that
could disagree with the build database.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from ..config import SOURCE_DBT_PROJECT_DIR, ConfigError, EnvVar, Settings, java_home
from ..contracts import kept_tables, model_specs
from ..sql_text import sql_ident, sql_literal

SOURCES_YML = SOURCE_DBT_PROJECT_DIR / "models" / "staging" / "landing" / "_sources.yml"


class SparkHandoffError(RuntimeError):
    """A table could not be handed to or back from Spark."""


@dataclass(frozen=True)
class HandedIn:
    """One build-database table handed to Spark as a Parquet folder."""

    relation: str
    path: Path
    kept: bool
    """A kept table Spark changes (a managed copy); sources are read in place."""

    def as_json(self) -> dict[str, Any]:
        schema, table = self.relation.split(".")
        return {"schema": schema, "table": table, "path": self.path.as_posix(), "kept": self.kept}


@cache
def source_relations() -> tuple[str, ...]:
    """schema.table of every dbt source, read from the one yml that declares them."""
    document = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
    return tuple(
        f"{source['schema']}.{table['name']}"
        for source in document["sources"]
        for table in source["tables"]
    )


def _existing(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables()"
        ).fetchall()
    }


def hand_in(
    build_db: Path, spark_dir: Path, config: Mapping[str, Any] | None = None
) -> list[HandedIn]:
    """Start a fresh Spark catalog under `spark_dir` and write the sources and kept tables of
    `build_db` beside it as Parquet; returns what on-run-start must register."""
    shutil.rmtree(spark_dir, ignore_errors=True)
    folder = spark_dir / "hand_in"
    folder.mkdir(parents=True)
    kept = {table.relation for table in kept_tables()}
    handed: list[HandedIn] = []
    with duckdb.connect(str(build_db), read_only=True, config=dict(config or {})) as con:
        existing = _existing(con)
        for relation in (*source_relations(), *sorted(kept)):
            if relation not in existing:
                continue  # a first run: Spark builds the kept table from nothing
            path = folder / relation
            path.mkdir()
            schema, table = relation.split(".")
            con.execute(
                f"copy (select * from {sql_ident(schema)}.{sql_ident(table)}) "
                f"to {sql_literal(str(path / 'part-0.parquet'))} (format parquet)"
            )
            handed.append(HandedIn(relation, path, relation in kept))
    return handed


def hand_in_variable(handed: Iterable[HandedIn]) -> str:
    """The JSON the on-run-start macro `register_handed_in_tables` reads."""
    return json.dumps([table.as_json() for table in handed])


def _built_relations(
    manifest: Mapping[str, Any], run_results: Mapping[str, Any]
) -> list[tuple[str, str, str]]:
    """(schema, table, node name) of every model and seed this dbt invocation built."""
    built = {
        result["unique_id"] for result in run_results["results"] if result["status"] == "success"
    }
    return sorted(
        (node["schema"], node.get("alias") or node["name"], node["name"])
        for unique_id, node in manifest["nodes"].items()
        if unique_id in built
        and node["resource_type"] in ("model", "seed")
        and node.get("config", {}).get("materialized") != "ephemeral"
    )


def _spark_folder(spark_dir: Path, schema: str, table: str) -> Path:
    return spark_dir / "warehouse" / f"{schema}.db" / table


def _typed_columns(con: duckdb.DuckDBPyConnection, source: str, model: str) -> str:
    """The select list of a handed-back table: a column the model yml types is cast to that
    type (Spark's `string` is DuckDB's `varchar`, its integers may be narrower). A model whose
    yml types every column (a contract) keeps the yml's order, as dbt-duckdb builds it."""
    described = [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
    declared = model_specs().get(model)
    types = {
        name: kind for name, kind in (declared.column_types if declared else {}).items() if kind
    }
    missing = [
        column for column in (declared.columns if declared else ()) if column not in described
    ]
    if missing:
        raise SparkHandoffError(
            f"the Spark build of {model} lacks the declared column(s) {', '.join(missing)}"
        )
    contract = declared is not None and set(types) == set(described)
    ordered = list(declared.columns) if contract else described
    return ", ".join(
        f"cast({sql_ident(column)} as {types[column]}) as {sql_ident(column)}"
        if column in types
        else sql_ident(column)
        for column in ordered
    )


def _empty_seed(node: Mapping[str, Any]) -> str:
    """A select of no rows with the columns of a seed file (every seed column is text)."""
    path = Path(node["root_path"]) / node["original_file_path"]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    columns = ", ".join(f"cast(null as varchar) as {sql_ident(name)}" for name in header)
    return f"(select {columns} where false)"


def hand_back(
    build_db: Path,
    spark_dir: Path,
    manifest: Mapping[str, Any],
    run_results: Mapping[str, Any],
    config: Mapping[str, Any] | None = None,
) -> int:
    """Replace the build database's copy of every table dbt built on Spark, in one transaction,
    with its descriptions as table and column comments (dbt's persist_docs on DuckDB)."""
    relations = _built_relations(manifest, run_results)
    seeds = {
        node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "seed"
    }
    descriptions = {
        node["name"]: node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    with duckdb.connect(str(build_db), config=dict(config or {})) as con:
        views = {
            f"{schema}.{view}"
            for schema, view in con.execute(
                "select schema_name, view_name from duckdb_views() where not internal"
            ).fetchall()
        }
        con.execute("begin")
        for schema, table, model in relations:
            folder = _spark_folder(spark_dir, schema, table)
            if any(folder.glob("*.parquet")):
                source = f"read_parquet({sql_literal(str(folder / '*.parquet'))})"
            elif model in seeds:
                source = _empty_seed(seeds[model])  # a header-only file: Spark wrote no file
            else:
                raise SparkHandoffError(f"Spark wrote no Parquet for {schema}.{table} ({folder})")
            relation = f"{sql_ident(schema)}.{sql_ident(table)}"
            con.execute(f"create schema if not exists {sql_ident(schema)}")
            if f"{schema}.{table}" in views:  # a DuckDB build's view, now a table
                con.execute(f"drop view {relation}")
            con.execute(
                f"create or replace table {relation} as "
                f"select {_typed_columns(con, source, model)} from {source}"
            )
            node = descriptions.get(model)
            if node and node.get("description"):
                con.execute(f"comment on table {relation} is {sql_literal(node['description'])}")
            for column, spec in ((node or {}).get("columns") or {}).items():
                if spec.get("description"):
                    con.execute(
                        f"comment on column {relation}.{sql_ident(column)} is "
                        f"{sql_literal(spec['description'])}"
                    )
        con.execute("commit")
    return len(relations)


def check_spark_installed() -> None:
    """LEADSCORE_ENGINE=spark needs the `spark` extra and a Java runtime: say so in one line
    before dbt fails deep inside its adapter or Spark's launcher."""
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        raise ConfigError(
            "LEADSCORE_ENGINE=spark needs the spark extra: pip install -e '.[spark]' "
            "(dbt-spark and pyspark)"
        )
    home = java_home()
    if not (
        home / "bin" / "java" if home else Path(shutil.which("java") or "/nonexistent")
    ).exists():
        raise ConfigError(
            "LEADSCORE_ENGINE=spark needs a Java 17+ runtime: install one (e.g. apt-get install "
            "openjdk-17-jre-headless) or set JAVA_HOME"
        )


def prepare_dbt_build(settings: Settings, build_db: Path) -> dict[str, str]:
    """What dbt's process needs besides Settings.dbt_environment: on Spark, the hand-in of
    `build_db` (nothing on DuckDB, which builds into `build_db` itself)."""
    if settings.engine != "spark":
        return {}
    check_spark_installed()
    handed = hand_in(build_db, settings.spark_dir(build_db), settings.duckdb_config())
    return {EnvVar.DBT_SPARK_HAND_IN: hand_in_variable(handed)}


def finish_dbt_build(settings: Settings, build_db: Path, target_path: Path) -> None:
    """After a successful `dbt build`: on Spark, hand every built table back into `build_db`."""
    if settings.engine != "spark":
        return
    manifest, run_results = (
        json.loads((target_path / name).read_text(encoding="utf-8"))
        for name in ("manifest.json", "run_results.json")
    )
    hand_back(
        build_db, settings.spark_dir(build_db), manifest, run_results, settings.duckdb_config()
    )
