"""Account scores (issue 15), hand-computed: roll-ups, bands, stages, roles, email domains."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest

from tests.support.scenario import FrozenBuild, Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"


def title(text: str) -> dict:
    return {"subject": "property", "field": "job_title", "operator": "contains", "value": text}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> FrozenBuild:
    root = tmp_path_factory.mktemp("accounts")
    s = Scenario(root, root / "workspace")
    s.model("m", account_property="company", account_rollup="sum_top_2")
    s.model("m2", account_property="email_domain", account_rollup="avg")
    s.model("m3", account_property="Company")  # blank rollup: max
    view = {"subject": "activity", "field": "page_view", "operator": "any"}
    s.rule("dm", 40, title("ceo"), score_group="fit", buying_role="decision_maker")
    s.rule("champ", 25, title("manager"), score_group="fit", buying_role="Champion")
    s.rule("user", 10, title("engineer"), score_group="fit", buying_role="user")
    s.rule("eng", 5, view)
    s.rule("r2", 10, title("ceo"), model_id="m2", score_group="fit")
    s.rule("r3", 5, title("manager"), model_id="m2", score_group="fit")
    s.rule("r5", 3, view, model_id="m3", points_mode="per_occurrence")
    s.seed(
        "score_thresholds",
        [
            {"model_id": "m", "stage": "lead", "stage_rank": 1, "min_score": 0},
            {"model_id": "m", "stage": "mql", "stage_rank": 2, "min_score": 50},
            {
                "model_id": "m",
                "stage": "sql",
                "stage_rank": 3,
                "min_score": 60,
                "required_rule_id": "dm",
            },  # fmt: skip
        ],
    )
    s.seed(
        "score_bands",
        [
            {"model_id": "m", "score": "total", "band": "A", "min_score": 60},
            {"model_id": "m", "score": "total", "band": "B", "min_score": 20, "max_score": 60},
            {"model_id": "m", "score": "total", "band": "C", "max_score": 20},
        ],
    )
    s.landing(
        "contacts",
        [
            {"contact_id": "c1", "company": "Acme", "job_title": "CEO", "email": "a@acme.com"},
            {"contact_id": "c2", "company": "ACME", "job_title": "Manager", "email": "b@ACME.com"},
            {
                "contact_id": "c3",
                "company": " acme ",
                "job_title": "Engineer",
                "email": "c@acme.com",
            },  # fmt: skip
            {"contact_id": "c4", "company": "Beta", "job_title": "Engineer", "email": "d@beta.io"},
            {"contact_id": "c5", "company": "", "job_title": "CEO", "email": "e@acme.com"},
        ],
    )
    s.landing(
        "activities",
        [
            {"contact_id": c, "activity_type": "page_view", "occurred_at": "2026-10-30 10:00:00"}
            for c in ("c1", "c3", "c5")
        ],
    )
    s.build(AS_OF)
    return FrozenBuild(s, root / "frozen.duckdb")


def accounts(built: FrozenBuild, model_id: str) -> dict[str, dict]:
    rows = built.query("select * from marts.account_scores where model_id = ?", [model_id])
    return {row["account_id"]: row for row in rows}


def test_sum_of_the_top_two_with_band_stage_and_roles(built):
    acme, beta = accounts(built, "m")["acme"], accounts(built, "m")["beta"]
    # c1 = dm 40 + eng 5 = 45, c2 = champ 25, c3 = user 10 + eng 5 = 15: the top two make 70
    assert acme["account_score"] == Decimal("70.00")
    assert acme["contributing_contacts"] == "c1 45.00, c2 25.00"
    assert (acme["contact_count"], acme["engaged_contacts"], acme["counted_contacts"]) == (3, 2, 2)
    assert acme["account_band"] == "A"
    assert acme["account_stage"] == "sql"  # 70 >= 60 and c1 matched the required rule dm
    assert acme["roles_covered"] == "champion, decision_maker, user"
    assert (acme["roles_covered_count"], acme["roles_defined"]) == (3, 3)
    assert (beta["account_score"], beta["account_band"], beta["account_stage"]) == (
        Decimal("10.00"), "C", "lead",
    )  # fmt: skip
    assert beta["roles_covered"] == "user" and beta["account_name"] == "Beta"
    # c5 has no company: in no account of m
    assert (
        built.query(
            "select 1 from intermediate.int_contact_accounts "
            "where model_id = 'm' and contact_id = 'c5'"
        )
        == []
    )


def test_average_by_email_domain_and_max_by_default(built):
    by_domain = accounts(built, "m2")
    # acme.com: c1 10, c2 5 (B@ACME.com), c3 0, c5 10: (10 + 5 + 0 + 10) / 4 = 6.25
    assert by_domain["acme.com"]["account_score"] == Decimal("6.25")
    assert by_domain["acme.com"]["contact_count"] == 4
    assert by_domain["beta.io"]["account_score"] == Decimal("0.00")
    assert by_domain["acme.com"]["account_stage"] == "lead"  # no thresholds: the base stage
    best = accounts(built, "m3")["acme"]
    # c1 and c3 have 3 points each: the tie goes to the smaller contact id
    assert (best["account_score"], best["contributing_contacts"]) == (Decimal("3.00"), "c1 3.00")
    assert best["account_rollup"] == "max"


def test_explain_account_shows_how_the_score_is_made(built):
    from orchestration.explain.accounts import explain_account, render_account

    with duckdb.connect(str(built.path), read_only=True) as con:
        data = explain_account(con, "ACME", "m")
    assert [m["contact_id"] for m in data[0]["members"]] == ["c1", "c2", "c3"]
    assert [m["counted"] for m in data[0]["members"]] == [True, True, False]
    text = render_account(data)
    assert "sum of the 2 highest contact scores" in text
    assert "70.00" in text and "decision_maker" in text


def test_the_explain_command_for_accounts(built, tmp_path):
    import shutil

    from click.testing import CliRunner

    from orchestration.cli import main

    data = tmp_path / "data"
    (data / "work").mkdir(parents=True)
    shutil.copyfile(built.path, data / "work" / "build.duckdb")
    runner = CliRunner()
    ok = runner.invoke(
        main, ["--data-dir", str(data), "explain", "--account", "Acme", "--model", "m"]
    )
    assert ok.exit_code == 0, ok.output
    assert "score 70.00 = the sum of the 2 highest contact scores; band A; stage sql" in ok.output
    unknown = runner.invoke(main, ["--data-dir", str(data), "explain", "--account", "Nope"])
    assert unknown.exit_code == 1 and "no account 'Nope'" in unknown.output
    both = runner.invoke(main, ["--data-dir", str(data), "explain", "c1", "--account", "Acme"])
    assert both.exit_code == 2 and "one of them" in both.output
    assert "Traceback" not in unknown.output + both.output
