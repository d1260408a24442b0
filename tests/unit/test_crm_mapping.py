"""CRM export, pure parts: field map, value formats, lifecycle stages, fingerprints, summary.

Planning (change detection in DuckDB) is tested in test_crm_planning.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from orchestration.crm.export import ExportSummary, TargetSummary
from orchestration.crm.mapping import (
    DEFAULT_FIELD_MAP,
    HUBSPOT,
    OUTBOX,
    OUTBOX_COLUMNS,
    SALESFORCE,
    FieldMapping,
    export_stage,
    fields_by_model,
    format_number,
    json_value,
    lifecycle_value,
    mapped_values,
    normalize_field_map,
    outbox_values,
    text_value,
    values_hash,
)
from tests.support.crm_rows import SEED_MAP, row

# --- field map ------------------------------------------------------------------------------


def test_the_shipped_field_map_holds_the_contract_defaults():
    hubspot = {(m.model_id, m.score_column): m.crm_field for m in SEED_MAP if m.target == HUBSPOT}
    assert hubspot[("lead", "total_score")] == "leadscore_total"
    assert hubspot[("lead", "stage")] == "leadscore_stage"
    assert hubspot[("lead", "lifecycle_stage")] == "lifecyclestage"
    salesforce = {
        (m.model_id, m.score_column): m.crm_field for m in SEED_MAP if m.target == SALESFORCE
    }
    assert salesforce[("lead", "total_score")] == "Lead_Score__c"
    assert salesforce[("lead", "stage")] == "Lead_Stage__c"
    defaults = {(m.target, m.score_column): m.crm_field for m in DEFAULT_FIELD_MAP}
    for mapping in SEED_MAP:
        if mapping.model_id == "lead" and (mapping.target, mapping.score_column) in defaults:
            assert defaults[(mapping.target, mapping.score_column)] == mapping.crm_field


def test_field_map_rows_are_normalized_like_staging():
    rows = [
        {
            "model_id": " Lead ",
            "target": "HubSpot",
            "score_column": "Total_Score ",
            "crm_field": " X_y ",
        },
        {
            "model_id": "lead",
            "crm_target": "salesforce",
            "score_column": "stage",
            "crm_field": "S__c",
        },
        {"model_id": "lead", "target": "pipedrive", "score_column": "stage", "crm_field": "s"},
        {"model_id": "lead", "target": "hubspot", "score_column": "stage", "crm_field": "  "},
    ]
    assert normalize_field_map(rows) == [
        FieldMapping("lead", "hubspot", "total_score", "X_y"),
        FieldMapping("lead", "salesforce", "stage", "S__c"),
    ]


def test_other_models_export_under_their_own_names():
    grouped = fields_by_model(SEED_MAP, HUBSPOT)
    cross_sell = mapped_values(row(model_id="cross_sell"), grouped["cross_sell"], HUBSPOT)
    assert set(cross_sell) == {
        "leadscore_cross_sell_total",
        "leadscore_cross_sell_stage",
        "leadscore_cross_sell_band",
        "leadscore_cross_sell_reasons",
    }
    assert "lifecyclestage" not in cross_sell  # only written when mapped


# --- values ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("42.50"), "42.5"),
        (Decimal("100.00"), "100"),
        (Decimal("-0.00"), "0"),
        (Decimal("1E+3"), "1000"),
        (1e-7, "0.0000001"),
        (7, "7"),
        (-12.25, "-12.25"),
        (float("nan"), ""),
    ],
)
def test_numbers_are_plain_decimal_text(value, text):
    assert format_number(value) == text


def test_hubspot_and_outbox_values_are_text_and_salesforce_values_are_typed():
    instant = datetime(2026, 11, 1, 9, 30, 15, 123456)
    assert text_value(None) == ""
    assert text_value(True) == "true"
    assert text_value(Decimal("3.10")) == "3.1"
    assert text_value(instant) == "2026-11-01T09:30:15.123Z"
    aware = datetime(2026, 11, 1, 18, 30, tzinfo=timezone(timedelta(hours=9)))
    assert text_value(aware) == "2026-11-01T09:30:00.000Z"
    assert json_value(Decimal("42.50")) == 42.5
    assert json_value(Decimal("42.00")) == 42
    assert isinstance(json_value(Decimal("42.00")), int)
    assert json_value(None) is None
    assert json_value(False) is False
    assert json_value(instant.replace(tzinfo=UTC)) == "2026-11-01T09:30:15.123Z"
    assert json_value("役職 +4") == "役職 +4"


# --- lifecycle and exclusions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "hubspot", "salesforce"),
    [
        ("lead", "lead", "Lead"),
        ("mql", "marketingqualifiedlead", "MQL"),
        ("SQL", "salesqualifiedlead", "SQL"),
        ("unqualified", None, None),
        ("excluded", None, None),
        ("customer", None, None),
        (None, None, None),
    ],
)
def test_lifecycle_stage_is_mapped_or_not_sent(stage, hubspot, salesforce):
    assert lifecycle_value(HUBSPOT, row(stage=stage)) == hubspot
    assert lifecycle_value(SALESFORCE, row(stage=stage)) == salesforce


def test_excluded_contacts_are_never_exported_as_mql_or_sql():
    excluded = row(stage="sql", is_excluded=True)
    assert export_stage(excluded) == "excluded"
    assert lifecycle_value(HUBSPOT, excluded) is None
    lead_fields = fields_by_model(SEED_MAP, HUBSPOT)["lead"]
    values = mapped_values(excluded, lead_fields, HUBSPOT)
    assert values["leadscore_stage"] == "excluded"
    assert "lifecyclestage" not in values
    sf_values = mapped_values(excluded, fields_by_model(SEED_MAP, SALESFORCE)["lead"], SALESFORCE)
    assert sf_values["Lead_Stage__c"] == "excluded"
    outbox = outbox_values(excluded)
    assert (outbox["stage"], outbox["lifecycle_stage"], outbox["is_excluded"]) == (
        "excluded",
        "",
        "true",
    )


def test_mapped_values_for_each_target():
    lead = row()
    hubspot = mapped_values(lead, fields_by_model(SEED_MAP, HUBSPOT)["lead"], HUBSPOT)
    assert hubspot == {
        "leadscore_total": "42.5",
        "leadscore_fit": "20",
        "leadscore_engagement": "22.5",
        "leadscore_stage": "mql",
        "leadscore_band": "warm",
        "leadscore_reasons": "demo_request +50, 役職 +4",
        "lifecyclestage": "marketingqualifiedlead",
    }
    salesforce = mapped_values(lead, fields_by_model(SEED_MAP, SALESFORCE)["lead"], SALESFORCE)
    assert salesforce["Lead_Score__c"] == 42.5
    assert salesforce["Lead_Fit__c"] == 20
    assert salesforce["Lead_Stage__c"] == "mql"
    assert list(outbox_values(lead)) == list(OUTBOX_COLUMNS)


# --- fingerprints and change detection ------------------------------------------------------


def test_fingerprints_are_stable_and_see_every_change():
    values = {"a": "1", "b": "x"}
    same = values_hash(HUBSPOT, "101", values)
    assert values_hash(HUBSPOT, "101", {"b": "x", "a": "1"}) == same
    assert values_hash(HUBSPOT, "101", {"a": "2", "b": "x"}) != same
    assert values_hash(HUBSPOT, "102", values) != same  # another CRM record
    assert values_hash(SALESFORCE, "101", values) != same
    assert values_hash(HUBSPOT, "101", {**values, "c": ""}) != same


def test_the_as_of_instant_alone_is_not_a_change():
    first = outbox_values(row(as_of=datetime(2026, 11, 1)))
    later = outbox_values(row(as_of=datetime(2026, 11, 2)))
    assert first != later
    assert values_hash(OUTBOX, None, first) == values_hash(OUTBOX, None, later)


def test_summary_describes_each_target_in_one_line():
    summary = ExportSummary()
    summary.outbox.changed = 3
    summary.hubspot = TargetSummary(HUBSPOT, True, changed=3, sent=2, failed=1, skipped=4)
    summary.salesforce.note = "not configured"
    text = summary.describe()
    assert "\n" not in text
    assert "outbox 3 changed row(s) written" in text
    assert "hubspot 3 changed, 2 sent, 1 failed (retried next run), 4 skipped" in text
    assert "salesforce not configured" in text
    assert not summary.success
    summary.dry_run = True
    assert summary.describe().startswith("crm export (dry run: nothing sent)")
