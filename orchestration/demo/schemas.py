"""The demo entities and the Arrow schemas of their Parquet files (column names and types)."""

from __future__ import annotations

import pyarrow as pa

# Landing sub-folders, one per entity, each holding that entity's `demo_*.parquet` files.
ENTITIES = ("contacts", "activities", "deals", "sales_feedback")

# Free-text form questions exported as-is by the CRM, hence the unusual column names.
OCCUPATION_COLUMN = "What is your current occupation"
JAPANESE_TITLE_COLUMN = "役職"

CONTACT_SCHEMA = pa.schema(
    [
        ("contact_id", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("job_title", pa.string()),
        ("company", pa.string()),
        ("industry", pa.string()),
        ("employee_count", pa.int64()),
        ("annual_revenue", pa.float64()),
        ("country", pa.string()),
        ("original_source", pa.string()),
        ("lifecycle_stage", pa.string()),
        ("email_opt_out", pa.bool_()),
        ("created_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
        ("hubspot_id", pa.string()),
        ("salesforce_id", pa.string()),
        (OCCUPATION_COLUMN, pa.string()),
        (JAPANESE_TITLE_COLUMN, pa.string()),
    ]
)
ACTIVITY_SCHEMA = pa.schema(
    [
        ("activity_id", pa.string()),
        ("contact_id", pa.string()),
        ("activity_type", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("target", pa.string()),
        ("value", pa.float64()),
    ]
)
DEAL_SCHEMA = pa.schema(
    [
        ("deal_id", pa.string()),
        ("contact_id", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("closed_at", pa.timestamp("us")),
        ("amount", pa.float64()),
        ("product_line", pa.string()),
    ]
)
FEEDBACK_SCHEMA = pa.schema(
    [
        ("contact_id", pa.string()),
        ("feedback", pa.string()),
        ("given_at", pa.timestamp("us")),
        ("model_id", pa.string()),
        ("given_by", pa.string()),
        ("note", pa.string()),
    ]
)
