"""CRM export, pure parts: batching, Retry-After, scrubbing, configuration, answer parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from orchestration.config import (
    DEFAULT_HUBSPOT_BASE_URL,
    ConfigError,
    CrmConfigError,
    check_token,
    hubspot_config,
    salesforce_config,
)
from orchestration.crm import policy_from_env
from orchestration.crm.batching import batches
from orchestration.crm.common import ACCEPTED, ItemOutcome
from orchestration.crm.hubspot import batch_outcomes, property_definition
from orchestration.crm.mapping import FieldMapping
from orchestration.crm.salesforce import collection_outcomes
from orchestration.delivery import REDACTED, Scrubber, parse_retry_after

# --- batching -------------------------------------------------------------------------------


def test_batches_respect_the_size_and_keep_the_order():
    items = list(range(250))
    chunks = batches(items, 100, key=lambda i: i)
    assert [len(c) for c in chunks] == [100, 100, 50]
    assert [i for c in chunks for i in c] == items


def test_a_record_named_twice_goes_to_a_later_batch():
    items = [("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3)]
    chunks = batches(items, 10, key=lambda item: item[0])
    assert chunks == [[("a", 1), ("b", 1), ("c", 1)], [("a", 2)], [("a", 3)]]
    for chunk in chunks:
        assert len({k for k, _ in chunk}) == len(chunk)


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError):
        batches([1], 0, key=lambda i: i)


# --- Retry-After ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("0", 0.0), ("1", 1.0), (" 2.5 ", 2.5), ("-3", 0.0), ("", None), (None, None)],
)
def test_retry_after_in_seconds(header, seconds):
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date():
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=now) == pytest.approx(30)
    past = format_datetime(now - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(past, now=now) == 0.0


@pytest.mark.parametrize("header", ["soon", "inf", "nan", "Mon, 99 Foo 2026"])
def test_unreadable_retry_after_means_backoff(header):
    assert parse_retry_after(header) is None


# --- secrets --------------------------------------------------------------------------------


def test_scrubber_removes_tokens_and_their_url_encoded_form():
    token = "pat-na1-ab/cd+ef=="
    scrub = Scrubber([token, None, ""])
    text = f"Bearer {token} sent to https://x/?t=pat-na1-ab%2Fcd%2Bef%3D%3D"
    cleaned = scrub(text)
    assert token not in cleaned and "pat-na1-ab%2Fcd" not in cleaned
    assert cleaned.count(REDACTED) == 2
    assert Scrubber([])("nothing to hide") == "nothing to hide"


def test_a_bad_token_is_refused_without_quoting_it():
    with pytest.raises(CrmConfigError) as raised:
        check_token("HUBSPOT_ACCESS_TOKEN", "secret value\n")
    assert "secret" not in str(raised.value)


# --- configuration --------------------------------------------------------------------------


def test_hubspot_configuration():
    assert hubspot_config({}) is None
    config = hubspot_config({"HUBSPOT_ACCESS_TOKEN": " t0ken "})
    assert (config.base_url, config.token) == (DEFAULT_HUBSPOT_BASE_URL, "t0ken")
    sandbox = hubspot_config(
        {"HUBSPOT_ACCESS_TOKEN": "t", "HUBSPOT_BASE_URL": "http://127.0.0.1:8080/"}
    )
    assert sandbox.base_url == "http://127.0.0.1:8080"
    with pytest.raises(CrmConfigError):
        hubspot_config({"HUBSPOT_ACCESS_TOKEN": "t", "HUBSPOT_BASE_URL": "ftp://x"})
    with pytest.raises(CrmConfigError, match="HUBSPOT_BASE_URL uses plain http.*https is required"):
        hubspot_config({"HUBSPOT_ACCESS_TOKEN": "t", "HUBSPOT_BASE_URL": "http://api.hubapi.com"})


def test_salesforce_configuration():
    assert salesforce_config({}) is None
    env = {
        "SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com",
        "SALESFORCE_ACCESS_TOKEN": "00D!x",
    }
    config = salesforce_config(env)
    assert config.sobject == "Lead"
    assert config.collections_path == "/services/data/v61.0/composite/sobjects"
    contact = salesforce_config(
        {**env, "SALESFORCE_SOBJECT": "Contact", "SALESFORCE_API_VERSION": "62.0"}
    )
    assert (contact.sobject, contact.api_version) == ("Contact", "v62.0")
    with pytest.raises(CrmConfigError, match="SALESFORCE_ACCESS_TOKEN"):
        salesforce_config({"SALESFORCE_INSTANCE_URL": "https://acme.my.salesforce.com"})
    with pytest.raises(CrmConfigError):
        salesforce_config({**env, "SALESFORCE_SOBJECT": "Lead; drop"})
    plain = {**env, "SALESFORCE_INSTANCE_URL": "http://acme.my.salesforce.com"}
    with pytest.raises(CrmConfigError, match="SALESFORCE_INSTANCE_URL uses plain http"):
        salesforce_config(plain)


def test_timeouts_and_attempts_are_configurable():
    policy = policy_from_env(
        {"LEADSCORE_CRM_TIMEOUT_SECONDS": "2.5", "LEADSCORE_CRM_MAX_ATTEMPTS": "6"}
    )
    assert (policy.timeout_seconds, policy.attempts) == (2.5, 6)
    assert policy_from_env({}).timeout_seconds == 30.0
    assert policy_from_env({}).budget_seconds == 60.0
    budget = policy_from_env({"LEADSCORE_DELIVERY_BUDGET_SECONDS": "15"})
    assert budget.budget_seconds == 15.0
    with pytest.raises(ConfigError, match="LEADSCORE_DELIVERY_BUDGET_SECONDS='0' must be positive"):
        policy_from_env({"LEADSCORE_DELIVERY_BUDGET_SECONDS": "0"})
    with pytest.raises(CrmConfigError):
        policy_from_env({"LEADSCORE_CRM_TIMEOUT_SECONDS": "soon"})
    with pytest.raises(CrmConfigError):
        policy_from_env({"LEADSCORE_CRM_MAX_ATTEMPTS": "0"})


# --- HubSpot answers ------------------------------------------------------------------------


def test_hubspot_200_accepts_every_input():
    body = {"status": "COMPLETE", "results": [{"id": "1"}, {"id": "2"}]}
    assert batch_outcomes(["1", "2"], 200, body) == [ACCEPTED, ACCEPTED]


def test_hubspot_207_names_the_failed_inputs_in_context_ids():
    body = {
        "status": "COMPLETE",
        "results": [{"id": "1"}],
        "numErrors": 1,
        "errors": [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": "Could not get some CONTACT objects",
                "context": {"ids": ["2"]},
            }
        ],
    }
    outcomes = batch_outcomes(["1", "2"], 207, body)
    assert outcomes[0] == ACCEPTED
    assert outcomes[1] == ItemOutcome(False, "OBJECT_NOT_FOUND: Could not get some CONTACT objects")


def test_hubspot_email_inputs_are_matched_case_insensitively_or_by_count():
    body = {
        "results": [{"id": "901", "properties": {}}],
        "errors": [
            {"category": "OBJECT_NOT_FOUND", "message": "gone", "context": {"ids": ["B@x.com"]}}
        ],
    }
    outcomes = batch_outcomes(["a@x.com", "b@x.com"], 207, body)
    assert outcomes == [ACCEPTED, ItemOutcome(False, "OBJECT_NOT_FOUND: gone")]


def test_hubspot_results_that_do_not_account_for_an_input_fail_it():
    body = {"results": [], "errors": [{"category": "VALIDATION_ERROR", "message": "bad"}]}
    outcomes = batch_outcomes(["a@x.com"], 207, body)
    assert not outcomes[0].accepted
    assert "not confirmed" in outcomes[0].error and "bad" in outcomes[0].error


def test_property_definitions_follow_the_score_column():
    number = property_definition(FieldMapping("lead", "hubspot", "total_score", "leadscore_total"))
    assert (number["type"], number["fieldType"], number["groupName"]) == (
        "number",
        "number",
        "leadscore",
    )
    text = property_definition(FieldMapping("lead", "hubspot", "stage", "leadscore_stage"))
    assert (text["type"], text["fieldType"]) == ("string", "text")
    reasons = property_definition(FieldMapping("lead", "hubspot", "top_reasons", "r"))
    assert reasons["fieldType"] == "textarea"
    flag = property_definition(FieldMapping("lead", "hubspot", "is_excluded", "x"))
    assert flag["type"] == "bool" and {o["value"] for o in flag["options"]} == {"true", "false"}
    when = property_definition(FieldMapping("lead", "hubspot", "as_of", "w"))
    assert (when["type"], when["fieldType"]) == ("datetime", "date")


# --- Salesforce answers ---------------------------------------------------------------------


def test_salesforce_results_come_in_request_order():
    body = [
        {"id": "00Q000000000001AAA", "success": True, "errors": []},
        {
            "id": None,
            "success": False,
            "errors": [
                {
                    "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                    "message": "locked",
                    "fields": ["Lead_Score__c"],
                }
            ],
        },
    ]
    outcomes = collection_outcomes(["00Q000000000001", "00Q000000000002AAA"], body)
    assert outcomes[0] == ACCEPTED  # a 15-character id matches its 18-character form
    assert outcomes[1] == ItemOutcome(
        False, "FIELD_CUSTOM_VALIDATION_EXCEPTION: locked [Lead_Score__c]"
    )


def test_salesforce_missing_results_are_failures():
    outcomes = collection_outcomes(["a", "b"], [{"id": "a", "success": True, "errors": []}])
    assert outcomes == [ACCEPTED, ItemOutcome(False, "no result for this record")]
    assert not collection_outcomes(["a"], {"unexpected": "shape"})[0].accepted
