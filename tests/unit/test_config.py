"""Configuration: as-of parsing and resolution, and every environment variable."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest
import yaml

from orchestration.config import (
    DEFAULT_DUCKDB_MEMORY_LIMIT,
    ENGINES,
    SOURCE_DBT_PROJECT_DIR,
    ConfigError,
    format_as_of,
    load_settings,
    parse_as_of,
    resolve_as_of,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1)),
        ("2026-11-01T09:30:00Z", datetime(2026, 11, 1, 9, 30)),
        ("2026-11-01T09:30:00+09:00", datetime(2026, 11, 1, 0, 30)),
        ("2026-11-01 09:30:00.123456", datetime(2026, 11, 1, 9, 30, 0, 123456)),
    ],
)
def test_as_of_is_utc(text, expected):
    assert parse_as_of(text) == expected


def test_as_of_rejects_garbage_with_an_example():
    with pytest.raises(ConfigError, match="2026-11-01T09:30:00Z"):
        parse_as_of("next tuesday")


def test_blank_as_of_means_now():
    before = datetime.utcnow().replace(microsecond=0)
    assert resolve_as_of("", env={}) >= before


def test_as_of_precedence_is_flag_then_environment_then_run_start():
    env = {"LEADSCORE_AS_OF": "2026-06-30T00:00:00Z"}
    started = datetime(2026, 7, 1, 12, 0, 0, 999)
    assert resolve_as_of("2026-05-01", env=env, run_start=started) == datetime(2026, 5, 1)
    assert resolve_as_of(None, env=env, run_start=started) == datetime(2026, 6, 30)
    assert resolve_as_of(None, env={}, run_start=started) == datetime(2026, 7, 1, 12)


def test_a_bad_as_of_in_the_environment_names_the_variable():
    with pytest.raises(ConfigError, match="LEADSCORE_AS_OF"):
        resolve_as_of(None, env={"LEADSCORE_AS_OF": "soon"})


def test_format_as_of_is_what_dbt_parses():
    assert format_as_of(datetime(2026, 11, 1, 9, 30)) == "2026-11-01 09:30:00.000000"


def test_settings_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LEADSCORE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("LEADSCORE_DUCKDB_THREADS", "2")
    monkeypatch.setenv("LEADSCORE_DUCKDB_MEMORY_LIMIT", "4GB")
    settings = load_settings()
    assert settings.warehouse_path == tmp_path / "warehouse" / "lead_scoring.duckdb"
    assert settings.landing_dir == tmp_path / "landing"
    assert settings.duckdb_config() == {
        "temp_directory": str(tmp_path / "work" / "duckdb_tmp"),
        "threads": 2,
        "memory_limit": "4GB",
    }


def test_duckdb_memory_is_bounded_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("LEADSCORE_DUCKDB_MEMORY_LIMIT", raising=False)
    monkeypatch.delenv("LEADSCORE_DUCKDB_THREADS", raising=False)
    config = load_settings(tmp_path).duckdb_config()
    assert config == {
        "temp_directory": str(tmp_path / "work" / "duckdb_tmp"),
        "memory_limit": DEFAULT_DUCKDB_MEMORY_LIMIT,
    }
    assert (
        duckdb.connect(config=config)
        .execute("select current_setting('memory_limit')")
        .fetchone()[0]
        == "3.7 GiB"
    )  # 4 GB


def test_bad_thread_count_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LEADSCORE_DUCKDB_THREADS", "many")
    with pytest.raises(ConfigError, match="LEADSCORE_DUCKDB_THREADS"):
        load_settings()


def test_dbt_applies_the_duckdb_limits_once_per_database():
    """Per-cursor `settings` would SET temp_directory on every dbt thread's cursor, which DuckDB
    refuses once the first cursor has spilled ("Cannot switch temporary directory")."""
    profile = yaml.safe_load((SOURCE_DBT_PROJECT_DIR / "profiles.yml").read_text())
    assert set(profile["leadscore"]["outputs"]) == set(ENGINES)  # LEADSCORE_ENGINE's targets
    output = profile["leadscore"]["outputs"]["duckdb"]
    assert "settings" not in output
    assert set(output["config_options"]) >= {"temp_directory", "memory_limit", "threads"}
    assert DEFAULT_DUCKDB_MEMORY_LIMIT in output["config_options"]["memory_limit"]
