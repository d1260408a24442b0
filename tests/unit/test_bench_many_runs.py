"""The many-runs benchmark's report: run 2 against the last run, growth after run 2."""

from __future__ import annotations

import argparse

import pytest

from tests.bench import many_runs


def test_the_report_compares_run_2_with_the_last_and_shows_growth():
    measures = [
        many_runs.RunMeasure(
            run=number,
            as_of=f"2026-11-01T{number - 1:02d}:00:00Z",
            wall_seconds=seconds,
            warehouse_bytes=size,
            rows={
                "score_history": history,
                "history_contributions": history * 3,
                "stage_changes": 10,
                "sticky_memory": 100,
            },
            build_bytes=5_000_000,
        )
        for number, seconds, size, history in [
            (1, 40.0, 1_000_000, 100),
            (2, 20.0, 1_100_000, 104),
            (3, 22.0, 1_100_000, 104),
            (4, 21.0, 1_101_000, 106),
        ]
    ]
    args = argparse.Namespace(contacts=100, activities_per_contact=5)
    report = many_runs.summarise(args, measures)
    assert report["run_2_seconds"] == 20.0 and report["last_run_seconds"] == 21.0
    assert report["steady_median_seconds"] == 21.0
    assert report["history_rows_added_after_run_2"] == 2
    assert report["warehouse_growth_bytes_after_run_2"] == 1_000
    text = many_runs.markdown(report)
    assert "# 4 hourly runs, 100 contacts, no new data" in text
    assert "| 4 | 2026-11-01T03:00:00Z | 21.0 | 1.10 | 106 | 318 | 10 | 100 | 5.0 |" in text
    assert "score_history +2 rows" in text


def test_fewer_than_three_runs_is_refused(capsys):
    with pytest.raises(SystemExit) as refused:
        many_runs.parse_args(["--runs", "2"])
    assert refused.value.code == 2
    assert "--runs must be at least 3" in capsys.readouterr().err
