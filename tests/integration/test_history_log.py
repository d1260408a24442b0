"""score_history as a change log and the causes of stage changes, on the real dbt project."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal

import pytest

pytestmark = pytest.mark.integration

OPENS = {"subject": "activity", "field": "email_open", "operator": "any"}
RECORDED = ("stage", "fit_band", "engagement_band", "total_band", "matrix_label", "is_excluded")


def act(contact_id: str, occurred_at: str, activity_type: str = "email_open") -> dict:
    return {
        "contact_id": contact_id,
        "activity_type": activity_type,
        "occurred_at": occurred_at,
        "target": "",
    }


def thresholds(mql: float) -> list[dict]:
    row = {"model_id": "m", "segment": "*", "score": "total"}
    return [
        row | {"stage": "mql", "stage_rank": 1, "min_score": mql},
        row | {"stage": "sql", "stage_rank": 2, "min_score": 100},
    ]


def contacts(opted_out: set[str] = frozenset()) -> list[dict]:
    names = ("fading", "rising", "told", "leaver", "steady")
    return [
        {"contact_id": name, "email_opt_out": "true" if name in opted_out else "false"}
        for name in names
    ]


def changes_at(scenario, as_of: str) -> dict[str, dict]:
    rows = scenario.query(
        "select * from marts.stage_changes where changed_at = cast(? as timestamp)", [as_of]
    )
    return {row["contact_id"]: row for row in rows}


def test_every_change_names_its_cause_and_only_activity_and_decay_a_tipping_rule(scenario):
    scenario.model("m")
    scenario.rule("open_each", 10, OPENS, points_mode="per_occurrence")
    scenario.seed(
        "score_decay",
        [
            {
                "model_id": "m",
                "decay_id": "opens_half_life",
                "kind": "half_life",
                "activity_type": "email_open",
                "days": 10,
            }
        ],
    )
    scenario.seed("score_thresholds", thresholds(mql=30))
    scenario.seed(
        "stage_exclusions",
        [
            {
                "model_id": "m",
                "exclusion_id": "opt_out",
                "property": "email_opt_out",
                "operator": "eq",
                "value": "true",
                "reason": "Opted out",
            }
        ],
    )
    scenario.seed(
        "feedback_rules",
        [{"model_id": "m", "feedback": "true_sql", "points": 0, "stage_override": "sql"}],
    )
    scenario.landing("contacts", contacts())
    # Identical rows count once: four opens are four different minutes.
    day_one_opens = [act("fading", f"2026-10-01 00:0{minute}:00") for minute in range(4)] + [
        act("told", "2026-10-01 00:00:00"),
        act("leaver", "2026-10-01 00:00:00"),
    ]
    scenario.landing("activities", day_one_opens)

    scenario.build("2026-10-03 00:00:00")
    first = changes_at(scenario, "2026-10-03 00:00:00")
    assert {row["change_cause"] for row in first.values()} == {"first_scored"}
    assert all(
        row["stage_direction"] == "up" and row["tipping_rule_id"] is None for row in first.values()
    )
    assert first["fading"]["to_stage"] == "mql"  # 40 points, 2 days into a 10-day half-life

    # Ten days later: fading's opens decayed below MQL, rising opened four emails, sales
    # called told a true SQL, leaver opted out.
    opens = [act("rising", f"2026-10-12 12:0{minute}:00") for minute in range(4)]
    scenario.landing("activities", opens, name="more")
    scenario.landing(
        "sales_feedback",
        [{"contact_id": "told", "feedback": "true_sql", "given_at": "2026-10-10 00:00:00"}],
    )
    scenario.landing("contacts", contacts(opted_out={"leaver"}))
    scenario.build("2026-10-13 00:00:00")
    second = changes_at(scenario, "2026-10-13 00:00:00")
    assert {name: row["change_cause"] for name, row in second.items()} == {
        "fading": "decay",
        "rising": "activity",
        "told": "feedback",
        "leaver": "exclusion",
    }
    assert second["fading"]["stage_direction"] == "down"
    assert second["fading"]["tipping_rule_id"] == "open_each"  # raw points unchanged: time
    assert second["rising"]["tipping_rule_id"] == "open_each"
    assert second["told"]["tipping_rule_id"] is None
    assert second["leaver"]["tipping_rule_id"] is None
    assert "steady" not in second

    # The MQL threshold is lowered: fading (16.25 points) is an MQL again because of the rule
    # change, although its opens lost a little more to time (no tipping rule is named).
    scenario.seed("score_thresholds", thresholds(mql=15))
    scenario.build("2026-10-14 00:00:00")
    third = changes_at(scenario, "2026-10-14 00:00:00")
    assert third["fading"]["change_cause"] == "rule_change"
    assert third["fading"]["tipping_rule_id"] is None
    assert third["fading"]["stage_direction"] == "up"

    # A backfilled past instant: every change there says so, and none is alerted.
    scenario.build("2026-10-02 00:00:00", backfill=True)
    backfilled = changes_at(scenario, "2026-10-02 00:00:00")
    assert backfilled and {row["change_cause"] for row in backfilled.values()} == {"backfill"}
    history = scenario.query(
        "select is_backfill, count(*) as n from marts.score_history group by all order by all"
    )
    assert [row["is_backfill"] for row in history] == [False, True]


@pytest.mark.slow
def test_history_over_24_hourly_runs_grows_only_with_material_changes(scenario):
    """24 hourly runs, no new data: a contact gets a row only when its stage or a band changed
    or its total moved at least LEADSCORE_HISTORY_MIN_DELTA (1.0) since its last row."""
    scenario.model("m")
    scenario.rule("fast_opens", 100, OPENS)
    scenario.rule(
        "slow_clicks", 10, {"subject": "activity", "field": "email_click", "operator": "any"}
    )
    scenario.rule(
        "fit", 5, {"subject": "property", "field": "title", "operator": "is_set"}, score_group="fit"
    )
    scenario.seed(
        "score_decay",
        [
            {"model_id": "m", "decay_id": "opens_1d", "kind": "half_life",
             "activity_type": "email_open", "days": 1},
            {"model_id": "m", "decay_id": "clicks_30d", "kind": "half_life",
             "activity_type": "email_click", "days": 30},
        ],
    )  # fmt: skip
    scenario.seed("score_thresholds", thresholds(mql=30))
    scenario.landing(
        "contacts",
        [
            {"contact_id": "fast", "title": ""},  # loses ~2-3 points an hour
            {"contact_id": "slow", "title": ""},  # loses ~0.01 an hour: never 1.0 in a day
            {"contact_id": "static", "title": "CEO"},  # fit only: never moves
        ],
    )
    scenario.landing(
        "activities",
        [act("fast", "2026-11-01 00:00:00"), act("slow", "2026-11-01 00:00:00", "email_click")],
    )
    scenario.build("2026-11-01 00:00:00")
    first = scenario.query("select * from marts.contact_scores")

    # The next 23 runs in one dbt process (tests/support/hourly_runs.py says why).
    instants = [f"2026-11-01 {hour:02d}:00:00" for hour in range(1, 24)]
    finished = subprocess.run(
        [sys.executable, "-m", "tests.support.hourly_runs", str(scenario.project_dir),
         str(scenario.db_path), *instants],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    runs = [json.loads(line) for line in finished.stdout.splitlines() if line.startswith("{")]
    assert [run["as_of"][:19] for run in runs] == instants

    recorded = {row["contact_id"]: row for row in first}
    rows_per_contact = {contact_id: 1 for contact_id in recorded}
    for run in runs:
        expected = set()
        for contact_id, row in run["scores"].items():
            last = recorded[contact_id]
            moved = abs(Decimal(row["total_score"]) - Decimal(str(last["total_score"])))
            if moved >= Decimal("1.0") or any(
                str(row[name]) != str(last[name]) for name in RECORDED
            ):
                expected.add(contact_id)
                recorded[contact_id] = row
                rows_per_contact[contact_id] += 1
        assert set(run["logged"]) == expected, run["as_of"]

    assert rows_per_contact["static"] == 1 and rows_per_contact["slow"] == 1
    assert 5 < rows_per_contact["fast"] <= 24  # the half-life keeps it moving, hour after hour
    history = scenario.query("select contact_id, count(*) as n from marts.score_history group by 1")
    assert {row["contact_id"]: row["n"] for row in history} == rows_per_contact
