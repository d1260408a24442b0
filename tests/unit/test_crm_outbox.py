"""The CRM outbox file: appended run after run, header once, never a half row after a crash."""

from __future__ import annotations

import pytest

from orchestration.crm import outbox
from orchestration.crm.outbox import OUTBOX_FILE, append_outbox, outbox_header

HEADER = outbox_header()
RUN_1 = ["lead,c1,,,,10,,,,,,,,,,false,,,2026-11-01T00:00:00.000Z\r\n"]
RUN_2 = [
    'lead,c2,,,,20,,,,,,,,,,false,"a, ""b""\nc",,2026-11-02T00:00:00.000Z\r\n',
    "lead,c3,,,,30,,,,,,,,,,false,,,2026-11-02T00:00:00.000Z\r\n",
]


def content(folder) -> bytes:
    return (folder / OUTBOX_FILE).read_bytes()


def leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != OUTBOX_FILE)


def test_each_run_appends_its_rows_under_one_header(tmp_path):
    append_outbox(tmp_path, RUN_1)
    append_outbox(tmp_path, [])  # a run that changed nothing adds nothing
    path = append_outbox(tmp_path, iter(RUN_2))
    assert path == tmp_path / OUTBOX_FILE
    assert content(tmp_path) == HEADER + "".join(RUN_1 + RUN_2).encode()
    assert HEADER.startswith(b"model_id,contact_id,") and HEADER.endswith(b"as_of\r\n")
    assert leftovers(tmp_path) == []


def test_a_first_run_without_changes_leaves_the_header(tmp_path):
    append_outbox(tmp_path, [])
    assert content(tmp_path) == HEADER


def test_an_error_while_rendering_the_rows_appends_nothing(tmp_path):
    append_outbox(tmp_path, RUN_1)

    def failing():
        yield RUN_2[0]
        raise RuntimeError("the build database went away")

    with pytest.raises(RuntimeError):
        append_outbox(tmp_path, failing())
    assert content(tmp_path) == HEADER + RUN_1[0].encode()
    assert leftovers(tmp_path) == []


def test_a_crash_mid_append_leaves_no_half_row(tmp_path):
    append_outbox(tmp_path, RUN_1)
    before = content(tmp_path)
    # What a process killed mid-append leaves: the journal, and part of a row.
    (tmp_path / f".{OUTBOX_FILE}.append").write_text(str(len(before)))
    with (tmp_path / OUTBOX_FILE).open("ab") as handle:
        handle.write(RUN_2[0].encode()[:17])
    # The next run cuts the half row away, then appends its own rows (those of the crashed
    # run again too: they were never recorded as sent).
    append_outbox(tmp_path, RUN_2)
    assert content(tmp_path) == before + "".join(RUN_2).encode()
    assert leftovers(tmp_path) == []


def test_a_failed_append_is_undone_at_once(tmp_path, monkeypatch):
    append_outbox(tmp_path, RUN_1)
    before = content(tmp_path)

    def half_then_disk_full(source, target, length=0):
        target.write(source.read(10))
        target.flush()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outbox.shutil, "copyfileobj", half_then_disk_full)
    with pytest.raises(OSError, match="No space"):
        append_outbox(tmp_path, RUN_2)
    assert content(tmp_path) == before and leftovers(tmp_path) == []
    monkeypatch.undo()
    append_outbox(tmp_path, RUN_2)
    assert content(tmp_path) == before + "".join(RUN_2).encode()


def test_a_file_with_another_header_is_set_aside_not_mixed(tmp_path):
    (tmp_path / OUTBOX_FILE).write_bytes(b"model_id,contact_id,total_score\r\nlead,c0,5\r\n")
    append_outbox(tmp_path, RUN_1)
    assert content(tmp_path) == HEADER + RUN_1[0].encode()
    (old,) = leftovers(tmp_path)
    assert old.startswith("crm_updates.until-") and old.endswith(".csv")
    assert (tmp_path / old).read_bytes().endswith(b"lead,c0,5\r\n")
