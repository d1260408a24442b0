"""leadscore: explainable lead scoring on dbt + DuckDB, orchestrated by Dagster."""
