"""`leadscore report`: a self-contained HTML page whose charts carry the marts' numbers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from plotly.offline import get_plotlyjs

from orchestration.cli import main
from orchestration.outcomes.report_data import REPORT_MARTS, load_report
from orchestration.outcomes.report_figures import model_figures, score_step, split_matrix_label
from orchestration.outcomes.report_page import render_page, write_report
from orchestration.reports import ReportError

AS_OF = "2026-12-01 00:00:00"
HIGH, MID, LOW = "有望度_高", "有望度_中", "有望度_低"
CRITERION = "mql: the threshold with the highest F1; sql: highest F0.5 at or above it"

SCHEMAS = {
    "contact_scores": """model_id varchar, contact_id varchar, fit_score decimal(18,2),
        engagement_score decimal(18,2), total_score decimal(18,2), fit_band varchar,
        engagement_band varchar, total_band varchar, matrix_label varchar, stage varchar,
        is_excluded boolean, as_of timestamp""",
    "score_history": """valid_from timestamp, valid_to timestamp, model_id varchar,
        contact_id varchar, total_score decimal(18,2), total_band varchar, stage varchar,
        is_excluded boolean""",
    "band_conversion": """model_id varchar, score_kind varchar, band varchar,
        band_min_score double, contacts bigint, converted_contacts bigint,
        conversion_rate double, lift double, as_of timestamp""",
    "stage_funnel": """model_id varchar, dimension varchar, dimension_value varchar,
        step_order bigint, step varchar, step_kind varchar, contacts_reached bigint,
        rate_from_previous double, rate_from_first double, median_days_from_previous double,
        as_of timestamp""",
    "rule_performance": """model_id varchar, rule_id varchar, score_group varchar,
        description varchar, points double, contacts_with_outcome bigint,
        matched_contacts bigint, coverage double, converted_when_matched bigint,
        conversion_rate_when_matched double, conversion_rate_when_not_matched double,
        lift double, as_of timestamp""",
    "stage_changes": """model_id varchar, contact_id varchar, from_stage varchar,
        to_stage varchar, stage_direction varchar, from_band varchar, to_band varchar,
        from_score decimal(18,2), to_score decimal(18,2), previous_as_of timestamp,
        changed_at timestamp, change_cause varchar, tipping_rule_id varchar""",
    "model_quality": """as_of timestamp, model_id varchar, contacts_with_outcome bigint,
        converted_contacts bigint, conversion_rate double, auc double, top_decile_lift double,
        top_band varchar, top_band_contacts bigint, top_band_conversion_rate double,
        converted_scored_before_deal_share double""",
    "threshold_advice": """model_id varchar, threshold double, contacts_above bigint,
        share_above double, converted_above bigint, precision double, recall double,
        f1 double, f_half double, is_recommended_mql boolean, is_recommended_sql boolean,
        criterion varchar, as_of timestamp""",
}

ROWS = {
    "contact_scores": [
        # lead: 2 high, 1 mid, 2 low (one of them excluded); churn: no outcomes at all
        ("lead", "c1", 30, 50, 80, "A", "1", HIGH, "A1", "sql", False, AS_OF),
        ("lead", "c2", 25, 45, 70, "A", "2", HIGH, "A2", "sql", False, AS_OF),
        ("lead", "c3", 10, 30, 40, "B", "2", MID, "B2", "mql", False, AS_OF),
        ("lead", "c4", 0, 5, 5, "C", "4", LOW, "C4", "lead", False, AS_OF),
        ("lead", "c5", 0, 0, 0, "C", "4", LOW, "C4", "excluded", True, AS_OF),
        ("churn", "c1", 0, 10, 10, None, None, "low", None, "healthy", False, AS_OF),
    ],
    "score_history": [
        # at 11-01 c1 and c2 were low; at 11-15 c1 rose to high; at 12-01 c2 rose, c3 came in
        ("2026-11-01", "2026-11-15", "lead", "c1", 10, LOW, "lead", False),
        ("2026-11-15", None, "lead", "c1", 80, HIGH, "sql", False),
        ("2026-11-01", "2026-12-01", "lead", "c2", 20, LOW, "lead", False),
        ("2026-12-01", None, "lead", "c2", 70, HIGH, "sql", False),
        ("2026-12-01", None, "lead", "c3", 40, MID, "mql", False),
        ("2026-11-01", None, "lead", "c5", 0, LOW, "excluded", True),
    ],
    "band_conversion": [
        ("lead", "total", LOW, None, 50, 5, 0.1, 0.5, AS_OF),
        ("lead", "total", HIGH, 65, 10, 6, 0.6, 3.0, AS_OF),
        ("lead", "total", MID, 35, 20, 5, 0.25, 1.25, AS_OF),
        ("lead", "fit", "A", 20, 15, 7, 7 / 15, 2.3, AS_OF),
        ("lead", "fit", "AA", 40, 5, 4, 0.8, 4.0, AS_OF),
        ("lead", "fit", "B", None, 60, 5, 5 / 60, 0.4, AS_OF),
        ("lead", "engagement", "1", 50, 30, 10, 1 / 3, 1.6, AS_OF),
        ("lead", "engagement", "2", None, 50, 6, 0.12, 0.6, AS_OF),
        ("lead", "matrix", "AA1", None, 5, 4, 0.8, 4.0, AS_OF),
        ("lead", "matrix", "A2", None, 15, 7, 7 / 15, 2.3, AS_OF),
        ("lead", "matrix", "B1", None, 25, 6, 0.24, 1.2, AS_OF),
    ],
    "stage_funnel": [
        ("lead", "all", "all", 1, "lead", "stage", 1000, None, 1.0, None, AS_OF),
        ("lead", "all", "all", 2, "mql", "stage", 300, 0.3, 0.3, 2.5, AS_OF),
        ("lead", "all", "all", 3, "won", "outcome", 60, 0.2, 0.06, 30.0, AS_OF),
        ("lead", "segment", "Software", 1, "lead", "stage", 400, None, 1.0, None, AS_OF),
        ("lead", "segment", "Software", 2, "mql", "stage", 200, 0.5, 0.5, 1.0, AS_OF),
        ("lead", "segment", "Software", 3, "won", "outcome", 40, 0.2, 0.1, 20.0, AS_OF),
        ("lead", "source", "event", 1, "lead", "stage", 100, None, 1.0, None, AS_OF),
        ("lead", "source", "event", 2, "mql", "stage", 10, 0.1, 0.1, None, AS_OF),
        ("lead", "source", "event", 3, "won", "outcome", 0, 0.0, 0.0, None, AS_OF),
    ],
    "rule_performance": [
        (
            "lead",
            "eng_demo",
            "engagement",
            "Demo <requested>",
            20,
            100,
            30,
            0.3,
            12,
            0.4,
            0.1,
            2.5,
            AS_OF,
        ),
        ("lead", "fit_ceo", "fit", "役職が代表取締役", 10, 100, 20, 0.2, 3, 0.15, 0.12, 0.9, AS_OF),
        (
            "lead",
            "eng_never",
            "engagement",
            "Never matched",
            5,
            100,
            0,
            0.0,
            0,
            None,
            0.16,
            None,
            AS_OF,
        ),
    ],
    "stage_changes": [
        (
            "lead",
            "c1",
            "lead",
            "sql",
            "up",
            LOW,
            HIGH,
            10,
            80,
            "2026-11-01",
            "2026-11-15",
            "activity",
            "eng_demo",
        ),
        (
            "lead",
            "c2",
            "lead",
            "sql",
            "up",
            LOW,
            HIGH,
            20,
            70,
            "2026-11-01",
            AS_OF,
            "activity",
            "eng_demo",
        ),
        (
            "lead",
            "<c9>",
            "sql",
            "lead",
            "down",
            HIGH,
            LOW,
            90,
            15,
            "2026-11-01",
            AS_OF,
            "decay",
            "<b>decay</b>",
        ),
        ("lead", "c3", None, "mql", "up", None, MID, None, 40, None, AS_OF, "first_scored", None),
    ],
    "model_quality": [
        ("2026-11-15", "lead", 80, 10, 0.125, 0.61, 1.8, HIGH, 8, 0.5, 0.7),
        (AS_OF, "lead", 100, 16, 0.16, 0.7351, 2.2, HIGH, 10, 0.6, 0.75),
        (AS_OF, "churn", 0, 0, None, None, None, None, 0, None, None),
    ],
    "threshold_advice": [
        ("lead", 0, 100, 1.0, 16, 0.16, 1.0, 0.276, 0.192, False, False, CRITERION, AS_OF),
        ("lead", 35, 30, 0.3, 11, 0.367, 0.688, 0.478, 0.404, True, False, CRITERION, AS_OF),
        ("lead", 65, 10, 0.1, 6, 0.6, 0.375, 0.462, 0.536, False, True, CRITERION, AS_OF),
    ],
}


def make_warehouse(path: Path, marts=REPORT_MARTS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for mart in marts:
            con.execute(f"create table marts.{mart} ({SCHEMAS[mart]})")
            rows = ROWS[mart]
            marks = ", ".join("?" * len(rows[0]))
            con.executemany(f"insert into marts.{mart} values ({marks})", rows)
    return path


def page_figures(page: str) -> dict[str, dict]:
    """Every `Plotly.newPlot(id, data, layout, ...)` after the embedded bundle, by div id."""
    decoder, figures = json.JSONDecoder(), {}
    body = page.split("</head>", 1)[1]
    for match in re.finditer(r"Plotly\.newPlot\(\s*", body):
        parts, position = [], match.end()
        for _ in range(3):
            value, position = decoder.raw_decode(body, position)
            parts.append(value)
            position = re.compile(r"\s*,\s*").match(body, position).end()
        div_id, data, layout = parts
        figures[div_id] = {"data": data, "layout": layout}
    return figures


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("wh") / "lead_scoring.duckdb")


@pytest.fixture(scope="module")
def page(warehouse, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    write_report(warehouse, out)
    return out.read_text(encoding="utf-8")


def test_the_page_is_self_contained_with_plotly_js_once(page):
    assert page.count(get_plotlyjs()) == 1
    assert page.count("plotly.js v") == 1
    assert not re.search(r"<script[^>]*\bsrc\s*=", page)
    assert not re.search(r"<link[^>]*\bhref\s*=\s*[\"']?https?:", page)
    assert '<meta charset="utf-8">' in page


def test_models_are_in_model_id_order_with_every_section(page):
    assert page.index("Model churn") < page.index("Model lead")
    lead = page[page.index("Model lead") :]
    for number in range(1, 8):
        assert f"<h3>{number}. " in lead


def test_score_distribution_and_bands_over_time(warehouse, page):
    figures = page_figures(page)
    distribution = figures["model-1-score_distribution"]["data"]
    # the legend lists the highest band first: traces go lowest first (bottom of the stack)
    assert [trace["name"] for trace in distribution] == [LOW, MID, HIGH]
    assert sum(sum(trace["y"]) for trace in distribution) == 4  # c5 is excluded
    history = load_report(warehouse).models[1].band_history
    counts = {(str(row["at"])[:10], row["total_band"]): row["contacts"] for row in history}
    assert counts == {
        ("2026-11-01", LOW): 2,
        ("2026-11-15", HIGH): 1,
        ("2026-11-15", LOW): 1,
        ("2026-12-01", HIGH): 2,
        ("2026-12-01", MID): 1,
    }
    over_time = {t["name"]: t["y"] for t in figures["model-1-bands_over_time"]["data"]}
    assert over_time == {LOW: [2, 1, 0], MID: [0, 0, 1], HIGH: [0, 1, 2]}


def test_conversion_by_band_and_matrix_carry_the_rates(page):
    figures = page_figures(page)
    (bars,) = figures["model-1-band_conversion"]["data"]
    assert bars["x"] == [HIGH, MID, LOW]  # band_min_score desc, nulls last
    assert bars["y"] == [0.6, 0.25, 0.1]
    (heatmap,) = figures["model-1-matrix_conversion"]["data"]
    assert heatmap["y"] == ["AA", "A", "B"] and heatmap["x"] == ["1", "2"]
    assert heatmap["z"] == [[0.8, None], [None, 7 / 15], [0.24, None]]


def test_funnel_and_rates_by_segment_and_source(page):
    figures = page_figures(page)
    (funnel,) = figures["model-1-funnel"]["data"]
    assert funnel["type"] == "funnel"
    assert funnel["y"] == ["lead", "mql", "won"] and funnel["x"] == [1000, 300, 60]
    assert '<td>Software</td><td class="num">400</td><td class="num">50.0%</td>' in page


def test_rule_performance_thresholds_and_quality(page):
    figures = page_figures(page)
    lifts = {
        rule: lift
        for trace in figures["model-1-rule_lift"]["data"]
        for rule, lift in zip(trace["y"], trace["x"], strict=True)
    }
    assert lifts == {"eng_demo": 2.5, "fit_ceo": 0.9}
    assert "eng_never" in page  # listed as not shown
    thresholds = figures["model-1-thresholds"]
    precision = next(t for t in thresholds["data"] if t["name"] == "precision")
    assert precision["x"] == [0, 35, 65] and precision["y"] == [0.16, 0.367, 0.6]
    marked = {
        shape["x0"]: annotation["text"]
        for shape, annotation in zip(
            thresholds["layout"]["shapes"], thresholds["layout"]["annotations"], strict=True
        )
    }
    assert marked == {35: "MQL ≥ 35", 65: "SQL ≥ 65"}
    assert CRITERION in page
    (auc,) = figures["model-1-auc_over_time"]["data"]
    assert auc["y"] == [0.61, 0.7351]
    assert "0.735" in page and "2.20" in page


def test_top_movers_at_the_latest_change_escape_text(page):
    lead = page[page.index("Model lead") :]
    movers = lead[lead.index("5. Top movers") : lead.index("6. Model quality")]
    assert "<td>c2</td>" in movers and "+50" in movers  # 20 → 70 at the latest instant
    assert "&lt;c9&gt;" in movers and "-75" in movers and "&lt;b&gt;decay" in movers
    assert "<td>c1</td>" not in movers  # its change is older
    assert "<c9>" not in page and "<b>decay</b>" not in page


def test_a_model_without_outcomes_says_so(page):
    churn = page[page.index("Model churn") : page.index("Model lead")]
    assert churn.count("No contacts with a known outcome yet.") >= 3
    assert "No funnel for this model yet." in churn


def test_the_page_embeds_the_figures_model_figures_builds(warehouse, page):
    data = load_report(warehouse)
    built = model_figures(data.models[1])
    shown = page_figures(page)
    for key, figure in built.items():
        data_json = json.loads(figure.to_json())["data"]
        assert shown[f"model-1-{key}"]["data"] == data_json


def test_an_older_warehouse_renders_and_names_the_missing_marts(tmp_path):
    path = make_warehouse(tmp_path / "old.duckdb", marts=("contact_scores", "score_history"))
    data = load_report(path)
    assert data.missing_marts == [
        m for m in REPORT_MARTS if m not in ("contact_scores", "score_history")
    ]
    page = render_page(data)
    assert "marts.band_conversion is missing from this warehouse" in page
    assert "marts.threshold_advice" in page
    assert "model-1-score_distribution" in page


def test_a_warehouse_without_the_marts_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    with pytest.raises(ReportError, match="not a published leadscore warehouse"):
        load_report(path)


def test_empty_marts_render(tmp_path):
    path = tmp_path / "empty_marts.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        for mart in REPORT_MARTS:
            con.execute(f"create table marts.{mart} ({SCHEMAS[mart]})")
    page = render_page(load_report(path))
    assert "No scored contacts in this warehouse yet." in page


def test_cli_writes_the_default_file_and_prints_its_path(tmp_path):
    data_dir = tmp_path / "data"
    make_warehouse(data_dir / "warehouse" / "lead_scoring.duckdb")
    result = CliRunner().invoke(main, ["--data-dir", str(data_dir), "report"])
    assert result.exit_code == 0, result.output
    written = data_dir / "reports" / "leadscore_report.html"
    assert str(written) in result.output
    assert "Model lead" in written.read_text(encoding="utf-8")


def test_cli_out_and_errors(tmp_path):
    data_dir = tmp_path / "data"
    runner = CliRunner()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "report"])
    assert result.exit_code == 1 and "run `leadscore run` first" in result.output
    warehouse = data_dir / "warehouse" / "lead_scoring.duckdb"
    warehouse.parent.mkdir(parents=True)
    duckdb.connect(str(warehouse)).close()
    result = runner.invoke(main, ["--data-dir", str(data_dir), "report"])
    assert result.exit_code == 1 and "marts.contact_scores is missing" in result.output
    assert "Traceback" not in result.output
    warehouse.unlink()
    make_warehouse(warehouse, marts=("contact_scores",))
    out = tmp_path / "elsewhere" / "r.html"
    result = runner.invoke(main, ["--data-dir", str(data_dir), "report", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and str(out) in result.output
    assert "lacks marts.score_history" in result.output


def test_matrix_labels_split_on_the_fit_bands():
    assert split_matrix_label("AA1", ["A", "AA", "B"]) == ("AA", "1")
    assert split_matrix_label("A12", ["A", "B"]) == ("A", "12")
    assert split_matrix_label("C3", []) == ("C", "3")


def test_score_bins_are_round():
    assert score_step(-218, 125) == 10
    assert score_step(0, 1) == 0.05
    assert score_step(5, 5) == 1.0
