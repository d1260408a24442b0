"""One scored row as the CRM exports read it, for the mapping and planning tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from orchestration.config import SEEDS_DIR
from orchestration.crm.mapping import read_field_map_csv

SEED_MAP = read_field_map_csv(SEEDS_DIR / "crm_field_map.csv")


def row(**overrides: Any) -> dict[str, Any]:
    base = {
        "model_id": "lead",
        "contact_id": "c1",
        "total_score": Decimal("42.50"),
        "fit_score": Decimal("20.00"),
        "engagement_score": Decimal("22.50"),
        "stage": "mql",
        "total_band": "warm",
        "top_reasons": "demo_request +50, 役職 +4",
        "is_excluded": False,
        "email": "a@example.com",
        "hubspot_id": "101",
        "salesforce_id": "00Q000000000001AAA",
        "as_of": datetime(2026, 11, 1),
    }
    return {**base, **overrides}
