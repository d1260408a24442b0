"""Dagster assets of the pipeline: ingest, dbt models, publishing."""
