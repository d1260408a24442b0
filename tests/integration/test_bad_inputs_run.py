"""`leadscore run` on seeds an analyst broke (Excel's Shift-JIS, an unknown or missing column):
the run stops with validate's `file:line: column: message`, no traceback, and the published
warehouse stays exactly as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.config import DEFAULT_SEEDS_DIR

pytestmark = pytest.mark.integration


def leadscore(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def installation(tmp_path_factory):
    """Demo data published once, with its own copy of the seeds."""
    root = tmp_path_factory.mktemp("bad-inputs-run")
    seeds = root / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    env = os.environ | {"LEADSCORE_DATA_DIR": str(root / "data"), "LEADSCORE_SEEDS_DIR": str(seeds)}
    args = ("--contacts", "40", "--activities-per-contact", "5", "--as-of", "2026-11-01")
    assert leadscore(env, "demo", *args, "--no-progress").returncode == 0
    first = leadscore(env, "run", "--as-of", "2026-11-01")
    assert first.returncode == 0, first.stdout + first.stderr
    return env, seeds, root / "data" / "warehouse" / "lead_scoring.duckdb"


@pytest.fixture
def rules_seed(installation):
    """scoring_rules.csv of the installation, restored after the test."""
    _, seeds, _ = installation
    path = seeds / "scoring_rules.csv"
    original = path.read_bytes()
    yield path
    path.write_bytes(original)


def refused_run(installation) -> str:
    env, _, warehouse = installation
    before = digest(warehouse)
    result = leadscore(env, "run", "--as-of", "2026-11-02")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert digest(warehouse) == before  # nothing published
    return output


def test_a_shift_jis_seed_stops_the_run_with_validates_message(installation, rules_seed):
    text = rules_seed.read_text(encoding="utf-8")
    rules_seed.write_bytes(text.encode("cp932", errors="replace"))
    output = refused_run(installation)
    assert (
        "seeds/scoring_rules.csv:2: (file): is not UTF-8 text (it looks like Shift-JIS/CP932, "
        'what Excel saves as "CSV (Comma delimited)"); save it as UTF-8' in output
    )
    assert "1 problem(s) in the seeds" in output and "nothing was built or published" in output


def test_an_unknown_seed_column_stops_the_run_at_validation(installation, rules_seed):
    lines = rules_seed.read_text(encoding="utf-8").splitlines()
    edited = [lines[0] + ",notes"] + [line + ",x" for line in lines[1:]]
    rules_seed.write_text("\n".join(edited) + "\n", encoding="utf-8")
    output = refused_run(installation)
    assert "seeds/scoring_rules.csv:1: notes: unknown column; a seed has no other columns" in output


def test_a_missing_seed_column_stops_the_run_at_validation(installation, rules_seed):
    lines = rules_seed.read_text(encoding="utf-8").splitlines()
    rules_seed.write_text(
        "\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n", encoding="utf-8"
    )  # drops `enabled`, the last column
    output = refused_run(installation)
    assert "seeds/scoring_rules.csv:1: enabled: required column is missing" in output
