"""`leadscore impact` names the seed rows that changed since the last build."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb

from orchestration.rules.schema import SEED_COLUMNS
from orchestration.rules.seed_diff import seed_changes

SHIPPED = Path(__file__).resolve().parents[2] / "seeds"


def built_from(seeds: Path) -> duckdb.DuckDBPyConnection:
    """A database holding the seeds as dbt loads them (every column text)."""
    con = duckdb.connect()
    con.execute("create schema seeds")
    for name in SEED_COLUMNS:
        path = seeds / f"{name}.csv"
        if path.exists():
            con.execute(
                f"create table seeds.{name} as select * from read_csv(?, all_varchar = true, "
                "header = true)",
                [str(path)],
            )
    return con


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write(path: Path, table: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(table)


def test_edits_additions_and_removals_are_named_by_file_and_line(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SHIPPED, seeds)
    con = built_from(seeds)
    assert seed_changes(con, seeds) == []

    rules = rows(seeds / "scoring_rules.csv")
    header = rules[0]
    line = next(n for n, row in enumerate(rules) if row[1] == "eng_demo_request")
    old_points = rules[line][header.index("points")]
    rules[line][header.index("points")] = "35"
    write(seeds / "scoring_rules.csv", rules)

    conditions = rows(seeds / "rule_conditions.csv")
    conditions.append(["eng_demo_request", "property", "country", "eq", "日本"] + [""] * 6)
    write(seeds / "rule_conditions.csv", conditions)

    bands = rows(seeds / "score_bands.csv")
    removed = bands.pop()
    write(seeds / "score_bands.csv", bands)

    changes = [str(change) for change in seed_changes(con, seeds)]
    assert f"seeds/scoring_rules.csv:{line + 1}: points: '{old_points}' -> '35'" in changes
    assert any(
        c.startswith(
            f"seeds/rule_conditions.csv:{len(conditions)}: new row: rule_id='eng_demo_request'"
        )
        and "value='日本'" in c
        for c in changes
    ), changes
    assert any(
        c.startswith("seeds/score_bands.csv: removed row: ") and repr(removed[2]) in c
        for c in changes
    ), changes
    assert len(changes) == 3
