"""The command line on what a user's machine causes: a missing, locked or damaged database for
`top` and `explain`, a full disk, seeds dbt cannot parse. One clear line, exit 1, no traceback."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from orchestration import config, dbt_cli, demo
from orchestration.cli import main
from orchestration.config import load_settings
from tests.unit.test_bad_inputs_errors import FREE_SPACE, held_open_by_another_process

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def paths(tmp_path):
    settings = load_settings(str(tmp_path / "data"))
    for path in (settings.build_db_path, settings.warehouse_path):
        path.parent.mkdir(parents=True, exist_ok=True)
    return settings


def leadscore(settings, *args: str) -> Result:
    return CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), *args])


def assert_one_clear_error(result: Result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.output == f"Error: {message}\n"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


READERS = [
    pytest.param(("top",), "warehouse_path", id="top"),
    pytest.param(("explain", "c1"), "build_db_path", id="explain"),
]


@pytest.mark.parametrize(("command", "which"), READERS)
def test_a_missing_database_says_to_run_first(paths, command, which):
    result = leadscore(paths, *command)
    path = getattr(paths, which)
    noun = "published warehouse" if command[0] == "top" else "build database"
    assert_one_clear_error(result, f"no {noun} at {path}; run `leadscore run` first")


@pytest.mark.parametrize(("command", "which"), READERS)
def test_a_database_another_process_holds_is_named_with_that_process(paths, command, which):
    path = getattr(paths, which)
    duckdb.connect(str(path)).close()
    with held_open_by_another_process(path) as pid:
        result = leadscore(paths, *command)
    assert result.output.startswith(f"Error: {path} is locked by process {pid} (")
    assert_one_clear_error(result, result.output[len("Error: ") : -1])
    assert "wait until it finishes" in result.output


@pytest.mark.parametrize(("command", "which"), READERS)
def test_a_damaged_database_says_to_move_it_aside(paths, command, which):
    path = getattr(paths, which)
    path.write_bytes(b"\x00garbage\xff" * 4096)
    assert_one_clear_error(
        leadscore(paths, *command),
        f"{path} is damaged or is not a DuckDB database: move it aside (rename it, keep it for "
        "diagnosis) and run `leadscore run` to build it again",
    )
    assert path.read_bytes() == b"\x00garbage\xff" * 4096  # left as it was


def test_top_on_a_database_without_marts(paths):
    duckdb.connect(str(paths.warehouse_path)).close()
    result = leadscore(paths, "top")
    assert_one_clear_error(
        result,
        f"{paths.warehouse_path} is not a published leadscore warehouse (marts.contact_scores "
        "or marts.contacts is missing); run `leadscore run` to publish one",
    )


def test_a_full_disk_names_the_file_the_free_space_and_what_not_to_delete(paths, monkeypatch):
    target = paths.landing_dir / "contacts" / "contacts.csv"

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(demo, "generate_demo", disk_full)
    result = leadscore(paths, "demo", "--contacts", "5", "--no-progress")
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.output.splitlines()
    assert line.startswith(f"Error: the disk is full: writing to {target} failed (")
    assert FREE_SPACE.search(line), line  # measured where data/ is (landing/ does not exist)
    assert "Nothing was published" in line and "do not delete the data folder's work/" in line


def test_a_failure_the_user_did_not_cause_keeps_its_traceback(paths, monkeypatch):
    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(demo, "generate_demo", bug)
    result = leadscore(paths, "demo", "--no-progress")
    assert isinstance(result.exception, ZeroDivisionError)


def test_seeds_dbt_cannot_parse_are_shown_as_validate_shows_them(tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    rules = seeds / "scoring_rules.csv"
    rules.write_bytes(rules.read_text(encoding="utf-8").encode("cp932", errors="replace"))
    monkeypatch.setattr(config, "SEEDS_DIR", seeds)

    def parse_fails(force: bool = False):
        raise dbt_cli.DbtParseError(
            "dbt parse failed: 'utf-8' codec can't decode byte 0x91 in position 173"
        )

    monkeypatch.setattr(dbt_cli, "ensure_manifest", parse_fails)
    result = CliRunner().invoke(main, ["dbt-parse"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "seeds/scoring_rules.csv:2: (file): is not UTF-8 text (it looks like Shift-JIS/CP932, "
        'what Excel saves as "CSV (Comma delimited)"); save it as UTF-8: in Excel choose '
        '"CSV UTF-8 (Comma delimited) (*.csv)", in an editor the encoding UTF-8',
        f"Error: 1 problem(s) in the seeds ({seeds}); nothing was built or published. Fix them "
        "(`leadscore validate` lists them) and run again",
    ]

    shutil.rmtree(seeds)
    shutil.copytree(REPO / "seeds", seeds)  # valid seeds: the parse error itself, in one line
    result = CliRunner().invoke(main, ["dbt-parse"])
    assert_one_clear_error(
        result,
        "dbt parse failed: 'utf-8' codec can't decode byte 0x91 in position 173; nothing was "
        "built or published",
    )


def test_impact_refuses_bad_seeds_before_dbt_fails_on_them(paths, tmp_path, monkeypatch):
    seeds = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    with (seeds / "score_bands.csv").open("a", encoding="utf-8") as handle:
        handle.write("lead,total,Z\n")  # too few values: dbt's seed load would fail
    monkeypatch.setattr(config, "SEEDS_DIR", seeds)
    duckdb.connect(str(paths.warehouse_path)).close()
    with duckdb.connect(str(paths.build_db_path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.contact_scores as select timestamp '2026-11-01' as as_of")
    result = leadscore(paths, "impact")
    assert result.exit_code == 1 and "Traceback" not in result.output
    problem, error = result.output.splitlines()
    assert problem.startswith("seeds/score_bands.csv:")
    assert "row has 3 values but the header has 5 columns" in problem
    assert error == (
        f"Error: 1 problem(s) in the seeds ({seeds}); nothing was previewed. Fix them "
        "(`leadscore validate` lists them) and run again"
    )
