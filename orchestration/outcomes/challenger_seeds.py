"""A complete seeds folder with one model's rules, thresholds and bands replaced by learned ones."""

from __future__ import annotations

import csv
import re
import shutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from .learning import LearnedRule, ThresholdAdvice
from .training import short_hash

SEED_ENCODING = "utf-8"


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: Iterable[dict[str, str]]) -> None:
    with path.open("w", encoding=SEED_ENCODING, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({column: row.get(column, "") or "" for column in header})


def _same(value: str | None, model_id: str) -> bool:
    return (value or "").strip().lower() == model_id


def rule_id_for(model_id: str, description: str, taken: set[str]) -> str:
    """A readable, unique rule id: cal_<model>_<ascii words of the description>."""
    ascii_text = unicodedata.normalize("NFKD", description).encode("ascii", "ignore").decode()
    kept: list[str] = []
    for word in re.sub(r"[^a-z0-9]+", " ", ascii_text.lower()).split():
        if len("_".join([*kept, word])) > 40:
            break  # whole words only
        kept.append(word)
    words = "_".join(kept)
    if not words or ascii_text != description:
        words = f"{words}_{short_hash(description)}".strip("_")
    base = f"cal_{model_id}_{words}"
    rule_id, suffix = base, 2
    while rule_id in taken:
        rule_id, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(rule_id)
    return rule_id


def write_challenger_seeds(
    current_seeds: Path,
    out_seeds: Path,
    model_id: str,
    rules: list[LearnedRule],
    thresholds: ThresholdAdvice,
    band_cuts: dict[str, list[tuple[str, int | None, int | None]]],
) -> dict[str, str]:
    """Copy `current_seeds` to `out_seeds`, replacing model `model_id`'s rules with `rules`.

    Returns the learned rule id of each candidate key. The model's decay rows and caps are
    left out (the learned points already weigh recency and were learned uncapped); its
    thresholds become the advised MQL/SQL ones on the default segment; its bands keep their
    names with cut points in `band_cuts` (score -> [(band, min, max)]).
    """
    if out_seeds.exists():
        shutil.rmtree(out_seeds)
    shutil.copytree(current_seeds, out_seeds, ignore=shutil.ignore_patterns(".*"))

    header, models = _read(out_seeds / "scoring_models.csv")
    for row in models:
        if _same(row.get("model_id"), model_id):
            for cap in ("fit_cap", "engagement_cap", "total_cap"):
                row[cap] = ""
    _write(out_seeds / "scoring_models.csv", header, models)

    rules_header, rule_rows = _read(out_seeds / "scoring_rules.csv")
    dropped = {
        row["rule_id"].strip().lower() for row in rule_rows if _same(row["model_id"], model_id)
    }
    kept_rules = [row for row in rule_rows if not _same(row["model_id"], model_id)]
    taken = {row["rule_id"].strip().lower() for row in kept_rules}
    ids: dict[str, str] = {}
    for rule in rules:
        rule_id = rule_id_for(model_id, rule.candidate.description, taken)
        ids[rule.candidate.key] = rule_id
        kept_rules.append(
            {
                "model_id": model_id,
                "rule_id": rule_id,
                "score_group": rule.candidate.score_group,
                "description": f"{rule.candidate.description} (learned)",
                "points": str(rule.points),
                "points_mode": "once",
                "max_points": "",
                "enabled": "true",
            }
        )
    _write(out_seeds / "scoring_rules.csv", rules_header, kept_rules)

    conditions_header, condition_rows = _read(out_seeds / "rule_conditions.csv")
    kept_conditions = [
        row for row in condition_rows if row["rule_id"].strip().lower() not in dropped
    ]
    for rule in rules:
        for condition in rule.candidate.conditions:
            kept_conditions.append(
                {
                    "rule_id": ids[rule.candidate.key],
                    "subject": condition.subject,
                    "field": condition.field,
                    "operator": condition.operator,
                    "value": condition.value,
                    "window_days": condition.window_days,
                    "min_count": condition.min_count,
                    "max_count": condition.max_count,
                }
            )
    _write(out_seeds / "rule_conditions.csv", conditions_header, kept_conditions)

    decay_header, decay_rows = _read(out_seeds / "score_decay.csv")
    _write(
        out_seeds / "score_decay.csv",
        decay_header,
        [row for row in decay_rows if not _same(row["model_id"], model_id)],
    )
    _write_thresholds(out_seeds / "score_thresholds.csv", model_id, thresholds)
    _write_bands(out_seeds / "score_bands.csv", model_id, band_cuts)
    return ids


def _write_thresholds(path: Path, model_id: str, advice: ThresholdAdvice) -> None:
    """The model's stages by rank: the top one at the SQL advice, the others at the MQL one."""
    header, rows = _read(path)
    mine = [row for row in rows if _same(row["model_id"], model_id)]
    others = [row for row in rows if not _same(row["model_id"], model_id)]
    stages: dict[str, int] = {}
    for row in mine:
        name = row["stage"].strip().lower()
        rank = int(float(row["stage_rank"]))
        stages[name] = min(rank, stages.get(name, rank))
    ordered = sorted(stages.items(), key=lambda item: -item[1])
    new_rows = []
    for position, (stage, rank) in enumerate(ordered):
        advised = advice.sql if position == 0 else advice.mql
        if advised is None:
            continue
        new_rows.append(
            {
                "model_id": model_id,
                "segment": "*",
                "stage": stage,
                "stage_rank": str(rank),
                "score": "total",
                "min_score": _integer_text(advised),
                "required_rule_id": "",
            }
        )
    _write(path, header, others + new_rows)


def _write_bands(path: Path, model_id: str, cuts: dict[str, list]) -> None:
    header, rows = _read(path)
    kept = [
        row
        for row in rows
        if not (
            _same(row["model_id"], model_id) and (row["score"] or "total").strip().lower() in cuts
        )
    ]
    for score, bands in cuts.items():
        for band, low, high in bands:
            kept.append(
                {
                    "model_id": model_id,
                    "score": score,
                    "band": band,
                    "min_score": "" if low is None else str(low),
                    "max_score": "" if high is None else str(high),
                }
            )
    _write(path, header, kept)


def band_cuts_like_current(
    learned: np.ndarray, current_bands: list[str | None], band_floors: dict[str, float | None]
) -> list[tuple[str, int | None, int | None]]:
    """Cut points on the learned score that keep each band's current share of the contacts.

    `current_bands` is each contact's current band (same order as `learned`); `band_floors`
    orders the bands (lowest min_score first; None = unbounded below).
    """
    order = sorted(
        band_floors, key=lambda band: (band_floors[band] is not None, band_floors[band] or 0)
    )
    counts = {band: sum(1 for value in current_bands if value == band) for band in order}
    total = sum(counts.values()) or 1
    cuts: list[int] = []
    cumulative = 0
    for band in order[:-1]:
        cumulative += counts[band]
        cut = int(np.ceil(np.quantile(learned, cumulative / total))) if len(learned) else 0
        if cuts and cut <= cuts[-1]:
            cut = cuts[-1] + 1
        cuts.append(cut)
    bounds = [None, *cuts, None]
    return [(band, bounds[i], bounds[i + 1]) for i, band in enumerate(order)]


def _integer_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
