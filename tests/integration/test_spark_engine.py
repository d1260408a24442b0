"""The Spark engine (LEADSCORE_ENGINE=spark) builds the same marts as DuckDB from the same data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.contracts import model_specs
from tests.support.scenario import Scenario

pytestmark = [pytest.mark.integration, pytest.mark.spark]

AS_OF = "2026-11-01 00:00:00"
HOSTILE = "'; drop table x; --"
BACKSLASHED = "c:\\temp\\'quoted'"


def _rows(db: Path, relation: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return sorted(con.execute(f"select * from {relation}").fetchall(), key=repr)


def _column_types(db: Path, relation: str) -> list[tuple[str, str]]:
    schema, table = relation.split(".")
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select column_name, data_type from duckdb_columns() "
            "where schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()


def _published_marts() -> list[str]:
    return sorted(spec.relation for spec in model_specs().values() if spec.schema == "marts")


def _setup_literal_rules(s: Scenario) -> None:
    """Rule values that would be SQL if pasted into it: a quote, a comment, backslashes."""
    s.model("m")
    s.rule(
        "hostile_company",
        10,
        {"subject": "property", "field": "company", "operator": "eq", "value": HOSTILE},
        score_group="fit",
        description=HOSTILE,
    )
    s.rule(
        "backslashed_title",
        5,
        {"subject": "property", "field": "title", "operator": "in", "value": BACKSLASHED + "|x"},
        score_group="fit",
    )
    s.rule(
        "visits",
        3,
        {"subject": "activity", "field": "page_view", "operator": "any", "window_days": 30},
    )
    s.landing(
        "contacts",
        [
            {"contact_id": "quote", "company": HOSTILE, "title": "ceo"},
            {"contact_id": "slash", "company": "acme", "title": BACKSLASHED},
            {"contact_id": "plain", "company": "acme", "title": "x"},
        ],
    )
    s.landing(
        "activities",
        [
            {
                "contact_id": contact,
                "activity_type": "page_view",
                "occurred_at": f"2026-10-2{day} 10:00:00",
                "target": "/pricing",
            }
            for contact, day in (("quote", 1), ("plain", 2), ("plain", 3))
        ],
    )


@pytest.mark.slow  # make test builds on Spark once (the worked examples); CI runs this too
def test_rule_values_are_matched_literally_and_every_mart_equals_duckdb(tmp_path, dbt_workspace):
    built = {}
    for engine in ("duckdb", "spark"):
        scenario = Scenario(tmp_path / engine, dbt_workspace, engine=engine)
        _setup_literal_rules(scenario)
        scenario.build(AS_OF)
        built[engine] = tmp_path / f"{engine}.duckdb"
        scenario.db_path.rename(built[engine])
        Path(f"{scenario.db_path}.wal").unlink(missing_ok=True)

    totals = {
        row[0]: row[1]
        for row in duckdb.connect(str(built["spark"]), read_only=True)
        .execute("select contact_id, fit_score from marts.contact_scores")
        .fetchall()
    }
    assert {contact: float(score) for contact, score in totals.items()} == {
        "quote": 10.0,
        "slash": 5.0,
        "plain": 5.0,
    }
    for relation in _published_marts():
        assert _column_types(built["spark"], relation) == _column_types(built["duckdb"], relation)
        assert _rows(built["spark"], relation) == _rows(built["duckdb"], relation), relation


def _leadscore(data_dir: Path, *args: str, engine: str) -> subprocess.CompletedProcess:
    env = os.environ | {
        "LEADSCORE_DATA_DIR": str(data_dir),
        "LEADSCORE_ENGINE": engine,
        "LEADSCORE_SPARK_MASTER": "local[2]",
    }
    command = [str(Path(sys.executable).parent / "leadscore"), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.mark.slow
def test_spark_run_of_the_demo_publishes_the_same_marts_as_duckdb(tmp_path):
    """`LEADSCORE_ENGINE=spark leadscore run` on the demo data (2,000 contacts): every published
    mart, contact_scores and score_breakdown among them, equals DuckDB's row for row; the marts
    are also published as Parquet."""
    as_of = "2026-11-01T00:00:00Z"
    warehouses = {}
    for engine in ("duckdb", "spark"):
        data = tmp_path / engine
        _leadscore(
            data, "demo", "--contacts", "2000", "--seed", "42", "--as-of", as_of, engine=engine
        )
        _leadscore(data, "run", "--as-of", as_of, engine=engine)
        warehouses[engine] = data / "warehouse" / "lead_scoring.duckdb"

    for relation in _published_marts():
        assert _column_types(warehouses["spark"], relation) == _column_types(
            warehouses["duckdb"], relation
        ), relation
        assert _rows(warehouses["spark"], relation) == _rows(warehouses["duckdb"], relation), (
            relation
        )
    assert len(_rows(warehouses["spark"], "marts.contact_scores")) > 2000

    parquet = tmp_path / "spark" / "warehouse" / "parquet" / "marts"
    with duckdb.connect() as con:
        from_parquet = con.execute(
            f"select count(*) from read_parquet('{parquet / 'contact_scores' / '*.parquet'}')"
        ).fetchone()[0]
    assert from_parquet == len(_rows(warehouses["spark"], "marts.contact_scores"))

    top = _leadscore(tmp_path / "spark", "top", "--limit", "5", engine="spark").stdout
    assert top == _leadscore(tmp_path / "duckdb", "top", "--limit", "5", engine="duckdb").stdout
