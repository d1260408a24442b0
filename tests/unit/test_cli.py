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
