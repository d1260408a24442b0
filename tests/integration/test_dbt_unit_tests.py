"""dbt's unit tests (`unit_tests:` beside the models), run once: scoring builds skip them."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from orchestration.config import EnvVar
from orchestration.dbt_cli import dbt_executable
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration


def test_every_dbt_unit_test_passes(scenario: Scenario, tmp_path):
    # Unit tests read the column types of each model's parents: build a small scenario first.
    scenario.model("m").rule(
        "in_tokyo", 5, {"subject": "property", "field": "city", "operator": "eq", "value": "Tokyo"}
    )
    scenario.landing("contacts", [{"contact_id": "c1", "email": "a@x.jp", "city": "Tokyo"}])
    scenario.build("2026-11-01 00:00:00")
    target = tmp_path / "target"
    finished = subprocess.run(
        [
            dbt_executable(),
            "test",
            "--select",
            "test_type:unit",
            "--project-dir",
            str(scenario.project_dir),
            "--profiles-dir",
            str(scenario.project_dir),
            "--target-path",
            str(target),
        ],
        env=os.environ
        | {
            EnvVar.DBT_BUILD_DB_PATH: str(scenario.db_path),
            EnvVar.DBT_AS_OF: "2026-11-01 00:00:00",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    declared = json.loads((target / "manifest.json").read_text())["unit_tests"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    assert len(declared) >= 7
    assert ran == dict.fromkeys(declared, "pass")
