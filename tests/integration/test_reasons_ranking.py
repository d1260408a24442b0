"""What sales reads (issue 16): reasons in the analysts' words within CRM limits, and a ranking
that breaks ties (total, then engagement before its cap, then the newest activity)."""

from __future__ import annotations

import pytest

from tests.support.scenario import FrozenBuild, Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"
LONG_JA = "長い説明の文章" * 50  # 350 characters
HUNDRED = "x" * 96  # a description of 100 characters with its points


def did(activity_type: str) -> dict:
    return {"subject": "activity", "field": activity_type, "operator": "any"}


def acts(contact_id: str, *types: str, at: str = "2026-10-20 10:00:00") -> list[dict]:
    return [{"contact_id": contact_id, "activity_type": t, "occurred_at": at} for t in types]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> FrozenBuild:
    root = tmp_path_factory.mktemp("reasons")
    s = Scenario(root, root / "workspace")
    s.model("m", engagement_cap=30)
    s.rule("demo", 20, did("demo_request"), description="デモを申し込んだ / Requested a demo")
    s.rule("webinar", 15, did("webinar_attended"), description="Attended a webinar")
    s.rule("visit", 5, did("page_view"))  # no description: its id
    s.rule("blog", 3, did("blog_read"), description="Read the blog")
    s.rule("unsub", -10, did("email_unsubscribe"), description="Unsubscribed / 配信停止")
    s.rule("bounce", -5, did("email_bounce"))
    s.rule("long", 1, did("long_read"), description=LONG_JA, score_group="fit")
    for n in (1, 2, 3):
        s.rule(f"w{n}", 10 - n, did(f"w{n}"), description=f"{n}{HUNDRED}", score_group="fit")
    s.seed(
        "stage_exclusions",
        [{"model_id": "m", "exclusion_id": "staff", "property": "employee", "operator": "eq",
          "value": "yes", "reason": "Our own staff"}],
    )  # fmt: skip
    contacts = ["c1", "c2", "c3", "c4", "c5", "c_long", "c_many", "c_ex"]
    s.landing(
        "contacts",
        [{"contact_id": c, "employee": "yes" if c == "c_ex" else ""} for c in contacts],
    )
    s.landing(
        "activities",
        acts("c1", "demo_request", "webinar_attended", "page_view", "blog_read")
        + acts("c1", "email_unsubscribe")
        + acts("c2", "demo_request", "webinar_attended", "blog_read")
        + acts("c3", "demo_request", "webinar_attended")
        + acts("c4", "demo_request", "email_bounce", at="2026-10-01 10:00:00")
        + acts("c5", "demo_request", "email_bounce", at="2026-10-02 10:00:00")
        + acts("c_long", "long_read")
        + acts("c_many", "w1", "w2", "w3")
        + acts("c_ex", "demo_request", "webinar_attended", "blog_read", "page_view"),
    )
    s.build(AS_OF)
    return FrozenBuild(s, root / "frozen.duckdb")


def scores(built: FrozenBuild) -> dict[str, dict]:
    rows = built.query("select * from marts.contact_scores where model_id = 'm'")
    return {row["contact_id"]: row for row in rows}


def test_reasons_read_as_the_analysts_wrote_them(built):
    reasons = {c: row["top_reasons"] for c, row in scores(built).items()}
    # strongest positives first (a blank description falls back to the id), then the cap as a
    # note, then the largest negatives: never the cap first
    assert reasons["c1"] == (
        "デモを申し込んだ / Requested a demo +20; Attended a webinar +15; visit +5; "
        "engagement capped at 30; Unsubscribed / 配信停止 -10"
    )
    assert reasons["c4"] == "デモを申し込んだ / Requested a demo +20; bounce -5"


def test_reasons_fit_a_crm_text_field_without_cutting_a_character(built):
    reasons = {c: row["top_reasons"] for c, row in scores(built).items()}
    # whole reasons only: two 100-character reasons fit in 255, the third does not
    assert reasons["c_many"] == f"1{HUNDRED} +9; 2{HUNDRED} +8"
    # one reason longer than 255 characters is cut at a character, with an ellipsis
    assert len(reasons["c_long"]) == 255 and reasons["c_long"].endswith("…")
    assert reasons["c_long"][:-1] == f"{LONG_JA} +1"[:254]
    assert all(len(text) <= 255 for text in reasons.values())


def test_the_ranking_breaks_ties_meaningfully(built):
    rows = scores(built)
    order = sorted(rows, key=lambda c: rows[c]["score_rank"])
    # c1, c2 and c3 all total 30 (capped); before the cap c2 had 38, c3 35, c1 33.
    # c4 and c5 both total 15: c5's activity is newer. The excluded contact comes last.
    assert order == ["c2", "c3", "c1", "c_many", "c5", "c4", "c_long", "c_ex"]
    assert [rows[c]["total_score"] for c in ("c2", "c3", "c1")] == [30, 30, 30]
    # the excluded contact's engagement before the cap (43) is the highest of all
    assert (
        rows["c_ex"]["is_excluded"]
        and rows["c_ex"]["engagement_raw"] > rows["c2"]["engagement_raw"]
    )
