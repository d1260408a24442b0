"""The Dagster definitions: assets, keys and groups that `dagster dev` shows."""

from __future__ import annotations

from dagster import AssetKey

from orchestration.defs.definitions import defs
from orchestration.defs.translator import LeadscoreTranslator


def asset_graph():
    return defs.resolve_asset_graph()


def test_definitions_hold_ingest_dbt_and_publish_assets():
    keys = {key.to_user_string() for key in asset_graph().get_all_asset_keys()}
    assert {
        "raw/contacts",
        "raw/contact_properties",
        "raw/activities",
        "raw/deals",
        "raw/sales_feedback",
    } <= keys
    assert {
        "staging/stg_contacts",
        "intermediate/int_rule_scores",
        "marts/contact_scores",
        "marts/score_breakdown",
        "marts/score_history",
        "marts/stage_changes",
        "ops/quarantine",
        "seeds/scoring_rules",
        "warehouse/lead_scoring",
    } <= keys


def test_groups_follow_the_layers():
    graph = asset_graph()
    group = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert group["raw/activities"] == "ingest"
    assert group["staging/stg_activities"] == "staging"
    assert group["intermediate/int_rule_scores"] == "scoring"
    assert group["marts/contact_scores"] == "marts"
    assert group["seeds/scoring_rules"] == "rules"
    assert group["warehouse/lead_scoring"] == "publish"


def test_staging_depends_on_the_ingest_assets():
    graph = asset_graph()
    parents = graph.get(AssetKey(["staging", "stg_activities"])).parent_keys
    assert AssetKey(["raw", "activities"]) in parents


def test_publish_waits_for_every_mart():
    parents = asset_graph().get(AssetKey(["warehouse", "lead_scoring"])).parent_keys
    assert AssetKey(["marts", "contact_scores"]) in parents
    assert AssetKey(["marts", "stage_changes"]) in parents


def test_dbt_tests_are_asset_checks():
    checks = {(c.asset_key.to_user_string(), c.name) for c in asset_graph().asset_check_keys}
    assert ("marts/contact_scores", "breakdown_sums_to_total_score") in checks
    assert any(name.startswith("unique_combination_of_columns") for _, name in checks)


def test_translator_names_sources_and_models():
    translator = LeadscoreTranslator()
    source = {"resource_type": "source", "source_name": "raw", "name": "activities"}
    model = {
        "resource_type": "model",
        "name": "contact_scores",
        "schema": "marts",
        "original_file_path": "models/marts/contact_scores.sql",
    }
    assert translator.get_asset_key(source) == AssetKey(["raw", "activities"])
    assert translator.get_asset_key(model) == AssetKey(["marts", "contact_scores"])
    assert translator.get_group_name(model) == "marts"


def test_steps_run_in_one_process_because_duckdb_has_one_writer():
    # Parallel ingest steps in separate processes fail on DuckDB's file lock (seen in dagster dev).
    assert defs.resolve_job_def("refresh").executor_def.name == "in_process"


def test_the_dbt_start_up_shortcuts_still_match_dagster_dbt():
    """LeadscoreDbtCliResource replaces two methods of the pinned dagster-dbt; if an upgrade
    renames them, the shortcuts would silently stop applying (each costs seconds per run)."""
    from dagster_dbt import DbtCliResource

    from orchestration.defs.resources import LeadscoreDbtCliResource

    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hasattr(DbtCliResource, name)
        assert name in vars(LeadscoreDbtCliResource)
