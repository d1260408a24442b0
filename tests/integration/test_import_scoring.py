"""An imported CRM export scores like any landing file: Japanese headers, CP932, as they are."""

from __future__ import annotations

import csv

import pytest

from orchestration.ingest.crm_import import import_export
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration


def test_a_japanese_hubspot_export_saved_by_excel_is_scored(scenario: Scenario, tmp_path):
    export = tmp_path / "コンタクト.csv"
    with export.open("w", encoding="cp932", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(
            [
                ["レコードID", "Eメール", "役職", "作成日", "都道府県"],
                ["201", "aiko@example.jp", "営業部長", "2026/10/01 09:00", "東京都"],
                ["202", "ken@example.jp", "エンジニア", "2026/10/02 09:00", "大阪府"],
            ]
        )
    import_export("hubspot", export, scenario.landing_dir)
    scenario.model("m")
    scenario.rule(
        "manager", 10, {"subject": "property", "field": "job_title", "operator": "contains",
                        "value": "部長"}, score_group="fit",
    )  # fmt: skip
    scenario.rule(
        "tokyo", 5, {"subject": "property", "field": "都道府県", "operator": "eq",
                     "value": "東京都"}, score_group="fit",
    )  # fmt: skip
    scenario.build("2026-11-01 00:00:00")
    scores = scenario.scores()
    assert {c: s["total_score"] for c, s in scores.items()} == {"201": 15, "202": 0}
    created = scenario.query("select contact_id, created_at from staging.stg_contacts order by 1")
    assert [str(r["created_at"]) for r in created] == ["2026-10-01 09:00:00", "2026-10-02 09:00:00"]
