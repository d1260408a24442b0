"""Scratch builds: `dbt build` on a copy of the build database, leaving the real one untouched."""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

from ..config import DBT_PROJECT_DIR, EnvVar, format_as_of
from ..dbt_cli import dbt_executable


class ScratchBuildError(RuntimeError):
    """The scratch build could not be made (no build yet, or dbt failed)."""


def build_scratch_copy(
    build_db: Path,
    as_of: datetime,
    workdir: Path,
    *,
    reload_seeds: bool,
    project_dir: Path | None = None,
) -> Path:
    """Copy the build database into `workdir` and `dbt build` the copy as of `as_of`.

    With `reload_seeds` the copy is scored with the seeds as they are now (a preview of a rule
    edit); without, with the rules of the original build (a replay of another instant).
    dbt's target and log folders live in `workdir`, so the project's target/ is untouched.
    `project_dir` scores with another rule set (a mirror from `config.mirror_dbt_project`).
    """
    if not build_db.exists():
        raise ScratchBuildError(f"no build database at {build_db}; run `leadscore run` first")
    copy = workdir / "db" / build_db.name  # same file name: same DuckDB catalog name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(build_db, copy)
    wal = Path(f"{build_db}.wal")
    if wal.exists():
        shutil.copy2(wal, Path(f"{copy}.wal"))
    env = os.environ | {
        EnvVar.DBT_BUILD_DB_PATH: str(copy),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        EnvVar.DBT_AS_OF: format_as_of(as_of),
        # Previews and replays score a copy of the build database in place, on DuckDB, whatever
        # engine builds the real one: the copy already holds every table the build handed back.
        EnvVar.DBT_TARGET: "duckdb",
    }
    args = [
        dbt_executable(),
        "build",
        "--project-dir", str(project_dir or DBT_PROJECT_DIR),
        "--profiles-dir", str(project_dir or DBT_PROJECT_DIR),
        "--target-path", str(workdir / "target"),
        "--log-path", str(workdir / "logs"),
    ]  # fmt: skip
    if not reload_seeds:
        args += ["--exclude", "resource_type:seed"]
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = [line for line in result.stdout.splitlines() if "ERROR" in line or "FAIL" in line]
        detail = "\n".join(lines[-20:]) or (result.stdout + result.stderr)[-2000:]
        raise ScratchBuildError(f"the scratch build as of {format_as_of(as_of)} failed:\n{detail}")
    return copy
