"""The report's charts: one plotly figure per section of a model, from `report_data` rows."""

from __future__ import annotations

import math
import re
from datetime import datetime

import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from .report_data import NO_BAND, ModelReport

# Japanese band names need a font with CJK glyphs; the first one installed wins.
FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK JP", "Noto Sans JP", '
    '"Hiragino Sans", "Yu Gothic", Meiryo, "Helvetica Neue", Arial, sans-serif'
)
STAGE_COLOR, OUTCOME_COLOR, NEUTRAL_COLOR = "#4c78a8", "#54a24b", "#9d9d9d"
BAND_SCALE = ["#c0392b", "#f39c12", "#27ae60"]  # lowest band to highest: red, amber, green
GROUP_COLORS = {"fit": "#4c78a8", "engagement": "#f58518"}
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT_FAMILY, "size": 13, "color": "#222"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 30, "t": 40, "b": 50},
        xaxis={"gridcolor": "#e6e6e6", "zerolinecolor": "#bdbdbd", "automargin": True},
        yaxis={"gridcolor": "#e6e6e6", "zerolinecolor": "#bdbdbd", "automargin": True},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
        hoverlabel={"font": {"family": FONT_FAMILY}},
        colorway=["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2"],
    )
)


def model_figures(model: ModelReport) -> dict[str, go.Figure]:
    """Every chart the model's data allows, by section key (a section without data has none)."""
    builders = {
        "score_distribution": score_distribution,
        "bands_over_time": bands_over_time,
        "band_conversion": band_conversion,
        "matrix_conversion": matrix_conversion,
        "funnel": funnel,
        "rule_lift": rule_lift,
        "auc_over_time": auc_over_time,
        "thresholds": thresholds,
    }
    figures = {key: build(model) for key, build in builders.items()}
    return {key: figure for key, figure in figures.items() if figure is not None}


def figure_height(figure: go.Figure) -> int:
    return int(figure.layout.height or 380)


def band_colors(bands: list[str]) -> dict[str, str]:
    """Highest band green to lowest red (as ordered in `bands`); no band grey."""
    ranked = [band for band in bands if band != NO_BAND]
    if len(ranked) == 1:
        colors = [STAGE_COLOR]
    else:
        positions = [1 - index / max(len(ranked) - 1, 1) for index in range(len(ranked))]
        colors = sample_colorscale(BAND_SCALE, positions)
    return {**dict(zip(ranked, colors, strict=True)), NO_BAND: NEUTRAL_COLOR}


def _figure(height: int, **layout) -> go.Figure:
    figure = go.Figure()
    figure.update_layout(template=TEMPLATE, height=height, **layout)
    return figure


def _instant(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ") if value else None


def _time_axis(instants: list) -> str:
    """Few instants: one evenly spaced category each (a date axis would zoom into one)."""
    return "category" if len(instants) <= 24 else "date"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def score_step(low: float, high: float, bins: int = 40) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) giving about `bins` bins."""
    raw = (high - low) / bins
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def score_distribution(model: ModelReport) -> go.Figure | None:
    scored = [row for row in model.score_counts if row["total_score"] is not None]
    if not scored:
        return None
    scores = [row["total_score"] for row in scored]
    step = score_step(min(scores), max(scores))
    if all(float(score).is_integer() for score in scores):
        step = max(step, 1.0)
    counts: dict[str, dict[float, int]] = {}
    for row in scored:
        start = round(math.floor(row["total_score"] / step) * step, 6)
        per_band = counts.setdefault(row["total_band"], {})
        per_band[start] = per_band.get(start, 0) + row["contacts"]
    colors = band_colors(model.bands)
    figure = _figure(
        360,
        legend_traceorder="reversed",
        showlegend=True,  # name the band even when there is only one
        barmode="stack",
        bargap=0.05,
        xaxis_title="total score",
        yaxis_title="contacts",
        legend_title_text="total band",
    )
    for band in reversed(model.bands):  # lowest at the bottom; the legend lists highest first
        if band not in counts:
            continue
        starts = sorted(counts[band])
        figure.add_trace(
            go.Bar(
                name=band,
                x=[start + step / 2 for start in starts],
                y=[counts[band][start] for start in starts],
                width=[step] * len(starts),
                customdata=[[start, start + step] for start in starts],
                marker_color=colors.get(band),
                hovertemplate=(
                    f"{band}<br>score %{{customdata[0]:g}} to %{{customdata[1]:g}}: "
                    "%{y} contacts<extra></extra>"
                ),
            )
        )
    return figure


def bands_over_time(model: ModelReport) -> go.Figure | None:
    if not model.band_history:
        return None
    instants = sorted({row["at"] for row in model.band_history})
    colors = band_colors(model.bands)
    figure = _figure(
        340,
        barmode="stack",
        xaxis_title="instant (UTC)",
        yaxis_title="contacts",
        legend_title_text="total band",
        legend_traceorder="reversed",
        showlegend=True,  # name the band even when there is only one
        xaxis={"type": _time_axis(instants)},
    )
    for band in reversed(model.bands):  # lowest at the bottom; the legend lists highest first
        per_instant = {
            row["at"]: row["contacts"] for row in model.band_history if row["total_band"] == band
        }
        if not per_instant:
            continue
        figure.add_trace(
            go.Bar(
                name=band,
                x=[_instant(at) for at in instants],
                y=[per_instant.get(at, 0) for at in instants],
                marker_color=colors.get(band),
                hovertemplate=f"{band}<br>%{{x}}: %{{y}} contacts<extra></extra>",
            )
        )
    return figure


def _kind(model: ModelReport, kind: str) -> list[dict]:
    return [row for row in model.band_conversion or [] if row["score_kind"] == kind]


def band_conversion(model: ModelReport) -> go.Figure | None:
    rows = _kind(model, "total")  # ordered by band_min_score desc, nulls last
    if not rows:
        return None
    colors = band_colors(model.bands)
    contacts = sum(row["contacts"] or 0 for row in rows)
    overall = sum(row["converted_contacts"] or 0 for row in rows) / contacts if contacts else None
    figure = _figure(
        340,
        xaxis={"title": {"text": "total band"}, "type": "category"},
        yaxis={"title": {"text": "conversion rate"}, "tickformat": ".0%", "rangemode": "tozero"},
        showlegend=False,
        margin={"r": 120},
    )
    figure.add_trace(
        go.Bar(
            x=[row["band"] for row in rows],
            y=[row["conversion_rate"] for row in rows],
            marker_color=[colors.get(row["band"], STAGE_COLOR) for row in rows],
            text=[
                f"{_percent(row['conversion_rate'])} ({row['converted_contacts']}/"
                f"{row['contacts']})"
                for row in rows
            ],
            textposition="auto",  # inside a bar tall enough, so the overall line never crosses it
            cliponaxis=False,
            customdata=[[row["lift"]] for row in rows],
            hovertemplate="%{x}: %{text}<br>lift %{customdata[0]:.2f}<extra></extra>",
        )
    )
    if overall is not None:
        figure.add_hline(
            y=overall,
            line_dash="dot",
            line_color="#555",
            annotation_text=f"overall {_percent(overall)}",
            annotation_position="right",
            layer="below",
        )
    return figure


def split_matrix_label(label: str, fit_bands: list[str]) -> tuple[str, str]:
    """A matrix label (fit band then engagement band, e.g. A1) split into its two bands."""
    for fit in sorted(fit_bands, key=len, reverse=True):
        if label.startswith(fit) and len(label) > len(fit):
            return fit, label[len(fit) :]
    match = re.fullmatch(r"(\D+)(.+)", label)
    return (match.group(1), match.group(2)) if match else (label[:1], label[1:])


def matrix_conversion(model: ModelReport) -> go.Figure | None:
    cells = _kind(model, "matrix")
    if not cells:
        return None
    fit_order = [row["band"] for row in _kind(model, "fit")]
    engagement_order = [row["band"] for row in _kind(model, "engagement")]
    split = {row["band"]: split_matrix_label(row["band"], fit_order) for row in cells}
    fits = fit_order + sorted({fit for fit, _ in split.values()} - set(fit_order))
    engagements = engagement_order + sorted(
        {eng for _, eng in split.values()} - set(engagement_order)
    )
    by_cell = {split[row["band"]]: row for row in cells}
    z, text = [], []
    for fit in fits:
        cell_rows = [by_cell.get((fit, engagement)) for engagement in engagements]
        z.append([row["conversion_rate"] if row else None for row in cell_rows])
        text.append(
            [
                f"{_percent(row['conversion_rate'])}<br>{row['converted_contacts']}/{row['contacts']}"
                if row
                else ""
                for row in cell_rows
            ]
        )
    figure = _figure(
        90 + 60 * len(fits),
        xaxis={"title": {"text": "engagement band"}, "type": "category", "side": "top"},
        yaxis={"title": {"text": "fit band"}, "type": "category", "autorange": "reversed"},
        margin={"t": 70},
    )
    figure.add_trace(
        go.Heatmap(
            x=engagements,
            y=fits,
            z=z,
            text=text,
            texttemplate="%{text}",
            colorscale="Blues",
            zmin=0,
            colorbar={"title": {"text": "conversion"}, "tickformat": ".0%"},
            hovertemplate="fit %{y}, engagement %{x}: %{text}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    return figure


def funnel_steps(model: ModelReport) -> list[dict]:
    return [row for row in model.funnel or [] if row["dimension"] == "all"]


def funnel(model: ModelReport) -> go.Figure | None:
    steps = funnel_steps(model)
    if not steps:
        return None
    figure = _figure(80 + 55 * len(steps), showlegend=False, margin={"l": 120, "t": 20})
    figure.add_trace(
        go.Funnel(
            y=[row["step"] for row in steps],
            x=[row["contacts_reached"] for row in steps],
            textinfo="value+percent initial",
            marker_color=[
                OUTCOME_COLOR if row["step_kind"] == "outcome" else STAGE_COLOR for row in steps
            ],
            customdata=[
                [
                    _percent(row["rate_from_previous"]),
                    "–"
                    if row["median_days_from_previous"] is None
                    else f"{row['median_days_from_previous']:.1f}",
                ]
                for row in steps
            ],
            hovertemplate=(
                "%{y}: %{x} contacts<br>from the previous step: %{customdata[0]}"
                "<br>median days from the previous step: %{customdata[1]}<extra></extra>"
            ),
        )
    )
    return figure


def rule_lift(model: ModelReport) -> go.Figure | None:
    rows = [row for row in model.rule_performance or [] if row["lift"] is not None]
    if not rows:
        return None
    rows.sort(key=lambda row: (row["lift"], row["rule_id"]))
    figure = _figure(
        110 + 24 * len(rows),
        barmode="overlay",
        xaxis={
            "title": {"text": "lift (conversion when matched ÷ overall)"},
            "rangemode": "tozero",
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": [row["rule_id"] for row in rows],
        },
        legend_title_text="score group",
    )
    for group in sorted({row["score_group"] or "" for row in rows}):
        members = [row for row in rows if (row["score_group"] or "") == group]
        figure.add_trace(
            go.Bar(
                name=group or "(none)",
                orientation="h",
                y=[row["rule_id"] for row in members],
                x=[row["lift"] for row in members],
                marker_color=GROUP_COLORS.get(group, NEUTRAL_COLOR),
                text=[
                    f"{row['points']:+g} pts" if row["points"] is not None else ""
                    for row in members
                ],
                textposition="outside",
                cliponaxis=False,
                hovertext=[_rule_hover(row) for row in members],
                hoverinfo="text",
            )
        )
    figure.add_vline(x=1, line_dash="dot", line_color="#555", layer="below")
    return figure


def _rule_hover(row: dict) -> str:
    coverage = _percent(row["coverage"])
    return (
        f"<b>{row['rule_id']}</b> ({row['points']:+g} points)<br>{row['description'] or ''}"
        f"<br>matched {row['matched_contacts']} of {row['contacts_with_outcome']} ({coverage})"
        f"<br>conversion when matched {_percent(row['conversion_rate_when_matched'])}, "
        f"when not {_percent(row['conversion_rate_when_not_matched'])}"
        f"<br>lift {row['lift']:.2f}"
    )


def auc_over_time(model: ModelReport) -> go.Figure | None:
    points = [row for row in model.quality or [] if row["auc"] is not None]
    if not points:
        return None
    figure = _figure(
        300,
        xaxis={"title": {"text": "as of (UTC)"}, "type": _time_axis(points)},
        yaxis={"title": {"text": "AUC"}, "range": [0, 1.02]},
        showlegend=False,
    )
    figure.add_trace(
        go.Scatter(
            x=[_instant(row["as_of"]) for row in points],
            y=[row["auc"] for row in points],
            mode="lines+markers",
            line_color=STAGE_COLOR,
            marker_size=9,
            hovertemplate="%{x}: AUC %{y:.3f}<extra></extra>",
        )
    )
    figure.add_hline(
        y=0.5,
        line_dash="dot",
        line_color="#555",
        annotation_text="0.5 = random order",
        layer="below",
    )
    return figure


def thresholds(model: ModelReport) -> go.Figure | None:
    rows = [row for row in model.thresholds or [] if row["precision"] is not None]
    if not rows:
        return None
    figure = _figure(
        380,
        xaxis={"title": {"text": "threshold (total score at or above)"}},
        yaxis={"tickformat": ".0%", "range": [0, 1.08]},
        hovermode="x unified",
    )
    x = [row["threshold"] for row in rows]
    for key, name, dash in (
        ("precision", "precision", "solid"),
        ("recall", "recall", "solid"),
        ("f1", "F1", "solid"),
        ("f_half", "F0.5", "dot"),
    ):
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[row[key] for row in rows],
                name=name,
                mode="lines",
                line={"dash": dash},
                hovertemplate=f"{name} %{{y:.1%}}<extra></extra>",
            )
        )
    recommended: dict[float, list[str]] = {}
    for row in model.thresholds or []:
        for flag, stage in (("is_recommended_mql", "MQL"), ("is_recommended_sql", "SQL")):
            if row[flag]:
                recommended.setdefault(row["threshold"], []).append(stage)
    for position, (threshold, stages) in enumerate(sorted(recommended.items())):
        figure.add_vline(
            x=threshold,
            line_dash="dash",
            line_color="#e45756",
            annotation_text=f"{' & '.join(stages)} ≥ {threshold:g}",
            annotation_position="top left" if position % 2 == 0 else "top right",
        )
    return figure
