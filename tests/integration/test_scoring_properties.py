"""Property tests: invariants of the scoring engine on random data sets (contract §3, §4).

A build costs seconds, so every example draws a whole random data set (rules, caps, decay,
contacts, activities, feedback) and checks several invariants on one build.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

AS_OF = datetime(2026, 11, 1)
DAY = 86_400
ACTIVITY_TYPES = ("page_view", "email_open", "form_submission", "email_sent")
TARGETS = ("/a", "/b", "e1", "e2", "")

SETTINGS = settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

points = st.integers(-30, 30).filter(lambda p: p != 0)
optional_cap = st.one_of(st.none(), st.integers(1, 40))


@st.composite
def datasets(draw) -> dict:
    low_min = draw(st.integers(1, 3))
    low_max = draw(st.integers(low_min, low_min + 3))
    contact_count = draw(st.integers(4, 10))
    contacts = []
    for index in range(contact_count):
        activities = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(ACTIVITY_TYPES),
                    st.integers(0, 200 * DAY),  # age in seconds; 0 = at as_of
                    st.sampled_from(TARGETS),
                ),
                max_size=12,
            )
        )
        contacts.append(
            {
                "contact_id": f"c{index}",
                "size": draw(st.sampled_from(["", "5", "50", "500"])),
                "senior": draw(st.booleans()),
                "activities": activities,
                "feedback": draw(st.booleans()),
            }
        )
    return {
        "caps": {name: draw(optional_cap) for name in ("fit_cap", "engagement_cap", "total_cap")},
        "window": draw(st.integers(5, 120)),
        "low": (low_min, low_max, draw(points)),
        "high_points": draw(points),
        "open_points": draw(points),
        "open_max": draw(optional_cap),
        "half_life": draw(st.integers(3, 90)),
        "steps": draw(
            st.lists(
                st.tuples(st.integers(1, 150), st.integers(0, 100)),
                min_size=1,
                max_size=3,
                unique_by=lambda step: step[0],
            )
        ),
        "form_points": draw(points),
        "fit_points": (draw(points), draw(points)),
        "idle": (draw(st.integers(1, 90)), draw(st.integers(-20, -1))),
        "probe_ages": sorted(
            draw(st.lists(st.integers(0, 200 * DAY), min_size=3, max_size=6, unique=True))
        ),
        "feedback_points": draw(st.integers(-50, 50)),
        "contacts": contacts,
    }


def at(age_seconds: int) -> str:
    return (AS_OF - timedelta(seconds=age_seconds)).strftime("%Y-%m-%d %H:%M:%S")


def build(data: dict, root, workspace) -> Scenario:
    scenario = Scenario(root, workspace)
    scenario.model(**{k: "" if v is None else v for k, v in data["caps"].items()})
    low_min, low_max, low_points = data["low"]
    visits = {
        "subject": "activity",
        "field": "page_view",
        "operator": "any",
        "window_days": data["window"],
    }
    scenario.rule("visits_low", low_points, visits | {"min_count": low_min, "max_count": low_max})
    scenario.rule("visits_high", data["high_points"], visits | {"min_count": low_max + 1})
    scenario.rule(
        "opens",
        data["open_points"],
        {"subject": "activity", "field": "email_open", "operator": "any"},
        points_mode="per_occurrence",
        max_points="" if data["open_max"] is None else data["open_max"],
    )
    scenario.rule(
        "forms",
        data["form_points"],
        {"subject": "activity", "field": "form_submission", "operator": "any"},
    )
    size_points, senior_points = data["fit_points"]
    scenario.rule(
        "size",
        size_points,
        {"subject": "property", "field": "size", "operator": "gte", "value": "50"},
        score_group="fit",
    )
    scenario.rule(
        "senior",
        senior_points,
        {"subject": "property", "field": "senior", "operator": "eq", "value": "yes"},
        score_group="fit",
    )
    idle_days, idle_points = data["idle"]
    scenario.seed(
        "score_decay",
        [
            {
                "model_id": "m",
                "decay_id": "opens_half_life",
                "kind": "half_life",
                "activity_type": "email_open",
                "days": data["half_life"],
            },
            *[
                {
                    "model_id": "m",
                    "decay_id": f"forms_step_{days}",
                    "kind": "step",
                    "activity_type": "form_submission",
                    "days": days,
                    "percent": percent,
                }
                for days, percent in data["steps"]
            ],
            {
                "model_id": "m",
                "decay_id": "idle",
                "kind": "inactivity",
                "days": idle_days,
                "points": idle_points,
            },
            {
                "model_id": "m",
                "decay_id": "unopened",
                "kind": "unopened_email",
                "days": 30,
                "points": -2,
            },
        ],
    )
    scenario.seed(
        "feedback_rules",
        [
            {"model_id": "m", "feedback": "not_ready", "points": data["feedback_points"]},
        ],
    )
    scenario.landing(
        "contacts",
        [
            {
                "contact_id": c["contact_id"],
                "size": c["size"],
                "senior": "yes" if c["senior"] else "",
            }
            for c in data["contacts"]
        ]
        + [{"contact_id": f"probe{i}"} for i in range(len(data["probe_ages"]))],
    )
    rows = [
        {
            "contact_id": c["contact_id"],
            "activity_type": kind,
            "occurred_at": at(age),
            "target": target,
        }
        for c in data["contacts"]
        for kind, age, target in c["activities"]
    ]
    for i, age in enumerate(data["probe_ages"]):
        rows.append(
            {
                "contact_id": f"probe{i}",
                "activity_type": "email_open",
                "occurred_at": at(age),
                "target": "p",
            }
        )
        rows.append(
            {
                "contact_id": f"probe{i}",
                "activity_type": "form_submission",
                "occurred_at": at(age),
                "target": "p",
            }
        )
    scenario.landing(
        "activities",
        rows or [{"contact_id": "nobody", "activity_type": "page_view", "occurred_at": at(0)}],
    )
    scenario.landing(
        "sales_feedback",
        [
            {"contact_id": c["contact_id"], "feedback": "not_ready", "given_at": at(DAY)}
            for c in data["contacts"]
            if c["feedback"]
        ]
        or [{"contact_id": "nobody", "feedback": "not_ready", "given_at": at(DAY)}],
    )
    scenario.build(AS_OF.strftime("%Y-%m-%d %H:%M:%S"))
    return scenario


def clamp(value: Decimal, cap: int | None) -> Decimal:
    if cap is None:
        return value
    return max(-Decimal(cap), min(Decimal(cap), value))


def breakdowns(scenario: Scenario) -> dict[str, dict[str, dict]]:
    result: dict[str, dict[str, dict]] = {}
    for row in scenario.query("select * from marts.score_breakdown where model_id = 'm'"):
        result.setdefault(row["contact_id"], {})[row["contribution_id"]] = row
    return result


@SETTINGS
@given(data=datasets())
def test_invariants_hold_on_random_data(data, tmp_path_factory, dbt_workspace):
    scenario = build(data, tmp_path_factory.mktemp("prop"), dbt_workspace)
    scores = scenario.scores()
    rows = breakdowns(scenario)
    caps = data["caps"]
    assert len(scores) == len(data["contacts"]) + len(data["probe_ages"])

    for contact_id, score in scores.items():
        contributions = rows.get(contact_id, {})
        # Invariant of §4: total_score = sum of the breakdown points.
        assert score["total_score"] == sum(
            (r["points"] for r in contributions.values()), Decimal(0)
        ), contact_id
        # Caps limit absolute values, group caps first, then the total; feedback after caps.
        fit = sum(
            (
                r["points"]
                for r in contributions.values()
                if r["contribution_type"] == "rule" and r["score_group"] == "fit"
            ),
            Decimal(0),
        )
        engagement = sum(
            (
                r["points"]
                for r in contributions.values()
                if r["contribution_type"] in ("rule", "decay") and r["score_group"] == "engagement"
            ),
            Decimal(0),
        )
        assert score["fit_score"] == clamp(fit, caps["fit_cap"]), contact_id
        assert score["engagement_score"] == clamp(engagement, caps["engagement_cap"]), contact_id
        expected_total = clamp(score["fit_score"] + score["engagement_score"], caps["total_cap"])
        assert score["total_score"] == expected_total + score["feedback_points"], contact_id
        for name, column in (("fit_cap", "fit_score"), ("engagement_cap", "engagement_score")):
            if caps[name] is not None:
                assert abs(score[column]) <= caps[name]
        if caps["total_cap"] is not None:
            assert abs(score["total_score"] - score["feedback_points"]) <= caps["total_cap"]
        if "opens" in contributions and data["open_max"] is not None:
            assert abs(contributions["opens"]["points"]) <= data["open_max"]
            assert abs(contributions["opens"]["raw_points"]) <= data["open_max"]

    # Range rules never stack, and the one that matches is the one the visit count selects.
    low_min, low_max, _ = data["low"]
    for contact in data["contacts"]:
        visits = len(
            {
                (age, target)
                for kind, age, target in contact["activities"]
                if kind == "page_view" and age < data["window"] * DAY
            }
        )
        matched = {"visits_low", "visits_high"} & set(rows.get(contact["contact_id"], {}))
        expected = (
            {"visits_low"}
            if low_min <= visits <= low_max
            else {"visits_high"}
            if visits > low_max
            else set()
        )
        assert matched == expected, (contact["contact_id"], visits)

    # Decay never increases with age: the probes hold one open and one form, ever older.
    for rule_id in ("opens", "forms"):
        magnitudes = [
            abs(rows[f"probe{i}"][rule_id]["points"]) for i in range(len(data["probe_ages"]))
        ]
        assert magnitudes == sorted(magnitudes, reverse=True), (rule_id, magnitudes)
        raw = abs(rows["probe0"][rule_id]["raw_points"])
        assert all(m <= raw for m in magnitudes)


@settings(SETTINGS, max_examples=2)
@given(data=datasets())
def test_same_inputs_and_as_of_give_identical_marts(data, tmp_path_factory, dbt_workspace):
    scenario = build(data, tmp_path_factory.mktemp("prop"), dbt_workspace)
    queries = {
        "contact_scores": "select * from marts.contact_scores order by model_id, contact_id",
        "score_breakdown": "select * from marts.score_breakdown "
        "order by model_id, contact_id, contribution_id",
    }
    first = {name: scenario.query(sql) for name, sql in queries.items()}
    assert first["contact_scores"]
    scenario.build(AS_OF.strftime("%Y-%m-%d %H:%M:%S"))
    assert {name: scenario.query(sql) for name, sql in queries.items()} == first
