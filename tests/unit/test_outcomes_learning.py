"""Pure helpers of calibrate and compare: points, thresholds, rule ids, band cuts, stage moves."""

from __future__ import annotations

import math

import numpy as np

from orchestration.outcomes.challenger_seeds import band_cuts_like_current, rule_id_for
from orchestration.outcomes.compare import _stage_moves
from orchestration.outcomes.learning import advise_thresholds, points_from_coefficients


def test_points_double_the_odds_every_ten_points() -> None:
    points = points_from_coefficients(np.array([math.log(2), -math.log(2), math.log(4), 0.01]))
    assert points.tolist() == [10, -10, 20, 0]


def test_threshold_advice_picks_best_f1_then_best_f_half_at_or_above_it() -> None:
    scores = np.array([0.0, 5.0, 10.0, 10.5, 20.0, 30.0])
    converted = np.array([False, False, True, False, True, True])
    advice = advise_thresholds(scores, converted)
    by_threshold = {row["threshold"]: row for row in advice.rows}
    assert sorted(by_threshold) == [0.0, 5.0, 10.0, 20.0, 30.0]  # whole points (10.5 -> 10)
    assert by_threshold[10.0]["contacts_above"] == 4
    assert by_threshold[10.0]["precision"] == 0.75 and by_threshold[10.0]["recall"] == 1.0
    # F1: t=10 -> 0.857, t=20 -> 0.8; F0.5 at or above 10: t=20 (precision 1, recall 2/3) wins.
    assert advice.mql == 10.0
    assert advice.sql == 20.0


def test_threshold_advice_without_conversions_recommends_nothing() -> None:
    advice = advise_thresholds(np.array([1.0, 2.0]), np.array([False, False]))
    assert advice.mql is None and advice.sql is None


def test_rule_ids_are_readable_unique_and_ascii() -> None:
    taken: set[str] = set()
    first = rule_id_for("lead", "page view of /pricing at least once in the last 90 days", taken)
    second = rule_id_for("lead", "page view of /pricing at least once in the last 90 days", taken)
    japanese = rule_id_for("lead", "役職 is コンサルタント", taken)
    assert first == "cal_lead_page_view_of_pricing_at_least_once_in"
    assert second == first + "_2"
    assert japanese.startswith("cal_lead_is_") and japanese.isascii()


def test_band_cuts_keep_each_bands_share() -> None:
    learned = np.arange(100, dtype=float)  # 0..99
    current = ["C"] * 50 + ["B"] * 30 + ["A"] * 20
    cuts = band_cuts_like_current(learned, current, {"A": 20.0, "B": 10.0, "C": None})
    assert cuts == [("C", None, 50), ("B", 50, 80), ("A", 80, None)]
    contacts = {band: sum(1 for x in learned if (lo is None or x >= lo) and (hi is None or x < hi))
                for band, lo, hi in cuts}  # fmt: skip
    assert contacts == {"C": 50, "B": 30, "A": 20}


def test_stage_moves_count_each_contact_once_on_each_side() -> None:
    moves = _stage_moves(
        {"a": "lead", "b": "mql", "c": "sql"}, {"a": "mql", "b": "mql", "d": "lead"}
    )
    assert moves["mql"] == {"gain": 1, "lose": 0}
    assert moves["lead"] == {"gain": 1, "lose": 1}
    assert moves["sql"] == {"gain": 0, "lose": 1}


def test_model_quality_line_reads_the_newest_row(tmp_path) -> None:
    import duckdb

    from orchestration.reports import model_quality_line

    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.model_quality as select * from (values "
            "(timestamp '2026-10-01', 'lead', 10::bigint, 2::bigint, 0.2, 0.6, 'A', "
            "3::bigint, 0.5),"
            "(timestamp '2026-11-01', 'lead', 20::bigint, 5::bigint, 0.25, 0.75, '有望度_高', "
            "4::bigint, 0.5)) as t(as_of, model_id, contacts_with_outcome, converted_contacts, "
            "conversion_rate, auc, top_band, top_band_contacts, top_band_conversion_rate)"
        )
    line = model_quality_line(path, "lead")
    assert line == (
        "model quality of 'lead' as of 2026-11-01 00:00: AUC 0.750 over 20 contacts with a known "
        "outcome (5 converted, 25.0%); top band 有望度_高 converts 50.0% (4 contacts)"
    )
    assert model_quality_line(path, "churn_risk") is None
