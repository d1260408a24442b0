"""CRM export on a real dbt build: the marts and staging.stg_crm_field_map as dbt makes them."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.crm import ExportPolicy, run_crm_exports
from tests.support.crm_servers import FakeHubSpot, FakeSalesforce
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"
HUBSPOT_TOKEN = "pat-na1-DBT-TEST-SECRET"
SALESFORCE_TOKEN = "00D!DBT-TEST-SECRET"


def test_exports_read_what_dbt_builds(scenario: Scenario, tmp_path):
    scenario.model("m")
    scenario.rule(
        "fit_director",
        40,
        {"subject": "property", "field": "job_title", "operator": "contains", "value": "director"},
        score_group="fit",
    )
    scenario.seed(
        "score_thresholds",
        [{"model_id": "m", "segment": "*", "stage": "mql", "stage_rank": 1, "min_score": 30}],
    )
    scenario.seed(
        "stage_exclusions",
        [
            {
                "model_id": "m",
                "exclusion_id": "competitor",
                "property": "company",
                "operator": "eq",
                "value": "Rival",
                "reason": "competitor",
            }
        ],
    )
    scenario.seed(
        "crm_field_map",
        [
            {
                "model_id": "m",
                "target": "hubspot",
                "score_column": "total_score",
                "crm_field": "ls_total",
            },
            {
                "model_id": "m",
                "target": "hubspot",
                "score_column": "stage",
                "crm_field": "ls_stage",
            },
            {
                "model_id": "m",
                "target": "HubSpot",
                "score_column": "lifecycle_stage",
                "crm_field": "lifecyclestage",
            },
            {
                "model_id": "m",
                "target": "salesforce",
                "score_column": "total_score",
                "crm_field": "Score__c",
            },
        ],
    )
    scenario.landing(
        "contacts",
        [
            {
                "contact_id": "alice",
                "email": "alice@example.com",
                "job_title": "Director",
                "hubspot_id": "1",
                "salesforce_id": "00Q000000000001",
            },
            {
                "contact_id": "bob",
                "email": "bob@rival.example",
                "job_title": "Director",
                "company": "Rival",
            },
            {"contact_id": "carol", "email": "carol@example.com", "job_title": "Engineer"},
        ],
    )
    scenario.build(AS_OF)
    portal = {"1": "alice@example.com", "2": "bob@rival.example", "3": "carol@example.com"}
    with (
        FakeHubSpot(HUBSPOT_TOKEN, portal, properties=["ls_total", "ls_stage"]) as hubspot,
        FakeSalesforce(SALESFORCE_TOKEN, ["00Q000000000001"], fields=["Score__c"]) as salesforce,
    ):
        env = {
            "HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN,
            "HUBSPOT_BASE_URL": hubspot.url,
            "SALESFORCE_INSTANCE_URL": salesforce.url,
            "SALESFORCE_ACCESS_TOKEN": SALESFORCE_TOKEN,
        }
        policy = ExportPolicy(sleep=lambda seconds: None)
        with duckdb.connect(str(scenario.db_path)) as con:
            summary = run_crm_exports(con, tmp_path / "outbox", env=env, policy=policy)
            again = run_crm_exports(con, tmp_path / "outbox", env=env, policy=policy)
    assert (summary.hubspot.sent, summary.salesforce.sent, summary.outbox.sent) == (3, 1, 3)
    assert again.sent == 0 and again.success
    assert hubspot.contacts["1"] == {
        "email": "alice@example.com",
        "ls_total": "40",
        "ls_stage": "mql",
        "lifecyclestage": "marketingqualifiedlead",
    }
    assert hubspot.contacts["2"]["ls_stage"] == "excluded"
    assert "lifecyclestage" not in hubspot.contacts["2"]
    assert hubspot.contacts["3"]["lifecyclestage"] == "lead"
    assert salesforce.records["00Q000000000001"] == {"Score__c": 40}
