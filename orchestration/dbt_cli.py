"""dbt outside Dagster: the `dbt` executable of this environment and the manifest it parses."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from .config import DBT_PROJECT_DIR, SEEDS_DIR, SOURCE_DBT_PROJECT_DIR

MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"

SKIP_UNIT_TESTS = ("--exclude-resource-type", "unit_test")
"""Arguments that keep dbt's unit tests out of a scoring build. They check the SQL, not the
data, so a run gains nothing from them (about 2.5 s of every build); the test suite runs them
once against a built scenario (tests/integration/test_dbt_unit_tests.py)."""


class DbtParseError(RuntimeError):
    """`dbt parse` failed: the project or the seeds do not compile."""


def dbt_executable() -> str:
    """The `dbt` of this interpreter's environment, so a venv works without being activated."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def _newest_source_mtime() -> float:
    """The newest modification time of anything `dbt parse` reads."""
    newest = 0.0
    source = SOURCE_DBT_PROJECT_DIR  # a mirror's folders are links rglob does not enter
    roots = [source / name for name in ("models", "macros", "tests")] + [SEEDS_DIR]
    files = [source / "dbt_project.yml", source / "profiles.yml"]
    for root in roots:
        if root.is_dir():
            files.extend(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def manifest_is_stale() -> bool:
    return not MANIFEST_PATH.exists() or MANIFEST_PATH.stat().st_mtime < _newest_source_mtime()


def ensure_manifest(force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project files.

    Parsing never depends on the scoring instant (the as-of is read at run time), so a user's
    `LEADSCORE_AS_OF` cannot break it.
    """
    if force or manifest_is_stale():
        from dbt.cli.main import dbtRunner

        os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
        result = dbtRunner().invoke(
            [
                "parse",
                "--project-dir",
                str(DBT_PROJECT_DIR),
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--quiet",
            ]
        )
        if not result.success:
            # Most parse failures are seed files dbt cannot read (an encoding, a stray column):
            # say so the way `leadscore validate` does, not with dbt's internals.
            from .rules import format_problems, validate_seeds

            problems = validate_seeds(SEEDS_DIR)
            if problems:
                raise DbtParseError(
                    f"{len(problems)} problem(s) in the seeds ({SEEDS_DIR}); the dbt project "
                    f"cannot be loaded until they are fixed:\n{format_problems(problems)}"
                )
            raise DbtParseError(f"dbt parse failed: {result.exception}")
    return MANIFEST_PATH
