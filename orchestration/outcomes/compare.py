"""`leadscore compare`: current seeds vs a challenger, on the same contacts and outcomes."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import roc_auc_score

from ..config import mirror_dbt_project
from ..warehouse.scratch import build_scratch_copy


class CompareError(Exception):
    """The comparison cannot be made (said in one line)."""


def _scores(con: duckdb.DuckDBPyConnection, model_id: str) -> dict[str, tuple]:
    """contact -> (total score, total band) of every contact the build scored for `model_id`."""
    rows = con.execute(
        """
        select totals.contact_id, cast(totals.total_score as double), bands.total_band
        from intermediate.int_contact_totals as totals
        left join intermediate.int_contact_bands as bands
            on totals.model_id = bands.model_id and totals.contact_id = bands.contact_id
        where totals.model_id = ?
        """,
        [model_id],
    ).fetchall()
    return {contact: (score, band) for contact, score, band in rows}


def _stages(con: duckdb.DuckDBPyConnection, model_id: str) -> dict[str, str]:
    rows = con.execute(
        "select contact_id, stage from marts.contact_scores where model_id = ?", [model_id]
    ).fetchall()
    return dict(rows)


def _models(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(
        "select distinct model_id from marts.outcomes order by 1"
    ).fetchall()]  # fmt: skip


def _side(converted: np.ndarray, scores: np.ndarray, bands: list, top_k: int) -> dict:
    order = np.lexsort((np.arange(len(scores)), -scores))
    k = min(top_k, len(scores))
    both = converted.any() and not converted.all()
    by_band: dict[str, list[int]] = {}
    for band, hit in zip(bands, converted, strict=True):
        counts = by_band.setdefault(band or "(no band)", [0, 0])
        counts[0] += 1
        counts[1] += int(hit)
    return {
        "auc": round(float(roc_auc_score(converted, scores)), 4) if both else None,
        "precision_at_k": round(float(converted[order[:k]].mean()), 4) if k else None,
        "conversion_by_band": {
            band: {"contacts": n, "converted": c, "rate": round(c / n, 4)}
            for band, (n, c) in sorted(by_band.items())
        },
    }


def compare_rule_sets(
    build_db: Path, challenger_seeds: Path, workdir: Path, model_id: str | None, top_k: int
) -> dict:
    """Score a scratch copy of the build with the challenger's seeds; compare per model.

    The contacts are those with a known outcome in the current build (marts.outcomes), judged
    by the score each side gives them as of the build's instant. Nothing is alerted, exported
    or published: only the scratch copy is built.
    """
    with duckdb.connect(str(build_db), read_only=True) as con:
        as_of = con.execute("select max(as_of) from marts.contact_scores").fetchall()[0][0]
        if as_of is None:
            raise CompareError("the build has no scores yet; run `leadscore run` first")
        models = _models(con)
        if model_id is not None:
            model_id = model_id.strip().lower()
            if model_id not in models:
                raise CompareError(
                    f"no model {model_id!r} with outcomes in the build "
                    f"(models: {', '.join(models)})"
                )
            models = [model_id]
        current = {
            model: (
                dict(
                    con.execute(
                        "select contact_id, is_converted from marts.outcomes where model_id = ?",
                        [model],
                    ).fetchall()
                ),  # fmt: skip
                _scores(con, model),
                _stages(con, model),
            )
            for model in models
        }
    project = mirror_dbt_project(workdir / "challenger" / "project", challenger_seeds)
    copy = build_scratch_copy(
        build_db, as_of, workdir / "scratch", reload_seeds=True, project_dir=project
    )
    result = {"as_of": as_of.isoformat() + "Z", "challenger": str(challenger_seeds), "models": []}
    with duckdb.connect(str(copy), read_only=True) as con:
        for model in models:
            outcomes, current_scores, current_stages = current[model]
            challenger_scores = _scores(con, model)
            challenger_stages = _stages(con, model)
            contacts = sorted(c for c in outcomes if c in current_scores and c in challenger_scores)
            converted = np.array([outcomes[c] for c in contacts], dtype=bool)
            sides = {}
            for name, scores in (("current", current_scores), ("challenger", challenger_scores)):
                values = np.array([scores[c][0] for c in contacts], dtype=float)
                sides[name] = _side(converted, values, [scores[c][1] for c in contacts], top_k)
            result["models"].append(
                {
                    "model_id": model,
                    "contacts": len(contacts),
                    "converted": int(converted.sum()),
                    "top_k": top_k,
                    **sides,
                    "stage_moves": _stage_moves(current_stages, challenger_stages),
                }
            )
    return result


def _stage_moves(current: dict[str, str], challenger: dict[str, str]) -> dict:
    """Per stage: contacts the challenger would add to it and take from it."""
    stages = sorted(set(current.values()) | set(challenger.values()))
    moves = {stage: {"gain": 0, "lose": 0} for stage in stages}
    for contact in set(current) | set(challenger):
        before, after = current.get(contact), challenger.get(contact)
        if before == after:
            continue
        if after is not None:
            moves[after]["gain"] += 1
        if before is not None:
            moves[before]["lose"] += 1
    return moves


def render_comparison(comparison: dict) -> str:
    """Side-by-side tables for a terminal."""
    console = Console(file=io.StringIO(), record=True, width=100, force_terminal=False)
    console.print(f"as of {comparison['as_of']}; challenger {comparison['challenger']}")
    for model in comparison["models"]:
        current, challenger = model["current"], model["challenger"]
        table = Table(title=f"model {model['model_id']}: {model['contacts']} contacts, "
                            f"{model['converted']} converted")  # fmt: skip
        table.add_column("measure")
        table.add_column("current", justify="right")
        table.add_column("challenger", justify="right")
        table.add_row("AUC", str(current["auc"]), str(challenger["auc"]))
        table.add_row(
            f"precision at top {model['top_k']}",
            str(current["precision_at_k"]),
            str(challenger["precision_at_k"]),
        )
        console.print(table)
        for name in ("current", "challenger"):
            bands = Table(title=f"{name}: conversion by total band")
            for column in ("band", "contacts", "converted", "rate"):
                bands.add_column(column, justify="left" if column == "band" else "right")
            for band, counts in model[name]["conversion_by_band"].items():
                bands.add_row(band, str(counts["contacts"]), str(counts["converted"]),
                              f"{counts['rate']:.1%}")  # fmt: skip
            console.print(bands)
        moves = Table(title="stages the challenger would change (published contacts)")
        for column in ("stage", "gain", "lose"):
            moves.add_column(column, justify="left" if column == "stage" else "right")
        for stage, counts in model["stage_moves"].items():
            moves.add_row(stage, f"+{counts['gain']}", f"-{counts['lose']}")
        console.print(moves)
    return console.export_text()
