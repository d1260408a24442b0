"""Checks of the stage ladder (thresholds), score bands, stage exclusions and sales feedback."""

from __future__ import annotations

import math

from ..vocabulary import EXCLUDED_STAGE, FEEDBACK_KINDS
from .checks import Models, Rules, SeedChecker, Stages, base_stage, is_enabled
from .csv_reading import SeedRow
from .schema import PROPERTY_OPERATORS, SCORES, UNQUALIFIED_STAGE


def check_thresholds(check: SeedChecker, models: Models, rules: Rules) -> Stages:
    """Known stages per model: base_stage, threshold stages and `unqualified`."""
    stages: Stages = {}
    for key, row in (models or {}).items():
        stages[key] = {base_stage(row), UNQUALIFIED_STAGE}
    seen: dict[tuple[str, str, str], SeedRow] = {}
    rank_of_stage: dict[tuple[str, str], tuple[int, SeedRow]] = {}
    stage_of_rank: dict[tuple[str, int], tuple[str, SeedRow]] = {}
    rules_usable = check.seeds["scoring_rules"].usable
    for row in check.rows("score_thresholds"):
        model = check.model_ref(row, models)
        model_key = model or row.key("model_id")
        segment = row.text("segment") or "*"
        stage = check.required(row, "stage")
        stage_key = stage.lower() if stage else None
        if stage_key == EXCLUDED_STAGE:
            check.report(row, "stage", "'excluded' is reserved for stage exclusions")
            stage_key = None
        elif stage_key and model and models and stage_key == base_stage(models[model]):
            check.report(
                row,
                "stage",
                f"{stage!r} is the model's base_stage (rank 0); use another stage",
            )
            stage_key = None
        if model and stage_key:
            stages.setdefault(model, set()).add(stage_key)
        if stage_key:
            key = (model_key, segment.lower(), stage_key)
            if key in seen:
                check.report(
                    row,
                    "stage",
                    f"duplicate threshold for model {row.text('model_id')!r}, segment "
                    f"{segment!r}, stage {stage!r} (first on line {seen[key].line})",
                )
            else:
                seen[key] = row
        if segment != "*" and model and models and not models[model].text("segment_property"):
            check.report(
                row,
                "segment",
                f"model {row.text('model_id')!r} has no segment_property, so only * applies",
            )
        rank = check.number(
            row,
            "stage_rank",
            required=True,
            integer=True,
            minimum=1,
            why=" (base_stage has rank 0)",
        )
        if rank is not None and stage_key:
            _check_rank(check, row, model_key, stage_key, int(rank), rank_of_stage, stage_of_rank)
        min_score = check.number(row, "min_score")
        check.choice(row, "score", SCORES, blank_ok=True)
        required_rule = row.text("required_rule_id")
        if required_rule:
            found = rules.get(required_rule.lower())
            if found is None:
                if rules_usable:
                    check.report(
                        row,
                        "required_rule_id",
                        f"unknown rule {required_rule!r} (not in seeds/scoring_rules.csv)",
                    )
            elif model and found[0] and found[0] != model:
                check.report(
                    row,
                    "required_rule_id",
                    f"rule {required_rule!r} belongs to model {found[1].text('model_id')!r}, "
                    f"not {row.text('model_id')!r}",
                )
            elif not is_enabled(found[1]):
                check.report(
                    row,
                    "required_rule_id",
                    f"rule {required_rule!r} is disabled, so this stage is never reached",
                )
        elif min_score is None and not row.text("min_score"):
            check.report(
                row,
                "min_score",
                "neither min_score nor required_rule_id is set, so every contact qualifies",
            )
    return stages


def _check_rank(
    check: SeedChecker,
    row: SeedRow,
    model_key: str,
    stage_key: str,
    rank: int,
    rank_of_stage: dict[tuple[str, str], tuple[int, SeedRow]],
    stage_of_rank: dict[tuple[str, int], tuple[str, SeedRow]],
) -> None:
    """Within a model, one stage keeps one rank (across segments) and ranks differ by stage."""
    stage = row.text("stage")
    previous = rank_of_stage.get((model_key, stage_key))
    if previous is None:
        rank_of_stage[(model_key, stage_key)] = (rank, row)
    elif previous[0] != rank:
        check.report(
            row,
            "stage_rank",
            f"stage {stage!r} has rank {previous[0]} on line {previous[1].line}; "
            "one stage keeps one rank",
        )
    other = stage_of_rank.get((model_key, rank))
    if other is None:
        stage_of_rank[(model_key, rank)] = (stage_key, row)
    elif other[0] != stage_key:
        check.report(
            row,
            "stage_rank",
            f"rank {rank} is already used by stage {other[0]!r} on line "
            f"{other[1].line}; ranks must differ",
        )


def check_bands(check: SeedChecker, models: Models) -> None:
    bands: dict[tuple[str, str], list[tuple[float, float, str, SeedRow]]] = {}
    names: dict[tuple[str, str, str], SeedRow] = {}
    for row in check.rows("score_bands"):
        model = check.model_ref(row, models)
        score = check.choice(row, "score", SCORES)
        band = check.required(row, "band")
        low = check.number(row, "min_score")
        high = check.number(row, "max_score")
        bad_number = (row.text("min_score") and low is None) or (
            row.text("max_score") and high is None
        )
        if low is not None and high is not None and low >= high:
            check.report(
                row,
                "min_score",
                f"min_score {low:g} must be below max_score {high:g} "
                "(min inclusive, max exclusive)",
            )
            continue
        model_key = model or row.key("model_id")
        if score is None or band is None:
            continue
        name_key = (model_key, score, band.lower())
        if name_key in names:
            check.report(
                row,
                "band",
                f"duplicate band {band!r} for model {row.text('model_id')!r} score {score} "
                f"(first on line {names[name_key].line})",
            )
        else:
            names[name_key] = row
        # A bound that is not a number was reported; guessing it would report false overlaps.
        if bad_number:
            continue
        interval = (
            -math.inf if low is None else low,
            math.inf if high is None else high,
            band,
            row,
        )
        for other_low, other_high, other_band, other_row in bands.get((model_key, score), []):
            if interval[0] < other_high and other_low < interval[1]:
                check.report(
                    row,
                    "min_score",
                    f"band {band!r} overlaps band {other_band!r} (line {other_row.line}) "
                    f"of model {row.text('model_id')!r} score {score}",
                )
                break
        bands.setdefault((model_key, score), []).append(interval)


def check_exclusions(check: SeedChecker, models: Models) -> None:
    seen: dict[tuple[str, str], SeedRow] = {}
    for row in check.rows("stage_exclusions"):
        model = check.model_ref(row, models)
        exclusion_id = check.required(row, "exclusion_id")
        if exclusion_id is not None:
            key = (model or row.key("model_id"), exclusion_id.lower())
            if key in seen:
                check.report(
                    row,
                    "exclusion_id",
                    f"duplicate exclusion_id {exclusion_id!r} for model "
                    f"{row.text('model_id')!r} (first on line {seen[key].line})",
                )
            else:
                seen[key] = row
        check.required(row, "property")
        check.condition(row, operators=PROPERTY_OPERATORS)


def check_feedback(check: SeedChecker, models: Models, stages: Stages) -> None:
    seen: dict[tuple[str, str], SeedRow] = {}
    for row in check.rows("feedback_rules"):
        model = check.model_ref(row, models)
        feedback = check.choice(row, "feedback", FEEDBACK_KINDS)
        if feedback is not None:
            key = (model or row.key("model_id"), feedback)
            if key in seen:
                check.report(
                    row,
                    "feedback",
                    f"duplicate feedback {feedback!r} for model {row.text('model_id')!r} "
                    f"(first on line {seen[key].line})",
                )
            else:
                seen[key] = row
        check.number(row, "points")
        check.stage_ref(row, "max_stage", model, stages, blank_ok=True)
        check.stage_ref(row, "stage_override", model, stages, blank_ok=True)
