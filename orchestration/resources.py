"""Dagster resources: where the data lives and when the scores are computed as of."""

from __future__ import annotations

import os
import shutil
import sys
from datetime import UTC, datetime
from functools import cached_property
from importlib import metadata
from pathlib import Path

from dagster import ConfigurableResource
from dagster_dbt import DbtCliResource
from packaging import version

from .dbt_project import dbt_project
from .settings import Settings, format_as_of, load_settings, parse_as_of


class LeadscoreResource(ConfigurableResource):
    """The data directory and the as-of instant of one run (blank = env, else run start)."""

    data_dir: str = ""
    as_of: str = ""
    accept_impact: bool = False  # publish even when the rule-change guard would block

    def settings(self) -> Settings:
        return load_settings(self.data_dir or None)

    def resolve_as_of(self, run_started: datetime | None = None) -> str:
        """Configured as-of, else LEADSCORE_AS_OF, else the run's start (same for every step)."""
        value = self.as_of or os.environ.get("LEADSCORE_AS_OF", "")
        if value:
            return format_as_of(parse_as_of(value))
        started = run_started or datetime.now(UTC)
        return format_as_of(parse_as_of(started.replace(microsecond=0)))


def dbt_executable() -> str:
    """The `dbt` of this interpreter's environment, so a venv works without being activated."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


class LeadscoreDbtCliResource(DbtCliResource):
    """dbt's CLI without two start-up costs dagster-dbt (pinned) adds to every command.

    - It runs `dbt --version` (a second dbt start-up, about 4 s) to learn the version of the
      dbt it runs: that is the dbt-core installed beside this interpreter (`dbt_executable`).
    - It builds an adapter handle in this process (about 6 s of dbt imports and profile
      loading) only for `fetch_row_counts` / `fetch_column_metadata`, which no asset here uses.
    The invocation streams the same events without them.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - the library's signature
        return None


def dbt_resource() -> DbtCliResource:
    return LeadscoreDbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=dbt_executable(),
    )
