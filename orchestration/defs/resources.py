"""Dagster resources: the run's settings and as-of instant, and the dbt CLI."""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from importlib import metadata

from dagster import ConfigurableResource, InitResourceContext
from dagster_dbt import DbtCliResource, DbtProject
from packaging import version
from pydantic import PrivateAttr

from ..config import DBT_PROJECT_DIR, Settings, load_settings, resolve_as_of
from ..dbt_cli import dbt_executable
from ..warehouse.run_lock import RunLock

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


class LeadscoreResource(ConfigurableResource):
    """The data directory and the as-of instant of one run (blank = env, else run start)."""

    data_dir: str = ""
    as_of: str = ""
    accept_impact: bool = False  # publish even when the rule-change guard would block
    _run_lock: RunLock | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        """One run at a time per data directory, whoever starts it (CLI, schedule, UI)."""
        self._run_lock = RunLock(self.settings().data_dir).acquire()

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._run_lock is not None:
            self._run_lock.release()
            self._run_lock = None

    def settings(self) -> Settings:
        return load_settings(self.data_dir or None)

    def run_as_of(self, run_started: datetime | None = None) -> datetime:
        """This run's instant: the configured one, else LEADSCORE_AS_OF, else the run's start."""
        return resolve_as_of(self.as_of or None, run_start=run_started)


class LeadscoreDbtCliResource(DbtCliResource):
    """dbt's CLI without two start-up costs dagster-dbt (pinned 0.29.27) adds to every command.

    - It runs `dbt --version` (a second dbt start-up, 2.5-4 s) to learn the version of the dbt
      it runs: that is the dbt-core installed beside this interpreter (`dbt_executable`).
    - It builds an adapter handle in this process (about 6 s of dbt imports and profile
      loading) only for `fetch_row_counts` / `fetch_column_metadata`. With DuckDB those cannot
      work during `dbt build`: the dbt process holds the database's single write lock, so a
      second process cannot open it, not even read-only. Row counts come from the asset itself
      after the build instead (assets/dbt.py).
    Both are private methods of the pinned version; test_definitions.py fails if they vanish.
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
