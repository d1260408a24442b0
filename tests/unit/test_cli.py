"""The command line: option parsing, validate's output format and exit codes, helpful errors."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from orchestration.cli import main
from orchestration.config import SEEDS_DIR


def test_validate_accepts_the_shipped_seeds():
    result = CliRunner().invoke(main, ["validate"])
    assert result.exit_code == 0, result.output
    assert "seeds are valid" in result.output


def test_validate_prints_file_line_column_and_exits_non_zero(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS_DIR, seeds)
    conditions = seeds / "rule_conditions.csv"
    lines = conditions.read_text(encoding="utf-8").splitlines()
    lines.append("eng_blog_visit,activity,page_view,sounds_like,/blog/,,,")
    conditions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", "--seeds-dir", str(seeds)])
    assert result.exit_code == 1
    assert f"seeds/rule_conditions.csv:{len(lines)}: operator:" in result.output


def test_bad_as_of_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "run", "--as-of", "soon"])
    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_top_without_a_warehouse_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "top"])
    assert result.exit_code == 1
    assert "run `leadscore run` first" in result.output


def test_version_and_short_help():
    from importlib.metadata import version

    runner = CliRunner()
    result = runner.invoke(main, ["--version"])
    assert (
        result.exit_code == 0
        and result.output.strip() == f"leadscore, version {version('leadscore')}"
    )
    for args in (["-h"], ["top", "-h"], ["explain", "-h"], ["import", "-h"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0 and "Usage:" in result.output, args


def test_every_option_of_every_command_has_help():
    import click

    def options(command: click.Command, path: str):
        for param in command.params:
            if isinstance(param, click.Option):
                yield path, param
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from options(sub, f"{path} {name}")

    missing = [(path, p.opts) for path, p in options(main, "leadscore") if not p.help]
    assert missing == []


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from orchestration import cli

    class Tty:
        @staticmethod
        def isatty() -> bool:
            return True

    monkeypatch.setattr(cli.sys, "stdout", Tty())
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert cli.use_color() is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli.use_color() is False
    monkeypatch.setenv("COLUMNS", "87")
    assert cli.terminal_width() == 87


def test_top_lists_the_models_for_an_unknown_one_and_fits_the_terminal(tmp_path, monkeypatch):
    import duckdb

    warehouse = tmp_path / "warehouse" / "lead_scoring.duckdb"
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.contact_scores as select * from (values "
            "('lead', 'C1', 30.00, 10.00, 20.00, 'A1', 'mql', "
            "'デモを申し込んだ / Requested a demo +20; Attended a webinar +15', false, 1), "
            "('lead', 'C2', 30.00, 10.00, 20.00, 'A1', 'mql', 'visit +5', false, 2), "
            "('cross_sell', 'C3', 5.00, 0.00, 5.00, 'B2', 'customer', '', false, 1)) "
            "as t(model_id, contact_id, total_score, fit_score, engagement_score, matrix_label, "
            "stage, top_reasons, is_excluded, score_rank)"
        )
        con.execute(
            "create table marts.contacts as select 'C1' as contact_id, "
            "'someone.with.a.long.address@example-company.co.jp' as email, "
            "'営業部長' as job_title, '株式会社例' as company"
        )
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path), "top"]
    typo = runner.invoke(main, [*base, "--model", "leads"])
    assert typo.exit_code == 1
    assert "unknown model 'leads'; the published models are: cross_sell, lead" in typo.output
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(main, base)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    first = next(n for n, line in enumerate(lines) if "C1" in line)
    second = next(n for n, line in enumerate(lines) if "C2" in line)
    assert first < second
