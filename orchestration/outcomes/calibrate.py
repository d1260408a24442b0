"""`leadscore calibrate`: learn a model's points from outcomes into a challenger seeds folder."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from statistics import mean, pstdev

import duckdb
import numpy as np

from ..rules.validate import validate_seeds
from ..vocabulary import THRESHOLD_CRITERION
from .challenger_seeds import band_cuts_like_current, write_challenger_seeds
from .learning import POINTS_TO_DOUBLE_ODDS, Calibration, calibrate
from .training import CalibrationError, TrainingSet, load_training_set, norm_name


@dataclass(frozen=True)
class CalibrationOutcome:
    """What calibrate wrote and the numbers to print."""

    seeds_dir: Path
    report_html: Path
    report_json: Path
    summary: dict


def run_calibration(
    build_db: Path,
    seeds_dir: Path,
    out_dir: Path,
    model_id: str,
    *,
    outcome_property: str | None = None,
    outcome_value: str | None = None,
    exclude_properties: tuple[str, ...] = (),
    seed: int = 0,
) -> CalibrationOutcome:
    """Learn from the build database; write out_dir/seeds, report.json and report.html.

    Never writes to `seeds_dir` (refused when out_dir/seeds would be it).
    """
    model_id = norm_name(model_id)
    if (out_dir / "seeds").resolve() == seeds_dir.resolve():
        raise CalibrationError(f"--out {out_dir} would overwrite the current seeds {seeds_dir}")
    with duckdb.connect(str(build_db), read_only=True) as con:
        training = load_training_set(
            con,
            model_id,
            outcome_property=outcome_property,
            outcome_value=outcome_value,
            exclude_properties=exclude_properties,
            seed=seed,
        )
        try:
            result = calibrate(training, seed=seed)
        except ValueError as exc:
            raise CalibrationError(f"model {model_id!r}: {exc}") from exc
        band_cuts = _band_cuts(con, training, result)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = write_challenger_seeds(
        seeds_dir, out_dir / "seeds", model_id, result.rules, result.thresholds, band_cuts
    )
    problems = validate_seeds(out_dir / "seeds")
    if problems:
        listed = "; ".join(str(problem) for problem in problems[:5])
        raise CalibrationError(f"the learned seeds do not validate (a leadscore bug): {listed}")
    summary = _summary(training, result, ids, out_dir / "seeds")
    report_json = out_dir / "report.json"
    report_json.write_text(json.dumps(summary, indent=2, ensure_ascii=False, default=str) + "\n")
    report_html = out_dir / "report.html"
    report_html.write_text(render_html(summary), encoding="utf-8")
    return CalibrationOutcome(out_dir / "seeds", report_html, report_json, summary)


def _band_cuts(con, training: TrainingSet, result: Calibration) -> dict[str, list]:
    """Per score kind with bands: cut points keeping each band's current share."""
    floors: dict[str, dict[str, float | None]] = {}
    for score, band, low in con.execute(
        "select score_column, band, min(min_score) from staging.stg_score_bands "
        "where model_id = ? and band is not null group by all",
        [training.model_id],
    ).fetchall():
        floors.setdefault(score, {})[band] = low
    if not floors:
        return {}
    current = {
        row[0]: row[1:]
        for row in con.execute(
            "select contact_id, total_band, fit_band, engagement_band "
            "from intermediate.int_contact_bands where model_id = ?",
            [training.model_id],
        ).fetchall()
    }
    points = np.zeros(len(training.candidates))
    index = {candidate.key: i for i, candidate in enumerate(training.candidates)}
    for rule in result.rules:
        points[index[rule.candidate.key]] = rule.points
    groups = np.array([candidate.score_group for candidate in training.candidates])
    learned = {
        "total": training.features @ points,
        "fit": training.features @ np.where(groups == "fit", points, 0.0),
        "engagement": training.features @ np.where(groups == "engagement", points, 0.0),
    }
    column = {"total": 0, "fit": 1, "engagement": 2}
    cuts = {}
    for score, bands in floors.items():
        if score not in learned:
            continue
        labels = [current.get(c, (None, None, None))[column[score]] for c in training.contact_ids]
        cuts[score] = band_cuts_like_current(np.asarray(learned[score]).ravel(), labels, bands)
    return cuts


def _summary(training: TrainingSet, result: Calibration, ids: dict, seeds: Path) -> dict:
    def stats(values: list[float]) -> dict:
        return {
            "folds": [round(value, 4) for value in values],
            "mean": round(mean(values), 4) if values else None,
            "sd": round(pstdev(values), 4) if len(values) > 1 else None,
        }

    return {
        "model_id": training.model_id,
        "as_of": training.as_of.isoformat() + "Z",
        "outcome": training.outcome_definition,
        "contacts": len(training.contact_ids),
        "contacts_with_outcome": training.sampled_from,
        "converted": training.converted_count,
        "converted_judged_from_history": training.reference_from_history,
        "candidates_considered": len(training.candidates),
        "excluded_properties": training.excluded_properties,
        "suspected_leaks": training.suspected_leaks,
        "regularisation_c": result.regularisation,
        "points_scale": f"{POINTS_TO_DOUBLE_ODDS:g} points double the odds of converting",
        "auc": {
            "learned_cross_validated": stats(result.cv_auc_learned),
            "current_same_folds": stats(result.cv_auc_current),
            "current_all_contacts": (
                round(result.current_auc_all, 4) if result.current_auc_all is not None else None
            ),
        },
        "rules": [
            {
                "rule_id": ids[rule.candidate.key],
                "description": rule.candidate.description,
                "score_group": rule.candidate.score_group,
                "origin": rule.candidate.origin,
                "points": rule.points,
                "points_90_interval": [rule.points_low, rule.points_high],
                "kept_in_bootstrap_share": round(rule.kept_share, 3),
                "contacts": rule.contacts,
                "conversion_rate": round(rule.conversion_rate, 4),
                "conditions": [condition.__dict__ for condition in rule.candidate.conditions],
            }
            for rule in result.rules
        ],
        "thresholds": {
            "mql": result.thresholds.mql,
            "sql": result.thresholds.sql,
            "criterion": THRESHOLD_CRITERION,
            "candidates": [
                {
                    key: round(value, 4) if isinstance(value, float) else value
                    for key, value in row.items()
                }
                for row in result.thresholds.rows
            ],
        },
        "seeds_dir": str(seeds),
        "notes": [
            "Activity candidates count only what happened before each converted contact's won "
            "deal was created; property candidates read the contact's current properties.",
            "The model's decay rows and caps are left out of the learned seeds: windows already "
            "weigh recency, and the points were learned without caps.",
            "Thresholds are set on the default segment only; required rules are dropped.",
        ],
    }


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(summary: dict) -> str:
    """A plain, self-contained page (no scripts) with the calibration's numbers."""
    auc = summary["auc"]
    learned, current = auc["learned_cross_validated"], auc["current_same_folds"]
    rules = _table(
        [
            "rule",
            "description",
            "group",
            "points",
            "90 % interval",
            "kept",
            "contacts",
            "converted",
        ],
        [
            [
                rule["rule_id"],
                rule["description"],
                rule["score_group"],
                f"{rule['points']:+d}",
                f"{rule['points_90_interval'][0]:+d} … {rule['points_90_interval'][1]:+d}",
                f"{rule['kept_in_bootstrap_share']:.0%}",
                rule["contacts"],
                f"{rule['conversion_rate']:.1%}",
            ]
            for rule in summary["rules"]
        ],
    )
    thresholds = summary["thresholds"]
    advice = _table(
        ["threshold", "contacts above", "share", "precision", "recall", "F1"],
        [
            [
                f"{row['threshold']:g}",
                row["contacts_above"],
                f"{row['share_above']:.1%}",
                f"{row['precision']:.1%}",
                f"{row['recall']:.1%}",
                f"{row['f1']:.3f}",
            ]
            for row in thresholds["candidates"]
            if row["threshold"] in (thresholds["mql"], thresholds["sql"])
        ],
    )
    leaks = "".join(f"<li>{html.escape(leak)}</li>" for leak in summary["suspected_leaks"])
    notes = "".join(f"<li>{html.escape(note)}</li>" for note in summary["notes"])
    title = f"leadscore calibrate: model {summary['model_id']}"
    excluded = html.escape(", ".join(summary["excluded_properties"]) or "none")
    challenger = html.escape(str(Path(summary["seeds_dir"]).parent))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, "Noto Sans CJK JP", sans-serif; margin: 2rem; max-width: 72rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
td, th {{ border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }}
th {{ background: #f3f3f3; }}
.big {{ font-size: 1.4rem; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>As of {html.escape(summary["as_of"])}; outcome: {html.escape(summary["outcome"])};
{summary["contacts"]} contacts ({summary["converted"]} converted) of
{summary["contacts_with_outcome"]} with a known outcome;
{summary["candidates_considered"]} candidate rules.</p>
<p class="big">Cross-validated AUC: learned <b>{learned["mean"]}</b> (± {learned["sd"]}) against
current rules <b>{current["mean"]}</b> on the same folds.</p>
<h2>Learned rules ({html.escape(summary["points_scale"])})</h2>{rules}
<h2>Suggested thresholds</h2>
<p>MQL {thresholds["mql"]}, SQL {thresholds["sql"]}: {html.escape(thresholds["criterion"])}.</p>
{advice}
<h2>Left out</h2><p>Properties: {excluded}.</p>
<ul>{leaks}</ul>
<h2>Notes</h2><ul>{notes}</ul>
<p>Seeds written to {html.escape(summary["seeds_dir"])}: try them with
<code>leadscore compare --challenger {challenger}</code>.</p>
</body></html>
"""
