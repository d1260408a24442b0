"""Benchmark (issue #12): many hourly runs with no new data cost the same and grow nothing.

    .venv/bin/python tests/bench/many_runs.py --contacts 20000 --runs 24
    make bench            # runs tests/bench/bench.py, then this with MANY_CONTACTS, MANY_RUNS

Generates demo data, publishes a first run at T, then runs `leadscore run` at T+1h, T+2h, ...
with the same landing files. Per run: wall time of the whole `leadscore run` process, the
warehouse file's and the build database's sizes, and the rows of score_history,
score_history_contributions, stage_changes and the sticky memory. The report (Markdown and
JSON, `many-runs-<N>.*` in --out) compares run 2 with the last run: history grows with changes,
not with runs, so the last run should cost what run 2 costs (within noise) and the warehouse
should not grow when nothing material changed (decay still moves a few totals past
LEADSCORE_HISTORY_MIN_DELTA).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.bench import (  # noqa: E402 (the script adds the repository to the path)
    DEFAULT_OUT,
    format_instant,
    leadscore_command,
    parse_instant,
    run_measured,
)

COUNTED = {
    "score_history": "marts.score_history",
    "history_contributions": "marts.score_history_contributions",
    "stage_changes": "marts.stage_changes",
    "sticky_memory": "state.int_sticky_stages",
}


@dataclass
class RunMeasure:
    run: int
    as_of: str
    wall_seconds: float
    warehouse_bytes: int
    rows: dict[str, int]
    build_bytes: int = 0  # work/build.duckdb: the working copy dbt appends to


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--activities-per-contact", type=int, default=10)
    parser.add_argument("--runs", type=int, default=24, help="runs in all, the first included")
    parser.add_argument("--as-of", default="2026-11-01T00:00:00Z")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args(argv)
    if args.runs < 3:
        parser.error("--runs must be at least 3 (run 2 is compared with the last)")
    return args


def measure(data_dir: Path) -> tuple[int, dict[str, int]]:
    warehouse = data_dir / "warehouse" / "lead_scoring.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = {
            name: con.execute(f"select count(*) from {relation}").fetchone()[0]
            for name, relation in COUNTED.items()
        }
    return warehouse.stat().st_size, rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = parse_instant(args.as_of)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="leadscore-many-runs-") as scratch:
        data_dir = Path(scratch) / "data"
        env = {**os.environ, "LEADSCORE_DATA_DIR": str(data_dir)}
        logs = Path(scratch) / "logs"
        run_measured(
            [*leadscore_command(), "demo", "--contacts", str(args.contacts),
             "--activities-per-contact", str(args.activities_per_contact), "--seed", "42",
             "--as-of", format_instant(start), "--no-progress"],
            env, logs, "demo", args.interval,
        )  # fmt: skip
        measures: list[RunMeasure] = []
        for number in range(1, args.runs + 1):
            as_of = format_instant(start + timedelta(hours=number - 1))
            result = run_measured(
                [*leadscore_command(), "run", "--as-of", as_of], env, logs, f"run-{number}",
                args.interval,
            )  # fmt: skip
            size, rows = measure(data_dir)
            build = data_dir / "work" / "build.duckdb"
            measures.append(
                RunMeasure(number, as_of, round(result.wall_s, 2), size, rows, build.stat().st_size)
            )
            print(
                f"run {number:>3} as of {as_of}: {result.wall_s:6.1f} s, warehouse "
                f"{size / 1e6:7.2f} MB, history {rows['score_history']:,} rows",
                file=sys.stderr,
            )
    report = summarise(args, measures)
    stem = out / f"many-runs-{args.contacts}"
    stem.with_suffix(".json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(markdown(report))
    return 0


def summarise(args: argparse.Namespace, measures: list[RunMeasure]) -> dict:
    second, last = measures[1], measures[-1]
    steady = [m.wall_seconds for m in measures[1:]]
    return {
        "contacts": args.contacts,
        "activities_per_contact": args.activities_per_contact,
        "runs": [asdict(m) for m in measures],
        "run_2_seconds": second.wall_seconds,
        "last_run_seconds": last.wall_seconds,
        "steady_median_seconds": statistics.median(steady),
        "steady_stdev_seconds": round(statistics.pstdev(steady), 2),
        "history_rows_added_after_run_2": last.rows["score_history"] - second.rows["score_history"],
        "warehouse_growth_bytes_after_run_2": last.warehouse_bytes - second.warehouse_bytes,
    }


def markdown(report: dict) -> str:
    lines = [
        f"# {len(report['runs'])} hourly runs, {report['contacts']:,} contacts, no new data",
        "",
        "| run | as of | wall (s) | warehouse (MB) | score_history | contributions | "
        "stage_changes | sticky memory | build db (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        rows = run["rows"]
        lines.append(
            f"| {run['run']} | {run['as_of']} | {run['wall_seconds']:.1f} | "
            f"{run['warehouse_bytes'] / 1e6:.2f} | {rows['score_history']:,} | "
            f"{rows['history_contributions']:,} | {rows['stage_changes']:,} | "
            f"{rows['sticky_memory']:,} | {run['build_bytes'] / 1e6:.1f} |"
        )
    lines += [
        "",
        f"Run 2: {report['run_2_seconds']:.1f} s; last run: {report['last_run_seconds']:.1f} s; "
        f"runs 2..N: median {report['steady_median_seconds']:.1f} s, "
        f"σ {report['steady_stdev_seconds']:.1f} s.",
        f"After run 2: score_history +{report['history_rows_added_after_run_2']:,} rows, "
        f"warehouse {report['warehouse_growth_bytes_after_run_2'] / 1e6:+.2f} MB.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
