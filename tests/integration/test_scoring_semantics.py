"""Contract §3 "Precise semantics", point by point, scored by the real dbt project.

A build costs seconds, so the single-run topics share one build (`built`): each topic has its
own model id and its own contacts, and a test only looks at its own model and contacts.
Topics that need several runs (sticky stages, re-runs) build their own scenario.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.scenario import FrozenBuild, Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"


def D(value: str | float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def act(contact_id: str, activity_type: str, occurred_at: str, target: str = "") -> dict:
    return {
        "contact_id": contact_id,
        "activity_type": activity_type,
        "occurred_at": occurred_at,
        "target": target,
    }


def prop(field: str, operator: str, value: str = "") -> dict:
    return {"subject": "property", "field": field, "operator": operator, "value": value}


class Built(FrozenBuild):
    """A frozen copy of one build's database (other tests reuse the session's build file)."""

    def scores(self, model_id: str, contacts: set[str] | None = None) -> dict[str, dict]:
        rows = self.query("select * from marts.contact_scores where model_id = ?", [model_id])
        return {r["contact_id"]: r for r in rows if contacts is None or r["contact_id"] in contacts}

    def breakdown(self, contact_id: str, model_id: str) -> dict[str, Decimal]:
        rows = self.query(
            "select contribution_id, points from marts.score_breakdown "
            "where model_id = ? and contact_id = ?",
            [model_id, contact_id],
        )
        return {row["contribution_id"]: row["points"] for row in rows}

    def matched(self, model_id: str, contacts: set[str]) -> dict[str, set[str]]:
        """contact -> the rule ids in its breakdown, for each of `contacts`."""
        result: dict[str, set[str]] = {contact: set() for contact in contacts}
        for row in self.query(
            "select contact_id, rule_id from marts.score_breakdown "
            "where model_id = ? and rule_id is not null",
            [model_id],
        ):
            if row["contact_id"] in contacts:
                result[row["contact_id"]].add(row["rule_id"])
        return result


def total_vs_breakdown_mismatches(scenario: Scenario | Built) -> list[dict]:
    return scenario.query(
        """
        select scores.model_id, scores.contact_id, scores.total_score,
            coalesce(sum(breakdown.points), 0) as breakdown_total
        from marts.contact_scores as scores
        left join marts.score_breakdown as breakdown
            on scores.model_id = breakdown.model_id and scores.contact_id = breakdown.contact_id
        group by all
        having scores.total_score <> coalesce(sum(breakdown.points), 0)
        """
    )


# --- property conditions (model `ops`) --------------------------------------------------------

OPS_CONTACTS = {"ceo", "chief", "intern", "cto", "rd", "blank", "spaced"}


def setup_property_operators(s: Scenario) -> None:
    s.model("ops")
    rules = {
        "p_eq": prop("title", "eq", "CEO"),
        "p_eq_pipe": prop("title", "eq", "R|D"),  # `|` splits only in/not_in/between
        "p_neq": prop("title", "neq", "ceo"),
        "p_in": prop("title", "in", "cto | CEO"),
        "p_not_in": prop("title", "not_in", "ceo|cto"),
        "p_contains": prop("title", "contains", "HIEF"),
        "p_not_contains": prop("title", "not_contains", "chief"),
        "p_starts": prop("title", "starts_with", "chief"),
        "p_ends": prop("title", "ends_with", "OFFICER"),
        "p_regex": prop("title", "regex", "EXEC"),  # case-insensitive search, not a full match
        "p_gt": prop("staff", "gt", "9"),  # "10" > "9" is false as text, true as numbers
        "p_gte": prop("staff", "gte", "10"),
        "p_lt": prop("staff", "lt", "10"),  # "9" < "10" is false as text
        "p_lte": prop("staff", "lte", "10"),
        "p_between": prop("staff", "between", "10|100"),  # inclusive; "25" is not as text
        "p_is_set": prop("staff", "is_set"),
        "p_is_not_set": prop("staff", "is_not_set"),
    }
    for rule_id, condition in rules.items():
        s.rule(rule_id, 1, condition, score_group="fit", model_id="ops")
    s.landing(
        "contacts",
        [
            {"contact_id": "ceo", "title": "CEO", "staff": "10"},
            {"contact_id": "chief", "title": "Chief Executive Officer", "staff": "100"},
            {"contact_id": "intern", "title": "Intern", "staff": "9"},
            {"contact_id": "cto", "title": "cto", "staff": "25"},
            {"contact_id": "rd", "title": "r|d", "staff": "1000.5"},
            {"contact_id": "blank", "title": "", "staff": ""},
            {"contact_id": "spaced", "title": "\u3000 Ceo\t", "staff": "many"},
        ],
        name="ops",
    )


def test_property_operators(built):
    negatives = {"p_neq", "p_not_in", "p_not_contains"}
    assert built.matched("ops", OPS_CONTACTS) == {
        "ceo": {
            "p_eq",
            "p_in",
            "p_not_contains",
            "p_gt",
            "p_gte",
            "p_lte",
            "p_between",
            "p_is_set",
        },
        "chief": {
            "p_neq",
            "p_not_in",
            "p_contains",
            "p_starts",
            "p_ends",
            "p_regex",
            "p_gt",
            "p_gte",
            "p_between",
            "p_is_set",
        },
        "intern": negatives | {"p_lt", "p_lte", "p_is_set"},
        "cto": {"p_neq", "p_in", "p_not_contains", "p_gt", "p_gte", "p_between", "p_is_set"},
        "rd": negatives | {"p_eq_pipe", "p_gt", "p_gte", "p_is_set"},  # 1000.5 > 100
        # Unset: only the negative operators and is_not_set hold.
        "blank": negatives | {"p_is_not_set"},
        # Trimmed (incl. U+3000 and tab) and case-insensitive; "many" is not a number.
        "spaced": {"p_eq", "p_in", "p_not_contains", "p_is_set"},
    }
    assert built.scores("ops")["chief"]["fit_score"] == D(10)


# --- activity conditions (model `act`) --------------------------------------------------------

ACT_CONTACTS = {
    "window",
    "old_views",
    "one_view",
    "nothing",
    "unsubscribed",
    "old_form",
    "recent_form",
    "pricing",
    "targets",
}


def setup_activity_conditions(s: Scenario) -> None:
    s.model("act")
    page_view = {"subject": "activity", "field": "page_view", "operator": "any"}
    per = {"points_mode": "per_occurrence", "model_id": "act"}
    # per_occurrence at 1 point each: the points are the count of matching activities.
    s.rule("a_window", 1, page_view | {"window_days": 10}, **per)
    s.rule("a_two_to_three", 1, page_view | {"min_count": 2, "max_count": 3}, model_id="act")
    s.rule(
        "a_never_unsubscribed",
        1,
        {"subject": "activity", "field": "email_unsubscribe", "operator": "any", "max_count": 0},
        model_id="act",
    )
    s.rule(
        "a_no_recent_form",
        1,
        {
            "subject": "activity",
            "field": "form_submission",
            "operator": "any",
            "window_days": 7,
            "max_count": 0,
        },
        model_id="act",
    )
    s.rule(
        "a_any_type_pricing",
        1,
        {"subject": "activity", "field": "*", "operator": "eq", "value": "/PRICING"},
        **per,
    )
    s.rule(
        "a_not_careers",
        1,
        {"subject": "activity", "field": "page_view", "operator": "neq", "value": "/careers"},
        **per,
    )
    s.rule(
        "a_target_in",
        1,
        {"subject": "activity", "field": "page_view", "operator": "in", "value": "/careers|/jobs"},
        **per,
    )
    s.rule(
        "a_target_regex",
        1,
        {"subject": "activity", "field": "content_download", "operator": "regex", "value": "GUIDE"},
        **per,
    )
    s.landing("contacts", [{"contact_id": c} for c in sorted(ACT_CONTACTS)], name="act")
    s.landing(
        "activities",
        [
            # as_of - 10 days = 2026-10-22 00:00:00, which is outside (strictly after it is inside).
            act("window", "page_view", "2026-10-22 00:00:00", "/a"),
            act("window", "page_view", "2026-10-22 00:00:01", "/b"),
            act("window", "page_view", "2026-11-01 00:00:00", "/c"),  # at as_of: inside
            act("window", "page_view", "2026-11-01 00:00:01", "/d"),  # future: quarantined
            *[act("old_views", "page_view", f"2026-09-0{d} 10:00:00", "/x") for d in range(1, 5)],
            act("one_view", "page_view", "2026-10-01 10:00:00", "/x"),
            act("unsubscribed", "email_unsubscribe", "2025-01-01 10:00:00", "list"),
            act("old_form", "form_submission", "2026-10-25 00:00:00", "f"),  # exactly 7 days: out
            act("recent_form", "form_submission", "2026-10-25 00:00:01", "f"),
            act("pricing", "page_view", "2026-10-01 10:00:00", "/pricing"),
            act("pricing", "cta_click", "2026-10-01 11:00:00", " /Pricing "),
            act("pricing", "form_submission", "2026-10-01 12:00:00", "/pricing/"),  # not eq
            act("targets", "page_view", "2026-10-01 10:00:00", "/careers"),
            act("targets", "page_view", "2026-10-01 10:00:01", "/Jobs"),
            act("targets", "page_view", "2026-10-01 10:00:02", ""),  # no target: neq holds
            act("targets", "content_download", "2026-10-01 10:00:03", "ebook:guide-to-scoring"),
            act("targets", "content_download", "2026-10-01 10:00:04", "whitepaper:roi"),
        ],
        name="act",
    )


def test_activity_conditions(built):
    got = {contact: built.breakdown(contact, "act") for contact in ACT_CONTACTS}
    never = {"a_never_unsubscribed": D(1), "a_no_recent_form": D(1)}
    assert got == {
        "window": never | {"a_window": D(2), "a_two_to_three": D(1), "a_not_careers": D(3)},
        "old_views": never | {"a_not_careers": D(4)},  # 4 views: above max_count 3
        "one_view": never | {"a_not_careers": D(1)},  # 1 view: below min_count 2
        "nothing": never,  # no activities at all: every "did not happen" holds
        "unsubscribed": {"a_no_recent_form": D(1)},
        "old_form": never,
        "recent_form": {"a_never_unsubscribed": D(1)},
        "pricing": never | {"a_any_type_pricing": D(2), "a_not_careers": D(1)},
        "targets": never
        | {
            "a_two_to_three": D(1),
            "a_not_careers": D(2),
            "a_target_in": D(2),
            "a_target_regex": D(1),
        },
    }


# --- points, decay and rounding (model `dec`) -------------------------------------------------

DEC_CONTACTS = {
    "opener",
    "step_at_30",
    "step_45",
    "step_90",
    "both",
    "tickets",
    "clicks",
    "rounder",
}


def setup_decay_and_rounding(s: Scenario, model_id: str = "dec") -> None:
    """Per-occurrence caps, half-life, steps, and rounding; also reused for re-run checks."""
    s.model(model_id)
    m = {"model_id": model_id}
    s.seed(
        "score_decay",
        s.seeds.get("score_decay", [])
        + [
            m
            | {
                "decay_id": "opens_half_life",
                "kind": "half_life",
                "activity_type": "email_open",
                "days": 10,
            },
            m
            | {
                "decay_id": "webinar_step_30",
                "kind": "step",
                "activity_type": "webinar_attended",
                "days": 30,
                "percent": 25,
            },
            m
            | {
                "decay_id": "webinar_step_60",
                "kind": "step",
                "activity_type": "webinar_attended",
                "days": 60,
                "percent": 50,
            },
            m
            | {
                "decay_id": "download_half_life",
                "kind": "half_life",
                "activity_type": "content_download",
                "days": 20,
            },
            m
            | {
                "decay_id": "download_step",
                "kind": "step",
                "activity_type": "content_download",
                "days": 30,
                "percent": 50,
            },
        ],
    )
    opens = {"subject": "activity", "field": "email_open", "operator": "any"}
    s.rule("open_each", 8, opens, points_mode="per_occurrence", **m)
    s.rule("open_once", 8, opens, **m)
    s.rule("open_fit", 3, opens, points_mode="per_occurrence", score_group="fit", **m)
    s.rule("open_capped", 10, opens, points_mode="per_occurrence", max_points=12, **m)
    s.rule(
        "webinar", 20, {"subject": "activity", "field": "webinar_attended", "operator": "any"}, **m
    )
    s.rule(
        "download", 40, {"subject": "activity", "field": "content_download", "operator": "any"}, **m
    )
    s.rule(
        "ticket_each",
        -5,
        {"subject": "activity", "field": "support_ticket", "operator": "any"},
        points_mode="per_occurrence",
        max_points=12,
        **m,
    )
    s.rule(
        "cta_each",
        0.335,
        {"subject": "activity", "field": "cta_click", "operator": "any"},
        points_mode="per_occurrence",
        **m,
    )
    rounding = prop("rounding", "eq", "yes")
    for rule_id, points in [
        ("r_a", 0.005),
        ("r_b", 0.005),
        ("r_c", 0.005),
        ("r_d", 0.125),
        ("r_e", -0.125),
        ("r_f", 2.675),
    ]:
        s.rule(rule_id, points, rounding, score_group="fit", **m)
    s.landing(
        "contacts",
        [{"contact_id": c} for c in sorted(DEC_CONTACTS - {"rounder"})]
        + [{"contact_id": "rounder", "rounding": "YES"}],
        name="dec",
    )
    s.landing(
        "activities",
        [
            act("opener", "email_open", "2026-10-22 00:00:00", "e1"),  # 10 days old
            act("opener", "email_open", "2026-10-12 00:00:00", "e2"),  # 20 days old
            act("step_at_30", "webinar_attended", "2026-10-02 00:00:00", "w"),  # not older than 30
            act("step_45", "webinar_attended", "2026-09-17 00:00:00", "w"),
            act("step_90", "webinar_attended", "2026-08-03 00:00:00", "w"),
            act("both", "content_download", "2026-09-22 00:00:00", "guide"),  # 40 days old
            *[
                act("tickets", "support_ticket", f"2026-10-1{d} 09:00:00", f"t{d}")
                for d in range(4)
            ],
            *[act("clicks", "cta_click", f"2026-10-1{d} 09:00:00", f"c{d}") for d in range(3)],
        ],
        name="dec",
    )


def test_per_occurrence_max_points_decay_and_rounding(built):
    assert built.breakdown("opener", "dec") == {
        "open_each": D("6.00"),  # each open by its own age: 8 * (0.5 + 0.25)
        "open_once": D("4.00"),  # once: by the newest open (10 days): 8 * 0.5
        "open_fit": D("6.00"),  # fit points never decay: 2 * 3
        "open_capped": D("7.50"),  # raw 20 -> decay 10 * 0.75 -> max_points 12 not reached
    }
    opener = built.scores("dec")["opener"]
    # engagement_raw: each rule before decay, limited by its max_points: 16 + 8 + 12.
    assert opener["engagement_raw"] == D(36)
    assert opener["decay_points"] == D("-18.50")  # -10 - 4 - 4.5
    assert opener["engagement_score"] == D("17.50")
    assert opener["fit_score"] == D(6)
    assert opener["total_score"] == D("23.50")
    rows = built.query(
        "select contribution_id, raw_points, points, activity_count from marts.score_breakdown "
        "where model_id = 'dec' and contact_id = 'opener' "
        "and contribution_id in ('open_each', 'open_capped') order by contribution_id"
    )
    # A rule row carries its final points; the pre-decay amount stays in raw_points.
    assert rows == [
        {
            "contribution_id": "open_capped",
            "raw_points": D(12),
            "points": D("7.50"),
            "activity_count": 2,
        },
        {"contribution_id": "open_each", "raw_points": D(16), "points": D(6), "activity_count": 2},
    ]
    # Steps: strictly older than `days`; the largest applicable step wins (no stacking).
    assert built.breakdown("step_at_30", "dec") == {"webinar": D(20)}
    assert built.breakdown("step_45", "dec") == {"webinar": D(15)}
    assert built.breakdown("step_90", "dec") == {"webinar": D(10)}  # 50 %, not 25 % then 50 %
    # Half-life and step multiply: 40 * 0.5^(40/20) * (1 - 50 %).
    assert built.breakdown("both", "dec") == {"download": D(5)}
    # Negative per-occurrence points are capped in absolute value: 4 * -5 = -20 -> -12.
    assert built.breakdown("tickets", "dec") == {"ticket_each": D(-12)}
    assert built.breakdown("clicks", "dec") == {"cta_each": D("1.01")}  # 1.005 half up
    # Each contribution is rounded half away from zero before summing.
    assert built.breakdown("rounder", "dec") == {
        "r_a": D("0.01"),
        "r_b": D("0.01"),
        "r_c": D("0.01"),
        "r_d": D("0.13"),
        "r_e": D("-0.13"),
        "r_f": D("2.68"),
    }
    # 0.03 + 0.13 - 0.13 + 2.68, where summing first would give round(2.69) = 2.69.
    assert built.scores("dec")["rounder"]["total_score"] == D("2.71")


# --- caps and feedback (models `cap`, `cap2`) -------------------------------------------------

CAP_CONTACTS = {
    "capped",
    "negative",
    "boosted",
    "limited",
    "low_not_ready",
    "history",
    "m2_only",
    "mixed",
}


def setup_caps_and_feedback(s: Scenario) -> None:
    s.model("cap", fit_cap=10, engagement_cap=20, total_cap=25)
    s.model("cap2")
    fit = {"score_group": "fit", "model_id": "cap"}
    s.rule("fit_a", 8, prop("a", "is_set"), **fit)
    s.rule("fit_b", 7, prop("b", "is_set"), **fit)
    s.rule("fit_neg", -15, prop("neg", "is_set"), **fit)
    s.rule("eng_30", 30, prop("e30", "is_set"), model_id="cap")
    s.rule("eng_5", 5, prop("e5", "is_set"), model_id="cap")
    s.seed(
        "score_thresholds",
        s.seeds.get("score_thresholds", [])
        + [
            {
                "model_id": "cap",
                "segment": "*",
                "stage": "mql",
                "stage_rank": 1,
                "score": "total",
                "min_score": 10,
            },
            {
                "model_id": "cap",
                "segment": "*",
                "stage": "sql",
                "stage_rank": 2,
                "score": "total",
                "min_score": 20,
            },
            {
                "model_id": "cap2",
                "segment": "*",
                "stage": "mql",
                "stage_rank": 1,
                "score": "total",
                "min_score": 30,
            },
        ],
    )
    s.seed(
        "score_bands",
        s.seeds.get("score_bands", [])
        + [
            {"model_id": "cap", "score": "total", "band": "hot", "min_score": 30},
            {"model_id": "cap", "score": "total", "band": "cold", "max_score": 30},
        ],
    )
    for model_id in ("cap", "cap2"):
        s.seeds.setdefault("feedback_rules", []).extend(
            [
                {
                    "model_id": model_id,
                    "feedback": "true_sql",
                    "points": 40,
                    "stage_override": "sql" if model_id == "cap" else "",
                },
                {"model_id": model_id, "feedback": "not_ready", "points": -1, "max_stage": "mql"},
                {
                    "model_id": model_id,
                    "feedback": "unqualified",
                    "points": -100,
                    "stage_override": "unqualified",
                },
            ]
        )
    full = {"a": 1, "b": 1, "e30": 1}
    s.landing(
        "contacts",
        [
            {"contact_id": "capped"} | full,
            {"contact_id": "negative", "neg": 1},
            {"contact_id": "boosted"} | full,
            {"contact_id": "limited"} | full,
            {"contact_id": "low_not_ready", "e5": 1},
            {"contact_id": "history", "e5": 1},
            {"contact_id": "m2_only"},
            {"contact_id": "mixed"},
        ],
        name="cap",
    )
    s.landing(
        "sales_feedback",
        [
            {"contact_id": "boosted", "feedback": "true_sql", "given_at": "2026-10-01"},
            {"contact_id": "limited", "feedback": "not_ready", "given_at": "2026-10-01"},
            {"contact_id": "low_not_ready", "feedback": "not_ready", "given_at": "2026-10-01"},
            {"contact_id": "history", "feedback": "unqualified", "given_at": "2026-10-01"},
            {"contact_id": "history", "feedback": "true_sql", "given_at": "2026-10-20"},
            {"contact_id": "history", "feedback": "not_ready", "given_at": "2026-11-05"},  # future
            {
                "contact_id": "m2_only",
                "feedback": "unqualified",
                "given_at": "2026-10-01",
                "model_id": "CAP2",
            },
            {"contact_id": "mixed", "feedback": "unqualified", "given_at": "2026-10-01"},
            {
                "contact_id": "mixed",
                "feedback": "true_sql",
                "given_at": "2026-10-10",
                "model_id": "cap",
            },
        ],
        name="cap",
    )


def test_caps_and_feedback(built):
    scores = built.scores("cap", CAP_CONTACTS)
    assert built.breakdown("capped", "cap") == {
        "fit_a": D(8),
        "fit_b": D(7),
        "eng_30": D(30),
        "cap:fit": D(-5),
        "cap:engagement": D(-10),
        "cap:total": D(-5),  # the amounts removed
    }
    capped = scores["capped"]
    assert (capped["fit_score"], capped["engagement_score"], capped["total_score"]) == (
        D(10),
        D(20),
        D(25),
    )
    assert built.breakdown("negative", "cap") == {"fit_neg": D(-15), "cap:fit": D(5)}
    # Feedback is added after every cap and is never capped itself: 25 + 40.
    assert built.breakdown("boosted", "cap")["feedback"] == D(40)
    # Bands read the final total, feedback included (25 before feedback would be cold).
    assert (scores["capped"]["total_band"], scores["boosted"]["total_band"]) == ("cold", "hot")
    got = {c: (r["total_score"], r["feedback_points"], r["stage"]) for c, r in scores.items()}
    assert got == {
        "capped": (D(25), D(0), "sql"),
        "negative": (D(-10), D(0), "lead"),
        "boosted": (D(65), D(40), "sql"),
        "limited": (D(24), D(-1), "mql"),  # threshold sql, lowered to max_stage mql
        "low_not_ready": (D(4), D(-1), "lead"),  # max_stage only lowers
        "history": (D(45), D(40), "sql"),  # newest at/before as_of: true_sql of 10-20
        "m2_only": (D(0), D(0), "lead"),  # feedback for model cap2 only
        "mixed": (D(40), D(40), "sql"),  # model-specific true_sql is newer than blank one
    }
    m2 = {c: (r["total_score"], r["stage"]) for c, r in built.scores("cap2", CAP_CONTACTS).items()}
    # Blank model_id applies to every model; thresholds read the total with feedback (0 + 40).
    assert m2["history"] == (D(40), "mql")
    assert m2["m2_only"] == (D(-100), "unqualified")
    assert m2["mixed"] == (D(-100), "unqualified")  # cap's feedback does not reach cap2
    assert m2["capped"] == (D(0), "lead")


# --- thresholds, exclusions and populations (models `thr`, `fsc`, `pop_*`) --------------------

THR_CONTACTS = {
    "low",
    "mql",
    "sql",
    "sw_5",
    "sw_40",
    "sw_50",
    "demo_low",
    "demo_high",
    "employee_opt_out",
    "customer",
}
FSC_CONTACTS = {"f_fit", "f_eng", "f_both", "f_neither"}


def setup_thresholds_exclusions_and_populations(s: Scenario) -> None:
    s.model("thr", segment_property="industry")
    s.model("fsc")
    s.model(
        "pop_not_customer",
        population_property="lifecycle_stage",
        population_operator="not_in",
        population_value="customer",
    )
    s.model(
        "pop_customer",
        population_property="Lifecycle_Stage",
        population_operator="eq",
        population_value="CUSTOMER",
    )
    fit = {"score_group": "fit", "model_id": "thr"}
    for points in (5, 9.99, 10, 30, 40, 50, 60):
        s.rule(f"fit_{points}", points, prop("tier", "eq", str(points)), **fit)
    s.rule(
        "demo",
        1,
        {"subject": "activity", "field": "meeting_booked", "operator": "any"},
        model_id="thr",
    )
    s.rule("off", 1, prop("tier", "is_set"), enabled="false", model_id="thr")
    s.rule("f_fit", 15, prop("fx", "is_set"), score_group="fit", model_id="fsc")
    s.rule("f_eng", 15, prop("ex", "is_set"), model_id="fsc")
    s.rule("f_small_fit", 5, prop("fs", "is_set"), score_group="fit", model_id="fsc")
    s.rule("f_small_eng", 5, prop("es", "is_set"), model_id="fsc")
    threshold = {"model_id": "thr", "segment": "*", "score": "total"}
    s.seed(
        "score_thresholds",
        s.seeds.get("score_thresholds", [])
        + [
            threshold | {"stage": "mql", "stage_rank": 1, "min_score": 10},
            threshold | {"stage": "sql", "stage_rank": 2, "min_score": 30},
            # A segment with only an sql row still uses the `*` row for mql.
            threshold | {"segment": "SOFTWARE", "stage": "sql", "stage_rank": 2, "min_score": 50},
            threshold
            | {"stage": "champion", "stage_rank": 3, "min_score": "", "required_rule_id": "demo"},
            threshold
            | {
                "stage": "never",
                "stage_rank": 4,
                "min_score": "",
                "required_rule_id": "off",
            },  # a disabled rule never holds
            {
                "model_id": "fsc",
                "segment": "*",
                "stage": "good_fit",
                "stage_rank": 1,
                "score": "fit",
                "min_score": 10,
            },
            {
                "model_id": "fsc",
                "segment": "*",
                "stage": "engaged",
                "stage_rank": 2,
                "score": "engagement",
                "min_score": 10,
            },
        ],
    )
    # File order, not id order, picks the reason when several exclusions match.
    s.seed(
        "stage_exclusions",
        [
            {
                "model_id": "thr",
                "exclusion_id": "z_customer",
                "property": "lifecycle_stage",
                "operator": "in",
                "value": "customer|opportunity",
                "reason": "Customer",
            },
            {
                "model_id": "thr",
                "exclusion_id": "y_opt_out",
                "property": "email_opt_out",
                "operator": "eq",
                "value": "true",
                "reason": "Opted out",
            },
            {
                "model_id": "thr",
                "exclusion_id": "a_employee",
                "property": "email",
                "operator": "ends_with",
                "value": "@us.example",
                "reason": "Employee",
            },
        ],
    )
    s.landing(
        "contacts",
        [
            {"contact_id": "low", "tier": "9.99", "industry": "Retail"},
            {"contact_id": "mql", "tier": "10", "industry": "Retail"},
            {"contact_id": "sql", "tier": "30", "industry": "Retail"},
            {"contact_id": "sw_5", "tier": "5", "industry": "Software"},
            {"contact_id": "sw_40", "tier": "40", "industry": " software "},
            {"contact_id": "sw_50", "tier": "50", "industry": "Software"},
            {"contact_id": "demo_low", "industry": "Software"},
            {"contact_id": "demo_high", "tier": "60"},
            {
                "contact_id": "employee_opt_out",
                "tier": "60",
                "email": "amy@US.example",
                "email_opt_out": "true",
            },
            {"contact_id": "customer", "tier": "60", "lifecycle_stage": "Customer"},
            {"contact_id": "f_fit", "fx": 1, "es": 1},
            {"contact_id": "f_eng", "ex": 1, "fs": 1},
            {"contact_id": "f_both", "fx": 1, "ex": 1},
            {"contact_id": "f_neither", "fs": 1, "es": 1},  # total 10 but fit 5 / engagement 5
        ],
        name="thr",
    )
    s.landing(
        "activities",
        [
            act("demo_low", "meeting_booked", "2026-10-20 10:00:00", "m1"),
            act("demo_high", "meeting_booked", "2026-10-20 10:00:00", "m1"),
            act("employee_opt_out", "meeting_booked", "2026-10-20 10:00:00", "m1"),
        ],
        name="thr",
    )


def test_thresholds_exclusions_and_populations(built):
    scores = built.scores("thr", THR_CONTACTS)
    got = {c: (r["total_score"], r["stage"]) for c, r in scores.items()}
    assert got == {
        "low": (D("9.99"), "lead"),
        "mql": (D(10), "mql"),
        "sql": (D(30), "sql"),
        "sw_5": (D(5), "lead"),
        "sw_40": (D(40), "mql"),  # Software needs 50 for sql; mql falls back to `*`
        "sw_50": (D(50), "sql"),
        "demo_low": (D(1), "champion"),  # rule-based stage, no score condition
        "demo_high": (D(61), "champion"),  # the highest rank wins
        "employee_opt_out": (D(61), "excluded"),  # still scored
        "customer": (D(60), "excluded"),
    }
    ranks = {c: r["stage_rank"] for c, r in scores.items() if not r["is_excluded"]}
    assert ranks == {
        "low": 0,
        "mql": 1,
        "sql": 2,
        "sw_5": 0,
        "sw_40": 1,
        "sw_50": 2,
        "demo_low": 3,
        "demo_high": 3,
    }  # the base stage has rank 0
    excluded = {c: r["exclusion_reason"] for c, r in scores.items() if r["is_excluded"]}
    # The first matching row in file order gives the reason.
    assert excluded == {"employee_opt_out": "Opted out", "customer": "Customer"}
    f_stages = {c: r["stage"] for c, r in built.scores("fsc", FSC_CONTACTS).items()}
    assert f_stages == {
        "f_fit": "good_fit",
        "f_eng": "engaged",
        "f_both": "engaged",
        "f_neither": "lead",
    }
    every = THR_CONTACTS | FSC_CONTACTS
    # `not_in customer` holds for a blank lifecycle_stage too.
    assert set(built.scores("pop_not_customer", every)) == every - {"customer"}
    assert set(built.scores("pop_customer", every)) == {"customer"}


# --- landing data: text, headers, duplicates, newest records, quarantine (model `txt`) -------

TXT_CONTACTS = {"padded", "by_updated", "by_order", "by_file", "hacker", "dupes", "zoned"}
INJECTION = "'; drop table x; --"


def setup_text_and_landing(s: Scenario) -> None:
    s.model("txt")
    # Seed text is trimmed and compared case-insensitively everywhere.
    s.rule(
        " Title_CEO ",
        1,
        {"subject": " Property ", "field": " JOB_TITLE ", "operator": " EQ ", "value": " Ceo "},
        model_id=" TXT ",
        score_group=" FIT ",
    )
    fit = {"score_group": "fit", "model_id": "txt"}
    s.rule(
        "pricing_view",
        1,
        {"subject": "activity", "field": "PAGE_VIEW", "operator": "eq", "value": "/pricing"},
        model_id="txt",
    )
    s.rule("occupation", 1, prop(" WHAT IS YOUR CURRENT OCCUPATION", "eq", "Engineer"), **fit)
    s.rule("yakushoku", 1, prop("役職", "eq", "部長"), **fit)
    s.rule("has_company", 1, prop("company", "is_set"), **fit)
    s.rule("injected", 1, prop("job_title", "eq", INJECTION), **fit)
    s.rule("injected_contains", 1, prop("job_title", "contains", "drop table"), **fit)
    s.rule(
        "opens",
        1,
        {"subject": "activity", "field": "email_open", "operator": "any"},
        points_mode="per_occurrence",
        model_id="txt",
    )
    s.landing(
        "contacts",
        [
            {
                "contact_id": " padded\u3000",
                "job_title": "\u3000CEO \t",
                "What is your current occupation": " engineer ",
                "役職": "部長",
            },
            {
                "contact_id": "by_updated",
                "job_title": "CEO",
                "company": "",
                "updated_at": "2026-10-10 00:00:00",
            },
            {
                "contact_id": "by_updated",
                "job_title": "Intern",
                "company": "Rival",
                "updated_at": "2026-09-01 00:00:00",
            },
            {"contact_id": "by_order", "job_title": "Intern", "company": "Rival"},
            {"contact_id": "by_order", "job_title": "ceo", "company": ""},  # later row wins
            {"contact_id": "by_file", "job_title": "Intern"},
            {"contact_id": "hacker", "job_title": INJECTION},
            {"contact_id": "dupes"},
            {"contact_id": "zoned"},
        ],
        name="txt_a",
    )
    s.landing("contacts", [{"contact_id": "by_file", "job_title": "Ceo"}], name="txt_b")
    s.landing(
        "activities",
        [
            act("padded", " Page_View ", "2026-10-01 10:00:00", "  /Pricing\u3000"),  # line 2
            act("dupes", "email_open", "2026-10-01 10:00:00", "e1"),
            act("dupes", "email_open", "2026-10-01 10:00:00", "e1"),  # identical: one activity
            act("dupes", "email_open", "2026-10-01 10:00:00", "e2"),  # another e-mail: two
            act("ghost", "email_open", "2026-10-01 10:00:00", "e1"),  # line 6: unknown contact
            act("dupes", "email_open", "2026-11-02 10:00:00", "e3"),  # line 7: future-dated
            act("", "email_open", "2026-10-01 10:00:00", "e4"),  # line 8: no contact_id
            act("dupes", "email_open", "not a date", "e5"),  # line 9: unparseable occurred_at
            act("zoned", "email_open", "2026-11-01T08:00:00+09:00", "z1"),  # 10-31 23:00 UTC
            act("zoned", "email_open", "2026-10-31T23:30:00-01:00", "z2"),  # line 11: 00:30 UTC
            act("zoned", "email_open", "2026-10-31 23:59:59", "z3"),  # no zone: UTC, inside
        ],
        name="txt",
    )


def test_text_headers_duplicates_newest_records_and_quarantine(built):
    assert built.matched("txt", TXT_CONTACTS) == {
        "padded": {"title_ceo", "pricing_view", "occupation", "yakushoku"},
        "by_updated": {"title_ceo"},  # newest updated_at wins, wherever it is in the file
        "by_order": {"title_ceo"},  # no updated_at: the later row wins; its company is blank
        "by_file": {"title_ceo"},  # and the later file
        "hacker": {"injected", "injected_contains"},  # matched literally
        "dupes": {"opens"},
        "zoned": {"opens"},
    }
    assert built.breakdown("dupes", "txt") == {"opens": D(2)}
    assert built.breakdown("zoned", "txt") == {"opens": D(2)}
    quarantine = built.query(
        "select entity, row_number, reason from ops.quarantine "
        "where file_path = 'activities/txt.csv' order by row_number"
    )
    assert [(q["entity"], q["row_number"]) for q in quarantine] == [
        ("activities", 6),
        ("activities", 7),
        ("activities", 8),
        ("activities", 9),
        ("activities", 11),
    ]
    reasons = [q["reason"] for q in quarantine]
    assert "unknown contact" in reasons[0]
    assert "future" in reasons[1]
    assert "contact_id" in reasons[2]
    assert "occurred_at" in reasons[3]
    assert "future" in reasons[4]
    # Nothing was dropped: the marts are all there, with every contact.
    contacts = {r["contact_id"] for r in built.query("select contact_id from marts.contacts")}
    assert TXT_CONTACTS.issubset(contacts)
    assert built.query(
        "select count(*) as n from information_schema.tables where table_name = 'x'"
    ) == [{"n": 0}]


# --- the shared build ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_workspace) -> Built:
    root = tmp_path_factory.mktemp("semantics")
    scenario = Scenario(root, dbt_workspace)
    setup_property_operators(scenario)
    setup_activity_conditions(scenario)
    setup_decay_and_rounding(scenario)
    setup_caps_and_feedback(scenario)
    setup_thresholds_exclusions_and_populations(scenario)
    setup_text_and_landing(scenario)
    scenario.build(AS_OF)
    return Built(scenario, root / "built.duckdb")


def test_total_is_the_sum_of_the_breakdown_for_every_contact(built):
    assert len(built.query("select * from marts.contact_scores")) > 100
    assert total_vs_breakdown_mismatches(built) == []


# --- sticky stages across runs ---------------------------------------------------------------


def test_sticky_keeps_the_higher_stage_until_a_seed_change(scenario):
    scenario.model("sticky", stage_policy="sticky")
    scenario.model("follow", stage_policy="follow_score")
    pricing = {
        "subject": "activity",
        "field": "page_view",
        "operator": "eq",
        "value": "/pricing",
        "window_days": 10,
    }
    for model_id in ("sticky", "follow"):
        scenario.rule(f"{model_id}_pricing", 50, pricing, model_id=model_id)
    scenario.seed(
        "score_thresholds",
        [
            {
                "model_id": model_id,
                "segment": "*",
                "stage": "mql",
                "stage_rank": 1,
                "score": "total",
                "min_score": 30,
            }
            for model_id in ("sticky", "follow")
        ],
    )
    scenario.landing("contacts", [{"contact_id": "hot"}, {"contact_id": "cold"}])
    scenario.landing("activities", [act("hot", "page_view", "2026-10-01 12:00:00", "/pricing")])

    def stages():
        return {
            (row["model_id"], row["contact_id"]): (row["total_score"], row["stage"])
            for row in scenario.query("select * from marts.contact_scores")
        }

    def changes(as_of: str) -> list[dict]:
        return scenario.query(
            "select model_id, contact_id, from_stage, to_stage from marts.stage_changes "
            "where changed_at = cast(? as timestamp) order by model_id, contact_id",
            [as_of],
        )

    scenario.build("2026-10-05 00:00:00")
    assert stages() == {
        ("sticky", "hot"): (D(50), "mql"),
        ("follow", "hot"): (D(50), "mql"),
        ("sticky", "cold"): (D(0), "lead"),
        ("follow", "cold"): (D(0), "lead"),
    }
    scenario.build("2026-11-01 00:00:00")  # the pricing view has left the 10-day window
    assert stages() == {
        ("sticky", "hot"): (D(0), "mql"),
        ("follow", "hot"): (D(0), "lead"),
        ("sticky", "cold"): (D(0), "lead"),
        ("follow", "cold"): (D(0), "lead"),
    }
    assert "sticky" in scenario.scores("sticky")["hot"]["stage_reason"]
    assert changes("2026-11-01 00:00:00") == [
        {"model_id": "follow", "contact_id": "hot", "from_stage": "mql", "to_stage": "lead"},
    ]
    # Any seed change resets the sticky memory (here: one more, unrelated rule).
    scenario.rule("sticky_new", 1, prop("nothing", "is_set"), model_id="sticky")
    scenario.build("2026-11-15 00:00:00")
    assert stages()[("sticky", "hot")] == (D(0), "lead")
    assert changes("2026-11-15 00:00:00") == [
        {"model_id": "sticky", "contact_id": "hot", "from_stage": "mql", "to_stage": "lead"},
    ]


# --- re-runs ---------------------------------------------------------------------------------


def test_rerun_is_identical_and_full_refresh_keeps_history(scenario):
    setup_decay_and_rounding(scenario, "m")
    scenario.landing(
        "sales_feedback",
        [
            {"contact_id": "opener", "feedback": "not_ready", "given_at": "2026-10-20"},
        ],
    )
    scenario.seed("feedback_rules", [{"model_id": "m", "feedback": "not_ready", "points": -3}])
    scenario.build(AS_OF)
    marts = {
        "marts.contact_scores": "model_id, contact_id",
        "marts.score_breakdown": "model_id, contact_id, contribution_id",
        "marts.score_history": "valid_from, model_id, contact_id",
        "marts.stage_changes": "changed_at, model_id, contact_id",
    }

    def snapshot() -> dict[str, list[dict]]:
        return {t: scenario.query(f"select * from {t} order by {o}") for t, o in marts.items()}

    first = snapshot()
    assert len(first["marts.contact_scores"]) == 8
    assert len(first["marts.stage_changes"]) == 8  # first run: every contact is new
    assert len(first["marts.score_history"]) == 8  # ... and recorded in the history
    scenario.build(AS_OF)
    assert snapshot() == first

    scenario.build("2026-11-02 00:00:00", full_refresh=True)
    # History is a change log: the second day records only contacts whose total moved by the
    # default 1.0 points or whose stage or a band changed; the first day's rows are kept.
    before = {row["contact_id"]: row for row in first["marts.contact_scores"]}
    recorded = ("stage", "fit_band", "engagement_band", "total_band", "matrix_label")
    moved = sorted(
        row["contact_id"]
        for row in scenario.query("select * from marts.contact_scores")
        if abs(row["total_score"] - before[row["contact_id"]]["total_score"]) >= 1
        or any(row[name] != before[row["contact_id"]][name] for name in recorded)
    )
    assert 0 < len(moved) < 8
    second_day = scenario.query(
        "select contact_id from marts.score_history "
        "where valid_from = timestamp '2026-11-02 00:00:00' order by contact_id"
    )
    assert [row["contact_id"] for row in second_day] == moved
    kept = scenario.query(
        "select * exclude (valid_to) from marts.score_history "
        "where valid_from = timestamp '2026-11-01 00:00:00' order by model_id, contact_id"
    )
    assert kept == [
        {k: v for k, v in row.items() if k != "valid_to"} for row in first["marts.score_history"]
    ]
    # stage_changes is kept too; no stage or band changed on the second day.
    changes = scenario.query("select distinct changed_at from marts.stage_changes")
    assert [str(c["changed_at"]) for c in changes] == ["2026-11-01 00:00:00"]
