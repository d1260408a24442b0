"""Seeds as Japanese Excel users write them, scored by the real dbt project: full-width digits
count as their ASCII numbers (not as blank = 0), and a UTF-8 BOM with CRLF lines loads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from orchestration.rules import validate_seeds
from tests.support.scenario import Scenario

pytestmark = pytest.mark.integration

AS_OF = "2026-11-01 00:00:00"


class ExcelScenario(Scenario):
    """Writes scoring_rules.csv as Excel's "CSV UTF-8": a BOM and CRLF line ends."""

    def write_seeds(self) -> None:
        super().write_seeds()
        path = self.seeds_dir / "scoring_rules.csv"
        text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "\r\n")
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def title(value: str) -> dict:
    return {"subject": "property", "field": "job_title", "operator": "eq", "value": value}


@pytest.fixture
def excel_scenario(tmp_path, dbt_workspace) -> ExcelScenario:
    return ExcelScenario(tmp_path, dbt_workspace)


def test_full_width_numbers_score_as_their_ascii_values(excel_scenario):
    scenario = excel_scenario
    scenario.model(total_cap="１００")
    scenario.rule("ten", "１０", title("部長"), score_group="fit")
    scenario.rule("minus_five", "－５", title("学生"), score_group="fit")
    scenario.rule("minus_sign", "−２", title("学生"), score_group="fit")  # U+2212 MINUS SIGN
    scenario.rule("capped", "２０", title("課長"), score_group="fit", max_points="１２．５")
    scenario.seed(
        "score_thresholds",
        [
            {
                "model_id": "m",
                "segment": "*",
                "stage": "mql",
                "stage_rank": "１",
                "min_score": "１０",
            }
        ],
    )
    scenario.landing(
        "contacts",
        [
            {"contact_id": "boss", "job_title": "部長"},
            {"contact_id": "student", "job_title": "学生"},
            {"contact_id": "manager", "job_title": "課長"},
        ],
    )
    scenario.build(AS_OF)

    assert validate_seeds(scenario.seeds_dir) == []  # validate accepts what dbt reads
    assert (scenario.seeds_dir / "scoring_rules.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    scores = scenario.scores()
    assert scores["boss"]["total_score"] == Decimal("10.00")
    assert scores["boss"]["stage"] == "mql"  # stage_rank １, min_score １０
    assert scores["student"]["total_score"] == Decimal("-7.00")
    assert scores["manager"]["total_score"] == Decimal("12.50")  # max_points １２．５
    assert scenario.breakdown("student") == {
        "minus_five": Decimal("-5.00"),
        "minus_sign": Decimal("-2.00"),
    }
