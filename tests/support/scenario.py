"""A scoring scenario for tests: its own seeds, landing files and build database, run with dbt."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.config import EnvVar, load_settings, mirror_dbt_project, parse_as_of
from orchestration.dbt_cli import SKIP_UNIT_TESTS, dbt_executable
from orchestration.ingest import ingest_landing
from orchestration.rules import SEED_COLUMNS
from orchestration.rules.schema import OPTIONAL_SEED_COLUMNS
from orchestration.warehouse.spark_handoff import finish_dbt_build, prepare_dbt_build

SPARK_TEST_MASTER = "local[2]"
"""The machines here have 2 cores; a scenario's data is small."""


def write_csv(path: Path, columns: Iterable[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(columns)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            unknown = set(row) - set(columns)
            if unknown:
                raise ValueError(f"{path.name}: unknown columns {sorted(unknown)}")
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


@dataclass
class Scenario:
    """Seeds and landing data written to a temporary folder, scored by the real dbt project."""

    root: Path
    # Seeds, database and dbt target live at fixed paths for the whole test session, so dbt's
    # partial parsing survives from one scenario to the next (tests in a session run serially).
    workspace: Path
    seeds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    engine: str = "duckdb"
    """LEADSCORE_ENGINE of the builds: `spark` runs the same models through dbt-spark."""

    def __post_init__(self) -> None:
        shutil.rmtree(self.seeds_dir, ignore_errors=True)
        for path in (self.db_path, Path(f"{self.db_path}.wal")):
            path.unlink(missing_ok=True)
        mirror_dbt_project(self.project_dir, self.seeds_dir)

    @property
    def project_dir(self) -> Path:
        """A mirror of the dbt project whose `../seeds` is this workspace's seeds folder."""
        return self.workspace / "project"

    @property
    def seeds_dir(self) -> Path:
        return self.workspace / "seeds"

    @property
    def landing_dir(self) -> Path:
        return self.root / "landing"

    @property
    def db_path(self) -> Path:
        return self.workspace / "build.duckdb"

    def seed(self, name: str, rows: list[dict[str, Any]]) -> Scenario:
        self.seeds[name] = rows
        return self

    def model(self, model_id: str = "m", **columns: Any) -> Scenario:
        row = {"model_id": model_id, "name": model_id, "base_stage": "lead"} | columns
        self.seeds.setdefault("scoring_models", []).append(row)
        return self

    def rule(self, rule_id: str, points: float, *conditions: dict[str, Any], **columns) -> Scenario:
        row = {
            "model_id": "m",
            "rule_id": rule_id,
            "score_group": "engagement",
            "points": points,
            "points_mode": "once",
        } | columns
        self.seeds.setdefault("scoring_rules", []).append(row)
        for condition in conditions:
            self.seeds.setdefault("rule_conditions", []).append({"rule_id": rule_id} | condition)
        return self

    def landing(self, entity: str, rows: list[dict[str, Any]], name: str = "data") -> Path:
        columns: list[str] = []
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        return write_csv(self.landing_dir / entity / f"{name}.csv", columns, rows)

    def write_seeds(self) -> None:
        """Every seed file: its required columns, and the optional ones its rows set (a file
        without them is what installations from before those columns keep)."""
        for name, required in SEED_COLUMNS.items():
            rows = self.seeds.get(name, [])
            optional = [c for c in OPTIONAL_SEED_COLUMNS[name] if any(c in row for row in rows)]
            write_csv(self.seeds_dir / f"{name}.csv", (*required, *optional), rows)

    def build(
        self, as_of: str, full_refresh: bool = False, publish: bool = True, backfill: bool = False
    ) -> None:
        """Load the landing folder and `dbt build` as of `as_of`; raises on any failure.

        With `publish` (the default) the run is recorded in ops.publish_log as the pipeline's
        publisher does, so the next build compares with it and remembers its stages. With
        `backfill`, dbt computes a past instant for history (as `leadscore backfill` does) and
        the instant is recorded in ops.backfill_log instead.
        """
        self.write_seeds()
        self.landing_dir.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(self.db_path)) as con:
            ingest_landing(con, self.landing_dir)
        settings = load_settings(
            self.root, env={EnvVar.ENGINE: self.engine, EnvVar.SPARK_MASTER: SPARK_TEST_MASTER}
        )
        # As the pipeline hands it to dbt: the as-of through the environment (a changed --vars
        # would force a full re-parse), and on Spark the hand-in of the build database.
        env = (
            os.environ
            | settings.dbt_environment(parse_as_of(as_of), backfill=backfill, database=self.db_path)
            | prepare_dbt_build(settings, self.db_path)
        )
        args = [
            dbt_executable(),
            "build",
            *SKIP_UNIT_TESTS,
            "--project-dir",
            str(self.project_dir),
            "--profiles-dir",
            str(self.project_dir),
        ]
        if full_refresh:
            args.append("--full-refresh")
        # A subprocess, as in production: dbt-duckdb caches its connection in-process.
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            failed = [
                line for line in result.stdout.splitlines() if "ERROR" in line or "FAIL" in line
            ]
            raise AssertionError(
                "dbt build failed:\n" + "\n".join(failed[-30:]) + result.stderr[-2000:]
            )
        finish_dbt_build(settings, self.db_path, self.project_dir / "target")

        if publish:
            log = "ops.backfill_log" if backfill else "ops.publish_log"
            with duckdb.connect(str(self.db_path)) as con:
                con.execute(
                    f"insert into {log} select cast(? as timestamp), rule_set_version, now() "
                    "from intermediate.int_rule_set_version",
                    [as_of],
                )

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.db_path), read_only=True) as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scores(self, model_id: str = "m") -> dict[str, dict[str, Any]]:
        rows = self.query(
            "select * from marts.contact_scores where model_id = ? order by contact_id", [model_id]
        )
        return {row["contact_id"]: row for row in rows}

    def breakdown(self, contact_id: str, model_id: str = "m") -> dict[str, Decimal]:
        rows = self.query(
            "select contribution_id, points from marts.score_breakdown "
            "where model_id = ? and contact_id = ?",
            [model_id, contact_id],
        )
        return {row["contribution_id"]: row["points"] for row in rows}


class FrozenBuild:
    """A copy of one scenario's build database, for tests that share one build.

    The session's build file is reset by the next scenario; a module fixture copies it away.
    """

    def __init__(self, scenario: Scenario, copy_to: Path) -> None:
        self.path = copy_to
        shutil.copyfile(scenario.db_path, copy_to)
        wal = Path(f"{scenario.db_path}.wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{copy_to}.wal"))

    def query(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.path), read_only=True) as con:
            cursor = con.execute(sql, params or [])
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
