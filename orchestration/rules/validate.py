"""Validate every seed under a folder: read each file, then run the checks in dependency order."""

from __future__ import annotations

from pathlib import Path

from .checks import SeedChecker
from .checks_outputs import check_alert_routes, check_crm_field_map
from .checks_rules import check_conditions, check_decay, check_models, check_rules
from .checks_stages import check_bands, check_exclusions, check_feedback, check_thresholds
from .csv_reading import Seed, read_seed
from .problems import SeedProblem
from .schema import SEED_COLUMNS


def validate_seeds(seeds_dir: Path) -> list[SeedProblem]:
    """Every problem in the seeds under `seeds_dir`, sorted by file then line."""
    seeds: dict[str, Seed] = {}
    reading_problems: list[SeedProblem] = []
    for name in SEED_COLUMNS:
        seeds[name], problems = read_seed(Path(seeds_dir), name)
        reading_problems.extend(problems)
    check = SeedChecker(seeds, reading_problems)

    # Later checks look up what earlier ones collected: models, rules, then the stages.
    models = check_models(check)
    rules = check_rules(check, models)
    check_conditions(check, rules)
    check_decay(check, models)
    stages = check_thresholds(check, models, rules)
    check_bands(check, models)
    check_exclusions(check, models)
    check_feedback(check, models, stages)
    check_alert_routes(check, models, stages)
    check_crm_field_map(check, models)
    # sorted() is stable: problems on one line keep the order the checks found them in.
    return sorted(check.problems, key=lambda p: (p.file, p.line))
