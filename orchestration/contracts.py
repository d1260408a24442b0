"""The dbt model yml files as the one declaration of mart columns and kept-across-runs tables.

Python never writes a mart's column list again: it asks here, and here reads the same yml that
dbt enforces as a contract (`contract: enforced`). Reading the yml (not the manifest) keeps this
usable without a `dbt parse` and without dagster.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .config import SOURCE_DBT_PROJECT_DIR

MODELS_DIR = SOURCE_DBT_PROJECT_DIR / "models"


@dataclass(frozen=True)
class ModelSpec:
    """One model as its yml declares it."""

    name: str
    schema: str
    columns: tuple[str, ...]
    column_types: dict[str, str]
    meta: dict[str, Any]
    path: Path

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class KeptTable:
    """A table whose rows survive every run and full refresh (history, memory of stages)."""

    relation: str
    run_column: str
    """The column holding the as-of instant of the run that wrote a row."""
    published: bool
    """Also published to the warehouse, so a refused re-run or a lost build database can
    restore its rows from there."""

    @property
    def published_relation(self) -> str:
        """Where the warehouse holds it: marts and ops tables as they are; others (internal
        memory such as sticky stages) in the warehouse's `state` schema."""
        schema, table = self.relation.split(".")
        return self.relation if schema in ("marts", "ops") else f"state.{table}"


def _schema_of(path: Path, declared: dict[str, Any]) -> str:
    schema = (declared.get("config") or {}).get("schema")
    if schema:
        return schema
    # Every other folder sets its schema once in dbt_project.yml, named like the folder; the
    # state folder holds tables of several schemas, so each of its ymls must say which.
    top = path.relative_to(MODELS_DIR).parts[0]
    if top == "state":
        raise ValueError(f"{path}: a model kept across runs must declare `config: schema:`")
    return top


@cache
def model_specs() -> dict[str, ModelSpec]:
    """Every model declared in a yml under dbt_project/models, by name."""
    specs: dict[str, ModelSpec] = {}
    for path in sorted(MODELS_DIR.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for declared in document.get("models") or []:
            columns = declared.get("columns") or []
            config = declared.get("config") or {}
            specs[declared["name"]] = ModelSpec(
                name=declared["name"],
                schema=_schema_of(path, declared),
                columns=tuple(column["name"] for column in columns),
                column_types={
                    column["name"]: str(column.get("data_type", "")).lower() for column in columns
                },
                meta=dict(config.get("meta") or declared.get("meta") or {}),
                path=path,
            )
    return specs


def model_columns(name: str) -> tuple[str, ...]:
    """The declared columns of a model, in declaration order."""
    try:
        return model_specs()[name].columns
    except KeyError:
        raise KeyError(f"no yml under {MODELS_DIR} declares the model {name!r}") from None


def model_column_types(name: str) -> dict[str, str]:
    """Declared data type (lowercase) of every column of a model."""
    return model_specs()[name].column_types


@cache
def kept_tables() -> tuple[KeptTable, ...]:
    """The tables kept across runs: models whose yml says `meta: kept_across_runs`."""
    kept = []
    for spec in model_specs().values():
        marker = spec.meta.get("kept_across_runs")
        if marker:
            kept.append(
                KeptTable(
                    relation=spec.relation,
                    run_column=marker["run_column"],
                    published=bool(marker.get("published", False)),
                )
            )
    return tuple(sorted(kept, key=lambda table: table.relation))
