"""Richer activity and date signals (issue 15), hand-computed: sums of `value`, trends against a
baseline window, and property dates relative to the as-of. One build serves every test."""

from __future__ import annotations

import pytest

from tests.support.scenario import FrozenBuild, Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"


def ago(days: float) -> str:
    """An instant `days` before AS_OF (whole or fractional days), as the landing files write it."""
    import datetime as dt

    at = dt.datetime(2026, 11, 1) - dt.timedelta(days=days)
    return at.isoformat(sep=" ")


def act(contact_id: str, activity_type: str, days_ago: float, value: str = "") -> dict:
    return {
        "contact_id": contact_id,
        "activity_type": activity_type,
        "occurred_at": ago(days_ago),
        "value": value,
    }


def activity(field: str, **columns) -> dict:
    return {"subject": "activity", "field": field, "operator": "any"} | columns


def prop(field: str, operator: str, value: str) -> dict:
    return {"subject": "property", "field": field, "operator": operator, "value": value}


SUM_CONTACTS = {
    "u1": [("feature_used", 10, "30"), ("feature_used", 20, "20")],  # 50: the bound exactly
    "u2": [("feature_used", 10, "30"), ("feature_used", 20, "19.5")],  # 49.5
    "u3": [("feature_used", 10, "30"), ("feature_used", 30, "40")],  # day 30 is outside: 30
    "u4": [],  # 0
    "u5": [("feature_used", 3, "4"), ("feature_used", 4, "")],  # a blank value counts 0: 4
}
# logins: window 30 days, baseline the 60 days before it; a fall of 50 % or more
LOGIN_CONTACTS = {
    "t1": [3, 12],  # 3/30 = 0.1 a day against 12/60 = 0.2: exactly -50 %
    "t2": [4, 12],  # -33 %
    "t3": [0, 2],  # -100 %
    "t4": [2, 0],  # empty baseline: nothing to fall from
    "t5": [0, 0],
}
# tickets: window 30, baseline 30; a rise of 100 % or more
TICKET_CONTACTS = {"r1": [2, 1], "r2": [1, 0], "r3": [0, 0], "r4": [1, 1]}

DATE_CONTACTS = {
    # renewal_date within_next_days 90; customer_since older_than_days 365;
    # last_purchase newer_than_days 30; contract_end later_than_days 180
    "d1": {
        "renewal_date": "2027-01-30",  # exactly 90 days ahead: holds
        "customer_since": "2025-11-01",  # exactly 365 days: not older than 365
        "last_purchase": "2026-10-02",  # exactly 30 days: holds
        "contract_end": "2027-05-01",  # 181 days ahead: holds
    },
    "d2": {
        "renewal_date": "2027-01-31",  # 91 days
        "customer_since": "2025-10-31",  # 366 days: holds
        "last_purchase": "2026-10-01",  # 31 days
        "contract_end": "2027-04-30",  # exactly 180: not later than 180
    },
    "d3": {
        "renewal_date": "2026-10-31",  # in the past: not within the next 90 days
        "customer_since": "2025-10-31T23:00:00+09:00",  # 2025-10-31 14:00 UTC: holds
        "last_purchase": "2026-11-05",  # in the future: not newer than 30 days
        "contract_end": "",
    },
    "d4": {"renewal_date": "", "customer_since": "", "last_purchase": "", "contract_end": ""},
    "d5": {
        "renewal_date": "next spring",  # not a date: quarantined, does not hold
        "customer_since": "2025/10/01",  # slashes parse
        "last_purchase": "",
        "contract_end": "",
    },
    "d6": {
        "renewal_date": "2026-11-01T00:00:00Z",  # the as-of itself: 0 days ahead, holds
        "customer_since": "",
        "last_purchase": "",
        "contract_end": "",
    },
}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> FrozenBuild:
    root = tmp_path_factory.mktemp("signals")
    s = Scenario(root, root / "workspace")
    s.model("m")
    s.rule("usage_50", 10, activity("feature_used", window_days=30, aggregate="sum", min_count=50))
    s.rule("usage_low", -5, activity("feature_used", window_days=30, aggregate="sum", max_count=10))
    s.rule(
        "logins_fell",
        20,
        activity("login", window_days=30, baseline_days=60, change_percent=-50),
    )
    s.rule(
        "tickets_rose",
        15,
        activity("support_ticket", window_days=30, baseline_days=30, change_percent=100),
    )
    s.rule(
        "usage_rising",
        7,
        activity(
            "feature_used", window_days=30, baseline_days=30, change_percent=50, aggregate="sum"
        ),
    )
    s.rule("renewal_soon", 8, prop("renewal_date", "within_next_days", "90"))
    s.rule("long_customer", 4, prop("customer_since", "older_than_days", "365"))
    s.rule("recent_purchase", 3, prop("last_purchase", "newer_than_days", "30"))
    s.rule("far_contract", 2, prop("contract_end", "later_than_days", "180"))

    contacts = [{"contact_id": c} for c in [*SUM_CONTACTS, *LOGIN_CONTACTS, *TICKET_CONTACTS]]
    contacts += [{"contact_id": c} | dates for c, dates in DATE_CONTACTS.items()]
    contacts += [{"contact_id": "s1"}, {"contact_id": "edge"}]
    s.landing("contacts", contacts)
    rows = [
        act(c, kind, days, value) for c, acts in SUM_CONTACTS.items() for kind, days, value in acts
    ]
    for contact, (window, baseline) in LOGIN_CONTACTS.items():
        rows += [act(contact, "login", 1 + i) for i in range(window)]
        rows += [act(contact, "login", 31 + i) for i in range(baseline)]
    for contact, (window, baseline) in TICKET_CONTACTS.items():
        rows += [act(contact, "support_ticket", 2 + i) for i in range(window)]
        rows += [act(contact, "support_ticket", 32 + i) for i in range(baseline)]
    # usage_rising: 15 in the window against 10 in the baseline (same length): +50 %
    rows += [act("s1", "feature_used", 5, "15"), act("s1", "feature_used", 40, "10")]
    # the window's edge belongs to the baseline, and the baseline ends at 90 days exactly
    rows += [act("edge", "login", 5), act("edge", "login", 30), act("edge", "login", 90)]
    s.landing("activities", rows)
    s.build(AS_OF)
    return FrozenBuild(s, root / "frozen.duckdb")


def matched(built: FrozenBuild, rule_id: str) -> set[str]:
    return {
        row["contact_id"]
        for row in built.query(
            "select contact_id from intermediate.int_rule_matches where rule_id = ?", [rule_id]
        )
    }


def test_a_sum_of_value_bounds_the_condition(built):
    assert matched(built, "usage_50") == {"u1"}
    # max_count 10 holds with nothing at all (a sum of 0), and a blank value adds 0
    low = matched(built, "usage_low")
    assert {"u4", "u5"} <= low and not low & {"u1", "u2", "u3", "s1"}


def test_a_fall_against_the_baseline_per_day(built):
    assert matched(built, "logins_fell") & set(LOGIN_CONTACTS) == {"t1", "t3"}
    # edge: 1 login in the window (day 5) against 1 in the baseline (day 30, the window's
    # edge); the login at day 90 is outside both: 1/30 against 1/60 is a rise, not a fall
    assert "edge" not in matched(built, "logins_fell")
    hits = built.query(
        "select activity_count, baseline_count from intermediate.int_activity_condition_hits "
        "where contact_id = 'edge' and condition_id = 'logins_fell#1'"
    )
    assert hits == [{"activity_count": 1, "baseline_count": 1}]


def test_a_rise_and_an_empty_baseline(built):
    assert matched(built, "tickets_rose") & set(TICKET_CONTACTS) == {"r1", "r2"}
    assert "s1" in matched(built, "usage_rising")


def test_dates_relative_to_the_as_of(built):
    assert matched(built, "renewal_soon") == {"d1", "d6"}
    assert matched(built, "long_customer") == {"d2", "d3", "d5"}
    assert matched(built, "recent_purchase") == {"d1"}
    assert matched(built, "far_contract") == {"d1"}


def test_an_unreadable_date_is_quarantined_and_the_contact_kept(built):
    rows = built.query("select * from ops.quarantine where entity = 'contacts'")
    assert len(rows) == 1
    assert "property renewal_date is not a date: next spring" in rows[0]["reason"]
    assert rows[0]["row_number"] == 2 + list(
        c for c in [*SUM_CONTACTS, *LOGIN_CONTACTS, *TICKET_CONTACTS, *DATE_CONTACTS]
    ).index("d5")
    assert built.query("select 1 from marts.contact_scores where contact_id = 'd5'")


def test_points_of_the_new_rules_reach_the_total(built):
    scores = {
        r["contact_id"]: r["total_score"]
        for r in built.query("select contact_id, total_score from marts.contact_scores")
    }
    assert scores["u1"] == 10 + 7  # usage_50, and usage_rising from an empty baseline
    assert scores["t1"] == scores["t3"] == 20 - 5  # logins_fell; usage_low holds at 0
    assert scores["d1"] == 8 + 3 + 2 - 5


def explained(built: FrozenBuild, contact_id: str) -> tuple[dict[str, dict], str]:
    import duckdb

    from orchestration.explain import explain_contact
    from orchestration.explain.render import render_explanation

    with duckdb.connect(str(built.path), read_only=True) as con:
        data = explain_contact(con, contact_id, "m")
    conditions = {c["condition_id"]: c for r in data[0]["rules"] for c in r["conditions"]}
    return conditions, render_explanation(data)


def test_explain_shows_both_windows_and_the_change(built):
    conditions, text = explained(built, "t1")
    trend = conditions["logins_fell#1"]
    assert trend["held"] is True
    assert (trend["activity_count"], trend["baseline_count"], trend["change"]) == (3, 12, -50.0)
    assert trend["text"] == (
        "login in the last 30 days against the 60 days before: fell by at least 50 % per day"
    )
    assert trend["evidence"] == (
        "3 in window (0.1 a day) against 12 in the 60 days before (0.2 a day): -50 %, "
        "needs -50 % or less"
    )
    assert "logins_fell" in text
    conditions, _ = explained(built, "t4")
    assert conditions["logins_fell#1"]["held"] is False
    assert conditions["logins_fell#1"]["evidence"].endswith("empty baseline, needs -50 % or less")


def test_explain_shows_a_sum_and_a_date(built):
    conditions, _ = explained(built, "u2")
    assert conditions["usage_50#1"]["value_sum"] == 49.5
    assert conditions["usage_50#1"]["evidence"] == "sum 49.5 of 2 matching in window, needs 50+"
    conditions, _ = explained(built, "d1")
    renewal = conditions["renewal_soon#1"]
    assert renewal["held"] is True
    assert renewal["text"] == "renewal_date within_next_days '90'"
    assert renewal["evidence"] == "value '2027-01-30' (90 days ahead)"
    assert conditions["long_customer#1"]["evidence"] == "value '2025-11-01' (365 days ago)"
    conditions, _ = explained(built, "d5")
    assert conditions["renewal_soon#1"]["evidence"].startswith("value 'next spring' (not a date")
