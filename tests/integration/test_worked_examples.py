"""The worked examples of contract §7, each scored by the real dbt project with its numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.support.scenario import FrozenBuild, Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]
"""The examples hold on both engines: examples 2-7 share one build per engine."""


def views(contact_id: str, count: int, target: str = "/blog/x", day: int = 20) -> list[dict]:
    return [
        {
            "contact_id": contact_id,
            "activity_type": "page_view",
            "occurred_at": f"2026-10-{day:02d} {i // 60:02d}:{i % 60:02d}:00",
            "target": target,
        }
        for i in range(count)
    ]


def test_example_1_forms_management_titles_and_band(scenario):
    scenario.model()
    scenario.rule(
        "any_form",
        1,
        {"subject": "activity", "field": "form_submission", "operator": "any"},
        points_mode="per_occurrence",
    )
    scenario.rule(
        "manager_with_views",
        4,
        {
            "subject": "property",
            "field": "job_title",
            "operator": "regex",
            "value": "代表取締役|経営企画|コンサルタント|責任者$",
        },
        {"subject": "activity", "field": "page_view", "operator": "any", "min_count": 10},
        score_group="fit",
    )
    scenario.rule(
        "student_or_jobless",
        -4,
        {"subject": "property", "field": "job_title", "operator": "in", "value": "学生|無職"},
        score_group="fit",
    )
    scenario.seed(
        "score_bands",
        [
            {"model_id": "m", "score": "total", "band": "有望度_高", "min_score": 4},
            {"model_id": "m", "score": "total", "band": "有望度_低", "max_score": 4},
        ],
    )
    scenario.landing(
        "contacts",
        [
            {"contact_id": "boss", "job_title": "代表取締役"},
            {"contact_id": "head", "job_title": "マーケティング責任者"},
            {"contact_id": "few_views", "job_title": "経営企画"},
            {"contact_id": "student", "job_title": "学生"},
        ],
    )
    scenario.landing(
        "activities",
        [
            *views("boss", 10),
            *views("head", 12),
            *views("few_views", 9),
            *views("student", 30),
            {
                "contact_id": "boss",
                "activity_type": "form_submission",
                "occurred_at": "2026-10-01",
                "target": "newsletter",
            },
            {
                "contact_id": "boss",
                "activity_type": "form_submission",
                "occurred_at": "2026-10-02",
                "target": "contact",
            },
            {
                "contact_id": "student",
                "activity_type": "form_submission",
                "occurred_at": "2026-10-02",
                "target": "contact",
            },
        ],
    )
    scenario.build(AS_OF)
    scores = scenario.scores()
    assert scores["boss"]["total_score"] == Decimal("6.00")  # 4 + 2 forms
    assert scores["head"]["total_score"] == Decimal("4.00")
    assert scores["few_views"]["total_score"] == Decimal("0.00")  # 9 views < 10
    assert scores["student"]["total_score"] == Decimal("-3.00")  # -4 + 1 form
    assert scores["boss"]["total_band"] == "有望度_高"
    assert scores["head"]["total_band"] == "有望度_高"  # min_score inclusive
    assert scores["few_views"]["total_band"] == "有望度_低"
    assert scenario.breakdown("boss") == {
        "any_form": Decimal("2.00"),
        "manager_with_views": Decimal("4.00"),
    }


def activity(contact_id: str, activity_type: str, occurred_at: str, target: str = "") -> dict:
    return {
        "contact_id": contact_id,
        "activity_type": activity_type,
        "occurred_at": occurred_at,
        "target": target,
    }


class Built(FrozenBuild):
    """A frozen copy of one build's database (later tests reuse the session's build file)."""

    def scores(self, model_id: str) -> dict[str, dict[str, Any]]:
        rows = self.query("select * from marts.contact_scores where model_id = ?", [model_id])
        return {row["contact_id"]: row for row in rows}

    def breakdown(self, contact_id: str, model_id: str) -> dict[str, Decimal]:
        rows = self.query(
            "select contribution_id, points from marts.score_breakdown "
            "where model_id = ? and contact_id = ?",
            [model_id, contact_id],
        )
        return {row["contribution_id"]: row["points"] for row in rows}


# Examples 2-7 need one run each: they share one build, each with its own model and contacts.


def setup_example_2(s: Scenario) -> None:
    s.model("ex2")
    visits = {"subject": "activity", "field": "page_view", "operator": "any", "window_days": 30}
    s.rule("visits_2_5", 3, visits | {"min_count": 2, "max_count": 5}, model_id="ex2")
    s.rule("visits_6_plus", 6, visits | {"min_count": 6}, model_id="ex2")
    counts = {"v1": 1, "v2": 2, "v5": 5, "v6": 6, "v7": 7}
    s.landing("contacts", [{"contact_id": c} for c in [*counts, "v0"]], name="ex2")
    s.landing("activities", [a for c, n in counts.items() for a in views(c, n)], name="ex2")


def test_example_2_visit_ranges_are_not_cumulative(built):
    scores = built.scores("ex2")
    totals = {c: scores[c]["total_score"] for c in ("v0", "v1", "v2", "v5", "v6", "v7")}
    assert totals == {
        "v0": Decimal("0.00"),
        "v1": Decimal("0.00"),
        "v2": Decimal("3.00"),
        "v5": Decimal("3.00"),
        "v6": Decimal("6.00"),
        "v7": Decimal("6.00"),  # 6, not 9
    }
    assert built.breakdown("v7", "ex2") == {"visits_6_plus": Decimal("6.00")}
    assert built.breakdown("v5", "ex2") == {"visits_2_5": Decimal("3.00")}


EX3_CONTACTS = {"tofu", "mofu", "bofu", "hot", "opted_out", "rival"}


def setup_example_3(s: Scenario) -> None:
    s.model("ex3")
    m = {"model_id": "ex3"}
    form = {"subject": "activity", "field": "form_submission"}
    s.rule("form_tofu", 5, form | {"operator": "in", "value": "newsletter|blog_subscribe"}, **m)
    s.rule("form_mofu_ebook", 10, form | {"operator": "eq", "value": "ebook"}, **m)
    s.rule("form_mofu_webinar", 20, form | {"operator": "eq", "value": "webinar_signup"}, **m)
    s.rule("form_bofu", 50, form | {"operator": "in", "value": "demo|pricing|contact"}, **m)
    s.rule(
        "whitepaper",
        10,
        {
            "subject": "activity",
            "field": "content_download",
            "operator": "starts_with",
            "value": "whitepaper:",
        },
        **m,
    )
    s.rule(
        "demo_request",
        70,
        {"subject": "activity", "field": "meeting_booked", "operator": "eq", "value": "demo"},
        **m,
    )
    s.rule(
        "opt_out",
        -50,
        {"subject": "property", "field": "email_opt_out", "operator": "eq", "value": "true"},
        score_group="fit",
        **m,
    )
    s.rule(
        "competitor",
        -100,
        {
            "subject": "property",
            "field": "company",
            "operator": "in",
            "value": "Rival Analytics|ScoreMatic",
        },
        score_group="fit",
        **m,
    )
    s.landing(
        "contacts",
        [
            {"contact_id": "tofu"},
            {"contact_id": "mofu"},
            {"contact_id": "bofu"},
            {"contact_id": "hot"},
            {"contact_id": "opted_out", "email_opt_out": "TRUE"},
            {"contact_id": "rival", "company": "scorematic"},
        ],
        name="ex3",
    )
    day = "2026-10-15 10:00:00"
    s.landing(
        "activities",
        [
            activity("tofu", "form_submission", day, "newsletter"),
            activity("tofu", "form_submission", "2026-10-16", "newsletter"),  # once: still 5
            activity("mofu", "form_submission", day, "ebook"),
            activity("mofu", "form_submission", day, "webinar_signup"),
            activity("bofu", "form_submission", day, "pricing"),
            activity("bofu", "form_submission", day, "contact"),
            activity("hot", "form_submission", day, "demo"),
            activity("hot", "content_download", day, "whitepaper:roi"),
            activity("hot", "meeting_booked", day, "demo"),
            activity("opted_out", "form_submission", day, "contact"),
            activity("rival", "form_submission", day, "demo"),
            activity("rival", "meeting_booked", day, "demo"),
        ],
        name="ex3",
    )


def test_example_3_form_tiers_and_large_negatives(built):
    scores = built.scores("ex3")
    assert {c: scores[c]["total_score"] for c in EX3_CONTACTS} == {
        "tofu": Decimal("5.00"),
        "mofu": Decimal("30.00"),
        "bofu": Decimal("50.00"),
        "hot": Decimal("130.00"),  # 50 + 10 + 70
        "opted_out": Decimal("0.00"),  # 50 - 50
        "rival": Decimal("20.00"),  # 50 + 70 - 100
    }
    assert built.breakdown("rival", "ex3") == {
        "form_bofu": Decimal("50.00"),
        "demo_request": Decimal("70.00"),
        "competitor": Decimal("-100.00"),
    }
    assert scores["rival"]["fit_score"] == Decimal("-100.00")


EX4_CONTACTS = {"c3499", "c35", "c6499", "c65", "c100_unq", "c65_unq"}


def setup_example_4(s: Scenario) -> None:
    s.model("ex4")
    tier = {"subject": "property", "field": "tier", "operator": "eq"}
    for value, points in [("a", 34.99), ("b", 35), ("c", 64.99), ("d", 65), ("e", 100)]:
        s.rule(f"tier_{value}", points, tier | {"value": value}, score_group="fit", model_id="ex4")
    s.seeds.setdefault("score_thresholds", []).extend(
        [
            {
                "model_id": "ex4",
                "segment": "*",
                "stage": "mql",
                "stage_rank": 1,
                "score": "total",
                "min_score": 35,
            },
            {
                "model_id": "ex4",
                "segment": "*",
                "stage": "sql",
                "stage_rank": 2,
                "score": "total",
                "min_score": 65,
            },
        ]
    )
    s.seeds.setdefault("feedback_rules", []).extend(
        [
            {
                "model_id": "ex4",
                "feedback": "unqualified",
                "points": -100,
                "stage_override": "unqualified",
            },
            {"model_id": "ex4", "feedback": "true_sql", "points": 0, "stage_override": "sql"},
        ]
    )
    s.landing(
        "contacts",
        [
            {"contact_id": "c3499", "tier": "a"},
            {"contact_id": "c35", "tier": "b"},
            {"contact_id": "c6499", "tier": "c"},
            {"contact_id": "c65", "tier": "d"},
            {"contact_id": "c100_unq", "tier": "e"},
            {"contact_id": "c65_unq", "tier": "d"},
        ],
        name="ex4",
    )
    s.landing(
        "sales_feedback",
        [
            {
                "contact_id": "c100_unq",
                "feedback": "unqualified",
                "given_at": "2026-10-20",
                "model_id": "ex4",
            },
            {
                "contact_id": "c65_unq",
                "feedback": "unqualified",
                "given_at": "2026-10-20",
                "model_id": "ex4",
            },
        ],
        name="ex4",
    )


def test_example_4_mql_sql_boundaries_and_unqualified_feedback(built):
    scores = built.scores("ex4")
    got = {c: (scores[c]["total_score"], scores[c]["stage"]) for c in EX4_CONTACTS}
    assert got == {
        "c3499": (Decimal("34.99"), "lead"),
        "c35": (Decimal("35.00"), "mql"),
        "c6499": (Decimal("64.99"), "mql"),
        "c65": (Decimal("65.00"), "sql"),
        "c100_unq": (Decimal("0.00"), "unqualified"),  # 100 - 100
        "c65_unq": (Decimal("-35.00"), "unqualified"),  # feedback is never capped or floored
    }
    assert [scores[c]["stage_rank"] for c in ("c3499", "c35", "c6499", "c65")] == [0, 1, 1, 2]
    assert scores["c100_unq"]["feedback_points"] == Decimal("-100.00")
    assert built.breakdown("c100_unq", "ex4") == {
        "tier_e": Decimal("100.00"),
        "feedback": Decimal("-100.00"),
    }


def setup_example_5(s: Scenario) -> None:
    s.model("ex5")
    m = {"model_id": "ex5"}
    per = {"points_mode": "per_occurrence"} | m
    s.rule(
        "email_open", 5, {"subject": "activity", "field": "email_open", "operator": "any"}, **per
    )
    s.rule(
        "email_click", 15, {"subject": "activity", "field": "email_click", "operator": "any"}, **per
    )
    s.rule(
        "blog_visit",
        5,
        {"subject": "activity", "field": "page_view", "operator": "starts_with", "value": "/blog/"},
        max_points=15,
        **per,
    )
    s.rule(
        "social_follow",
        10,
        {
            "subject": "activity",
            "field": "social_engagement",
            "operator": "ends_with",
            "value": ":follow",
        },
        **m,
    )
    s.rule(
        "guide_download",
        20,
        {
            "subject": "activity",
            "field": "content_download",
            "operator": "regex",
            "value": "^(guide|ebook):",
        },
        **m,
    )
    s.rule(
        "webinar", 30, {"subject": "activity", "field": "webinar_attended", "operator": "any"}, **m
    )
    s.rule(
        "demo_form",
        50,
        {
            "subject": "activity",
            "field": "form_submission",
            "operator": "eq",
            "value": "demo_request",
        },
        **m,
    )
    s.rule(
        "repeat_visitor",
        10,
        {"subject": "activity", "field": "page_view", "operator": "any", "min_count": 2},
        **m,
    )
    s.landing("contacts", [{"contact_id": "fan"}, {"contact_id": "reader"}], name="ex5")
    t = "2026-10-2{} 09:00:00"
    s.landing(
        "activities",
        [
            activity("fan", "email_open", t.format(1), "e1"),
            activity("fan", "email_open", t.format(2), "e2"),
            activity("fan", "email_click", t.format(2), "e2"),
            *[activity("fan", "page_view", t.format(i), f"/blog/post-{i}") for i in range(4)],
            activity("fan", "social_engagement", t.format(3), "linkedin:follow"),
            activity("fan", "content_download", t.format(4), "guide:scoring"),
            activity("fan", "webinar_attended", t.format(5), "w1"),
            activity("fan", "form_submission", t.format(6), "demo_request"),
            activity("reader", "page_view", t.format(1), "/blog/a"),
            activity("reader", "social_engagement", t.format(1), "x:like"),
            activity("reader", "content_download", t.format(1), "whitepaper:guide"),
        ],
        name="ex5",
    )


def test_example_5_engagement_points_and_repeats(built):
    assert built.breakdown("fan", "ex5") == {
        "email_open": Decimal("10.00"),  # 2 x 5
        "email_click": Decimal("15.00"),
        "blog_visit": Decimal("15.00"),  # 4 x 5 = 20, capped at max_points 15
        "social_follow": Decimal("10.00"),
        "guide_download": Decimal("20.00"),
        "webinar": Decimal("30.00"),
        "demo_form": Decimal("50.00"),
        "repeat_visitor": Decimal("10.00"),
    }
    fan = built.scores("ex5")["fan"]
    assert (fan["total_score"], fan["engagement_raw"]) == (Decimal("160.00"), Decimal("160.00"))
    # One blog visit; a like is not a follow; "whitepaper:guide" does not start with guide:.
    assert built.breakdown("reader", "ex5") == {"blog_visit": Decimal("5.00")}


EX6_CONTACTS = {
    "idle_in",
    "idle_out",
    "visit_in",
    "visit_out",
    "social_in",
    "social_out",
    "mailbox",
    "future_only",
    "new_old",
    "no_dates",
}


def setup_example_6(s: Scenario) -> None:
    s.model("ex6")
    s.seeds.setdefault("score_decay", []).extend(
        [
            {
                "model_id": "ex6",
                "decay_id": "idle_30",
                "kind": "inactivity",
                "days": 30,
                "points": -10,
            },
            {
                "model_id": "ex6",
                "decay_id": "unopened_60",
                "kind": "unopened_email",
                "days": 60,
                "points": -5,
            },
            {
                "model_id": "ex6",
                "decay_id": "no_visit_45",
                "kind": "inactivity",
                "activity_type": "page_view",
                "days": 45,
                "points": -15,
            },
            {
                "model_id": "ex6",
                "decay_id": "no_social_30",
                "kind": "inactivity",
                "activity_type": "social_engagement",
                "days": 30,
                "points": -8,
            },
        ]
    )
    # as_of - 30 d = 2026-10-02 00:00, - 45 d = 2026-09-17 00:00, - 60 d = 2026-09-02 00:00.
    # "Older than N days" is strict: exactly N days old is still inside.
    at_30, past_30 = "2026-10-02 00:00:00", "2026-10-01 23:59:59"
    at_45, past_45 = "2026-09-17 00:00:00", "2026-09-16 23:59:59"
    at_60, past_60 = "2026-09-02 00:00:00", "2026-09-01 23:59:59"
    recent, future = "2026-10-25 12:00:00", "2026-11-05 00:00:00"
    s.landing(
        "contacts",
        [
            {"contact_id": c, "created_at": "2026-10-20"}
            for c in sorted(EX6_CONTACTS - {"new_old", "no_dates"})
        ]
        + [
            {"contact_id": "new_old", "created_at": "2026-09-01"},  # 61 days, no activity
            {"contact_id": "no_dates"},  # neither activity nor created_at: no penalty
        ],
        name="ex6",
    )
    s.landing(
        "activities",
        [
            activity("idle_in", "page_view", at_30, "/"),
            activity("idle_in", "social_engagement", at_30, "x:like"),
            activity("idle_out", "page_view", past_30, "/"),
            activity("idle_out", "social_engagement", past_30, "x:like"),
            activity("visit_in", "page_view", at_45, "/"),
            activity("visit_in", "social_engagement", recent, "x:like"),
            activity("visit_out", "page_view", past_45, "/"),
            activity("visit_out", "social_engagement", recent, "x:like"),
            activity("social_in", "social_engagement", at_30, "x:like"),
            activity("social_in", "page_view", recent, "/"),
            activity("social_out", "social_engagement", past_30, "x:like"),
            activity("social_out", "page_view", recent, "/"),
            # Inactivity looks at non-quarantined activities only: a future-dated one is no alibi.
            activity("future_only", "page_view", past_30, "/"),
            activity("future_only", "social_engagement", past_30, "x:like"),
            activity("future_only", "page_view", future, "/"),
            activity("future_only", "social_engagement", future, "x:like"),
            activity("mailbox", "page_view", recent, "/"),
            activity("mailbox", "social_engagement", recent, "x:like"),
            activity("mailbox", "email_sent", at_60, "e_at_60"),  # exactly 60 days: not yet
            activity("mailbox", "email_sent", past_60, "e_past_60"),  # -5
            activity("mailbox", "email_sent", "2026-08-01 00:00:00", "e_old"),  # -5
            activity("mailbox", "email_sent", "2026-08-01 00:00:00", "e_opened"),
            activity("mailbox", "email_open", "2026-08-02 00:00:00", "e_opened"),
            activity("mailbox", "email_sent", "2026-08-01 00:00:00", "e_clicked"),
            activity("mailbox", "email_click", "2026-08-03 00:00:00", "e_clicked"),
        ],
        name="ex6",
    )


def test_example_6_decay_penalties_at_their_boundaries(built):
    scores = {c: row for c, row in built.scores("ex6").items() if c in EX6_CONTACTS}
    assert {c: row["decay_points"] for c, row in scores.items()} == {
        "idle_in": Decimal("0.00"),
        "idle_out": Decimal("-18.00"),  # -10 idle, -8 social (page view 30 d < 45 d)
        "visit_in": Decimal("0.00"),
        "visit_out": Decimal("-15.00"),
        "social_in": Decimal("0.00"),
        "social_out": Decimal("-8.00"),
        "future_only": Decimal("-18.00"),
        "mailbox": Decimal("-10.00"),  # two unopened e-mails older than 60 days
        "new_old": Decimal("-33.00"),  # created_at stands in: -10 -15 -8
        "no_dates": Decimal("0.00"),
    }
    for contact, row in scores.items():
        assert row["engagement_raw"] == Decimal("0.00")
        assert row["engagement_score"] == row["decay_points"] == row["total_score"], contact
    assert built.breakdown("idle_out", "ex6") == {
        "idle_30": Decimal("-10.00"),
        "no_social_30": Decimal("-8.00"),
    }
    assert built.breakdown("mailbox", "ex6") == {"unopened_60": Decimal("-10.00")}
    (unopened,) = built.query(
        "select activity_count from marts.score_breakdown "
        "where model_id = 'ex6' and contact_id = 'mailbox' and contribution_id = 'unopened_60'"
    )
    assert unopened["activity_count"] == 2


def setup_example_7(s: Scenario) -> None:
    s.model(
        "cross_sell",
        base_stage="customer",
        stage_policy="follow_score",
        population_property="lifecycle_stage",
        population_operator="eq",
        population_value="customer",
    )
    s.rule(
        "xs_new_feature_interest",
        50,
        {
            "subject": "activity",
            "field": "page_view",
            "operator": "starts_with",
            "value": "/features/new/",
            "window_days": 30,
            "min_count": 3,
        },
        model_id="cross_sell",
    )
    s.seeds.setdefault("score_thresholds", []).append(
        {
            "model_id": "cross_sell",
            "segment": "*",
            "stage": "expansion_candidate",
            "stage_rank": 1,
            "required_rule_id": "xs_new_feature_interest",
        },
    )
    s.seed(
        "alert_routes",
        [
            {"model_id": "cross_sell", "to_stage": "expansion_candidate", "channel": "log"},
        ],
    )
    s.landing(
        "contacts",
        [
            {"contact_id": "keen", "lifecycle_stage": "Customer"},
            {"contact_id": "mild", "lifecycle_stage": "customer"},
            {"contact_id": "late", "lifecycle_stage": "customer"},
            {"contact_id": "prospect", "lifecycle_stage": "lead"},
        ],
        name="ex7",
    )
    s.landing(
        "activities",
        [
            *views("keen", 3, "/features/new/ai-scoring"),
            *views("mild", 2, "/features/new/ai-scoring"),
            *views("mild", 5, "/features/reports"),  # not a new-feature page
            *views("late", 2, "/features/new/ai-scoring"),
            # 30 days and one second old: outside the 30-day window.
            activity("late", "page_view", "2026-10-01 23:59:59", "/features/new/ai-scoring"),
            *views("prospect", 5, "/features/new/ai-scoring"),
        ],
        name="ex7",
    )


def test_example_7_cross_sell_customer_viewing_new_features(built):
    scores = built.scores("cross_sell")
    assert set(scores) == {"keen", "mild", "late"}  # prospects are not in the population
    assert {c: row["stage"] for c, row in scores.items()} == {
        "keen": "expansion_candidate",
        "mild": "customer",
        "late": "customer",
    }
    assert scores["keen"]["total_score"] == Decimal("50.00")
    # Alerted at once: the very first run records the change into the routed stage.
    alerts = built.query(
        """
        select changes.contact_id, changes.from_stage, changes.to_stage
        from marts.stage_changes as changes
        inner join staging.stg_alert_routes as routes
            on changes.model_id = routes.model_id and changes.to_stage = routes.to_stage
        """
    )
    assert alerts == [{"contact_id": "keen", "from_stage": None, "to_stage": "expansion_candidate"}]


@pytest.fixture(scope="module", params=ENGINES)
def built(request, tmp_path_factory, dbt_workspace) -> Built:
    root = tmp_path_factory.mktemp("examples")
    scenario = Scenario(root, dbt_workspace, engine=request.param)
    for setup in (
        setup_example_2,
        setup_example_3,
        setup_example_4,
        setup_example_5,
        setup_example_6,
        setup_example_7,
    ):
        setup(scenario)
    scenario.build(AS_OF)
    return Built(scenario, root / "built.duckdb")


@pytest.mark.parametrize(
    "engine", ["duckdb", pytest.param("spark", marks=[pytest.mark.spark, pytest.mark.slow])]
)
def test_example_8_churn_risk_crosses_its_threshold_on_a_later_run(scenario, engine):
    """Two runs: history, stage changes and the alert memory kept across them (on Spark too)."""
    scenario.engine = engine
    scenario.model(
        "churn_risk",
        base_stage="healthy",
        stage_policy="follow_score",
        population_property="lifecycle_stage",
        population_operator="eq",
        population_value="customer",
    )
    login = {"subject": "activity", "field": "login", "operator": "any", "window_days": 30}
    scenario.rule("cr_no_login", 40, login | {"max_count": 0}, model_id="churn_risk")
    scenario.rule(
        "cr_few_logins", 20, login | {"min_count": 1, "max_count": 3}, model_id="churn_risk"
    )
    scenario.rule(
        "cr_tickets",
        25,
        {
            "subject": "activity",
            "field": "support_ticket",
            "operator": "any",
            "window_days": 30,
            "min_count": 3,
        },
        model_id="churn_risk",
    )
    scenario.rule(
        "cr_renewal_page",
        30,
        {
            "subject": "activity",
            "field": "page_view",
            "operator": "eq",
            "value": "/account/renewal",
            "window_days": 30,
        },
        model_id="churn_risk",
    )
    scenario.seed(
        "score_thresholds",
        [
            {
                "model_id": "churn_risk",
                "segment": "*",
                "stage": "watch",
                "stage_rank": 1,
                "score": "total",
                "min_score": 30,
            },
            {
                "model_id": "churn_risk",
                "segment": "*",
                "stage": "at_risk",
                "stage_rank": 2,
                "score": "total",
                "min_score": 60,
            },
        ],
    )
    scenario.seed(
        "alert_routes",
        [
            {"model_id": "churn_risk", "to_stage": "at_risk", "channel": "log"},
        ],
    )
    scenario.landing(
        "contacts",
        [
            {"contact_id": "drifting", "lifecycle_stage": "customer"},
            {"contact_id": "steady", "lifecycle_stage": "customer"},
            {"contact_id": "silent", "lifecycle_stage": "customer"},
        ],
    )
    september = [
        *[activity("drifting", "login", f"2026-09-{d:02d} 08:00:00", "app") for d in range(5, 25)],
        *[activity("steady", "login", f"2026-09-{d:02d} 08:00:00", "app") for d in range(5, 25)],
    ]
    scenario.landing("activities", september, name="september")
    scenario.build("2026-10-01 00:00:00")
    first = scenario.scores("churn_risk")
    assert {c: (r["total_score"], r["stage"]) for c, r in first.items()} == {
        "drifting": (Decimal("0.00"), "healthy"),
        "steady": (Decimal("0.00"), "healthy"),
        "silent": (Decimal("40.00"), "watch"),  # no login at all in 30 days
    }

    october = [
        activity("drifting", "login", "2026-10-03 08:00:00", "app"),
        activity("drifting", "login", "2026-10-20 08:00:00", "app"),
        *[
            activity("drifting", "support_ticket", f"2026-10-{d} 10:00:00", f"t{d}")
            for d in (10, 15, 25)
        ],
        activity("drifting", "page_view", "2026-10-28 10:00:00", "/account/renewal"),
        *[activity("steady", "login", f"2026-10-{d:02d} 08:00:00", "app") for d in range(5, 25)],
    ]
    scenario.landing("activities", october, name="october")
    scenario.build("2026-11-01 00:00:00")
    second = scenario.scores("churn_risk")
    assert {c: (r["total_score"], r["stage"]) for c, r in second.items()} == {
        "drifting": (Decimal("75.00"), "at_risk"),  # 20 + 25 + 30
        "steady": (Decimal("0.00"), "healthy"),
        "silent": (Decimal("40.00"), "watch"),
    }
    changes = scenario.query(
        "select contact_id, from_stage, to_stage, from_score, to_score, tipping_rule_id "
        "from marts.stage_changes where changed_at = timestamp '2026-11-01 00:00:00'"
    )
    assert changes == [
        {
            "contact_id": "drifting",
            "from_stage": "healthy",
            "to_stage": "at_risk",
            "from_score": Decimal("0.00"),
            "to_score": Decimal("75.00"),
            "tipping_rule_id": "cr_renewal_page",
        }
    ]
    alerts = scenario.query(
        """
        select changes.contact_id
        from marts.stage_changes as changes
        inner join staging.stg_alert_routes as routes
            on changes.model_id = routes.model_id and changes.to_stage = routes.to_stage
        """
    )
    assert alerts == [{"contact_id": "drifting"}]
