"""The seed validator: the shipped seeds pass, and each kind of mistake is reported where it is."""

from __future__ import annotations

import csv
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.rules import (
    SEED_COLUMNS,
    SeedProblem,
    format_problems,
    regex_problem,
    validate_seeds,
)
from orchestration.rules.schema import seed_columns

SHIPPED_SEEDS = Path(__file__).resolve().parents[2] / "seeds"


# --- helpers: edit a copy of the shipped seeds ---------------------------------------------------


def _read(seeds: Path, name: str) -> list[list[str]]:
    with (seeds / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def _write(seeds: Path, name: str, rows: list[list[str]]) -> None:
    with (seeds / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _find(rows: list[list[str]], match: dict[str, str]) -> int:
    header = rows[0]
    for index, row in enumerate(rows[1:], start=1):
        if all(row[header.index(column)] == value for column, value in match.items()):
            return index
    raise AssertionError(f"no row matches {match}")


def set_cell(seeds: Path, name: str, match: dict[str, str], column: str, value: str) -> int:
    """Set one cell of the first row matching `match`; return its CSV line number."""
    rows = _read(seeds, name)
    index = _find(rows, match)
    rows[index][rows[0].index(column)] = value
    _write(seeds, name, rows)
    return index + 1


def copy_row(seeds: Path, name: str, match: dict[str, str], /, **changes: str) -> int:
    """Append a copy of the first row matching `match` with `changes`; return the new line."""
    rows = _read(seeds, name)
    row = list(rows[_find(rows, match)])
    for column, value in changes.items():
        row[rows[0].index(column)] = value
    rows.append(row)
    _write(seeds, name, rows)
    return len(rows)


def append_row(seeds: Path, name: str, /, **values: str) -> int:
    """Append a row (missing columns blank); return its line."""
    rows = _read(seeds, name)
    rows.append([values.get(column, "") for column in rows[0]])
    _write(seeds, name, rows)
    return len(rows)


def prefixes(problems: list[SeedProblem]) -> list[str]:
    return [f"{p.file}:{p.line}: {p.column}:" for p in problems]


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    target = tmp_path / "seeds"
    shutil.copytree(SHIPPED_SEEDS, target)
    return target


# --- the shipped seeds ---------------------------------------------------------------------------


def test_shipped_seeds_have_no_problems() -> None:
    problems = validate_seeds(SHIPPED_SEEDS)
    assert problems == [], format_problems(problems)


@pytest.mark.parametrize("name", sorted(SEED_COLUMNS))
def test_shipped_seeds_have_the_contract_columns_in_order(name: str) -> None:
    header = tuple(_read(SHIPPED_SEEDS, name)[0])
    assert header[: len(SEED_COLUMNS[name])] == SEED_COLUMNS[name]
    assert header == seed_columns(name)[: len(header)]  # optional columns after, in order


def test_shipped_seeds_define_the_three_models() -> None:
    rows = _read(SHIPPED_SEEDS, "scoring_models")
    assert [row[0] for row in rows[1:]] == ["lead", "cross_sell", "churn_risk"]


# --- one bad edit, one problem at the right place ------------------------------------------------

Mutation = Callable[[Path], int]
"""Edits the seeds copy; returns the CSV line the problem must be reported on."""

CASES: list[tuple[str, str, str, Mutation]] = [
    # (id, seed, column, mutation)
    # files and headers
    (
        "missing required seed",
        "scoring_rules",
        "(file)",
        lambda s: ((s / "scoring_rules.csv").unlink(), 1)[1],
    ),
    (
        "missing column",
        "score_decay",
        "percent",
        lambda s: (
            _write(s, "score_decay", [row[:6] + row[7:] for row in _read(s, "score_decay")]),
            1,
        )[1],
    ),
    (
        "duplicate header column",
        "score_bands",
        "band",
        lambda s: (
            _write(s, "score_bands", [row + [row[2]] for row in _read(s, "score_bands")]),
            1,
        )[1],
    ),
    (
        "too many values in a row",
        "stage_exclusions",
        "(row)",
        lambda s: _too_many_values(s),
    ),
    (
        "empty row",
        "feedback_rules",
        "(row)",
        lambda s: append_row(s, "feedback_rules"),
    ),
    # duplicates
    (
        "duplicate model_id",
        "scoring_models",
        "model_id",
        lambda s: copy_row(s, "scoring_models", {"model_id": "lead"}, model_id=" LEAD "),
    ),
    (
        "duplicate rule_id across models",
        "scoring_rules",
        "rule_id",
        lambda s: copy_row(
            s, "scoring_rules", {"rule_id": "eng_email_open"}, model_id="cross_sell"
        ),
    ),
    (
        "duplicate decay_id in a model",
        "score_decay",
        "decay_id",
        lambda s: copy_row(
            s, "score_decay", {"decay_id": "decay_inactive_30d"}, days="60", points="-20"
        ),
    ),
    (
        "duplicate exclusion_id in a model",
        "stage_exclusions",
        "exclusion_id",
        lambda s: copy_row(
            s, "stage_exclusions", {"exclusion_id": "ex_employee", "model_id": "lead"}
        ),
    ),
    (
        "duplicate threshold (model, segment, stage)",
        "score_thresholds",
        "stage",
        lambda s: copy_row(
            s,
            "score_thresholds",
            {"segment": "Software"},
            segment="software\u3000",
            min_score="80",
        ),
    ),
    (
        "duplicate feedback in a model",
        "feedback_rules",
        "feedback",
        lambda s: copy_row(
            s, "feedback_rules", {"model_id": "lead", "feedback": "not_ready"}, points="-20"
        ),
    ),
    (
        "duplicate alert route",
        "alert_routes",
        "to_stage",
        lambda s: copy_row(s, "alert_routes", {"to_stage": "sql"}),
    ),
    (
        "score column mapped twice",
        "crm_field_map",
        "score_column",
        lambda s: copy_row(
            s,
            "crm_field_map",
            {"crm_field": "leadscore_total"},
            crm_field="leadscore_total_2",
        ),
    ),
    (
        "CRM field written twice",
        "crm_field_map",
        "crm_field",
        lambda s: copy_row(
            s, "crm_field_map", {"crm_field": "leadscore_total"}, score_column="fit_band"
        ),
    ),
    # unknown model references, in every seed with a model_id
    (
        "unknown model in scoring_rules",
        "scoring_rules",
        "model_id",
        lambda s: set_cell(s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "model_id", "leed"),
    ),
    (
        "unknown model in score_decay",
        "score_decay",
        "model_id",
        lambda s: set_cell(
            s, "score_decay", {"decay_id": "decay_no_social_30d"}, "model_id", "leed"
        ),
    ),
    (
        "unknown model in score_thresholds",
        "score_thresholds",
        "model_id",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "model_id", "churn"),
    ),
    (
        "unknown model in score_bands",
        "score_bands",
        "model_id",
        lambda s: set_cell(
            s, "score_bands", {"model_id": "churn_risk", "band": "low"}, "model_id", "churn"
        ),
    ),
    (
        "unknown model in stage_exclusions",
        "stage_exclusions",
        "model_id",
        lambda s: set_cell(s, "stage_exclusions", {"model_id": "churn_risk"}, "model_id", "churn"),
    ),
    (
        "unknown model in feedback_rules",
        "feedback_rules",
        "model_id",
        lambda s: set_cell(
            s,
            "feedback_rules",
            {"model_id": "cross_sell", "feedback": "true_sql"},
            "model_id",
            "upsell",
        ),
    ),
    (
        "unknown model in alert_routes",
        "alert_routes",
        "model_id",
        lambda s: set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "model_id", "churn"),
    ),
    (
        "unknown model in crm_field_map",
        "crm_field_map",
        "model_id",
        lambda s: set_cell(
            s, "crm_field_map", {"crm_field": "Churn_Risk_Band__c"}, "model_id", "churn"
        ),
    ),
    # rule conditions
    (
        "condition for an unknown rule",
        "rule_conditions",
        "rule_id",
        lambda s: copy_row(
            s, "rule_conditions", {"rule_id": "eng_careers_page"}, rule_id="eng_jobs_page"
        ),
    ),
    (
        "unknown subject",
        "rule_conditions",
        "subject",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_company_tiny"}, "subject", "contact"
        ),
    ),
    (
        "unknown operator",
        "rule_conditions",
        "operator",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_company_tiny"}, "operator", "less_than"
        ),
    ),
    (
        "operator any on a property",
        "rule_conditions",
        "operator",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_company_tiny"}, "operator", "any"
        ),
    ),
    (
        "numeric operator with a non-numeric value",
        "rule_conditions",
        "value",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "fit_company_large"}, "value", "many"),
    ),
    (
        "between with one value",
        "rule_conditions",
        "value",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "fit_company_mid"}, "value", "50"),
    ),
    (
        "between with three values",
        "rule_conditions",
        "value",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_company_mid"}, "value", "1|50|999"
        ),
    ),
    (
        "between with text",
        "rule_conditions",
        "value",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_company_mid"}, "value", "fifty|999"
        ),
    ),
    (
        "between low above high",
        "rule_conditions",
        "value",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "fit_company_mid"}, "value", "999|50"),
    ),
    (
        "invalid regex",
        "rule_conditions",
        "value",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_free_email"}, "value", "@(gmail|yahoo"
        ),
    ),
    (
        "regex lookahead (not RE2)",
        "rule_conditions",
        "value",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_free_email"}, "value", "@(?=gmail)"
        ),
    ),
    (
        "regex lookbehind (not RE2)",
        "rule_conditions",
        "value",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_free_email"}, "value", "(?<!corp)@gmail"
        ),
    ),
    (
        "regex backreference (not RE2)",
        "rule_conditions",
        "value",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "fit_free_email"}, "value", r"(a)\1"),
    ),
    (
        "blank value for eq",
        "rule_conditions",
        "value",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_email_opt_out"}, "value", "\u3000 "
        ),
    ),
    (
        "blank value for an activity target test",
        "rule_conditions",
        "value",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "eng_demo_request"}, "value", ""),
    ),
    (
        "window_days not a number",
        "rule_conditions",
        "window_days",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "eng_visits_2_5"}, "window_days", "30d"
        ),
    ),
    (
        "window_days zero",
        "rule_conditions",
        "window_days",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "eng_visits_2_5"}, "window_days", "0"),
    ),
    (
        "min_count fractional",
        "rule_conditions",
        "min_count",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "eng_visits_2_5"}, "min_count", "2.5"),
    ),
    (
        "max_count negative",
        "rule_conditions",
        "max_count",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "eng_visits_2_5"}, "max_count", "-1"),
    ),
    (
        "min_count above max_count",
        "rule_conditions",
        "min_count",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "eng_visits_2_5"}, "min_count", "6"),
    ),
    (
        "window_days on a property condition",
        "rule_conditions",
        "window_days",
        lambda s: set_cell(
            s, "rule_conditions", {"rule_id": "fit_company_tiny"}, "window_days", "30"
        ),
    ),
    (
        "blank field",
        "rule_conditions",
        "field",
        lambda s: set_cell(s, "rule_conditions", {"rule_id": "fit_company_tiny"}, "field", ""),
    ),
    # scoring rules
    (
        "unknown score_group",
        "scoring_rules",
        "score_group",
        lambda s: set_cell(
            s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "score_group", "behaviour"
        ),
    ),
    (
        "unknown points_mode",
        "scoring_rules",
        "points_mode",
        lambda s: set_cell(
            s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "points_mode", "each"
        ),
    ),
    (
        "points not a number",
        "scoring_rules",
        "points",
        lambda s: set_cell(s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "points", "five"),
    ),
    (
        "points blank",
        "scoring_rules",
        "points",
        lambda s: set_cell(s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "points", ""),
    ),
    (
        "max_points not a number",
        "scoring_rules",
        "max_points",
        lambda s: set_cell(s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "max_points", "15pt"),
    ),
    (
        "unknown enabled value",
        "scoring_rules",
        "enabled",
        lambda s: set_cell(s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "enabled", "maybe"),
    ),
    (
        "blank rule_id",
        "scoring_rules",
        "rule_id",
        lambda s: append_row(
            s, "scoring_rules", model_id="lead", score_group="fit", points="1", points_mode="once"
        ),
    ),
    (
        "blank model_id",
        "scoring_rules",
        "model_id",
        lambda s: set_cell(s, "scoring_rules", {"rule_id": "eng_blog_visit"}, "model_id", " "),
    ),
    (
        "rule without conditions",
        "scoring_rules",
        "rule_id",
        lambda s: append_row(
            s,
            "scoring_rules",
            model_id="lead",
            rule_id="fit_new_rule",
            score_group="fit",
            points="5",
            points_mode="once",
        ),
    ),
    (
        "per_occurrence with two activity conditions",
        "scoring_rules",
        "points_mode",
        lambda s: (
            copy_row(s, "rule_conditions", {"rule_id": "eng_blog_visit"}, value="/blog/ja/"),
            _line_of(s, "scoring_rules", {"rule_id": "eng_blog_visit"}),
        )[1],
    ),
    (
        "per_occurrence with no activity condition",
        "scoring_rules",
        "points_mode",
        lambda s: set_cell(
            s, "scoring_rules", {"rule_id": "fit_company_tiny"}, "points_mode", "per_occurrence"
        ),
    ),
    # models
    (
        "unknown stage_policy",
        "scoring_models",
        "stage_policy",
        lambda s: set_cell(s, "scoring_models", {"model_id": "lead"}, "stage_policy", "never"),
    ),
    (
        "cap not a number",
        "scoring_models",
        "engagement_cap",
        lambda s: set_cell(s, "scoring_models", {"model_id": "lead"}, "engagement_cap", "1OO"),
    ),
    (
        "negative cap",
        "scoring_models",
        "fit_cap",
        lambda s: set_cell(s, "scoring_models", {"model_id": "cross_sell"}, "fit_cap", "-30"),
    ),
    (
        "unknown population operator",
        "scoring_models",
        "population_operator",
        lambda s: set_cell(
            s, "scoring_models", {"model_id": "lead"}, "population_operator", "not in"
        ),
    ),
    (
        "population value missing",
        "scoring_models",
        "population_value",
        lambda s: set_cell(s, "scoring_models", {"model_id": "lead"}, "population_value", ""),
    ),
    (
        "model enabled value",
        "scoring_models",
        "enabled",
        lambda s: set_cell(s, "scoring_models", {"model_id": "lead"}, "enabled", "on"),
    ),
    (
        "blank model_id in scoring_models",
        "scoring_models",
        "model_id",
        lambda s: append_row(
            s, "scoring_models", name="Nameless", base_stage="lead", stage_policy="sticky"
        ),
    ),
    # decay
    (
        "unknown decay kind",
        "score_decay",
        "kind",
        lambda s: set_cell(
            s, "score_decay", {"decay_id": "decay_inactive_30d"}, "kind", "inactive"
        ),
    ),
    (
        "half_life without days",
        "score_decay",
        "days",
        lambda s: set_cell(
            s, "score_decay", {"decay_id": "decay_email_open_half_life"}, "days", ""
        ),
    ),
    (
        "half_life with zero days",
        "score_decay",
        "days",
        lambda s: set_cell(
            s, "score_decay", {"decay_id": "decay_email_open_half_life"}, "days", "0"
        ),
    ),
    (
        "step without days",
        "score_decay",
        "days",
        lambda s: set_cell(s, "score_decay", {"decay_id": "decay_step_90d"}, "days", ""),
    ),
    (
        "step without percent",
        "score_decay",
        "percent",
        lambda s: set_cell(s, "score_decay", {"decay_id": "decay_step_90d"}, "percent", ""),
    ),
    (
        "percent above 100",
        "score_decay",
        "percent",
        lambda s: set_cell(s, "score_decay", {"decay_id": "decay_step_90d"}, "percent", "150"),
    ),
    (
        "percent not a number",
        "score_decay",
        "percent",
        lambda s: set_cell(s, "score_decay", {"decay_id": "decay_step_90d"}, "percent", "50%"),
    ),
    (
        "inactivity without points",
        "score_decay",
        "points",
        lambda s: set_cell(s, "score_decay", {"decay_id": "decay_no_visit_45d"}, "points", ""),
    ),
    (
        "inactivity without days",
        "score_decay",
        "days",
        lambda s: set_cell(s, "score_decay", {"decay_id": "decay_no_visit_45d"}, "days", ""),
    ),
    (
        "unopened_email without points",
        "score_decay",
        "points",
        lambda s: set_cell(
            s, "score_decay", {"decay_id": "decay_unopened_email_60d"}, "points", ""
        ),
    ),
    (
        "unopened_email days not a number",
        "score_decay",
        "days",
        lambda s: set_cell(
            s, "score_decay", {"decay_id": "decay_unopened_email_60d"}, "days", "two months"
        ),
    ),
    # thresholds
    (
        "unknown threshold score",
        "score_thresholds",
        "score",
        lambda s: set_cell(
            s, "score_thresholds", {"stage": "mql", "segment": "*"}, "score", "points"
        ),
    ),
    (
        "threshold min_score not a number",
        "score_thresholds",
        "min_score",
        lambda s: set_cell(
            s, "score_thresholds", {"stage": "mql", "segment": "*"}, "min_score", "35+"
        ),
    ),
    (
        "stage_rank not an integer",
        "score_thresholds",
        "stage_rank",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "stage_rank", "1.5"),
    ),
    (
        "stage_rank text",
        "score_thresholds",
        "stage_rank",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "stage_rank", "low"),
    ),
    (
        "stage_rank blank",
        "score_thresholds",
        "stage_rank",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "stage_rank", ""),
    ),
    (
        "stage_rank zero",
        "score_thresholds",
        "stage_rank",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "stage_rank", "0"),
    ),
    (
        "one stage with two ranks",
        "score_thresholds",
        "stage_rank",
        lambda s: set_cell(s, "score_thresholds", {"segment": "Software"}, "stage_rank", "3"),
    ),
    (
        "two stages with one rank",
        "score_thresholds",
        "stage_rank",
        lambda s: set_cell(s, "score_thresholds", {"stage": "at_risk"}, "stage_rank", "1"),
    ),
    (
        "stage named excluded",
        "score_thresholds",
        "stage",
        lambda s: append_row(
            s,
            "score_thresholds",
            model_id="churn_risk",
            segment="*",
            stage="Excluded",
            stage_rank="3",
            score="total",
            min_score="90",
        ),
    ),
    (
        "threshold stage equal to base_stage",
        "score_thresholds",
        "stage",
        lambda s: append_row(
            s,
            "score_thresholds",
            model_id="churn_risk",
            segment="*",
            stage="healthy",
            stage_rank="3",
            score="total",
            min_score="90",
        ),
    ),
    (
        "segment row for a model without segment_property",
        "score_thresholds",
        "segment",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "segment", "Software"),
    ),
    (
        "required_rule_id unknown",
        "score_thresholds",
        "required_rule_id",
        lambda s: set_cell(
            s,
            "score_thresholds",
            {"stage": "expansion_candidate"},
            "required_rule_id",
            "xs_new_features",
        ),
    ),
    (
        "required_rule_id of another model",
        "score_thresholds",
        "required_rule_id",
        lambda s: set_cell(
            s,
            "score_thresholds",
            {"stage": "expansion_candidate"},
            "required_rule_id",
            "eng_demo_request",
        ),
    ),
    (
        "required_rule_id of a disabled rule",
        "score_thresholds",
        "required_rule_id",
        lambda s: (
            set_cell(
                s, "scoring_rules", {"rule_id": "xs_new_feature_interest"}, "enabled", "false"
            ),
            _line_of(s, "score_thresholds", {"stage": "expansion_candidate"}),
        )[1],
    ),
    (
        "threshold with no condition at all",
        "score_thresholds",
        "min_score",
        lambda s: set_cell(s, "score_thresholds", {"stage": "watch"}, "min_score", ""),
    ),
    # bands
    (
        "unknown band score",
        "score_bands",
        "score",
        lambda s: set_cell(
            s, "score_bands", {"model_id": "churn_risk", "band": "low"}, "score", "risk"
        ),
    ),
    (
        "overlapping bands",
        "score_bands",
        "min_score",
        lambda s: copy_row(s, "score_bands", {"band": "A"}, band="A+", min_score="25"),
    ),
    (
        "overlapping unbounded bands",
        "score_bands",
        "min_score",
        lambda s: copy_row(s, "score_bands", {"band": "D"}, band="E", max_score="-10"),
    ),
    (
        "band min_score equal to max_score",
        "score_bands",
        "min_score",
        lambda s: set_cell(s, "score_bands", {"band": "B"}, "min_score", "20"),
    ),
    (
        "band min_score above max_score",
        "score_bands",
        "min_score",
        lambda s: set_cell(s, "score_bands", {"band": "B"}, "min_score", "30"),
    ),
    (
        "band max_score not a number",
        "score_bands",
        "max_score",
        lambda s: set_cell(s, "score_bands", {"band": "B"}, "max_score", "twenty"),
    ),
    (
        "duplicate band name",
        "score_bands",
        "band",
        lambda s: set_cell(s, "score_bands", {"band": "D"}, "band", "c"),
    ),
    (
        "blank band",
        "score_bands",
        "band",
        lambda s: set_cell(s, "score_bands", {"band": "D"}, "band", ""),
    ),
    # exclusions
    (
        "exclusion with unknown operator",
        "stage_exclusions",
        "operator",
        lambda s: set_cell(
            s, "stage_exclusions", {"exclusion_id": "ex_competitor"}, "operator", "one_of"
        ),
    ),
    (
        "exclusion without value",
        "stage_exclusions",
        "value",
        lambda s: set_cell(s, "stage_exclusions", {"exclusion_id": "ex_competitor"}, "value", ""),
    ),
    (
        "exclusion without property",
        "stage_exclusions",
        "property",
        lambda s: set_cell(
            s, "stage_exclusions", {"exclusion_id": "ex_competitor"}, "property", ""
        ),
    ),
    (
        "exclusion with bad regex",
        "stage_exclusions",
        "value",
        lambda s: (
            set_cell(s, "stage_exclusions", {"exclusion_id": "ex_competitor"}, "operator", "regex"),
            set_cell(s, "stage_exclusions", {"exclusion_id": "ex_competitor"}, "value", "rival["),
        )[1],
    ),
    (
        "blank exclusion_id",
        "stage_exclusions",
        "exclusion_id",
        lambda s: set_cell(
            s, "stage_exclusions", {"exclusion_id": "ex_competitor"}, "exclusion_id", ""
        ),
    ),
    # feedback
    (
        "unknown feedback",
        "feedback_rules",
        "feedback",
        lambda s: set_cell(
            s, "feedback_rules", {"model_id": "lead", "feedback": "true_sql"}, "feedback", "good"
        ),
    ),
    (
        "feedback points not a number",
        "feedback_rules",
        "points",
        lambda s: set_cell(
            s, "feedback_rules", {"model_id": "lead", "feedback": "not_ready"}, "points", "-30pt"
        ),
    ),
    (
        "feedback unknown max_stage",
        "feedback_rules",
        "max_stage",
        lambda s: set_cell(
            s, "feedback_rules", {"model_id": "lead", "feedback": "not_ready"}, "max_stage", "mq"
        ),
    ),
    (
        "feedback max_stage of another model",
        "feedback_rules",
        "max_stage",
        lambda s: set_cell(
            s,
            "feedback_rules",
            {"model_id": "cross_sell", "feedback": "not_ready"},
            "max_stage",
            "mql",
        ),
    ),
    (
        "feedback unknown stage_override",
        "feedback_rules",
        "stage_override",
        lambda s: set_cell(
            s,
            "feedback_rules",
            {"model_id": "lead", "feedback": "unqualified"},
            "stage_override",
            "disqualified",
        ),
    ),
    (
        "feedback stage_override excluded",
        "feedback_rules",
        "stage_override",
        lambda s: set_cell(
            s,
            "feedback_rules",
            {"model_id": "lead", "feedback": "unqualified"},
            "stage_override",
            "excluded",
        ),
    ),
    # alert routes
    (
        "alert to an unknown stage",
        "alert_routes",
        "to_stage",
        lambda s: set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "to_stage", "risky"),
    ),
    (
        "alert to_stage blank",
        "alert_routes",
        "to_stage",
        lambda s: set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "to_stage", ""),
    ),
    (
        "alert to excluded",
        "alert_routes",
        "to_stage",
        lambda s: set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "to_stage", "excluded"),
    ),
    (
        "unknown alert channel",
        "alert_routes",
        "channel",
        lambda s: set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "channel", "email"),
    ),
    (
        "webhook destination not a URL",
        "alert_routes",
        "destination",
        lambda s: (
            set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "channel", "webhook"),
            set_cell(s, "alert_routes", {"to_stage": "at_risk"}, "destination", "hooks.example"),
        )[1],
    ),
    # CRM field map
    (
        "unknown CRM target",
        "crm_field_map",
        "target",
        lambda s: set_cell(
            s, "crm_field_map", {"crm_field": "leadscore_fit"}, "target", "pipedrive"
        ),
    ),
    (
        "unknown score_column",
        "crm_field_map",
        "score_column",
        lambda s: set_cell(
            s, "crm_field_map", {"crm_field": "leadscore_fit"}, "score_column", "fit"
        ),
    ),
    (
        "blank crm_field",
        "crm_field_map",
        "crm_field",
        lambda s: set_cell(s, "crm_field_map", {"crm_field": "leadscore_fit"}, "crm_field", ""),
    ),
    (
        "crm_field with spaces",
        "crm_field_map",
        "crm_field",
        lambda s: set_cell(
            s, "crm_field_map", {"crm_field": "leadscore_fit"}, "crm_field", "lead score fit"
        ),
    ),
]


def _line_of(seeds: Path, name: str, match: dict[str, str]) -> int:
    return _find(_read(seeds, name), match) + 1


def _too_many_values(seeds: Path) -> int:
    """Add an unquoted comma to the lead `ex_employee` row: one value more than the header."""
    path = seeds / "stage_exclusions.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, text in enumerate(lines) if text.startswith("lead,ex_employee,"))
    lines[index] += ",staff"
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


@pytest.mark.parametrize(
    ("seed", "column", "mutate"),
    [pytest.param(seed, column, mutate, id=case_id) for case_id, seed, column, mutate in CASES],
)
def test_one_bad_edit_is_reported_where_it_is(
    seeds: Path, seed: str, column: str, mutate: Mutation
) -> None:
    line = mutate(seeds)
    problems = validate_seeds(seeds)
    expected = f"seeds/{seed}.csv:{line}: {column}:"
    assert prefixes(problems) == [expected], format_problems(problems)


# --- cascades, tolerance and formatting ----------------------------------------------------------


def test_removing_a_threshold_stage_breaks_the_references_to_it(seeds: Path) -> None:
    line = set_cell(seeds, "score_thresholds", {"stage": "at_risk"}, "stage", "critical")
    route = _line_of(seeds, "alert_routes", {"to_stage": "at_risk"})
    problems = validate_seeds(seeds)
    assert line > 1
    assert prefixes(problems) == [f"seeds/alert_routes.csv:{route}: to_stage:"]


def test_a_missing_models_file_is_one_problem_not_a_flood(seeds: Path) -> None:
    (seeds / "scoring_models.csv").unlink()
    problems = validate_seeds(seeds)
    assert prefixes(problems) == ["seeds/scoring_models.csv:1: (file):"]


def test_optional_seeds_may_be_missing(seeds: Path) -> None:
    (seeds / "alert_routes.csv").unlink()
    (seeds / "crm_field_map.csv").unlink()
    assert validate_seeds(seeds) == []


def test_extra_columns_and_column_order_are_refused_on_the_header_line(seeds: Path) -> None:
    """dbt loads an existing seed table by column position: a moved or extra column would be
    read as another one, so validate refuses both before dbt sees them."""
    rows = _read(seeds, "score_bands")
    _write(seeds, "score_bands", [[*reversed(row)] for row in rows])
    text = format_problems(validate_seeds(seeds))
    assert "seeds/score_bands.csv:1: (header): the columns are out of order" in text
    _write(seeds, "score_bands", [[*row, "note"] for row in rows])
    text = format_problems(validate_seeds(seeds))
    assert "seeds/score_bands.csv:1: note: unknown column" in text


def test_text_is_compared_trimmed_and_case_insensitively(seeds: Path) -> None:
    set_cell(
        seeds, "scoring_rules", {"rule_id": "eng_blog_visit"}, "score_group", "\u3000Engagement\t"
    )
    set_cell(seeds, "scoring_rules", {"rule_id": "eng_blog_visit"}, "points_mode", "PER_OCCURRENCE")
    set_cell(seeds, "scoring_rules", {"rule_id": "eng_blog_visit"}, "enabled", " Yes ")
    set_cell(seeds, "rule_conditions", {"rule_id": "eng_blog_visit"}, "rule_id", " ENG_Blog_Visit ")
    set_cell(seeds, "rule_conditions", {"rule_id": "fit_company_large"}, "operator", "GTE")
    set_cell(seeds, "score_thresholds", {"stage": "at_risk"}, "model_id", "Churn_Risk\u3000")
    set_cell(seeds, "alert_routes", {"to_stage": "at_risk"}, "to_stage", " AT_RISK")
    assert validate_seeds(seeds) == []


def test_blank_cells_take_the_documented_defaults(seeds: Path) -> None:
    set_cell(seeds, "scoring_rules", {"rule_id": "eng_careers_page"}, "points_mode", "")
    set_cell(seeds, "scoring_rules", {"rule_id": "eng_careers_page"}, "enabled", "")
    set_cell(seeds, "scoring_models", {"model_id": "churn_risk"}, "stage_policy", "")
    set_cell(seeds, "score_thresholds", {"stage": "watch"}, "segment", "")
    set_cell(seeds, "score_thresholds", {"stage": "watch"}, "score", "")
    set_cell(seeds, "rule_conditions", {"rule_id": "eng_event_attended"}, "operator", "")
    set_cell(seeds, "alert_routes", {"to_stage": "at_risk"}, "channel", "")
    assert validate_seeds(seeds) == []


def test_the_same_decay_id_in_two_models_is_fine(seeds: Path) -> None:
    copy_row(seeds, "score_decay", {"decay_id": "decay_inactive_30d"}, model_id="churn_risk")
    assert validate_seeds(seeds) == []


def test_a_file_that_is_not_utf8_is_reported_at_the_bad_line(seeds: Path) -> None:
    path = seeds / "score_bands.csv"
    path.write_bytes(path.read_bytes().replace("有望度_高".encode(), "有望度_高".encode("cp932")))
    line = _line_of(SHIPPED_SEEDS, "score_bands", {"band": "有望度_高"})
    assert prefixes(validate_seeds(seeds)) == [f"seeds/score_bands.csv:{line}: (file):"]


def test_a_utf8_bom_is_accepted(seeds: Path) -> None:
    path = seeds / "scoring_rules.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert validate_seeds(seeds) == []


def test_problems_are_sorted_by_file_then_line(seeds: Path) -> None:
    set_cell(seeds, "score_decay", {"decay_id": "decay_no_visit_45d"}, "kind", "sometimes")
    set_cell(seeds, "score_decay", {"decay_id": "decay_step_90d"}, "percent", "x")
    set_cell(seeds, "alert_routes", {"to_stage": "sql"}, "channel", "pager")
    problems = validate_seeds(seeds)
    assert [(p.file, p.line) for p in problems] == sorted((p.file, p.line) for p in problems)
    assert [p.file for p in problems] == [
        "seeds/alert_routes.csv",
        "seeds/score_decay.csv",
        "seeds/score_decay.csv",
    ]


def test_every_problem_is_reported_not_only_the_first(seeds: Path) -> None:
    for rule_id in ("eng_blog_visit", "eng_cta_click", "xs_feature_pages"):
        set_cell(seeds, "scoring_rules", {"rule_id": rule_id}, "points", "lots")
    assert len(validate_seeds(seeds)) == 3


def test_problem_text_and_format() -> None:
    problem = SeedProblem("seeds/scoring_rules.csv", 7, "points", "'x' is not a number")
    assert str(problem) == "seeds/scoring_rules.csv:7: points: 'x' is not a number"
    other = SeedProblem("seeds/score_bands.csv", 2, "band", "is required")
    assert format_problems([problem, other]) == f"{problem}\n{other}"
    assert format_problems([]) == ""


@pytest.mark.parametrize(
    ("pattern", "ok"),
    [
        ("^(ceo|cto)|director|責任者$", True),
        (r"@(gmail|yahoo)\.", True),
        (r"\bvp\b", True),
        ("a+?", True),
        ("[(?=]", True),
        (r"\(?=", True),
        ("(?i)abc", True),
        ("(?:abc)", True),
        ("(?P<name>abc)", True),
        ("(?=abc)", False),
        ("(?!abc)", False),
        ("(?<=abc)", False),
        ("(?<!abc)", False),
        (r"(a)\1", False),
        ("(?P<n>a)(?P=n)", False),
        ("(?>abc)", False),
        ("a++", False),
        (r"abc\Z", False),
        ("(", False),
        ("[a-", False),
    ],
)
def test_regex_problem(pattern: str, ok: bool) -> None:
    assert (regex_problem(pattern) is None) is ok


def test_alert_destinations_must_be_https_except_loopback(seeds: Path) -> None:
    _write(
        seeds,
        "alert_routes",
        [
            ["model_id", "to_stage", "channel", "destination"],
            ["lead", "mql", "webhook", "http://hooks.example.com/T1/secret"],
            ["lead", "sql", "webhook", "http://127.0.0.1:9/hook"],
        ],
    )
    text = format_problems(validate_seeds(seeds))
    assert "seeds/alert_routes.csv:2: destination: a webhook destination uses plain http" in text
    assert "alert_routes.csv:3" not in text
    assert "secret" not in text


# --- alert route directions (contract §8) --------------------------------------------------------

ROUTES_HEADER = ["model_id", "to_stage", "channel", "destination", "direction"]


def test_alert_route_directions_are_optional_trimmed_and_case_insensitive(seeds: Path) -> None:
    _write(
        seeds,
        "alert_routes",
        [
            ROUTES_HEADER,
            ["lead", "mql", "log", "", "up"],
            ["lead", "mql", "log", "", " Down\u3000"],  # the falls, to the same destination
            ["lead", "sql", "log", "", ""],  # blank: up
            ["churn_risk", "at_risk", "log", "", "ANY"],
        ],
    )
    assert validate_seeds(seeds) == []


def test_a_bad_direction_is_reported_by_validate_with_the_allowed_values(seeds: Path) -> None:
    from click.testing import CliRunner

    from orchestration.cli import main

    _write(
        seeds,
        "alert_routes",
        [ROUTES_HEADER, ["lead", "mql", "log", "", "up"], ["lead", "sql", "log", "", "sideways"]],
    )
    result = CliRunner().invoke(main, ["validate", "--seeds-dir", str(seeds)])
    assert result.exit_code == 1
    assert (
        "seeds/alert_routes.csv:3: direction: unknown value 'sideways'; use one of: up, down, any"
        in result.output.splitlines()
    )


def test_routes_whose_directions_overlap_at_one_destination_are_refused(seeds: Path) -> None:
    # An alert is identified by its change and destination: both routes would send it.
    _write(
        seeds,
        "alert_routes",
        [
            ROUTES_HEADER,
            ["lead", "mql", "log", "", ""],
            ["lead", "mql", "log", "", "any"],
            ["lead", "sql", "log", "", "down"],
            ["lead", "sql", "log", "", "down"],
            ["lead", "sql", "webhook", "https://hooks.example.com/x", "any"],  # another channel
        ],
    )
    assert format_problems(validate_seeds(seeds)).splitlines() == [
        "seeds/alert_routes.csv:3: direction: overlaps the route on line 2 (direction up): both "
        "alert the stage changes that go up, so those would be sent twice; keep one",
        "seeds/alert_routes.csv:5: to_stage: duplicate alert route (first on line 4); it would "
        "send every alert twice",
    ]


# --- outcome columns of scoring_models (contract §8) ---------------------------------------------


def test_an_outcome_property_without_its_value_is_reported(seeds: Path) -> None:
    header = list(seed_columns("scoring_models"))
    rows = [header, ["lead", "Lead", "", "lead", "sticky", "", "", "", "", "", "", "", "true",
                     "Converted", ""]]  # fmt: skip
    with (seeds / "scoring_models.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    messages = [str(problem) for problem in validate_seeds(seeds)]
    assert any(
        "scoring_models.csv:2: outcome_value: is blank but outcome_property is 'Converted'" in m
        for m in messages
    ), messages


def test_outcome_columns_are_optional(seeds: Path) -> None:
    header = list(SEED_COLUMNS["scoring_models"])
    rows = [header, ["lead", "Lead", "", "lead", "sticky", "", "", "", "", "", "", "", "true"]]
    with (seeds / "scoring_models.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    assert not [p for p in validate_seeds(seeds) if p.file.endswith("scoring_models.csv")]


# --- signals (issue 15): sums, trends, dates -----------------------------------------------------


def _conditions_with_signals(seeds: Path, rows: list[dict[str, str]]) -> list[str]:
    """Rewrite rule_conditions.csv with the optional signal columns plus `rows` (conditions of
    an existing rule); the problems validate reports for rule_conditions.csv."""
    header = list(seed_columns("rule_conditions"))
    kept = _read(seeds, "rule_conditions")
    body = [row + [""] * (len(header) - len(row)) for row in kept[1:]]
    body += [[row.get(column, "") for column in header] for row in rows]
    _write(seeds, "rule_conditions", [header, *body])
    return [str(p) for p in validate_seeds(seeds) if p.file.endswith("rule_conditions.csv")]


def test_signal_columns_are_optional_and_good_signals_pass(seeds: Path) -> None:
    rule = _read(seeds, "rule_conditions")[1][0]
    activity = {"rule_id": rule, "subject": "activity", "field": "login", "operator": "any"}
    good = [
        activity | {"window_days": "30", "aggregate": "sum", "min_count": "12.5"},
        activity | {"window_days": "30", "aggregate": "SUM ", "max_count": "-3"},
        activity | {"window_days": "30", "baseline_days": "60", "change_percent": "-50"},
        activity
        | {
            "window_days": "7",
            "baseline_days": "7",
            "change_percent": "100",
            "aggregate": "sum",
        },  # fmt: skip
        {
            "rule_id": rule,
            "subject": "property",
            "field": "renewal_date",
            "operator": "within_next_days",
            "value": "90",
        },  # fmt: skip
        {
            "rule_id": rule,
            "subject": "property",
            "field": "customer_since",
            "operator": "older_than_days",
            "value": "365",
        },  # fmt: skip
    ]
    assert _conditions_with_signals(seeds, good) == []


ACTIVITY_SIGNAL_MISTAKES = [
    ({"aggregate": "avg", "window_days": "30"}, "aggregate: unknown value 'avg'"),
    ({"aggregate": "sum", "window_days": "30"}, "min_count: aggregate sum needs a bound"),
    ({"min_count": "2.5", "window_days": "30"}, "min_count: '2.5' is not a whole number"),
    ({"baseline_days": "60", "change_percent": "-50"}, "window_days: a trend (baseline_days)"),
    ({"window_days": "30", "baseline_days": "60"}, "change_percent: a trend needs"),
    ({"window_days": "30", "change_percent": "-50"}, "change_percent: needs baseline_days"),
    (
        {"window_days": "30", "baseline_days": "60", "change_percent": "0"},
        "change_percent: 0 is no change",
    ),
    ({"window_days": "30", "baseline_days": "60", "change_percent": "-150"}, "change_percent:"),
    (
        {"window_days": "30", "baseline_days": "60", "change_percent": "-50", "min_count": "3"},
        "min_count: a trend compares",
    ),
    ({"window_days": "30", "baseline_days": "0", "change_percent": "50"}, "baseline_days:"),
    ({"operator": "older_than_days", "value": "30"}, "operator: unknown value 'older_than_days'"),
]


@pytest.mark.parametrize(("row", "message"), ACTIVITY_SIGNAL_MISTAKES)
def test_bad_activity_signals_are_reported_at_their_cell(
    seeds: Path, row: dict[str, str], message: str
) -> None:
    rule = _read(seeds, "rule_conditions")[1][0]
    base = {"rule_id": rule, "subject": "activity", "field": "login", "operator": "any"}
    problems = _conditions_with_signals(seeds, [base | row])
    line = len(_read(seeds, "rule_conditions"))
    assert any(f"rule_conditions.csv:{line}: {message}" in p for p in problems), problems


PROPERTY_SIGNAL_MISTAKES = [
    ({"operator": "older_than_days", "value": "2026-01-01"}, "value: operator older_than_days"),
    ({"operator": "within_next_days", "value": "-5"}, "value: operator within_next_days takes"),
    ({"operator": "newer_than_days", "value": ""}, "value: is required for operator"),
    ({"operator": "eq", "value": "x", "aggregate": "sum"}, "aggregate: only applies to activity"),
    ({"operator": "eq", "value": "x", "baseline_days": "30"}, "baseline_days: only applies"),
]


@pytest.mark.parametrize(("row", "message"), PROPERTY_SIGNAL_MISTAKES)
def test_bad_property_signals_are_reported_at_their_cell(
    seeds: Path, row: dict[str, str], message: str
) -> None:
    rule = _read(seeds, "rule_conditions")[1][0]
    base = {"rule_id": rule, "subject": "property", "field": "renewal_date"}
    problems = _conditions_with_signals(seeds, [base | row])
    line = len(_read(seeds, "rule_conditions"))
    assert any(f"rule_conditions.csv:{line}: {message}" in p for p in problems), problems


@pytest.mark.parametrize(
    ("account_property", "rollup", "message"),
    [
        ("company", "sum_top_3", None),
        ("email_domain", "AVG", None),
        ("company", "", None),
        (
            "company",
            "median",
            "account_rollup: unknown value 'median'; use max, avg, sum or sum_top_N",
        ),
        ("company", "sum_top_0", "account_rollup: unknown value 'sum_top_0'"),
        ("", "max", "account_rollup: is set but account_property is blank"),
    ],
)
def test_account_columns_are_checked(
    seeds: Path, account_property: str, rollup: str, message: str | None
) -> None:
    line = set_cell(
        seeds, "scoring_models", {"model_id": "lead"}, "account_property", account_property
    )
    set_cell(seeds, "scoring_models", {"model_id": "lead"}, "account_rollup", rollup)
    problems = [str(p) for p in validate_seeds(seeds) if p.file.endswith("scoring_models.csv")]
    if message is None:
        assert problems == []
    else:
        assert any(f"scoring_models.csv:{line}: {message}" in p for p in problems), problems


def test_rows_may_stop_before_optional_columns_but_not_before_required_ones(seeds: Path) -> None:
    rows = _read(seeds, "rule_conditions")
    rule = rows[1][0]
    rows.append([rule, "activity", "login", "any", "", "30", "2", ""])  # no signal columns
    rows.append([rule, "activity", "login", "any", "", "30"])  # max_count missing too
    _write(seeds, "rule_conditions", rows)
    problems = [str(p) for p in validate_seeds(seeds) if p.file.endswith("rule_conditions.csv")]
    assert problems == [
        f"seeds/rule_conditions.csv:{len(rows)}: (row): row has 6 values but the header has 11 "
        "columns (each column needs a value, blank or not: add the missing commas)"
    ]
