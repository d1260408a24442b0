"""Schedule and sensor logic: cron configuration, landing and seed change detection."""

from __future__ import annotations

import os

import pytest
from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.config import DEFAULT_REFRESH_CRON, max_stage_churn, refresh_cron
from orchestration.defs import sensors
from orchestration.defs.schedules import build_refresh_schedule
from orchestration.defs.sensors import changed_entries, landing_snapshot, seeds_snapshot


def test_refresh_cron_defaults_to_hourly_and_rejects_garbage():
    assert refresh_cron({}) == DEFAULT_REFRESH_CRON == "0 * * * *"
    assert refresh_cron({"LEADSCORE_REFRESH_CRON": "*/15 * * * *"}) == "*/15 * * * *"
    assert build_refresh_schedule({}).cron_schedule == DEFAULT_REFRESH_CRON
    with pytest.raises(ValueError, match="LEADSCORE_REFRESH_CRON"):
        build_refresh_schedule({"LEADSCORE_REFRESH_CRON": "every hour"})


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 0.20), ("30%", 0.30), ("30", 0.30), ("0.3", 0.30), ("100%", 1.0)]
)
def test_max_stage_churn_accepts_percent_and_fraction(raw, expected):
    assert max_stage_churn({"LEADSCORE_MAX_STAGE_CHURN": raw}) == pytest.approx(expected)


def test_max_stage_churn_rejects_nonsense():
    with pytest.raises(ValueError):
        max_stage_churn({"LEADSCORE_MAX_STAGE_CHURN": "lots"})
    with pytest.raises(ValueError):
        max_stage_churn({"LEADSCORE_MAX_STAGE_CHURN": "150%"})


def make_landing(root):
    (root / "activities").mkdir(parents=True)
    (root / "sales_feedback").mkdir()
    (root / "activities" / "a.csv").write_text("contact_id,activity_type,occurred_at\n")
    (root / "activities" / "notes.txt").write_text("ignored")
    (root / "sales_feedback" / "f.jsonl").write_text("{}\n")


def test_landing_snapshot_lists_supported_files_with_size_and_mtime(tmp_path):
    make_landing(tmp_path)
    snapshot = landing_snapshot(tmp_path)
    assert list(snapshot) == ["activities/a.csv", "sales_feedback/f.jsonl"]
    assert snapshot["sales_feedback/f.jsonl"][0] == 3


def test_changed_entries_sees_new_and_modified_files_only():
    previous = {"a.csv": [10, 1], "b.csv": [5, 1]}
    current = {"a.csv": [10, 1], "b.csv": [6, 2], "c.csv": [1, 1]}
    assert changed_entries(previous, current) == ["b.csv", "c.csv"]
    assert changed_entries(current, {"a.csv": [10, 1]}) == []  # a removal triggers nothing


def test_seeds_snapshot_changes_with_content_not_with_touch(tmp_path):
    path = tmp_path / "scoring_rules.csv"
    path.write_text("model_id,rule_id\nm,r\n")
    before = seeds_snapshot(tmp_path)
    path.write_text("model_id,rule_id\nm,r\n")
    os.utime(path, (1, 1))
    assert seeds_snapshot(tmp_path) == before
    path.write_text("model_id,rule_id\nm,s\n")
    assert changed_entries(before, seeds_snapshot(tmp_path)) == ["scoring_rules.csv"]


def test_landing_sensor_requests_one_run_per_change(tmp_path, monkeypatch):
    monkeypatch.setenv("LEADSCORE_DATA_DIR", str(tmp_path))
    make_landing(tmp_path / "landing")
    context = build_sensor_context()
    first = sensors.landing_files_sensor(context)
    assert isinstance(first, RunRequest)
    assert "activities/a.csv" in first.tags["leadscore/files"]
    second = sensors.landing_files_sensor(build_sensor_context(cursor=context.cursor))
    assert isinstance(second, SkipReason)
    (tmp_path / "landing" / "activities" / "b.parquet").write_bytes(b"x")
    third = sensors.landing_files_sensor(build_sensor_context(cursor=context.cursor))
    assert isinstance(third, RunRequest)
    assert third.tags["leadscore/files"] == "activities/b.parquet"
    assert third.run_key != first.run_key


def test_seed_sensor_remembers_first_then_triggers_on_edits(tmp_path, monkeypatch):
    (tmp_path / "score_bands.csv").write_text("model_id,score,band,min_score,max_score\n")
    monkeypatch.setattr(sensors, "SEEDS_DIR", tmp_path)
    context = build_sensor_context()
    assert isinstance(sensors.seed_changes_sensor(context), SkipReason)
    cursor = context.cursor
    assert isinstance(sensors.seed_changes_sensor(build_sensor_context(cursor=cursor)), SkipReason)
    (tmp_path / "score_bands.csv").write_text(
        "model_id,score,band,min_score,max_score\nm,total,A,1,\n"
    )
    edited = sensors.seed_changes_sensor(build_sensor_context(cursor=cursor))
    assert isinstance(edited, RunRequest)
    assert edited.tags["leadscore/files"] == "score_bands.csv"
