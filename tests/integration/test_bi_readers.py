"""A BI process holding the warehouse open across a publish: what it sees, and when it sees more.

DuckDB shares one open database per file path inside a process: while any connection to the
path is open there, a new `duckdb.connect(path)` joins it and reads the file as it was opened,
even after publish replaced it. The README's BI section rests on these measurements.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest

from orchestration.warehouse.publish import publish_warehouse

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

VERSIONS = (
    "select (select max(version) from marts.contact_scores), "
    "(select max(version) from ops.quarantine)"
)

# The BI process: holds one connection open from its start, answers one command per line.
READER = f"""
import json, sys, duckdb

path = sys.argv[1]

def versions(con):
    return list(con.execute({VERSIONS!r}).fetchone())

held = duckdb.connect(path, read_only=True)
print(json.dumps({{"held": versions(held)}}), flush=True)
for command in sys.stdin:
    command = command.strip()
    if command == "read":
        reply = {{"held": versions(held)}}
        another = duckdb.connect(path, read_only=True)  # what a pool does when it grows
        reply["new_while_held"] = versions(another)
        another.close()
    elif command == "close-all-then-connect":
        held.close()
        with duckdb.connect(path, read_only=True) as fresh:
            reply = {{"fresh": versions(fresh)}}
    print(json.dumps(reply), flush=True)
"""


def make_build(path, version):
    """A build database whose published tables all carry `version`."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists ops")
        con.execute(
            "create or replace table marts.contact_scores as "
            f"select 'C' || i as contact_id, {version} as version from range(100) t(i)"
        )
        con.execute(f"create or replace table ops.quarantine as select {version} as version")


def ask(reader, command=None):
    if command is not None:
        reader.stdin.write(command + "\n")
        reader.stdin.flush()
    line = reader.stdout.readline()
    assert line, reader.stderr.read()
    return json.loads(line)


def test_a_reader_process_sees_a_refresh_once_it_holds_no_connection(tmp_path):
    build, warehouse = tmp_path / "build.duckdb", tmp_path / "warehouse" / "lead_scoring.duckdb"
    make_build(build, 1)
    publish_warehouse(build, warehouse)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert ask(reader) == {"held": [1, 1]}

        make_build(build, 2)
        publish_warehouse(build, warehouse)  # (a) not blocked by the reader's open connection

        seen = ask(reader, "read")
        assert seen["held"] == [1, 1]  # (b) the old snapshot, whole: no table of version 2
        # The pitfall: a new connection in the same process joins the open one, old file and all.
        assert seen["new_while_held"] == [1, 1]
        # (d) Any other process opening the file now reads the new one.
        with duckdb.connect(str(warehouse), read_only=True) as other_process:
            assert list(other_process.execute(VERSIONS).fetchone()) == [2, 2]

        # (c) Once the reader's last connection to the file is closed, it reads the new one.
        assert ask(reader, "close-all-then-connect") == {"fresh": [2, 2]}
    finally:
        reader.stdin.close()
        reader.wait(timeout=30)
    assert reader.returncode == 0, reader.stderr.read()
