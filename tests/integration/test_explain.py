"""`leadscore explain`: every rule of a model, matched or not, with points and evidence."""

from __future__ import annotations

import hashlib
import json
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.explain import ExplainError, explain_contact, render_explanation, to_json
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"
LATER = "2026-11-20 00:00:00"


def describe_scenario(scenario: Scenario) -> Scenario:
    """Two models: alice matches some rules of `m`, misses others, decays, is capped."""
    scenario.model("m", stage_policy="follow_score", segment_property="industry", engagement_cap=25)
    scenario.model(
        "m2",
        population_property="lifecycle_stage",
        population_operator="neq",
        population_value="customer",
        total_cap=5,
    )
    scenario.rule(
        "fit_title",
        10,
        {"subject": "property", "field": "job_title", "operator": "contains", "value": "director"},
        score_group="fit",
        description="Director title",
    )
    scenario.rule(
        "fit_student",
        -4,
        {"subject": "property", "field": "job_title", "operator": "in", "value": "学生|無職"},
        score_group="fit",
    )
    scenario.rule(
        "fit_budget",
        5,
        {"subject": "property", "field": "budget", "operator": "gte", "value": "1000"},
        score_group="fit",
    )
    scenario.rule(
        "fit_not_partner",
        1,
        {"subject": "property", "field": "partner_tier", "operator": "is_not_set"},
        score_group="fit",
    )
    scenario.rule(
        "eng_visits",
        2,
        {"subject": "activity", "field": "page_view", "operator": "any", "window_days": 30},
        points_mode="per_occurrence",
        max_points=10,
    )
    scenario.rule(
        "eng_pricing",
        30,
        {
            "subject": "activity",
            "field": "page_view",
            "operator": "contains",
            "value": "/pricing",
            "window_days": 14,
        },
    )
    scenario.rule(
        "eng_demo",
        50,
        {"subject": "activity", "field": "form_submission", "operator": "eq", "value": "demo"},
    )
    scenario.rule(
        "eng_no_unsub",
        3,
        {"subject": "activity", "field": "email_unsubscribe", "operator": "any", "max_count": 0},
    )
    scenario.rule(
        "eng_webinar",
        20,
        {"subject": "activity", "field": "webinar_registration", "operator": "any"},
    )
    scenario.rule(
        "eng_disabled",
        99,
        {"subject": "activity", "field": "page_view", "operator": "any"},
        {"subject": "property", "field": "job_title", "operator": "is_set"},
        enabled="false",
    )
    scenario.rule(
        "m2_visits",
        8,
        {"subject": "activity", "field": "page_view", "operator": "any"},
        model_id="m2",
    )
    scenario.seed(
        "score_decay",
        [
            {"model_id": "m", "decay_id": "step_30d", "kind": "step", "days": 30, "percent": 50},
            {
                "model_id": "m",
                "decay_id": "no_open_30d",
                "kind": "inactivity",
                "activity_type": "email_open",
                "days": 30,
                "points": -10,
                "description": "No e-mail open for 30 days",
            },
            {
                "model_id": "m",
                "decay_id": "unopened_60d",
                "kind": "unopened_email",
                "days": 60,
                "points": -5,
            },
        ],
    )
    scenario.seed(
        "score_thresholds",
        [
            {"model_id": "m", "segment": "*", "stage": "mql", "stage_rank": 1, "min_score": 5},
            {"model_id": "m", "segment": "*", "stage": "sql", "stage_rank": 2, "min_score": 30},
            {
                "model_id": "m",
                "segment": "Software",
                "stage": "sql",
                "stage_rank": 2,
                "min_score": 50,
            },
        ],
    )
    scenario.seed(
        "score_bands",
        [
            {"model_id": "m", "score": "fit", "band": "F1", "min_score": 10},
            {"model_id": "m", "score": "fit", "band": "F2", "max_score": 10},
            {"model_id": "m", "score": "engagement", "band": "E1", "min_score": 20},
            {"model_id": "m", "score": "engagement", "band": "E2", "max_score": 20},
        ],
    )
    scenario.seed(
        "stage_exclusions",
        [
            {
                "model_id": "m",
                "exclusion_id": "ex_customer",
                "property": "lifecycle_stage",
                "operator": "eq",
                "value": "customer",
                "reason": "Existing customer",
            },
            {
                "model_id": "m",
                "exclusion_id": "ex_partner",
                "property": "partner_tier",
                "operator": "is_set",
                "reason": "Partner",
            },
        ],
    )
    scenario.seed(
        "feedback_rules",
        [
            {"model_id": "m", "feedback": "not_ready", "points": -3, "max_stage": "lead"},
            {"model_id": "m", "feedback": "true_sql", "points": 0, "stage_override": "sql"},
        ],
    )
    scenario.landing(
        "contacts",
        [
            {
                "contact_id": "alice",
                "job_title": "Sales Director",
                "industry": "Software",
                "created_at": "2026-01-01",
            },
            {
                "contact_id": "bob",
                "job_title": "学生",
                "lifecycle_stage": "customer",
                "partner_tier": "gold",
                "industry": "Retail",
                "created_at": "2026-10-01",
            },
            {"contact_id": "carol"},
        ],
    )
    page_views = [
        {
            "contact_id": "alice",
            "activity_type": "page_view",
            "occurred_at": f"2026-10-20 0{i}:00:00",
            "target": "/blog/a",
        }
        for i in range(6)
    ]
    scenario.landing(
        "activities",
        [
            *page_views,
            {
                "contact_id": "alice",
                "activity_type": "page_view",
                "occurred_at": "2026-10-27 10:00:00",
                "target": "/pricing",
            },
            {
                "contact_id": "alice",
                "activity_type": "page_view",
                "occurred_at": "2026-09-01",
                "target": "/blog/old",
            },
            {
                "contact_id": "alice",
                "activity_type": "webinar_registration",
                "occurred_at": "2026-09-20",
                "target": "w1",
            },
            {
                "contact_id": "alice",
                "activity_type": "form_submission",
                "occurred_at": "2026-10-10",
                "target": "newsletter",
            },
            {
                "contact_id": "alice",
                "activity_type": "email_sent",
                "occurred_at": "2026-08-01",
                "target": "e1",
            },
            {
                "contact_id": "alice",
                "activity_type": "email_sent",
                "occurred_at": "2026-08-01",
                "target": "e2",
            },
            {
                "contact_id": "alice",
                "activity_type": "email_open",
                "occurred_at": "2026-08-02",
                "target": "e1",
            },
            {
                "contact_id": "bob",
                "activity_type": "email_unsubscribe",
                "occurred_at": "2026-10-01",
                "target": "e1",
            },
            {
                "contact_id": "bob",
                "activity_type": "page_view",
                "occurred_at": "2026-10-25",
                "target": "/blog/a",
            },
        ],
    )
    scenario.landing(
        "sales_feedback",
        [
            {
                "contact_id": "alice",
                "feedback": "true_sql",
                "given_at": "2026-10-01",
                "model_id": "m",
                "given_by": "sam",
            },
            {
                "contact_id": "alice",
                "feedback": "not_ready",
                "given_at": "2026-10-28 09:00:00",
                "model_id": "m",
                "given_by": "sam",
                "note": "budget next year",
            },
        ],
    )
    return scenario


@pytest.fixture(scope="module")
def built(tmp_path_factory, dbt_workspace) -> Path:
    """The scenario scored once as of AS_OF, copied to `<data>/work/build.duckdb` for the CLI."""
    scenario = describe_scenario(Scenario(tmp_path_factory.mktemp("explain"), dbt_workspace))
    scenario.build(AS_OF)
    data_dir = tmp_path_factory.mktemp("explain_data")
    (data_dir / "work").mkdir()
    shutil.copy2(scenario.db_path, data_dir / "work" / "build.duckdb")
    return data_dir


def db_path(data_dir: Path) -> Path:
    return data_dir / "work" / "build.duckdb"


def explain(data_dir: Path, contact_id: str, model_id: str | None = None) -> list[dict]:
    with duckdb.connect(str(db_path(data_dir)), read_only=True) as con:
        return explain_contact(con, contact_id, model_id)


def breakdown_total(data_dir: Path, contact_id: str, model_id: str) -> Decimal:
    with duckdb.connect(str(db_path(data_dir)), read_only=True) as con:
        return con.execute(
            "select coalesce(sum(points), 0) from marts.score_breakdown "
            "where model_id = ? and contact_id = ?",
            [model_id, contact_id],
        ).fetchone()[0]


def test_every_rule_is_listed_with_points_and_evidence(built):
    [m] = explain(built, "alice", "m")
    rules = {rule["rule_id"]: rule for rule in m["rules"]}
    # Every rule of the model, fit first, disabled ones too; m2's rule is not listed.
    assert list(rules) == [
        "fit_title",
        "fit_student",
        "fit_budget",
        "fit_not_partner",
        "eng_visits",
        "eng_pricing",
        "eng_demo",
        "eng_no_unsub",
        "eng_webinar",
        "eng_disabled",
    ]
    assert {r for r, rule in rules.items() if rule["matched"]} == {
        "fit_title",
        "fit_not_partner",
        "eng_visits",
        "eng_pricing",
        "eng_no_unsub",
        "eng_webinar",
    }
    assert rules["eng_disabled"]["status"] == "disabled"
    assert [c["held"] for c in rules["eng_disabled"]["conditions"]] == [None, None]
    assert rules["fit_student"]["status"] == "not matched"

    points = {r: (rule["points"], rule["raw_points"]) for r, rule in rules.items()}
    assert points["fit_title"] == (Decimal("10.00"), Decimal("10.00"))
    assert points["eng_visits"] == (Decimal("10.00"), Decimal("10.00"))  # 7 x 2, max 10
    assert points["eng_webinar"] == (Decimal("10.00"), Decimal("20.00"))  # step -50 %
    assert points["eng_demo"] == (Decimal("0.00"), Decimal("0.00"))

    # Property evidence: the contact's value, or "not set".
    [title] = rules["fit_title"]["conditions"]
    assert title["held"] is True and title["property_value"] == "Sales Director"
    [budget] = rules["fit_budget"]["conditions"]
    assert budget["held"] is False and budget["property_value"] is None
    assert budget["evidence"] == "not set"
    [partner] = rules["fit_not_partner"]["conditions"]
    assert partner["held"] is True and partner["evidence"] == "not set"

    # Activity evidence: count inside the window vs bounds, and the newest one.
    [visits] = rules["eng_visits"]["conditions"]
    assert (visits["activity_count"], visits["all_time_count"]) == (7, 8)
    assert visits["last_activity_target"] == "/pricing"
    assert "7 matching in window (8 all time), needs 1+" in visits["evidence"]
    assert rules["eng_visits"]["activity_count"] == 7
    [demo] = rules["eng_demo"]["conditions"]
    assert demo["held"] is False and demo["activity_count"] == 0
    [unsub] = rules["eng_no_unsub"]["conditions"]
    assert unsub["held"] is True and "needs none" in unsub["evidence"]

    decay = {item["decay_id"]: item for item in m["decay"]}
    assert decay["no_open_30d"]["applied"] is True
    assert decay["no_open_30d"]["points"] == Decimal("-10.00")
    assert decay["unopened_60d"]["points"] == Decimal("-5.00")
    assert decay["unopened_60d"]["activity_count"] == 1
    assert decay["step_30d"]["applied"] is None
    assert m["rule_decay_points"] == Decimal("-10.00")

    caps = {cap["cap"]: cap for cap in m["caps"]}
    assert caps["cap:engagement"]["points"] == Decimal("-13.00")  # 63 - 25 = 38 -> 25
    assert caps["cap:engagement"]["before"] == Decimal("38.00")
    assert not caps["cap:fit"]["applied"] and not caps["cap:total"]["applied"]

    feedback = m["feedback"]
    assert (feedback["feedback"], feedback["given_by"], feedback["points"]) == (
        "not_ready",
        "sam",
        Decimal("-3.00"),
    )
    assert feedback["max_stage"] == "lead"
    assert [f["feedback"] for f in m["other_feedback"]] == ["true_sql"]

    scores = m["scores"]
    assert (scores["fit_score"], scores["engagement_raw"], scores["decay_points"]) == (
        Decimal("11.00"),
        Decimal("63.00"),
        Decimal("-25.00"),
    )
    assert (scores["engagement_score"], scores["total_score"]) == (
        Decimal("25.00"),
        Decimal("33.00"),
    )
    assert scores["matrix_label"] == "F1E1"

    stage = m["stage"]
    assert (stage["segment"], stage["segment_value"]) == ("software", "Software")
    assert stage["threshold_stage"] == "mql"  # the Software sql row (50) is not met
    assert "(segment *)" in stage["threshold_reason"]
    assert {(t["stage"], t["segment"], t["holds"]) for t in stage["thresholds"]} == {
        ("mql", "*", True),
        ("sql", "software", False),
    }
    assert stage["stage"] == "lead" and "not_ready" in stage["stage_reason"]
    assert not stage["is_excluded"]


def test_points_sum_to_total_for_every_contact_and_model(built):
    models = {}
    for contact_id in ("alice", "bob", "carol"):
        for explanation in explain(built, contact_id):
            models.setdefault(contact_id, []).append(explanation["model_id"])
            total = explanation["scores"]["total_score"]
            assert explanation["contribution_sum"] == total
            assert breakdown_total(built, contact_id, explanation["model_id"]) == total
    assert models == {"alice": ["m", "m2"], "bob": ["m"], "carol": ["m", "m2"]}
    [_, m2] = explain(built, "alice")
    assert {cap["cap"]: cap["points"] for cap in m2["caps"]}["cap:total"] == Decimal("-3.00")
    assert m2["population"]["held"] is True


def test_exclusion_population_and_unknown_ids(built):
    [bob] = explain(built, "bob")
    stage = bob["stage"]
    assert (stage["stage"], stage["exclusion_id"]) == ("excluded", "ex_customer")
    assert [(e["exclusion_id"], e["held"]) for e in stage["exclusions"]] == [
        ("ex_customer", True),
        ("ex_partner", True),
    ]
    rules = {rule["rule_id"]: rule for rule in bob["rules"]}
    assert rules["fit_not_partner"]["conditions"][0]["evidence"] == "value 'gold'"
    assert rules["eng_no_unsub"]["matched"] is False  # 1 unsubscribe > max_count 0
    with pytest.raises(ExplainError, match="not in the population of model 'm2'"):
        explain(built, "bob", "m2")
    with pytest.raises(ExplainError, match="unknown contact 'nobody'"):
        explain(built, "nobody")
    with pytest.raises(ExplainError, match="unknown model 'nope'"):
        explain(built, "alice", "nope")


def test_rendered_text_is_plain_tables(built):
    text = render_explanation(explain(built, "alice"))
    assert "\x1b[" not in text
    assert max(len(line) for line in text.splitlines()) <= 160
    for rule_id in ("fit_budget", "eng_disabled", "m2_visits", "cap:engagement", "no_open_30d"):
        assert rule_id in text
    assert "disabled" in text and "not set" in text
    assert "sum of contributions 33.00 = total_score 33.00" in text


def test_cli_text_json_and_errors(built):
    runner = CliRunner()
    base = ["--data-dir", str(built), "explain"]
    # the default is a summary: scores, stage and why, the matched rules
    result = runner.invoke(main, [*base, "alice", "--model", "m"], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "fit_budget" not in result.stdout and "mql" in result.stdout
    assert "Matched rules" in result.stdout and "--full` shows every rule" in result.stdout
    full = runner.invoke(main, [*base, "alice", "--model", "m", "--full"], env={"COLUMNS": "160"})
    assert full.exit_code == 0, full.output
    assert max(len(line) for line in full.stdout.splitlines()) <= 160
    assert "fit_budget" in full.stdout and "Rules (every rule of the model)" in full.stdout
    assert len(full.stdout.splitlines()) > len(result.stdout.splitlines())

    result = runner.invoke(main, [*base, "alice", "--json", "--as-of", "2026-11-01"])
    assert result.exit_code == 0, result.output
    assert "replaying" not in result.output  # the build's own as-of: read, not rebuilt
    document = json.loads(result.stdout)
    expected = json.loads(to_json(explain(built, "alice")))
    assert document == expected
    assert [d["model_id"] for d in document] == ["m", "m2"]
    m = document[0]
    assert m["scores"]["total_score"] == 33.0
    assert sum(r["points"] for r in m["rules"]) + sum(d["points"] for d in m["decay"]) + sum(
        c["points"] for c in m["caps"]
    ) + m["feedback"]["points"] == pytest.approx(m["scores"]["total_score"])

    for args, message in (
        (["nobody"], "unknown contact 'nobody'"),
        (["alice", "--model", "nope"], "unknown model 'nope'"),
        (["bob", "--model", "m2"], "not in the population"),
    ):
        result = runner.invoke(main, [*base, *args])
        assert result.exit_code == 1
        assert message in result.output


def test_cli_as_of_replay_leaves_the_build_unchanged(built):
    digest = hashlib.sha256(db_path(built).read_bytes()).hexdigest()
    result = CliRunner().invoke(
        main,
        ["--data-dir", str(built), "explain", "alice", "--model", "m", "--json", "--as-of", LATER],
    )
    assert result.exit_code == 0, result.output
    [m] = json.loads(result.stdout)
    assert m["as_of"] == LATER
    rules = {rule["rule_id"]: rule for rule in m["rules"]}
    # 19 days later: the /pricing view left its 14-day window, 6 of 7 views left the 30-day one.
    assert rules["eng_pricing"]["matched"] is False
    assert rules["eng_pricing"]["conditions"][0]["all_time_count"] == 1
    assert rules["eng_visits"]["points"] == 2.0
    assert m["scores"]["total_score"] == 8.0  # 11 fit + (25 - 25 decay) - 3 feedback
    assert m["contribution_sum"] == m["scores"]["total_score"]

    assert hashlib.sha256(db_path(built).read_bytes()).hexdigest() == digest
    [original] = explain(built, "alice", "m")
    assert str(original["as_of"]) == AS_OF
    assert original["scores"]["total_score"] == Decimal("33.00")
