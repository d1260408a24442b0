"""The benchmark harness (tests/bench/bench.py) keeps working: a tiny run, plus its helpers."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from tests.bench import bench

AS_OF = datetime(2026, 11, 1)


def _activities(path: Path, n: int) -> None:
    table = pa.table(
        {
            "activity_id": pa.array([f"a{i}" for i in range(n)]),
            "contact_id": pa.array([f"c{i % 37}" for i in range(n)]),
            "activity_type": pa.array(["page_view", "email_open"] * (n // 2) + ["login"] * (n % 2)),
            "occurred_at": pa.array(
                [AS_OF - timedelta(hours=i) for i in range(n)], pa.timestamp("us")
            ),
            "target": pa.array([None if i % 5 == 0 else f"/p/{i % 7}" for i in range(n)]),
            "value": pa.array([float(i % 3) for i in range(n)]),
        }
    )
    pq.write_table(table, path)


def test_day2_file_samples_existing_contacts_dated_in_the_next_day(tmp_path):
    files = [tmp_path / "demo_activities_0000.parquet", tmp_path / "demo_activities_0001.parquet"]
    _activities(files[0], 3000)
    _activities(files[1], 1001)
    out = tmp_path / "day2" / bench.DAY2_FILE
    rows = bench.write_day2_file(
        files, out, fraction=0.01, start=AS_OF, seed=7, duckdb_config={"threads": 1}
    )
    table = pq.read_table(out)
    assert rows == table.num_rows == 40
    assert table.schema == pq.read_schema(files[0])
    assert pc.count_distinct(table["activity_id"]).as_py() == rows
    assert set(table["contact_id"].to_pylist()) <= {f"c{i}" for i in range(37)}
    assert pc.min(table["occurred_at"]).as_py() >= AS_OF
    assert pc.max(table["occurred_at"]).as_py() < AS_OF + timedelta(days=1)
    again = tmp_path / "again.parquet"
    bench.write_day2_file(
        files, again, fraction=0.01, start=AS_OF, seed=7, duckdb_config={"threads": 2}
    )
    assert pq.read_table(again).equals(table)  # deterministic whatever the threads


def test_peak_rss_covers_the_whole_process_tree(tmp_path):
    child = "b = bytearray(120 * 2**20); import time; time.sleep(0.8)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    result = bench.run_measured([sys.executable, "-c", parent], {}, tmp_path, "tree", interval=0.05)
    assert result.peak_rss >= 120 * 2**20
    assert result.rss_samples >= 5
    assert result.wall_s >= 0.8


def test_a_failing_process_is_reported_with_its_output(tmp_path):
    with pytest.raises(bench.BenchError, match="boom"):
        bench.run_measured(
            [sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
            {},
            tmp_path,
            "fails",
            interval=0.05,
        )


def test_options_set_the_duckdb_environment_of_the_pipeline():
    args = bench.parse_args(
        ["--threads", "2", "--memory-limit", "6GB", "--temp-dir", "/tmp/x", "--dbt-threads", "1"]
    )
    env = bench.child_env(args)
    assert env["LEADSCORE_DUCKDB_THREADS"] == "2"
    assert env["LEADSCORE_DUCKDB_MEMORY_LIMIT"] == "6GB"
    assert env["LEADSCORE_DUCKDB_TEMP_DIR"] == "/tmp/x"
    assert env["LEADSCORE_DBT_THREADS"] == "1"
    config = bench.floor_config(env, Path("/unused"))
    assert config == {"temp_directory": "/tmp/x", "threads": 2, "memory_limit": "6GB"}
    assert bench.parse_args(["--scaling", "1000,20_000"]).scaling == [1000, 20000]
    assert bench.parse_args([]).as_of_instant == AS_OF


@pytest.mark.integration
@pytest.mark.timeout(300)
def test_a_tiny_benchmark_reports_the_four_measures(tmp_path):
    out = tmp_path / "out"
    report = bench.main(
        [
            "--contacts",
            "1500",
            "--activities-per-contact",
            "10",
            "--out",
            str(out),
            "--work-dir",
            str(tmp_path / "work"),
            "--keep",
            "--quiet",
        ]
    )
    measures = report["measures"]
    assert set(measures) == {"floor", "full_run", "day2", "fixed_cost"}
    base = report["data"]["activity_rows"]
    assert base > 10_000
    for name, summary in measures.items():
        assert summary["wall_s"] > 0, name
        assert summary["rows_per_s"] > 0, name
        assert summary["peak_rss"] > 0, name
    assert measures["floor"]["rows"] == measures["full_run"]["rows"] == base
    assert measures["day2"]["rows"] == base + report["data"]["day2_rows"]
    assert 0 < measures["fixed_cost"]["rows"] <= bench.FIXED_COST_CONTACTS * 2
    assert report["ratios"]["fixed_cost"] > 0
    assert report["ratios"]["full_run"] > 0 and report["ratios"]["day2"] > 0
    assert report["ratios"]["full_run"] == pytest.approx(
        measures["full_run"]["wall_s"] / measures["floor"]["wall_s"]
    )
    assert "leadscore_dbt_assets" in measures["full_run"]["steps_s"]

    day2 = pq.read_table(report["data"]["day2_file"])
    assert day2.num_rows == report["data"]["day2_rows"]
    assert day2.num_rows / base == pytest.approx(0.01, abs=0.001)
    landed = tmp_path / "work" / "rep1" / "landing" / "activities" / bench.DAY2_FILE
    assert pq.read_table(landed).equals(day2)

    assert [t["name"] for t in report["targets"]] == [
        "full run: marginal (b - d) <= 30 x floor",
        "+1 % day: marginal (c - d) <= 5 x floor",
        "fixed cost (d) <= 10 s",
        "peak RSS (runs b, c, d) <= 4 GiB",
    ]
    fixed_s = measures["fixed_cost"]["wall_s"]
    assert report["marginal_ratios"]["day2"] == pytest.approx(
        max(measures["day2"]["wall_s"] - fixed_s, 0.0) / measures["floor"]["wall_s"]
    )
    assert all(isinstance(t["met"], bool) for t in report["targets"])
    assert report["machine"]["logical_cores"] >= 1
    assert report["machine"]["duckdb"]
    md = out / "bench-1500x10.md"
    js = out / "bench-1500x10.json"
    assert md.is_file() and js.is_file()
    assert json.loads(js.read_text())["ratios"] == report["ratios"]
    text = md.read_text()
    for needle in ("(a) floor", "(b) full run", "(c) +1 % day", "(d) fixed cost", "Targets"):
        assert needle in text
