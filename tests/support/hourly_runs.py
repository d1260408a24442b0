"""Many dbt runs at successive instants in one process, for tests (`python -m` this module).

A new dbt process per run costs ~5 s of start-up; one process running them all costs ~3 s a
run. dbt keeps its DuckDB connection open, and DuckDB allows one configuration per file in a
process, so results are read through dbt (`dbt show`) and this runs in its own process, never
inside pytest's (a later test's build of the same file would fail).

    python -m tests.support.hourly_runs PROJECT_DIR DB_PATH AS_OF [AS_OF ...]

prints one JSON line per run: the as-of, contact_scores by contact, and the contacts
score_history recorded at that instant.
"""

from __future__ import annotations

import json
import os
import sys

from dbt.cli.main import dbtRunner

from orchestration.config import EnvVar, format_as_of, parse_as_of


def _rows(dbt: dbtRunner, project: list[str], sql: str) -> list[dict]:
    shown = dbt.invoke(["show", "--inline", sql, "--limit", "-1", "--quiet", *project])
    if not shown.success:
        raise SystemExit(f"dbt show failed: {shown.exception}")
    table = shown.result.results[0].agate_table
    return [dict(zip(table.column_names, row, strict=True)) for row in table.rows]


def main(argv: list[str]) -> int:
    project_dir, db_path, *instants = argv
    os.environ[EnvVar.DBT_BUILD_DB_PATH] = db_path
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    project = ["--project-dir", project_dir, "--profiles-dir", project_dir]
    dbt = dbtRunner()
    for instant in instants:
        as_of = format_as_of(parse_as_of(instant))
        os.environ[EnvVar.DBT_AS_OF] = as_of
        run = dbt.invoke(["run", "--select", "+score_history", "--quiet", *project])
        if not run.success:
            raise SystemExit(f"dbt run as of {as_of} failed: {run.exception}")
        scores = _rows(
            dbt,
            project,
            "select scores.*, history.contact_id is not null as is_logged "
            "from marts.contact_scores as scores left join marts.score_history as history "
            "on history.model_id = scores.model_id and history.contact_id = scores.contact_id "
            f"and history.valid_from = '{as_of}'",
        )
        print(
            json.dumps(
                {
                    "as_of": as_of,
                    "scores": {row["contact_id"]: row for row in scores},
                    "logged": sorted(row["contact_id"] for row in scores if row["is_logged"]),
                },
                default=str,
            ),
            file=sys.__stdout__,
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
