"""What `leadscore report` shows, read from the published warehouse into plain rows per model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from ..reports import ReportError

# Every mart the report reads; contact_scores is the one it cannot do without (the models).
REPORT_MARTS = (
    "contact_scores",
    "score_history",
    "band_conversion",
    "stage_funnel",
    "rule_performance",
    "stage_changes",
    "model_quality",
    "threshold_advice",
)
NO_BAND = "(no band)"
MOVERS_LIMIT = 10


@dataclass
class ModelReport:
    """One model's rows for every section; a mart the warehouse lacks leaves its rows None."""

    model_id: str
    as_of: datetime | None = None
    bands: list[str] = field(default_factory=list)  # total bands, highest first
    score_counts: list[dict] = field(default_factory=list)  # total_score, total_band, contacts
    excluded_contacts: int = 0
    band_history: list[dict] | None = None  # at, total_band, contacts
    band_conversion: list[dict] | None = None
    funnel: list[dict] | None = None
    rule_performance: list[dict] | None = None
    movers_at: datetime | None = None
    rises: list[dict] | None = None
    falls: list[dict] | None = None
    quality: list[dict] | None = None  # oldest first
    thresholds: list[dict] | None = None


@dataclass
class ReportData:
    warehouse: Path
    as_of: datetime | None
    models: list[ModelReport]
    missing_marts: list[str] = field(default_factory=list)
    outdated_marts: list[str] = field(default_factory=list)  # lack a column the report reads

    def unavailable(self, mart: str) -> str | None:
        """Why a section cannot show `mart`, in words; None when it is there."""
        if mart in self.missing_marts:
            return (
                f"marts.{mart} is missing from this warehouse (published by an older "
                "leadscore); the next `leadscore run` publishes it"
            )
        if mart in self.outdated_marts:
            return (
                f"marts.{mart} in this warehouse lacks columns this report reads (published "
                "by an older leadscore); the next `leadscore run` publishes it anew"
            )
        return None


def load_report(warehouse: Path) -> ReportData:
    """Every section's rows from the warehouse, opened read-only.

    A database without marts.contact_scores raises ReportError; one lacking only some of the
    other marts (published before they existed) still loads, naming them in `missing_marts`.
    """
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' "
                "union select view_name from duckdb_views() where schema_name = 'marts'"
            ).fetchall()
        }
        missing = [mart for mart in REPORT_MARTS if mart not in present]
        if "contact_scores" in missing:
            raise ReportError(
                f"{warehouse} is not a published leadscore warehouse (marts.contact_scores is "
                f"missing; also missing: {', '.join(missing[1:]) or 'nothing else'}); run "
                "`leadscore run` to publish one"
            )
        reader = _Reader(con, set(missing))
        try:
            model_ids = [
                row["model_id"]
                for row in reader.rows(
                    "select distinct model_id from marts.contact_scores order by model_id",
                )
            ]
            as_of = reader.rows("select max(as_of) as as_of from marts.contact_scores")
            models = [_load_model(reader, model_id) for model_id in model_ids]
        except duckdb.BinderException as exc:
            raise ReportError(
                f"marts.contact_scores in {warehouse} lacks columns this report reads ("
                f"{str(exc).splitlines()[0]}); run `leadscore run` to publish it anew"
            ) from exc
    return ReportData(
        warehouse=warehouse,
        as_of=as_of[0]["as_of"] if as_of else None,
        models=models,
        missing_marts=missing,
        outdated_marts=sorted(reader.outdated),
    )


class _Reader:
    """Runs a query over one mart; None (and a note) when the mart is missing or outdated."""

    def __init__(self, con: duckdb.DuckDBPyConnection, missing: set[str]) -> None:
        self.con, self.missing, self.outdated = con, missing, set()

    def rows(self, sql: str, params: list | None = None) -> list[dict]:
        cursor = self.con.execute(sql, params or [])
        names = [d[0] for d in cursor.description]
        return [
            {name: _plain(value) for name, value in zip(names, row, strict=True)}
            for row in cursor.fetchall()
        ]

    def optional_rows(self, mart: str, sql: str, params: list | None = None) -> list[dict] | None:
        if mart in self.missing or mart in self.outdated:
            return None
        try:
            return self.rows(sql, params)
        except duckdb.BinderException:
            self.outdated.add(mart)
            return None


def _plain(value):
    return float(value) if isinstance(value, Decimal) else value


def _load_model(reader: _Reader, model_id: str) -> ModelReport:
    model = ModelReport(model_id=model_id)
    _load_scores(reader, model)
    model.band_history = reader.optional_rows(
        "score_history",
        """
        with instants as (
            select distinct valid_from as at from marts.score_history where model_id = $1
        )
        select instants.at, coalesce(history.total_band, $2) as total_band, count(*) as contacts
        from instants
        join marts.score_history as history
            on history.model_id = $1
            and history.valid_from <= instants.at
            and (history.valid_to is null or history.valid_to > instants.at)
        where not coalesce(history.is_excluded, false)
        group by all
        order by instants.at, total_band
        """,
        [model_id, NO_BAND],
    )
    model.band_conversion = reader.optional_rows(
        "band_conversion",
        """
        select score_kind, band, band_min_score, contacts, converted_contacts, conversion_rate,
            lift
        from marts.band_conversion
        where model_id = ?
        order by score_kind, band_min_score desc nulls last, band
        """,
        [model_id],
    )
    model.funnel = reader.optional_rows(
        "stage_funnel",
        """
        select dimension, dimension_value, step_order, step, step_kind, contacts_reached,
            rate_from_previous, rate_from_first, median_days_from_previous
        from marts.stage_funnel
        where model_id = ?
        order by dimension, dimension_value, step_order
        """,
        [model_id],
    )
    model.rule_performance = reader.optional_rows(
        "rule_performance",
        """
        select rule_id, score_group, description, points, contacts_with_outcome,
            matched_contacts, coverage, converted_when_matched, conversion_rate_when_matched,
            conversion_rate_when_not_matched, lift
        from marts.rule_performance
        where model_id = ?
        order by lift nulls first, rule_id
        """,
        [model_id],
    )
    _order_bands(reader, model)
    _load_movers(reader, model)
    model.quality = reader.optional_rows(
        "model_quality",
        """
        select as_of, contacts_with_outcome, converted_contacts, conversion_rate, auc,
            top_decile_lift, top_band, top_band_contacts, top_band_conversion_rate,
            converted_scored_before_deal_share
        from marts.model_quality
        where model_id = ?
        order by as_of
        """,
        [model_id],
    )
    model.thresholds = reader.optional_rows(
        "threshold_advice",
        """
        select threshold, contacts_above, share_above, converted_above, precision, recall, f1,
            f_half, is_recommended_mql, is_recommended_sql, criterion
        from marts.threshold_advice
        where model_id = ?
        order by threshold
        """,
        [model_id],
    )
    return model


def _load_scores(reader: _Reader, model: ModelReport) -> None:
    model.score_counts = reader.rows(
        """
        select total_score, coalesce(total_band, ?) as total_band, count(*) as contacts
        from marts.contact_scores
        where model_id = ? and not coalesce(is_excluded, false)
        group by all
        order by total_score, total_band
        """,
        [NO_BAND, model.model_id],
    )
    summary = reader.rows(
        """
        select max(as_of) as as_of, count(*) filter (where is_excluded) as excluded
        from marts.contact_scores
        where model_id = ?
        """,
        [model.model_id],
    )[0]
    model.as_of, model.excluded_contacts = summary["as_of"], summary["excluded"] or 0


def _order_bands(reader: _Reader, model: ModelReport) -> None:
    """Highest band first: by its lowest score (band_conversion), else by the lowest score a
    contact in it has now or had; no band last."""
    lowest_then = reader.optional_rows(
        "score_history",
        """
        select coalesce(total_band, ?) as total_band, min(total_score) as total_score
        from marts.score_history
        where model_id = ?
        group by all
        """,
        [NO_BAND, model.model_id],
    )
    lowest: dict[str, float] = {}
    seen: set[str] = set()
    for row in [*model.score_counts, *(lowest_then or [])]:
        band, score = row["total_band"], row["total_score"]
        seen.add(band)
        if score is not None:
            lowest[band] = min(lowest.get(band, score), score)
    for row in model.band_conversion or []:
        if row["score_kind"] == "total" and row["band"] in seen:
            lowest[row["band"]] = row["band_min_score"]
            if row["band_min_score"] is None:  # unbounded below: the lowest band
                lowest[row["band"]] = float("-inf")
    model.bands = sorted(
        seen, key=lambda band: (band == NO_BAND, band not in lowest, -lowest.get(band, 0), band)
    )


def _load_movers(reader: _Reader, model: ModelReport) -> None:
    latest = reader.optional_rows(
        "stage_changes",
        "select max(changed_at) as at from marts.stage_changes where model_id = ?",
        [model.model_id],
    )
    if latest is None:
        return
    model.movers_at = latest[0]["at"]
    for direction, order in (("rises", "desc"), ("falls", "asc")):
        sign = ">" if direction == "rises" else "<"
        rows = reader.optional_rows(
            "stage_changes",
            f"""
            select contact_id, from_score, to_score, to_score - from_score as change,
                from_stage, to_stage, stage_direction, change_cause, tipping_rule_id
            from marts.stage_changes
            where model_id = ? and changed_at = ? and to_score - from_score {sign} 0
            order by change {order}, contact_id
            limit {MOVERS_LIMIT}
            """,
            [model.model_id, model.movers_at],
        )
        setattr(model, direction, rows)
