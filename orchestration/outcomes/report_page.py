"""`leadscore report`: one self-contained HTML page (plotly.js embedded once) of every model."""

from __future__ import annotations

import os
from datetime import datetime
from html import escape
from pathlib import Path

import plotly.io as pio
from plotly.offline import get_plotlyjs

from .report_data import ModelReport, ReportData, load_report
from .report_figures import FONT_FAMILY, figure_height, funnel_steps, model_figures

NO_OUTCOMES = "No contacts with a known outcome yet."
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
STYLE = f"""
body {{ font-family: {FONT_FAMILY}; color: #222; margin: 0; background: #f6f7f9; }}
main {{ max-width: 1200px; margin: 0 auto; padding: 16px 24px 48px; }}
h1 {{ margin: 8px 0 4px; }} h2 {{ margin-top: 40px; border-bottom: 2px solid #4c78a8; }}
h3 {{ margin: 28px 0 6px; }} h4 {{ margin: 14px 0 4px; }}
section.model {{ background: white; padding: 4px 20px 20px; margin-top: 24px;
  border-radius: 6px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }}
p.meta, p.note {{ color: #555; margin: 4px 0; }} p.empty {{ color: #8a6d3b; font-style: italic; }}
p.warning {{ background: #fff4e5; border-left: 4px solid #f58518; padding: 8px 12px; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }}
th, td {{ border-bottom: 1px solid #e3e3e3; padding: 4px 10px; text-align: left; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
td {{ white-space: nowrap; }}
th {{ background: #f0f3f7; }}
.cards {{ display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }}
.card {{ border: 1px solid #dfe3e8; border-radius: 6px; padding: 8px 14px; min-width: 150px; }}
.card .value {{ font-size: 22px; font-weight: 600; }}
.card .label {{ color: #555; font-size: 12px; }}
.columns {{ display: flex; flex-wrap: wrap; gap: 24px; }} .columns > div {{ flex: 1 1 460px; }}
nav a {{ margin-right: 14px; }}
"""


def write_report(warehouse: Path, out: Path) -> ReportData:
    """Render the warehouse's report into `out` (replaced atomically); returns what it read."""
    data = load_report(warehouse)
    page = render_page(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(page, encoding="utf-8")
        os.replace(temporary, out)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return data


def render_page(data: ReportData) -> str:
    """The whole page: plotly.js once in the head, then one section per model."""
    as_of = _instant(data.as_of)
    nav = " ".join(
        f'<a href="#model-{index}">{escape(model.model_id)}</a>'
        for index, model in enumerate(data.models)
    )
    warnings = ""
    absent = data.missing_marts + data.outdated_marts
    if absent:
        names = ", ".join(f"marts.{mart}" for mart in absent)
        warnings = (
            f'<p class="warning">This warehouse lacks {escape(names)} (published by an older '
            "leadscore): their sections say so. The next <code>leadscore run</code> publishes "
            "them.</p>"
        )
    body = "\n".join(_model_section(data, model, index) for index, model in enumerate(data.models))
    if not data.models:
        body = '<p class="empty">No scored contacts in this warehouse yet.</p>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>leadscore report{escape(f" as of {as_of}") if as_of else ""}</title>
<style>{STYLE}</style>
<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: 'local'}};</script>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<main>
<h1>leadscore report</h1>
<p class="meta">Scores as of {escape(as_of or "unknown")} (UTC), from {escape(str(data.warehouse))}.
Models: {nav or "none"}</p>
{warnings}
{body}
</main>
</body>
</html>
"""


def _instant(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else None


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _number(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:,}" if isinstance(value, int) else f"{value:,.{digits}f}"


def _score(value: float | None) -> str:
    """A score as written in the seeds: 45, 97.85 (no trailing zeros)."""
    return "–" if value is None else f"{value:,.2f}".rstrip("0").rstrip(".")


def _empty(text: str) -> str:
    return f'<p class="empty">{escape(text)}</p>'


class _Charts:
    """A model's figures as HTML divs, each id unique on the page."""

    def __init__(self, model: ModelReport, index: int) -> None:
        self.figures, self.prefix = model_figures(model), f"model-{index}"

    def html(self, key: str) -> str | None:
        figure = self.figures.get(key)
        if figure is None:
            return None
        return pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=f"{self.prefix}-{key}",
            config=PLOT_CONFIG,
            default_width="100%",
            default_height=f"{figure_height(figure)}px",
        )


def _model_section(data: ReportData, model: ModelReport, index: int) -> str:
    charts = _Charts(model, index)
    parts = [
        f'<section class="model" id="model-{index}">',
        f"<h2>Model {escape(model.model_id)}</h2>",
        f'<p class="meta">As of {escape(_instant(model.as_of) or "unknown")} (UTC).</p>',
        _distribution(data, model, charts),
        _conversion(data, model, charts),
        _funnel(data, model, charts),
        _rules(data, model, charts),
        _movers(data, model),
        _quality(data, model, charts),
        _thresholds(data, model, charts),
        "</section>",
    ]
    return "\n".join(parts)


def _distribution(data: ReportData, model: ModelReport, charts: _Charts) -> str:
    parts = ["<h3>1. Score distribution by band</h3>"]
    excluded = (
        f" {model.excluded_contacts:,} excluded contact(s) are not counted."
        if model.excluded_contacts
        else ""
    )
    scored = sum(row["contacts"] for row in model.score_counts)
    parts.append(f'<p class="note">{scored:,} scored contacts by total score.{excluded}</p>')
    parts.append(charts.html("score_distribution") or _empty("No scored contacts."))
    parts.append("<h4>Bands over time (from marts.score_history)</h4>")
    why = data.unavailable("score_history")
    if why:
        parts.append(_empty(why))
    else:
        parts.append(charts.html("bands_over_time") or _empty("No score history yet."))
    return "\n".join(parts)


def _conversion(data: ReportData, model: ModelReport, charts: _Charts) -> str:
    parts = ["<h3>2. Conversion by band</h3>"]
    why = data.unavailable("band_conversion")
    if why:
        return "\n".join([*parts, _empty(why)])
    if not model.band_conversion:
        return "\n".join([*parts, _empty(NO_OUTCOMES)])
    parts.append(
        '<p class="note">Contacts with a known outcome, by their total band at their '
        "reference instant; the dotted line is the rate over all of them.</p>"
    )
    parts.append(charts.html("band_conversion") or _empty("No total bands with an outcome."))
    matrix = charts.html("matrix_conversion")
    if matrix:
        parts.append("<h4>Fit × engagement matrix: conversion rate per cell</h4>")
        parts.append(matrix)
    return "\n".join(parts)


def _funnel(data: ReportData, model: ModelReport, charts: _Charts) -> str:
    parts = ["<h3>3. Funnel</h3>"]
    why = data.unavailable("stage_funnel")
    if why:
        return "\n".join([*parts, _empty(why)])
    figure = charts.html("funnel")
    if figure is None:
        return "\n".join([*parts, _empty("No funnel for this model yet.")])
    parts.append(
        '<p class="note">Contacts that reached each step or a later one (stages in blue, '
        "outcomes in green).</p>"
    )
    parts.append(figure)
    parts.append(_funnel_table(model))
    return "\n".join(parts)


def _funnel_table(model: ModelReport) -> str:
    steps = [row["step"] for row in funnel_steps(model)]
    groups: dict[tuple[str, str], dict[str, dict]] = {}
    for row in model.funnel or []:
        if row["dimension"] != "all":
            key = (row["dimension"], row["dimension_value"])
            groups.setdefault(key, {})[row["step"]] = row
    if not groups or not steps:
        return ""
    head = "".join(f'<th class="num">{escape(step)}</th>' for step in steps[1:])
    lines = []
    order = sorted(
        groups.items(),
        key=lambda item: (
            item[0][0],
            -((item[1].get(steps[0]) or {}).get("contacts_reached") or 0),
        ),
    )
    for (dimension, value), by_step in order:
        first = (by_step.get(steps[0]) or {}).get("contacts_reached")
        rates = "".join(
            f'<td class="num">{_percent((by_step.get(step) or {}).get("rate_from_first"))}</td>'
            for step in steps[1:]
        )
        lines.append(
            f"<tr><td>{escape(dimension)}</td><td>{escape(str(value))}</td>"
            f'<td class="num">{_number(first)}</td>{rates}</tr>'
        )
    return (
        "<h4>Share of the first step reaching each step, by segment and source</h4>"
        f'<table><tr><th>dimension</th><th>value</th><th class="num">{escape(steps[0])}</th>'
        f"{head}</tr>{''.join(lines)}</table>"
    )


def _rules(data: ReportData, model: ModelReport, charts: _Charts) -> str:
    parts = ["<h3>4. Rule performance</h3>"]
    why = data.unavailable("rule_performance")
    if why:
        return "\n".join([*parts, _empty(why)])
    rows = model.rule_performance or []
    if not any(row["contacts_with_outcome"] for row in rows):
        return "\n".join([*parts, _empty(NO_OUTCOMES)])
    parts.append(
        '<p class="note">Lift: the conversion rate of contacts a rule matched, divided by the '
        "model's overall rate (dotted line: 1 = no better than average). Labels: the rule's "
        "points; hover for its description and rates.</p>"
    )
    parts.append(charts.html("rule_lift") or "")
    unmatched = sorted(row["rule_id"] for row in rows if row["lift"] is None)
    if unmatched:
        parts.append(
            f'<p class="note">Not shown, no lift yet (no matched contact with a known outcome, '
            f"or nobody converted): {escape(', '.join(unmatched))}.</p>"
        )
    return "\n".join(parts)


def _movers(data: ReportData, model: ModelReport) -> str:
    parts = ["<h3>5. Top movers</h3>"]
    why = data.unavailable("stage_changes")
    if why:
        return "\n".join([*parts, _empty(why)])
    if model.movers_at is None:
        return "\n".join([*parts, _empty("No stage or score changes recorded yet.")])
    at = escape(_instant(model.movers_at) or "")
    parts.append(f'<p class="note">The largest score changes recorded at {at} (UTC).</p>')
    columns = []
    for title, rows, none in (
        ("Largest rises", model.rises, "No score rose at that instant."),
        ("Largest falls", model.falls, "No score fell at that instant."),
    ):
        table = _movers_table(rows) if rows else _empty(none)
        columns.append(f"<div><h4>{title}</h4>{table}</div>")
    parts.append(f'<div class="columns">{"".join(columns)}</div>')
    return "\n".join(parts)


def _movers_table(rows: list[dict]) -> str:
    lines = [
        "<tr><th>contact</th><th class='num'>score</th><th class='num'>change</th>"
        "<th>stage</th><th>cause</th><th>tipping rule</th></tr>"
    ]
    for row in rows:
        stage = escape(f"{row['from_stage'] or '–'} → {row['to_stage'] or '–'}")
        score = f"{_score(row['from_score'])} → {_score(row['to_score'])}"
        lines.append(
            f"<tr><td>{escape(str(row['contact_id']))}</td><td class='num'>{score}</td>"
            f"<td class='num'>{'+' if row['change'] > 0 else ''}{_score(row['change'])}</td>"
            f"<td>{stage}</td>"
            f"<td>{escape(row['change_cause'] or '')}</td>"
            f"<td>{escape(row['tipping_rule_id'] or '')}</td></tr>"
        )
    return f"<table>{''.join(lines)}</table>"


def _quality(data: ReportData, model: ModelReport, charts: _Charts) -> str:
    parts = ["<h3>6. Model quality</h3>"]
    why = data.unavailable("model_quality")
    if why:
        return "\n".join([*parts, _empty(why)])
    latest = (model.quality or [None])[-1]
    if latest is None or not latest["contacts_with_outcome"]:
        return "\n".join([*parts, _empty(NO_OUTCOMES)])
    top_band = latest["top_band"]
    cards = [
        (_number(latest["contacts_with_outcome"]), "contacts with a known outcome"),
        (
            f"{_number(latest['converted_contacts'])} ({_percent(latest['conversion_rate'])})",
            "converted",
        ),
        (_number(latest["auc"], 3), "AUC (0.5 = random order)"),
        (_number(latest["top_decile_lift"]), "top-decile lift"),
        (
            _percent(latest["top_band_conversion_rate"]),
            f"conversion in the top band {top_band or '–'} "
            f"({_number(latest['top_band_contacts'])} contacts)",
        ),
        (
            _percent(latest["converted_scored_before_deal_share"]),
            "of converted contacts scored before their deal",
        ),
    ]
    parts.append(
        f'<p class="note">As of {escape(_instant(latest["as_of"]) or "unknown")} (UTC).</p>'
    )
    parts.append(
        '<div class="cards">'
        + "".join(
            f'<div class="card"><div class="value">{escape(value)}</div>'
            f'<div class="label">{escape(label)}</div></div>'
            for value, label in cards
        )
        + "</div>"
    )
    parts.append("<h4>AUC over time</h4>")
    parts.append(
        charts.html("auc_over_time")
        or _empty("No AUC yet (it needs both converted and not converted contacts).")
    )
    return "\n".join(parts)


def _thresholds(data: ReportData, model: ModelReport, charts: _Charts) -> str:
    parts = ["<h3>7. Threshold advice</h3>"]
    why = data.unavailable("threshold_advice")
    if why:
        return "\n".join([*parts, _empty(why)])
    figure = charts.html("thresholds")
    if figure is None:
        return "\n".join([*parts, _empty(NO_OUTCOMES)])
    rows = model.thresholds or []
    recommended = [
        f"{stage} at {row['threshold']:g} (precision {_percent(row['precision'])}, recall "
        f"{_percent(row['recall'])}, {row['contacts_above']:,} contacts above)"
        for row in rows
        for flag, stage in (("is_recommended_mql", "MQL"), ("is_recommended_sql", "SQL"))
        if row[flag]
    ]
    if recommended:
        parts.append(f'<p class="note">Recommended: {escape("; ".join(recommended))}.</p>')
    criteria = sorted({row["criterion"] for row in rows if row["criterion"]})
    for criterion in criteria:
        parts.append(f'<p class="note">How: {escape(criterion)}</p>')
    parts.append(figure)
    return "\n".join(parts)
