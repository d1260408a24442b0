"""Rich terminal tables and one JSON document for `leadscore explain`."""

from __future__ import annotations

import io
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .rows import plain_number


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def to_json(data: list[dict], indent: int | None = 2) -> str:
    """One JSON document (a list of per-model objects); points are JSON numbers."""
    return json.dumps(data, default=_json_default, ensure_ascii=False, indent=indent)


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return plain_number(value)
    return str(value)


def _signed(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:+.2f}" if value else "0.00"


def _mark(held: bool | None) -> str:
    return {True: "✓", False: "✗", None: "·"}[held]


def _rules_table(explanation: dict, full: bool = True) -> Table:
    title = "Rules (every rule of the model)" if full else "Matched rules"
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("rule", overflow="fold", max_width=34)
    table.add_column("group")
    table.add_column("mode", min_width=14)
    table.add_column("status")
    table.add_column("points", justify="right")
    table.add_column("raw", justify="right")
    table.add_column("count", justify="right")
    table.add_column("last activity", max_width=10)
    table.add_column("conditions: held? and evidence", overflow="fold", ratio=1)
    for rule in explanation["rules"]:
        if not full and not rule["matched"]:
            continue
        name = Text(rule["rule_id"], style="bold")
        if rule["description"]:
            name.append("\n" + rule["description"], style="dim")
        mode = rule["points_mode"] + f"\n{_signed(rule['rule_points'])}"
        if rule["max_points"] is not None:
            mode += f"\nmax {rule['max_points']}"
        style = {"matched": "green", "not matched": "", "disabled": "dim"}[rule["status"]]
        has_activity = any(c["subject"] == "activity" for c in rule["conditions"])
        conditions = Text()
        for i, condition in enumerate(rule["conditions"]):
            if i:
                conditions.append("\n")
            conditions.append(
                f"{_mark(condition['held'])} ", style="green" if condition["held"] else "red"
            )
            conditions.append(condition["text"])
            conditions.append(f" — {condition['evidence']}", style="dim")
        if not rule["conditions"]:
            conditions.append("(no conditions: never matches)")
        table.add_row(
            name,
            rule["score_group"],
            mode,
            Text(rule["status"], style=style),
            _signed(rule["points"]) if rule["matched"] else "",
            _signed(rule["raw_points"]) if rule["matched"] else "",
            _fmt(rule["activity_count"]) if has_activity else "-",
            _fmt(rule["last_activity_at"]),
            conditions,
        )
    return table


def _decay_table(explanation: dict) -> Table:
    table = Table(title="Decay", title_justify="left")
    for column in ("decay_id", "kind", "type", "days", "applied", "points", "count", "evidence"):
        table.add_column(column, overflow="fold", justify="right" if column == "points" else "left")
    for item in explanation["decay"]:
        applied = {True: "yes", False: "no", None: "in rules"}[item["applied"]]
        table.add_row(
            item["decay_id"],
            item["kind"],
            item["activity_type"] or "any",
            _fmt(item["days"]),
            applied,
            _signed(item["points"]) if item["applied"] else "",
            _fmt(item["activity_count"]) if item["applied"] else "",
            item["evidence"] + (f" ({item['description']})" if item["description"] else ""),
        )
    if not explanation["decay"]:
        table.add_row("(none)", "", "", "", "", "", "", "the model defines no decay rows")
    if any(item["applied"] is None for item in explanation["decay"]):
        table.add_row(
            "(rules)",
            "half_life/step",
            "",
            "",
            "",
            _signed(explanation["rule_decay_points"]),
            "",
            "total decay inside the engagement rules' points (points − raw)",
        )
    return table


def _caps_feedback_table(explanation: dict) -> Table:
    table = Table(title="Caps and sales feedback", title_justify="left")
    for column in ("contribution", "limit / feedback", "before", "points", "detail"):
        table.add_column(column, overflow="fold", justify="right" if column == "points" else "left")
    for cap in explanation["caps"]:
        table.add_row(
            cap["cap"],
            "no cap" if cap["limit"] is None else f"±{abs(cap['limit'])}",
            _signed(cap["before"]),
            _signed(cap["points"]) if cap["applied"] else "",
            f"removed {abs(cap['points'])}" if cap["applied"] else "within the cap",
        )
    feedback = explanation["feedback"]
    if feedback:
        effects = []
        if feedback["max_stage"]:
            effects.append(f"max_stage {feedback['max_stage']}")
        if feedback["stage_override"]:
            effects.append(f"stage_override {feedback['stage_override']}")
        detail = f"given {_fmt(feedback['given_at'])}" + (
            f" by {feedback['given_by']}" if feedback["given_by"] else ""
        )
        if feedback["note"]:
            detail += f" ({feedback['note']})"
        if effects:
            detail += "; " + ", ".join(effects)
        table.add_row("feedback", feedback["feedback"], "", _signed(feedback["points"]), detail)
    else:
        table.add_row("feedback", "none", "", "", "no sales feedback at or before as-of")
    for other in explanation["other_feedback"]:
        table.add_row(
            "",
            f"({other['feedback']})",
            "",
            "",
            f"given {_fmt(other['given_at'])}"
            + (f" by {other['given_by']}" if other["given_by"] else "")
            + f": ignored, {other['ignored_because']}",
        )
    return table


def _scores_table(explanation: dict) -> Table:
    scores = explanation["scores"]
    table = Table(title="Scores", title_justify="left")
    # Short headers keep the row within 160 columns; top_reasons is printed in the footer.
    columns = (
        ("fit", "fit_score"),
        ("engagement_raw", "engagement_raw"),
        ("decay", "decay_points"),
        ("engagement", "engagement_score"),
        ("feedback", "feedback_points"),
        ("total", "total_score"),
    )
    for label, _ in columns:
        table.add_column(label, justify="right")
    for label in ("fit band", "eng. band", "total band", "matrix"):
        table.add_column(label)
    table.add_row(
        *[_signed(scores[key]) for _, key in columns],
        scores["fit_band"] or "",
        scores["engagement_band"] or "",
        scores["total_band"] or "",
        scores["matrix_label"] or "",
    )
    return table


def _stage_table(explanation: dict) -> Table:
    stage = explanation["stage"]
    table = Table(title="Stage", title_justify="left", show_header=False)
    table.add_column("step", style="bold")
    table.add_column("detail", overflow="fold")
    if stage["segment_property"]:
        value = stage["segment_value"]
        segment = f"{stage['segment_property']} = " + ("not set" if value is None else f"'{value}'")
        segment += f"; threshold rows of segment '{stage['segment']}', else '*'"
    else:
        segment = "no segment property: the '*' threshold rows"
    table.add_row("segment", segment)
    if not stage["thresholds"]:
        table.add_row("  thresholds", f"none defined: base stage {stage['base_stage']}")
    for row in stage["thresholds"]:
        condition = []
        if row["min_score"] is not None:
            condition.append(f"{row['score']} {row['score_value']} >= {row['min_score']}")
        if row["required_rule_id"]:
            condition.append(
                f"rule {row['required_rule_id']} "
                + ("matched" if row["required_rule_matched"] else "not matched")
            )
        table.add_row(
            f"  {row['stage']} (rank {row['stage_rank']})",
            f"{_mark(row['holds'])} segment '{row['segment']}': "
            + (" and ".join(condition) or "no condition"),
        )
    table.add_row("1 threshold", f"{stage['threshold_stage']} — {stage['threshold_reason']}")
    if stage["stage_policy"] == "sticky":
        sticky = f"{stage['sticky_stage']}"
        sticky += (
            f" (kept from the run of {_fmt(stage['sticky_since_as_of'])})"
            if stage["sticky_since_as_of"]
            else " (no higher earlier stage)"
        )
    else:
        sticky = f"not applied (stage_policy {stage['stage_policy']})"
    table.add_row("2 sticky", sticky)
    table.add_row("3 feedback max_stage", stage["feedback_max_stage"] or "none")
    table.add_row("4 feedback override", stage["feedback_stage_override"] or "none")
    if stage["exclusions"]:
        lines = [
            f"{_mark(e['held'])} {e['exclusion_id']}: {e['text']} — {e['evidence']}"
            + (f" ({e['reason']})" if e["reason"] else "")
            for e in stage["exclusions"]
        ]
        table.add_row("5 exclusion", "\n".join(lines))
    else:
        table.add_row("5 exclusion", "no exclusions defined")
    table.add_row(
        "final",
        Text(
            f"{stage['stage']} (rank {stage['stage_rank']}) — {stage['stage_reason']}", style="bold"
        ),
    )
    return table


def _renderables(explanation: dict, full: bool = True) -> list:
    header = Text()
    header.append(f"contact {explanation['contact_id']}", style="bold")
    header.append(f" · model {explanation['model_id']}")
    if explanation["model_name"] and explanation["model_name"] != explanation["model_id"]:
        header.append(f" ({explanation['model_name']})")
    header.append(f" · as of {_fmt(explanation['as_of'])}")
    if explanation["population"]:
        population = explanation["population"]
        header.append(
            f"\npopulation: {_mark(population['held'])} {population['text']} — "
            f"{population['evidence']}"
        )
    total = explanation["scores"]["total_score"]
    check = "=" if explanation["contribution_sum"] == total else "≠"
    footer = Text(
        f"sum of contributions {explanation['contribution_sum']} {check} total_score {total}"
        f"; top reasons: {explanation['scores']['top_reasons'] or '-'}",
        style="dim" if check == "=" else "bold red",
    )
    if full:
        return [
            header,
            _rules_table(explanation),
            _decay_table(explanation),
            _caps_feedback_table(explanation),
            _scores_table(explanation),
            _stage_table(explanation),
            footer,
            Text(""),
        ]
    # The summary: scores, stage and why, the rules that matched; --full lists every rule.
    unmatched = sum(1 for rule in explanation["rules"] if not rule["matched"])
    more = Text(
        f"{unmatched} other rule(s) did not match; `leadscore explain "
        f"{explanation['contact_id']} --model {explanation['model_id']} --full` shows every "
        "rule with its evidence, decay, caps and feedback",
        style="dim",
    )
    return [
        header,
        _scores_table(explanation),
        _stage_table(explanation),
        _rules_table(explanation, full=False),
        footer,
        more,
        Text(""),
    ]


def render_explanation(
    data: list[dict], width: int = 160, color: bool = False, full: bool = True
) -> str:
    """Rich tables as text; plain (no escape codes) unless `color`. Without `full`, the
    summary: scores, stage and why, and the matched rules only."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
    )
    for explanation in data:
        console.print(Group(*_renderables(explanation, full)))
    return buffer.getvalue()
