"""Bad seed input analysts cause (full-width digits, Excel encodings, wrong columns): one clear
`file:line: column: message` each, and nothing dbt would load wrongly gets past `validate`."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import yaml

from orchestration.rules import SEED_COLUMNS, format_problems, validate_seeds
from orchestration.rules.numbers import (
    ASCII_NUMBER_CHARACTERS,
    FULL_WIDTH_NUMBER_CHARACTERS,
    ascii_number_text,
)
from orchestration.rules.schema import seed_columns

REPO = Path(__file__).resolve().parents[2]
TEXT_MACROS = REPO / "dbt_project" / "macros" / "text.sql"


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", target)
    return target


def read_rows(seeds: Path, name: str) -> list[list[str]]:
    with (seeds / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(seeds: Path, name: str, rows: list[list[str]]) -> None:
    with (seeds / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def set_cell(seeds: Path, name: str, key: tuple[str, str], column: str, value: str) -> int:
    """Set `column` of the first row whose `key[0]` is `key[1]`; return the row's CSV line."""
    rows = read_rows(seeds, name)
    header = rows[0]
    index = next(i for i, row in enumerate(rows) if row[header.index(key[0])] == key[1])
    rows[index][header.index(column)] = value
    write_rows(seeds, name, rows)
    return index + 1


def lines(problems) -> list[str]:
    return format_problems(problems).splitlines()


# --- 1. full-width digits ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "key", "column", "value"),
    [
        ("scoring_rules", ("rule_id", "fit_title_manager"), "points", "１０"),
        ("scoring_rules", ("rule_id", "fit_title_manager"), "points", "－５"),
        ("scoring_rules", ("rule_id", "fit_title_manager"), "points", "−５"),  # U+2212
        ("scoring_rules", ("rule_id", "eng_blog_visit"), "max_points", "１２．５"),
        ("scoring_rules", ("rule_id", "eng_blog_visit"), "max_points", "＋１２"),
        ("score_thresholds", ("stage", "mql"), "stage_rank", "１"),  # a whole number
        ("score_thresholds", ("stage", "mql"), "min_score", "３５"),
    ],
)
def test_full_width_numbers_are_accepted(seeds, seed, key, column, value):
    set_cell(seeds, seed, key, column, value)
    assert validate_seeds(seeds) == []


@pytest.mark.parametrize("value", ["十", "١٠", "10点", "１０，５", "1O"])
def test_other_characters_in_a_number_are_refused_where_they_are(seeds, value):
    line = set_cell(seeds, "scoring_rules", ("rule_id", "fit_title_manager"), "points", value)
    [problem] = lines(validate_seeds(seeds))
    assert problem.startswith(f"seeds/scoring_rules.csv:{line}: points: {value!r} is not a number")
    if not value.isascii():
        assert "write it with the digits 0-9 (full-width digits are fine too)" in problem


def test_a_full_width_condition_value_is_refused_because_operators_cast_it_as_it_is(seeds):
    # rule_conditions values go through macros/operators.sql, which does not translate them.
    line = set_cell(seeds, "rule_conditions", ("rule_id", "fit_company_large"), "value", "１０００")
    assert lines(validate_seeds(seeds)) == [
        f"seeds/rule_conditions.csv:{line}: value: operator gte compares numbers; '１０００' is "
        "not one (write condition numbers with the ASCII digits 0-9)"
    ]


def test_validate_and_the_dbt_macro_translate_the_same_characters():
    macro = TEXT_MACROS.read_text(encoding="utf-8")
    body = macro[macro.index("{% macro clean_number") :]
    body = body[: body.index("{%- endmacro %}")]
    translated = re.search(r"translate\(.*?, '([^']*)', '([^']*)'\)", body)
    assert translated is not None, body
    assert translated.groups() == (FULL_WIDTH_NUMBER_CHARACTERS, ASCII_NUMBER_CHARACTERS)
    codepoints = {f"U+{ord(c):04X}" for c in FULL_WIDTH_NUMBER_CHARACTERS}
    expected = {f"U+{point:04X}" for point in range(0xFF10, 0xFF1A)}
    assert codepoints == expected | {"U+FF0B", "U+FF0D", "U+FF0E", "U+2212"}
    assert ascii_number_text("－１２．５") == "-12.5"


# --- 2. encodings --------------------------------------------------------------------------------


def test_an_excel_shift_jis_seed_is_explained(seeds):
    path = seeds / "scoring_rules.csv"
    # Excel writes "?" for a character Shift-JIS lacks (the en dash of one description).
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp932", errors="replace"))
    problems = lines(validate_seeds(seeds))
    assert problems == [
        "seeds/scoring_rules.csv:2: (file): is not UTF-8 text (it looks like Shift-JIS/CP932, "
        'what Excel saves as "CSV (Comma delimited)"); save it as UTF-8: in Excel choose '
        '"CSV UTF-8 (Comma delimited) (*.csv)", in an editor the encoding UTF-8'
    ]


def test_excel_csv_utf8_with_bom_and_crlf_is_accepted(seeds):
    path = seeds / "score_bands.csv"
    text = path.read_text(encoding="utf-8").replace("\n", "\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert validate_seeds(seeds) == []


def test_an_unreadable_seed_is_a_problem_not_a_traceback(seeds):
    path = seeds / "score_bands.csv"
    path.unlink()
    path.mkdir()  # exists, but cannot be read as a file
    problems = lines(validate_seeds(seeds))
    assert problems == ["seeds/score_bands.csv:1: (file): required seed file is missing"]


# --- 3. columns ----------------------------------------------------------------------------------


def test_an_unknown_extra_column_is_reported_on_the_header_line(seeds):
    rows = read_rows(seeds, "scoring_rules")
    write_rows(seeds, "scoring_rules", [rows[0] + ["notes"]] + [row + ["x"] for row in rows[1:]])
    expected = ", ".join(SEED_COLUMNS["scoring_rules"])
    assert lines(validate_seeds(seeds)) == [
        "seeds/scoring_rules.csv:1: notes: unknown column; a seed has no other columns "
        f"(expected columns, in this order: {expected})"
    ]


def test_a_misspelt_column_is_unknown_and_its_required_column_missing(seeds):
    rows = read_rows(seeds, "scoring_rules")
    rows[0][rows[0].index("max_points")] = "max_point"
    write_rows(seeds, "scoring_rules", rows)
    problems = lines(validate_seeds(seeds))
    assert [p.split(": ")[:2] for p in problems] == [
        ["seeds/scoring_rules.csv:1", "max_point"],
        ["seeds/scoring_rules.csv:1", "max_points"],
    ]
    assert "unknown column; did you mean max_points?" in problems[0]
    assert "required column is missing" in problems[1]


def test_a_missing_required_column_is_reported_on_the_header_line(seeds):
    rows = read_rows(seeds, "feedback_rules")
    drop = rows[0].index("max_stage")
    write_rows(seeds, "feedback_rules", [row[:drop] + row[drop + 1 :] for row in rows])
    assert lines(validate_seeds(seeds)) == [
        "seeds/feedback_rules.csv:1: max_stage: required column is missing (expected columns, "
        "in this order: model_id, feedback, points, max_stage, stage_override)"
    ]


def test_columns_in_another_order_are_refused_since_dbt_loads_them_by_position(seeds):
    rows = read_rows(seeds, "score_bands")
    low, high = rows[0].index("min_score"), rows[0].index("max_score")
    for row in rows:
        row[low], row[high] = row[high], row[low]
    write_rows(seeds, "score_bands", rows)
    assert lines(validate_seeds(seeds)) == [
        "seeds/score_bands.csv:1: (header): the columns are out of order; dbt loads seed columns "
        "by position, so a moved column would be read as another one. Put them in this order: "
        "model_id, score, band, min_score, max_score"
    ]


def test_an_unnamed_column_is_refused(seeds):
    rows = read_rows(seeds, "score_bands")
    write_rows(seeds, "score_bands", [row + [""] for row in rows])
    assert lines(validate_seeds(seeds)) == [
        "seeds/score_bands.csv:1: (column 6): a column without a name in the header; delete the "
        "whole column"
    ]


def test_a_row_with_fewer_values_than_the_header_is_refused(seeds):
    path = seeds / "score_bands.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "lead,total,Z\n", encoding="utf-8")
    line = text.count("\n") + 1
    assert lines(validate_seeds(seeds)) == [
        f"seeds/score_bands.csv:{line}: (row): row has 3 values but the header has 5 columns "
        "(each column needs a value, blank or not: add the missing commas)"
    ]


def test_validate_allows_exactly_the_columns_dbt_loads_in_its_order():
    project = yaml.safe_load((REPO / "dbt_project" / "dbt_project.yml").read_text("utf-8"))
    seeds_config = project["seeds"]["leadscore"]
    for name in SEED_COLUMNS:
        assert tuple(seeds_config[name]["+column_types"]) == seed_columns(name), name
