"""Which seed rows changed since the last published run: `file:line: column: 'old' -> 'new'`,
for `leadscore impact` (the build database keeps the seeds that run scored with)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ..sql_text import sql_ident
from ..vocabulary import trim
from ..warehouse.publish import PUBLISHED_SEEDS_SCHEMA
from .csv_reading import read_seed
from .schema import SEED_COLUMNS, seed_columns, seed_label

SEED_KEYS: dict[str, tuple[str, ...]] = {
    "scoring_models": ("model_id",),
    "scoring_rules": ("rule_id",),
    "score_decay": ("model_id", "decay_id"),
    "score_thresholds": ("model_id", "segment", "stage"),
    "score_bands": ("model_id", "score", "band"),
    "stage_exclusions": ("model_id", "exclusion_id"),
    "feedback_rules": ("model_id", "feedback"),
    "alert_routes": ("model_id", "to_stage", "channel", "destination"),
    "crm_field_map": ("model_id", "target", "score_column"),
}
"""What identifies a row of each seed (compared trimmed and case-insensitively). A seed without
one (rule_conditions) is compared row by row: a changed row is one removed and one added."""


@dataclass(frozen=True)
class SeedChange:
    file: str
    line: int | None
    """The row's line in the current file; None for a row that is gone."""
    text: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.text}"


def _identity(values: dict[str, str], key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(values.get(column, "").lower() for column in key)


def _described(values: dict[str, str], columns: tuple[str, ...]) -> str:
    return ", ".join(f"{column}={values[column]!r}" for column in columns if values.get(column))


def _built_rows(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, str]] | None:
    """The seed's rows as the last published run scored with them (else as the last build
    loaded them), as trimmed text; None without a table."""
    schemas = [
        row[0]
        for row in con.execute(
            "select schema_name from duckdb_tables() where table_name = ? "
            "and schema_name in (?, 'seeds') order by schema_name <> ?",
            [name, PUBLISHED_SEEDS_SCHEMA, PUBLISHED_SEEDS_SCHEMA],
        ).fetchall()
    ]
    if not schemas:
        return None
    cursor = con.execute(f"select * from {sql_ident(schemas[0])}.{sql_ident(name)}")
    columns = [d[0].lower() for d in cursor.description]
    return [
        {column: trim(value) for column, value in zip(columns, row, strict=True)}
        for row in cursor.fetchall()
    ]


def seed_changes(con: duckdb.DuckDBPyConnection, seeds_dir: Path) -> list[SeedChange]:
    """Every seed row added, removed or edited in `seeds_dir` since the published run whose
    seeds the build `con` remembers (warehouse/publish.py), else since its last build."""
    changes: list[SeedChange] = []
    for name in SEED_COLUMNS:
        seed, _problems = read_seed(seeds_dir, name)
        built = _built_rows(con, name)
        if built is None or not seed.usable:
            continue
        file = seed_label(name)
        columns = seed_columns(name)
        key = SEED_KEYS.get(name)
        if key is None:
            old = Counter(tuple(row.get(c, "") for c in columns) for row in built)
            for row in seed.rows:
                values = tuple(row.values.get(c, "") for c in columns)
                if old[values]:
                    old[values] -= 1
                else:
                    text = _described(dict(zip(columns, values, strict=True)), columns)
                    changes.append(SeedChange(file, row.line, f"new row: {text}"))
            for values, count in old.items():
                text = _described(dict(zip(columns, values, strict=True)), columns)
                changes.extend(SeedChange(file, None, f"removed row: {text}") for _ in range(count))
            continue
        before = {_identity(row, key): row for row in built}
        seen = set()
        for row in seed.rows:
            identity = _identity(row.values, key)
            seen.add(identity)
            old_row = before.get(identity)
            if old_row is None:
                changes.append(
                    SeedChange(file, row.line, f"new row: {_described(row.values, columns)}")
                )
                continue
            for column in columns:
                old_value, new_value = old_row.get(column, ""), row.values.get(column, "")
                if old_value != new_value:
                    changes.append(
                        SeedChange(file, row.line, f"{column}: {old_value!r} -> {new_value!r}")
                    )
        for identity, old_row in before.items():
            if identity not in seen:
                changes.append(SeedChange(file, None, f"removed row: {_described(old_row, key)}"))
    return changes
