"""Incremental builds equal full refreshes: new files, duplicates across files, replaced files."""

from __future__ import annotations

import duckdb
import pytest

from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

DAY_1 = "2026-11-01 00:00:00"
DAY_2 = "2026-11-02 00:00:00"
DAY_3 = "2026-11-03 00:00:00"

ACTIVITY_COLUMNS = "contact_id, activity_type, occurred_at, source_activity_id, target, value"
STAGED = (
    f"select activity_id, {ACTIVITY_COLUMNS}, target_norm, source_load_seq, source_file, "
    f"source_row_number from staging.stg_activities order by {ACTIVITY_COLUMNS}"
)
SNAPSHOTS = {
    "staged": STAGED,
    "scores": "select * from marts.contact_scores order by model_id, contact_id",
    "breakdown": "select * from marts.score_breakdown order by model_id, contact_id, "
    "contribution_id",
    "quarantine": "select * exclude (raw_row) from ops.quarantine order by all",
    "contacts": "select * from staging.stg_contacts order by contact_id",
    "properties": "select * from staging.stg_contact_properties order by all",
}


def act(contact_id: str, activity_type: str, occurred_at: str, **columns: str) -> dict:
    row = {"contact_id": contact_id, "activity_type": activity_type, "occurred_at": occurred_at}
    return row | {"target": "", "value": "", "activity_id": ""} | columns


def setup_rules(s: Scenario) -> None:
    s.model("m")
    s.seed(
        "score_decay",
        [{"model_id": "m", "decay_id": "views_half_life", "kind": "half_life", "days": 10}],
    )
    views = {"subject": "activity", "field": "page_view", "operator": "any"}
    s.rule("view_each", 2, views, points_mode="per_occurrence")
    s.rule(
        "pricing_recent",
        10,
        {
            "subject": "activity",
            "field": "page_view",
            "operator": "contains",
            "value": "pricing",
            "window_days": 2,
        },
    )
    s.rule("open_each", 3, {"subject": "activity", "field": "email_open", "operator": "any"})
    s.rule(
        "in_tokyo",
        5,
        {"subject": "property", "field": "city", "operator": "eq", "value": "Tokyo"},
        score_group="fit",
    )
    s.landing(
        "contacts",
        [{"contact_id": c, "city": "Osaka"} for c in ("a", "b", "c", "d")],
        name="contacts",
    )


def snapshot(s: Scenario) -> dict[str, list[dict]]:
    return {name: s.query(sql) for name, sql in SNAPSHOTS.items()}


def assert_equals_full_refresh(s: Scenario, as_of: str) -> dict[str, list[dict]]:
    """Build incrementally, then --full-refresh on the same inputs: every snapshot is equal."""
    s.build(as_of)
    incremental = snapshot(s)
    s.build(as_of, full_refresh=True)
    assert snapshot(s) == incremental
    return incremental


def test_incremental_builds_equal_full_refreshes(scenario):
    setup_rules(scenario)
    scenario.landing(
        "activities",
        [
            act("a", "page_view", "2026-10-30T10:00:00", target="/pricing"),
            act("a", "page_view", "2026-10-30T10:00:00", target="/pricing"),  # same file dup
            act("a", "email_open", "2026-10-20T08:00:00", target="news-1"),
            act("b", "page_view", "2026-10-01T00:00:00"),
            act("b", "page_view", "2026-10-01T00:00:00", value="30"),  # differs: value
        ],
        name="day1_a",
    )
    scenario.landing(
        "activities",
        [
            act("a", "email_open", "2026-10-20T08:00:00", target="news-1"),  # dup of day1_a
            act("c", "Page_View ", "2026-10-31T12:00:00", target="/docs"),
            act("ghost", "page_view", "2026-10-31T12:00:00"),  # unknown contact
        ],
        name="day1_b",
    )
    first = assert_equals_full_refresh(scenario, DAY_1)
    assert len(first["staged"]) == 6  # 8 rows, two exact duplicates
    assert {r["contact_id"] for r in first["scores"]} == {"a", "b", "c", "d"}
    opens = [r for r in first["staged"] if r["activity_type"] == "email_open"]
    assert [r["source_file"] for r in opens] == ["activities/day1_a.csv"]  # first seen

    # Day 2: a new file with rows already staged, new rows, and a future-dated row.
    scenario.landing(
        "activities",
        [
            act("c", "page_view", "2026-10-31T12:00:00", target="/docs"),  # dup of day1_b
            act("d", "page_view", "2026-11-01T09:00:00", target="/pricing"),
            act("d", "page_view", "2026-11-01T09:00:00", target="/pricing"),
            act("d", "email_open", "2026-11-01T10:00:00", target="news-2", activity_id="e-1"),
            act("b", "page_view", "2026-11-05T00:00:00"),  # after DAY_2: quarantined
        ],
        name="day2",
    )
    scenario.landing(
        "contacts",
        [{"contact_id": "d", "city": "Tokyo"}, {"contact_id": "e", "city": "Tokyo"}],
        name="contacts_day2",
    )
    second = assert_equals_full_refresh(scenario, DAY_2)
    assert {r["contact_id"]: r["fit_score"] for r in second["scores"]} == {
        "a": 0,
        "b": 0,
        "c": 0,
        "d": 5,
        "e": 5,
    }
    assert len(second["staged"]) == 9
    by_contact = {r["contact_id"]: r for r in second["scores"]}
    assert by_contact["d"]["engagement_raw"] > 0
    assert any("after as_of" in r["reason"] for r in second["quarantine"])

    # Day 3: day1_a is replaced: its rows are gone, a row it shared with day1_b stays (now
    # first seen in day1_b), and a row it gains is new.
    scenario.landing(
        "activities",
        [
            act("b", "page_view", "2026-10-01T00:00:00", value="30"),
            act("a", "email_open", "2026-11-02T08:00:00", target="news-3"),
        ],
        name="day1_a",
    )
    third = assert_equals_full_refresh(scenario, DAY_3)
    assert len(third["staged"]) == 8
    opens = [r for r in third["staged"] if r["target"] == "news-1"]
    assert [r["source_file"] for r in opens] == ["activities/day1_b.csv"]
    assert not [r for r in third["staged"] if r["target"] == "/pricing" and r["contact_id"] == "a"]


def test_new_files_append_and_a_replaced_file_rebuilds(scenario):
    """Staged rows are kept as they are unless a file behind them was replaced."""
    setup_rules(scenario)
    scenario.landing(
        "activities",
        [act("a", "page_view", "2026-10-30T10:00:00"), act("b", "email_open", "2026-10-29")],
        name="day1",
    )
    scenario.build(DAY_1)
    before = snapshot(scenario)
    scenario.build(DAY_1)
    assert snapshot(scenario) == before  # nothing new: nothing added

    def mark_staged_rows() -> None:  # a marker only a rebuild of the table would remove
        with duckdb.connect(str(scenario.db_path)) as con:
            con.execute("update staging.stg_activities set target_norm = 'kept'")

    def markers() -> list[str | None]:
        return [r["target_norm"] for r in scenario.query(STAGED)]

    def contact_markers() -> list[str | None]:
        return [r["email"] for r in scenario.query(SNAPSHOTS["contacts"])]

    mark_staged_rows()
    with duckdb.connect(str(scenario.db_path)) as con:
        con.execute("update staging.stg_contacts set email = 'kept'")
    scenario.landing("activities", [act("c", "page_view", "2026-10-31")], name="day2")
    scenario.build(DAY_2)
    assert markers() == ["kept", "kept", None]  # appended, not rebuilt
    assert contact_markers() == ["kept"] * 4  # no contact file changed: kept as it was
    scenario.landing("contacts", [{"contact_id": "e"}], name="contacts_day2")
    scenario.build(DAY_2)
    assert contact_markers() == [None] * 5  # a new contact file: rebuilt whole

    scenario.landing("activities", [act("a", "page_view", "2026-10-30T10:00:00")], name="day1")
    scenario.build(DAY_3)
    assert markers() == [None, None]  # day1 was replaced: rebuilt whole
