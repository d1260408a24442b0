"""Runtime configuration read from environment variables, with the contract's defaults."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_SEEDS_DIR = REPO_ROOT / "seeds"


def mirror_dbt_project(project_dir: Path, seeds_dir: Path) -> Path:
    """Link the dbt project's files into `project_dir`, with `../seeds` pointing at `seeds_dir`.

    dbt reads seeds from `seed-paths: ["../seeds"]` and writes their run files under
    target/ by that relative path; a mirror lets another rule set (a challenger, or a test's)
    be scored without touching the shipped seeds.
    """
    project_dir.mkdir(parents=True, exist_ok=True)
    for name in ("dbt_project.yml", "profiles.yml", "models", "macros", "tests"):
        link = project_dir / name
        if not link.is_symlink():
            link.symlink_to(SOURCE_DBT_PROJECT_DIR / name)
    seeds_link = project_dir.parent / "seeds"
    if seeds_link.absolute() == seeds_dir.absolute():
        seeds_dir.mkdir(parents=True, exist_ok=True)  # the seeds already sit beside the mirror
        return project_dir
    if seeds_link.is_symlink() and seeds_link.resolve() != seeds_dir.resolve():
        seeds_link.unlink()
    if not seeds_link.exists():
        seeds_link.symlink_to(seeds_dir.resolve(), target_is_directory=True)
    return project_dir


def _project_dirs() -> tuple[Path, Path]:
    """(seeds folder, dbt project folder): LEADSCORE_SEEDS_DIR selects another rule set."""
    chosen = os.environ.get("LEADSCORE_SEEDS_DIR", "").strip()
    if not chosen or Path(chosen).resolve() == DEFAULT_SEEDS_DIR.resolve():
        return DEFAULT_SEEDS_DIR, SOURCE_DBT_PROJECT_DIR
    seeds = Path(chosen).resolve()
    key = hashlib.sha256(str(seeds).encode()).hexdigest()[:12]
    mirror = SOURCE_DBT_PROJECT_DIR / "target" / "mirrors" / key / "project"
    return seeds, mirror_dbt_project(mirror, seeds)


SEEDS_DIR, DBT_PROJECT_DIR = _project_dirs()

LANDING_ENTITIES = ("contacts", "activities", "deals", "sales_feedback")

DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
"""DuckDB's own default (80 % of RAM) lets one run take the machine from the BI tools and the
OS; past this much it spills to the temp directory instead (1M contacts x 50 activities fit)."""

DBT_AS_OF_VARIABLE = "LEADSCORE_DBT_AS_OF"
"""How the pipeline hands its resolved as-of instant to dbt (the `as_of()` macro reads it)."""


class ConfigError(ValueError):
    """A setting (environment variable or CLI option) has an unusable value."""


def parse_as_of(value: str | datetime | None) -> datetime:
    """Parse an as-of instant to a naive UTC datetime truncated to microseconds.

    Accepts ISO 8601 dates and timestamps, with `Z`, an offset or no zone (UTC is assumed).
    `None` or an empty string means now.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return datetime.now(UTC).replace(tzinfo=None)
    if isinstance(value, datetime):
        parsed = value
    else:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ConfigError(
                f"as-of {value!r} is not an ISO 8601 date or timestamp "
                "(e.g. 2026-11-01 or 2026-11-01T09:30:00Z)"
            ) from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def format_as_of(as_of: datetime) -> str:
    """The canonical text form of an as-of instant, as passed to dbt."""
    return as_of.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class Settings:
    """Where data lives and how DuckDB may use the machine."""

    data_dir: Path
    duckdb_threads: int | None
    duckdb_memory_limit: str
    duckdb_temp_directory: Path

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def work_dir(self) -> Path:
        return self.data_dir / "work"

    @property
    def build_db_path(self) -> Path:
        """The database dbt builds into; the published warehouse is a copy of its marts."""
        return self.work_dir / "build.duckdb"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "lead_scoring.duckdb"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def duckdb_config(self) -> dict[str, str | int]:
        config: dict[str, str | int] = {"temp_directory": str(self.duckdb_temp_directory)}
        if self.duckdb_threads:
            config["threads"] = self.duckdb_threads
        config["memory_limit"] = self.duckdb_memory_limit
        return config


def _positive_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from exc
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} must be positive")
    return value


def load_settings(data_dir: str | Path | None = None) -> Settings:
    """Settings from the environment; `data_dir` overrides `LEADSCORE_DATA_DIR`."""
    root = Path(data_dir or os.environ.get("LEADSCORE_DATA_DIR") or REPO_ROOT / "data")
    root = root.expanduser().resolve()
    temp = os.environ.get("LEADSCORE_DUCKDB_TEMP_DIR", "").strip()
    return Settings(
        data_dir=root,
        duckdb_threads=_positive_int("LEADSCORE_DUCKDB_THREADS"),
        duckdb_memory_limit=os.environ.get("LEADSCORE_DUCKDB_MEMORY_LIMIT", "").strip()
        or DEFAULT_DUCKDB_MEMORY_LIMIT,
        duckdb_temp_directory=Path(temp) if temp else root / "work" / "duckdb_tmp",
    )
