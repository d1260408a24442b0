"""Checks of where results go: alert routes and the CRM field map."""

from __future__ import annotations

import re

from ..config import url_problem
from ..vocabulary import (
    ALERT_CHANNELS,
    ALERT_DIRECTIONS,
    ANY_DIRECTION,
    CRM_TARGETS,
    DEFAULT_ALERT_DIRECTION,
)
from .checks import Models, SeedChecker, Stages
from .csv_reading import SeedRow
from .schema import crm_score_columns

CRM_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def check_alert_routes(check: SeedChecker, models: Models, stages: Stages) -> None:
    seen: dict[tuple[str, str, str, str], list[tuple[str, SeedRow]]] = {}
    for row in check.rows("alert_routes"):
        model = check.model_ref(row, models)
        check.stage_ref(row, "to_stage", model, stages, blank_ok=False)
        channel = check.choice(row, "channel", ALERT_CHANNELS, blank_ok=True) or "log"
        # Blank, or a file without the column (written before it existed): `up`.
        direction = check.choice(row, "direction", ALERT_DIRECTIONS, blank_ok=True)
        destination = row.text("destination")
        problem = url_problem(destination) if destination else None
        if channel in ("webhook", "slack") and problem:
            check.report(
                row,
                "destination",
                f"a {channel} destination {problem} (blank = the environment's)",
            )
        if direction is None and row.key("direction"):
            continue  # an unknown direction, reported: its overlaps are unknown too
        key = (model or row.key("model_id"), row.key("to_stage"), channel, destination)
        earlier = seen.setdefault(key, [])
        _check_route_overlap(check, earlier, row, direction or DEFAULT_ALERT_DIRECTION)


def _check_route_overlap(
    check: SeedChecker, earlier: list[tuple[str, SeedRow]], row: SeedRow, direction: str
) -> None:
    """Routes to the same destination alert each change once: their directions must not overlap.

    An alert's identity is the change and the destination, not the direction, so two routes
    that both alert one change would send it twice.
    """
    for other_direction, other in earlier:
        if other_direction == direction:
            check.report(
                row,
                "to_stage",
                f"duplicate alert route (first on line {other.line}); "
                "it would send every alert twice",
            )
            return
        if ANY_DIRECTION in (direction, other_direction):
            both = other_direction if direction == ANY_DIRECTION else direction
            check.report(
                row,
                "direction",
                f"overlaps the route on line {other.line} (direction {other_direction}): both "
                f"alert the stage changes that go {both}, so those would be sent twice; keep one",
            )
            return
    earlier.append((direction, row))


def check_crm_field_map(check: SeedChecker, models: Models) -> None:
    score_columns = crm_score_columns()
    columns: dict[tuple[str, str, str], SeedRow] = {}
    fields: dict[tuple[str, str], SeedRow] = {}
    for row in check.rows("crm_field_map"):
        model = check.model_ref(row, models)
        model_key = model or row.key("model_id")
        target = check.choice(row, "target", CRM_TARGETS)
        score_column = check.choice(row, "score_column", score_columns)
        crm_field = check.required(row, "crm_field")
        if crm_field is not None and not CRM_FIELD_NAME.fullmatch(crm_field):
            check.report(
                row,
                "crm_field",
                f"{crm_field!r} is not a CRM field name (letters, digits and _)",
            )
        if target is None:
            continue
        if score_column is not None:
            key = (model_key, target, score_column)
            if key in columns:
                check.report(
                    row,
                    "score_column",
                    f"{score_column} is already mapped for model {row.text('model_id')!r} "
                    f"and {target} on line {columns[key].line}",
                )
            else:
                columns[key] = row
        # A CRM field is one property of the contact whatever the model: one writer per target.
        if crm_field is not None:
            field_key = (target, crm_field.lower())
            if field_key in fields:
                check.report(
                    row,
                    "crm_field",
                    f"{target} field {crm_field!r} is already written by line "
                    f"{fields[field_key].line}",
                )
            else:
                fields[field_key] = row
