"""Every environment variable leadscore reads, with its type, default and error, in one place.

Nothing else reads `os.environ` for a setting: modules ask this one, passing an `env` mapping
where tests need another environment. The as-of instant is resolved here too, once per run
(`resolve_as_of`), and handed around as a datetime. Longer than 500 lines because it is the
one owner of every setting (splitting it would scatter the environment again).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_SEEDS_DIR = REPO_ROOT / "seeds"

LANDING_ENTITIES = ("contacts", "activities", "deals", "sales_feedback")

DEFAULT_DUCKDB_MEMORY_LIMIT = "4GB"
"""DuckDB's own default (80 % of RAM) lets one run take the machine from the BI tools and the
OS; past this much it spills to the temp directory instead (1M contacts x 50 activities fit).
3 GB would keep a run's process tree under 4 GiB, but at 1M two models built at once
(int_rule_scores, int_decay_penalties) then run out of memory: not every operator spills."""
DEFAULT_DBT_THREADS = 2
ENGINES = ("duckdb", "spark")
"""LEADSCORE_ENGINE: what dbt builds the models on; each is a target of profiles.yml."""
DEFAULT_SPARK_MASTER = "local[*]"
DEFAULT_SPARK_DRIVER_MEMORY = "4g"
DEFAULT_REFRESH_CRON = "0 * * * *"
DEFAULT_MAX_STAGE_CHURN = 0.20
DEFAULT_HISTORY_MIN_DELTA = 1.0
DEFAULT_CRM_TIMEOUT_SECONDS = 30.0
DEFAULT_CRM_MAX_ATTEMPTS = 4
DEFAULT_HUBSPOT_BASE_URL = "https://api.hubapi.com"
DEFAULT_SALESFORCE_SOBJECT = "Lead"
DEFAULT_SALESFORCE_API_VERSION = "v61.0"


class ConfigError(ValueError):
    """A setting (environment variable or CLI option) has an unusable value."""


class CrmConfigError(ConfigError):
    """A CRM environment variable is missing or unusable."""


class EnvVar:
    """The names of every environment variable, user-facing first, then the internal ones."""

    DATA_DIR = "LEADSCORE_DATA_DIR"
    AS_OF = "LEADSCORE_AS_OF"
    NO_COLOR = "NO_COLOR"
    SEEDS_DIR = "LEADSCORE_SEEDS_DIR"
    DUCKDB_THREADS = "LEADSCORE_DUCKDB_THREADS"
    DUCKDB_MEMORY_LIMIT = "LEADSCORE_DUCKDB_MEMORY_LIMIT"
    DUCKDB_TEMP_DIR = "LEADSCORE_DUCKDB_TEMP_DIR"
    DBT_THREADS = "LEADSCORE_DBT_THREADS"
    ENGINE = "LEADSCORE_ENGINE"
    SPARK_MASTER = "LEADSCORE_SPARK_MASTER"
    SPARK_DRIVER_MEMORY = "LEADSCORE_SPARK_DRIVER_MEMORY"
    SPARK_DIR = "LEADSCORE_SPARK_DIR"
    REFRESH_CRON = "LEADSCORE_REFRESH_CRON"
    MAX_STAGE_CHURN = "LEADSCORE_MAX_STAGE_CHURN"
    WEBHOOK_URL = "LEADSCORE_WEBHOOK_URL"
    SLACK_WEBHOOK_URL = "SLACK_WEBHOOK_URL"
    HUBSPOT_ACCESS_TOKEN = "HUBSPOT_ACCESS_TOKEN"
    HUBSPOT_BASE_URL = "HUBSPOT_BASE_URL"
    SALESFORCE_INSTANCE_URL = "SALESFORCE_INSTANCE_URL"
    SALESFORCE_ACCESS_TOKEN = "SALESFORCE_ACCESS_TOKEN"
    SALESFORCE_SOBJECT = "SALESFORCE_SOBJECT"
    SALESFORCE_API_VERSION = "SALESFORCE_API_VERSION"
    CRM_TIMEOUT_SECONDS = "LEADSCORE_CRM_TIMEOUT_SECONDS"
    CRM_MAX_ATTEMPTS = "LEADSCORE_CRM_MAX_ATTEMPTS"
    DELIVERY_BUDGET_SECONDS = "LEADSCORE_DELIVERY_BUDGET_SECONDS"
    HISTORY_MIN_DELTA = "LEADSCORE_HISTORY_MIN_DELTA"
    DAGSTER_HOME = "DAGSTER_HOME"  # Dagster's own: where `dagster dev` keeps its run history
    JAVA_HOME = "JAVA_HOME"  # Java's own: the runtime pyspark launches (the Spark engine)
    # Set by leadscore for its dbt child process only (profiles.yml, macros/as_of.sql): they
    # never feed back into the user's configuration.
    DBT_BUILD_DB_PATH = "LEADSCORE_BUILD_DB_PATH"
    DBT_AS_OF = "LEADSCORE_DBT_AS_OF"
    DBT_DUCKDB_THREADS = "LEADSCORE_DBT_DUCKDB_THREADS"
    DBT_DUCKDB_MEMORY_LIMIT = "LEADSCORE_DBT_DUCKDB_MEMORY_LIMIT"
    DBT_DUCKDB_TEMP_DIR = "LEADSCORE_DBT_DUCKDB_TEMP_DIR"
    DBT_HISTORY_MIN_DELTA = "LEADSCORE_DBT_HISTORY_MIN_DELTA"
    DBT_RUN_KIND = "LEADSCORE_DBT_RUN_KIND"  # `run`, or `backfill` (macros/history.sql)
    DBT_TARGET = "LEADSCORE_DBT_TARGET"  # the engine: a target of profiles.yml
    DBT_SPARK_DIR = "LEADSCORE_DBT_SPARK_DIR"
    DBT_SPARK_MASTER = "LEADSCORE_DBT_SPARK_MASTER"
    DBT_SPARK_DRIVER_MEMORY = "LEADSCORE_DBT_SPARK_DRIVER_MEMORY"
    DBT_SPARK_HAND_IN = "LEADSCORE_DBT_SPARK_HAND_IN"  # macros/engine.sql


SECRET_VARIABLES = (
    EnvVar.HUBSPOT_ACCESS_TOKEN,
    EnvVar.SALESFORCE_ACCESS_TOKEN,
    EnvVar.SLACK_WEBHOOK_URL,
)
"""Values that must never appear in a log line, an error or a stored row."""


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def _text(env: Mapping[str, str] | None, name: str) -> str:
    return (_environ(env).get(name) or "").strip()


def _positive_number(
    env: Mapping[str, str] | None, name: str, *, integer: bool, error=ConfigError
) -> float | None:
    raw = _text(env, name)
    if not raw:
        return None
    try:
        value = int(raw) if integer else float(raw)
    except ValueError as exc:
        kind = "a whole number" if integer else "a number"
        raise error(f"{name}={raw!r} is not {kind}") from exc
    if not math.isfinite(value) or value <= 0:
        raise error(f"{name}={raw!r} must be positive")
    return value


# --- the as-of instant ----------------------------------------------------------------------


def parse_as_of(value: str | datetime) -> datetime:
    """An as-of instant as a naive UTC datetime.

    Accepts ISO 8601 dates and timestamps, with `Z`, an offset or no zone (UTC is assumed).
    """
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
    """The canonical text form of an as-of instant (what dbt and the run config receive)."""
    return as_of.strftime("%Y-%m-%d %H:%M:%S.%f")


def display_instant(instant: datetime) -> str:
    """An instant as users write it (`--as-of`): ISO 8601 in UTC, e.g. 2026-11-01T00:00:00Z."""
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC).replace(tzinfo=None)
    text = instant.isoformat(timespec="microseconds" if instant.microsecond else "seconds")
    return text + "Z"


def resolve_as_of(
    flag: str | datetime | None = None,
    env: Mapping[str, str] | None = None,
    run_start: datetime | None = None,
) -> datetime:
    """The one precedence for the scoring instant: `--as-of` > `LEADSCORE_AS_OF` > run start.

    The run start (default: now) is truncated to the second, so every step of one run and a
    re-run from the printed instant agree.
    """
    if isinstance(flag, datetime) or (flag and flag.strip()):
        return parse_as_of(flag)
    from_env = _text(env, EnvVar.AS_OF)
    if from_env:
        try:
            return parse_as_of(from_env)
        except ConfigError as exc:
            raise ConfigError(f"{EnvVar.AS_OF}: {exc}") from None
    started = run_start or datetime.now(UTC)
    if started.tzinfo is not None:
        started = started.astimezone(UTC).replace(tzinfo=None)
    return started.replace(microsecond=0)


# --- folders --------------------------------------------------------------------------------


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


def project_dirs(env: Mapping[str, str] | None = None) -> tuple[Path, Path]:
    """(seeds folder, dbt project folder): `LEADSCORE_SEEDS_DIR` selects another rule set."""
    chosen = _text(env, EnvVar.SEEDS_DIR)
    if not chosen or Path(chosen).resolve() == DEFAULT_SEEDS_DIR.resolve():
        return DEFAULT_SEEDS_DIR, SOURCE_DBT_PROJECT_DIR
    seeds = Path(chosen).resolve()
    key = hashlib.sha256(str(seeds).encode()).hexdigest()[:12]
    mirror = SOURCE_DBT_PROJECT_DIR / "target" / "mirrors" / key / "project"
    return seeds, mirror_dbt_project(mirror, seeds)


SEEDS_DIR, DBT_PROJECT_DIR = project_dirs()
"""Fixed at import: Dagster's definitions (the dbt manifest) are built once per process."""


@dataclass(frozen=True)
class Settings:
    """Where data lives and how DuckDB and dbt may use the machine."""

    data_dir: Path
    duckdb_threads: int | None
    duckdb_memory_limit: str
    duckdb_temp_directory: Path
    dbt_threads: int = DEFAULT_DBT_THREADS
    history_min_delta: float = DEFAULT_HISTORY_MIN_DELTA
    engine: str = ENGINES[0]
    spark_master: str = DEFAULT_SPARK_MASTER
    spark_driver_memory: str = DEFAULT_SPARK_DRIVER_MEMORY
    spark_root: Path | None = None
    """LEADSCORE_SPARK_DIR: where Spark's scratch catalogs live (a path every Spark executor
    can read and write, on a cluster); beside the build database by default."""

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

    def spark_dir(self, build_db: Path | None = None) -> Path:
        """Spark's scratch catalog for builds into `build_db` (the build database by default):
        the Parquet handed in and every table Spark builds, replaced at each build."""
        database = build_db or self.build_db_path
        if self.spark_root is not None:
            return self.spark_root / f"{database.stem}.spark"
        return database.with_name(f"{database.stem}.spark")

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def warehouse_path(self) -> Path:
        return self.warehouse_dir / "lead_scoring.duckdb"

    @property
    def parquet_dir(self) -> Path:
        """The marts as Parquet, a folder per table under marts/ (published on Spark)."""
        return self.warehouse_dir / "parquet"

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def duckdb_config(self) -> dict[str, str | int]:
        """Connection settings for the loader's and the pipeline's own DuckDB connections."""
        config: dict[str, str | int] = {"temp_directory": str(self.duckdb_temp_directory)}
        if self.duckdb_threads:
            config["threads"] = self.duckdb_threads
        config["memory_limit"] = self.duckdb_memory_limit
        return config

    def dbt_environment(
        self, as_of: datetime | None = None, backfill: bool = False, database: Path | None = None
    ) -> dict[str, str]:
        """The variables profiles.yml and the macros (as_of.sql, history.sql) read in dbt's
        process; `backfill` builds a past instant into history only, into `database`.

        The instant goes through the environment rather than `--vars`: a changed var makes dbt
        re-parse the whole project (about 4 s), while `env_var()` keeps partial parsing.
        """
        variables = {
            EnvVar.DBT_BUILD_DB_PATH: str(database or self.build_db_path),
            EnvVar.DBT_DUCKDB_TEMP_DIR: str(self.duckdb_temp_directory),
            EnvVar.DBT_DUCKDB_THREADS: str(self.duckdb_threads or os.cpu_count() or 2),
            EnvVar.DBT_DUCKDB_MEMORY_LIMIT: self.duckdb_memory_limit,
            EnvVar.DBT_THREADS: str(self.dbt_threads),
            EnvVar.DBT_HISTORY_MIN_DELTA: f"{self.history_min_delta:.2f}",
            EnvVar.DBT_RUN_KIND: "backfill" if backfill else "run",
            EnvVar.DBT_TARGET: self.engine,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if as_of is not None:
            variables[EnvVar.DBT_AS_OF] = format_as_of(as_of)
        if self.engine == "spark":
            variables[EnvVar.DBT_SPARK_DIR] = str(self.spark_dir(database))
            variables[EnvVar.DBT_SPARK_MASTER] = self.spark_master
            variables[EnvVar.DBT_SPARK_DRIVER_MEMORY] = self.spark_driver_memory
        return variables


def load_settings(
    data_dir: str | Path | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Settings from the environment; `data_dir` overrides `LEADSCORE_DATA_DIR`."""
    root = Path(data_dir or _text(env, EnvVar.DATA_DIR) or REPO_ROOT / "data")
    root = root.expanduser().resolve()
    temp = _text(env, EnvVar.DUCKDB_TEMP_DIR)
    threads = _positive_number(env, EnvVar.DUCKDB_THREADS, integer=True)
    dbt_threads = _positive_number(env, EnvVar.DBT_THREADS, integer=True)
    min_delta = _text(env, EnvVar.HISTORY_MIN_DELTA)
    engine = (_text(env, EnvVar.ENGINE) or ENGINES[0]).lower()
    if engine not in ENGINES:
        raise ConfigError(
            f"{EnvVar.ENGINE}={_text(env, EnvVar.ENGINE)!r}: expected one of {', '.join(ENGINES)}"
        )
    return Settings(
        data_dir=root,
        duckdb_threads=int(threads) if threads else None,
        duckdb_memory_limit=_text(env, EnvVar.DUCKDB_MEMORY_LIMIT) or DEFAULT_DUCKDB_MEMORY_LIMIT,
        duckdb_temp_directory=Path(temp) if temp else root / "work" / "duckdb_tmp",
        dbt_threads=int(dbt_threads) if dbt_threads else DEFAULT_DBT_THREADS,
        history_min_delta=_points(EnvVar.HISTORY_MIN_DELTA, min_delta)
        if min_delta
        else DEFAULT_HISTORY_MIN_DELTA,
        engine=engine,
        spark_master=_text(env, EnvVar.SPARK_MASTER) or DEFAULT_SPARK_MASTER,
        spark_driver_memory=_text(env, EnvVar.SPARK_DRIVER_MEMORY) or DEFAULT_SPARK_DRIVER_MEMORY,
        spark_root=Path(_text(env, EnvVar.SPARK_DIR)).expanduser().resolve()
        if _text(env, EnvVar.SPARK_DIR)
        else None,
    )


def _points(name: str, raw: str) -> float:
    """A number of points >= 0 with at most 2 decimals (points are kept to the cent)."""
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e15 or round(value, 2) != value:
        raise ConfigError(f"{name}={raw!r}: expected a number of points >= 0 like 1.0 or 0.5")
    return value


def dagster_home(env: Mapping[str, str] | None = None) -> Path | None:
    """`DAGSTER_HOME`, when set: `leadscore run` then records its runs in that instance."""
    value = _text(env, EnvVar.DAGSTER_HOME)
    return Path(value).expanduser() if value else None


# --- schedule and guard ---------------------------------------------------------------------


def refresh_cron(env: Mapping[str, str] | None = None) -> str:
    """`LEADSCORE_REFRESH_CRON` (default hourly); the schedule itself checks its syntax."""
    return _text(env, EnvVar.REFRESH_CRON) or DEFAULT_REFRESH_CRON


def color_allowed(env: Mapping[str, str] | None = None) -> bool:
    """False when `NO_COLOR` is set to anything (https://no-color.org)."""
    return not _environ(env).get(EnvVar.NO_COLOR)


def max_stage_churn(env: Mapping[str, str] | None = None) -> float:
    """`LEADSCORE_MAX_STAGE_CHURN` as a fraction: `20%`, `20` and `0.2` all mean 20 %."""
    raw = _text(env, EnvVar.MAX_STAGE_CHURN)
    if not raw:
        return DEFAULT_MAX_STAGE_CHURN
    try:
        value = float(raw.rstrip("%").strip())
    except ValueError as exc:
        raise ConfigError(f"{EnvVar.MAX_STAGE_CHURN}={raw!r} is not a number like 20%") from exc
    if raw.endswith("%") or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise ConfigError(f"{EnvVar.MAX_STAGE_CHURN}={raw!r} must be between 0% and 100%")
    return value


# --- alerts ---------------------------------------------------------------------------------


ALERT_DESTINATION_VARIABLES = {"webhook": EnvVar.WEBHOOK_URL, "slack": EnvVar.SLACK_WEBHOOK_URL}
"""Per HTTP alert channel, the variable holding the destination of routes that name none."""


def default_alert_destination(channel: str, env: Mapping[str, str] | None = None) -> str | None:
    """Where a route with a blank destination sends: the webhook or Slack URL, if set; an
    unusable one (url_problem) is a ConfigError naming the variable, never quoting the URL."""
    name = ALERT_DESTINATION_VARIABLES.get(channel)
    url = _text(env, name) if name else ""
    if url and (problem := url_problem(url)):
        raise ConfigError(f"{name} {problem}")
    return url or None


# --- CRM targets and HTTP delivery ----------------------------------------------------------

_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")
_SOBJECT = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_API_VERSION = re.compile(r"v\d+\.\d+")


def check_token(name: str, token: str) -> str:
    """A token usable in an Authorization header (never quoted in the error)."""
    if not _HEADER_SAFE.fullmatch(token):
        raise CrmConfigError(f"{name} contains spaces or characters a token cannot have")
    return token


DEFAULT_DELIVERY_BUDGET_SECONDS = 60.0
"""How long one delivery step (the alerts, or one CRM target) may send per run."""

HTTPS_RULE = "https is required (plain http only for a loopback host: localhost, 127.0.0.0/8, ::1)"


def url_problem(url: str) -> str | None:
    """Why a CRM, webhook or Slack URL cannot be used (None: it can): https, or http to a loopback
    host (the tests' stand-ins). Never quotes the URL: it can hold a secret."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        host, _ = parts.hostname, parts.port  # a malformed port raises ValueError
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not host or re.search(r"\s", text):
        return "must be an https URL, e.g. https://api.example.com"
    if parts.scheme.lower() == "http" and not _loopback(host):
        return f"uses plain http (host {host}): {HTTPS_RULE}"
    return None


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(name: str, url: str) -> str:
    """A CRM API base URL: https (plain http only for a loopback host), without trailing /."""
    url = url.strip().rstrip("/")
    problem = url_problem(url)
    if problem:
        raise CrmConfigError(f"{name} {problem}")
    return url


def delivery_budget(env: Mapping[str, str] | None = None) -> float:
    """`LEADSCORE_DELIVERY_BUDGET_SECONDS`: seconds one delivery step may send per run (60)."""
    budget = _positive_number(env, EnvVar.DELIVERY_BUDGET_SECONDS, integer=False)
    return budget or DEFAULT_DELIVERY_BUDGET_SECONDS


@dataclass(frozen=True)
class DeliveryLimits:
    """How long one CRM request may take, how often it is tried, and the target's budget."""

    timeout_seconds: float = DEFAULT_CRM_TIMEOUT_SECONDS
    attempts: int = DEFAULT_CRM_MAX_ATTEMPTS
    budget_seconds: float = DEFAULT_DELIVERY_BUDGET_SECONDS


def delivery_limits(env: Mapping[str, str] | None = None) -> DeliveryLimits:
    """`LEADSCORE_CRM_TIMEOUT_SECONDS` (default 30), `LEADSCORE_CRM_MAX_ATTEMPTS` (4) and
    `LEADSCORE_DELIVERY_BUDGET_SECONDS` (60)."""
    timeout = _positive_number(env, EnvVar.CRM_TIMEOUT_SECONDS, integer=False, error=CrmConfigError)
    attempts = _positive_number(env, EnvVar.CRM_MAX_ATTEMPTS, integer=True, error=CrmConfigError)
    return DeliveryLimits(
        timeout_seconds=timeout or DEFAULT_CRM_TIMEOUT_SECONDS,
        attempts=int(attempts or DEFAULT_CRM_MAX_ATTEMPTS),
        budget_seconds=delivery_budget(env),
    )


@dataclass(frozen=True)
class HubSpotConfig:
    base_url: str
    token: str


def hubspot_config(env: Mapping[str, str] | None = None) -> HubSpotConfig | None:
    """From HUBSPOT_ACCESS_TOKEN (required) and HUBSPOT_BASE_URL; None when not configured."""
    token = _text(env, EnvVar.HUBSPOT_ACCESS_TOKEN)
    if not token:
        return None
    base = _text(env, EnvVar.HUBSPOT_BASE_URL) or DEFAULT_HUBSPOT_BASE_URL
    return HubSpotConfig(
        base_url=check_base_url(EnvVar.HUBSPOT_BASE_URL, base),
        token=check_token(EnvVar.HUBSPOT_ACCESS_TOKEN, token),
    )


@dataclass(frozen=True)
class SalesforceConfig:
    instance_url: str
    token: str
    sobject: str = DEFAULT_SALESFORCE_SOBJECT
    api_version: str = DEFAULT_SALESFORCE_API_VERSION

    @property
    def collections_path(self) -> str:
        return f"/services/data/{self.api_version}/composite/sobjects"


def salesforce_config(env: Mapping[str, str] | None = None) -> SalesforceConfig | None:
    """From SALESFORCE_INSTANCE_URL + SALESFORCE_ACCESS_TOKEN (both required; None when neither
    is set), SALESFORCE_SOBJECT (Lead or Contact, default Lead), SALESFORCE_API_VERSION."""
    instance = _text(env, EnvVar.SALESFORCE_INSTANCE_URL)
    token = _text(env, EnvVar.SALESFORCE_ACCESS_TOKEN)
    if not instance and not token:
        return None
    if not instance or not token:
        missing = EnvVar.SALESFORCE_INSTANCE_URL if not instance else EnvVar.SALESFORCE_ACCESS_TOKEN
        raise CrmConfigError(f"Salesforce export needs {missing} as well")
    sobject = _text(env, EnvVar.SALESFORCE_SOBJECT) or DEFAULT_SALESFORCE_SOBJECT
    if not _SOBJECT.fullmatch(sobject):
        raise CrmConfigError(f"{EnvVar.SALESFORCE_SOBJECT}={sobject!r} is not an sObject name")
    version = _text(env, EnvVar.SALESFORCE_API_VERSION) or DEFAULT_SALESFORCE_API_VERSION
    if not version.startswith("v"):
        version = f"v{version}"
    if not _API_VERSION.fullmatch(version):
        raise CrmConfigError(f"{EnvVar.SALESFORCE_API_VERSION}={version!r} is not like v61.0")
    return SalesforceConfig(
        instance_url=check_base_url(EnvVar.SALESFORCE_INSTANCE_URL, instance),
        token=check_token(EnvVar.SALESFORCE_ACCESS_TOKEN, token),
        sobject=sobject,
        api_version=version,
    )


def secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The secret values currently set, for scrubbing (a webhook URL can hold a token too)."""
    names = (*SECRET_VARIABLES, EnvVar.WEBHOOK_URL)
    return [value for name in names if (value := _text(env, name))]


def java_home(env: Mapping[str, str] | None = None) -> Path | None:
    """`JAVA_HOME`, when set: pyspark starts `$JAVA_HOME/bin/java`, else `java` on the PATH."""
    value = _text(env, EnvVar.JAVA_HOME)
    return Path(value).expanduser() if value else None
