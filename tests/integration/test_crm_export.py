"""CRM export end to end against local HubSpot and Salesforce stand-ins (no dbt: fast).

The build database is made of plain tables (tests/support/crm_servers.build_crm_database);
the fakes implement the documented request and response shapes, auth and batch limits.
"""

from __future__ import annotations

import csv
import logging
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx
import pytest

from orchestration.crm import (
    ExportPolicy,
    ExportSummary,
    run_crm_exports,
    setup_hubspot_properties,
)
from orchestration.crm import hubspot as hubspot_module
from tests.support.crm_servers import (
    FakeHubSpot,
    FakeSalesforce,
    build_crm_database,
    seed_field_map_rows,
)

HUBSPOT_TOKEN = "pat-na1-4d3f2e1a-TEST-SECRET-hubspot"
SALESFORCE_TOKEN = "00D5g000004Xyz!AQ8AQTEST-SECRET-salesforce"
BATCH_PATH = "/crm/v3/objects/contacts/batch/update"

N_CONTACTS = 250
BY_ID = range(1, 201)  # hubspot_id h<n>
BY_EMAIL = range(201, 241)  # e-mail only (HubSpot record e<n>)
SF_IDS = range(1, 221)
CROSS_SELL = range(1, 21)
EXCLUDED = 5


def contact_id(n: int) -> str:
    return f"c{n:03d}"


def sf_id(n: int) -> str:
    return f"00Q5g{n:010d}AAA"


def email(n: int) -> str:
    return f"person{n}@example.com"


def contacts() -> list[dict]:
    return [
        {
            "contact_id": contact_id(n),
            "email": email(n) if n <= 240 else None,
            "hubspot_id": f"h{n}" if n in BY_ID else None,
            "salesforce_id": sf_id(n) if n in SF_IDS else None,
        }
        for n in range(1, N_CONTACTS + 1)
    ]


def scores() -> list[dict]:
    rows = []
    for n in range(1, N_CONTACTS + 1):
        stage = ("lead", "mql", "sql")[n % 3]
        row = {"contact_id": contact_id(n), "total_score": Decimal(n) / 2, "stage": stage}
        if n == EXCLUDED:  # a stale MQL flag must never reach a CRM for an excluded contact
            row.update(stage="mql", is_excluded=True, exclusion_reason="competitor")
        rows.append(row)
    for n in CROSS_SELL:
        rows.append(
            {
                "model_id": "cross_sell",
                "contact_id": contact_id(n),
                "total_score": 10,
                "stage": "lead",
            }
        )
    return rows


def hubspot_portal() -> dict[str, str]:
    portal = {f"h{n}": email(n) for n in BY_ID}
    portal.update({f"e{n}": email(n) for n in BY_EMAIL})
    return portal


def hubspot_fields() -> list[str]:
    return [field for _, target, _, field in seed_field_map_rows() if target == "hubspot"]


def salesforce_fields() -> list[str]:
    return [field for _, target, _, field in seed_field_map_rows() if target == "salesforce"]


@pytest.fixture
def hubspot():
    with FakeHubSpot(HUBSPOT_TOKEN, hubspot_portal(), properties=hubspot_fields()) as server:
        yield server


@pytest.fixture
def salesforce():
    with FakeSalesforce(
        SALESFORCE_TOKEN, [sf_id(n) for n in SF_IDS], fields=salesforce_fields()
    ) as server:
        yield server


@pytest.fixture
def build_db(tmp_path) -> Path:
    return build_crm_database(tmp_path / "work" / "build.duckdb", contacts(), scores())


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def policy(sleeps) -> ExportPolicy:
    return ExportPolicy(backoff_seconds=0.001, timeout_seconds=5, sleep=sleeps.append)


def crm_env(hubspot=None, salesforce=None, **extra) -> dict[str, str]:
    env = {}
    if hubspot is not None:
        env.update(HUBSPOT_ACCESS_TOKEN=HUBSPOT_TOKEN, HUBSPOT_BASE_URL=hubspot.url)
    if salesforce is not None:
        env.update(SALESFORCE_INSTANCE_URL=salesforce.url, SALESFORCE_ACCESS_TOKEN=SALESFORCE_TOKEN)
    env.update(extra)
    return env


def export(build_db: Path, outbox: Path, env, policy, **kwargs) -> ExportSummary:
    with duckdb.connect(str(build_db), read_only=kwargs.get("dry_run", False)) as con:
        return run_crm_exports(con, outbox, env=env, policy=policy, **kwargs)


def ledger(build_db: Path) -> list[tuple]:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return con.execute(
            "select target, contact_id, model_id, status, attempts, last_error "
            "from ops.export_ledger order by all"
        ).fetchall()


def ledger_text(build_db: Path) -> str:
    with duckdb.connect(str(build_db), read_only=True) as con:
        return repr(con.execute("select * from ops.export_ledger").fetchall())


def read_outbox(outbox: Path) -> list[dict[str, str]]:
    with (outbox / "crm_updates.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert HUBSPOT_TOKEN not in text
        assert SALESFORCE_TOKEN not in text
        assert "TEST-SECRET" not in text


# --- the scenario of the issue --------------------------------------------------------------


def test_only_changes_are_sent_once_despite_rate_limits_and_failed_records(
    tmp_path, build_db, hubspot, salesforce, policy, sleeps, caplog
):
    caplog.set_level(logging.DEBUG)
    outbox = tmp_path / "outbox"
    env = crm_env(hubspot, salesforce)
    hubspot.inject(429, retry_after="1", path=BATCH_PATH)
    hubspot.failing.add("h7")
    salesforce.inject(429, retry_after="0")
    salesforce.inject(503)
    salesforce.failing.add(sf_id(9))

    # Run 1: everything is new.
    first = export(build_db, outbox, env, policy)
    assert (first.hubspot.changed, first.hubspot.sent, first.hubspot.failed) == (240, 239, 1)
    assert first.hubspot.skipped == 10  # neither hubspot_id nor e-mail
    assert (first.salesforce.changed, first.salesforce.sent, first.salesforce.failed) == (
        220,
        219,
        1,
    )
    assert first.salesforce.skipped == 30
    assert first.outbox.changed == N_CONTACTS + len(CROSS_SELL)
    # Batches: 100 + 100 by id, 40 by e-mail (separate), plus the retry after the 429.
    sizes = [len(r.body["inputs"]) for r in hubspot.calls("POST", BATCH_PATH)]
    assert sizes == [100, 100, 100, 40]
    id_kinds = [{i.get("idProperty") for i in r.body["inputs"]} for r in hubspot.requests]
    assert id_kinds[-1] == {"email"} and id_kinds[0] == {None}
    assert [len(r.body["records"]) for r in salesforce.requests] == [200, 200, 200, 20]
    assert 1.0 in sleeps  # Retry-After: 1 was respected (the fake sleep records it)
    assert 0.0 in sleeps
    updated = Counter(hubspot.updated_ids())
    assert len(updated) == 239 and set(updated.values()) == {1}  # each record exactly once
    assert "h7" not in updated
    assert Counter(salesforce.updated_ids()).most_common(1)[0][1] == 1
    assert len(salesforce.updates) == 219

    # What arrived: lifecycle mapped, excluded contact never MQL, cross-sell under its names.
    h1 = hubspot.contacts["h1"]
    assert h1["leadscore_total"] == "0.5" and h1["leadscore_cross_sell_total"] == "10"
    assert h1["lifecyclestage"] == "marketingqualifiedlead"  # 1 % 3 -> mql
    excluded = hubspot.contacts[f"h{EXCLUDED}"]
    assert excluded["leadscore_stage"] == "excluded" and "lifecyclestage" not in excluded
    assert salesforce.records[sf_id(EXCLUDED)]["Lead_Stage__c"] == "excluded"
    assert salesforce.records[sf_id(2)]["Lead_Score__c"] == 1  # numbers as JSON numbers
    assert hubspot.contacts["e201"]["leadscore_stage"] in ("lead", "mql", "sql")

    rows = ledger(build_db)
    failed = [r for r in rows if r[3] != "sent"]
    # One ledger row per model: both models of the refused contact stay owed.
    assert [r[:4] for r in failed] == [
        ("hubspot", contact_id(7), "cross_sell", "failed"),
        ("hubspot", contact_id(7), "lead", "failed"),
        ("salesforce", contact_id(9), "cross_sell", "failed"),
        ("salesforce", contact_id(9), "lead", "failed"),
    ]
    assert "locked by a workflow" in failed[0][5]
    assert "FIELD_CUSTOM_VALIDATION_EXCEPTION" in failed[2][5]
    retried = {r[1]: r[4] for r in rows if r[0] == "hubspot" and r[2] == "lead"}
    assert retried[contact_id(1)] == 2  # in the batch that met the 429
    assert retried[contact_id(201)] == 1
    outbox_rows = read_outbox(outbox)
    assert len(outbox_rows) == N_CONTACTS + len(CROSS_SELL)
    excluded_row = [
        r
        for r in outbox_rows
        if r["contact_id"] == contact_id(EXCLUDED) and r["model_id"] == "lead"
    ]
    assert [(r["stage"], r["lifecycle_stage"], r["is_excluded"]) for r in excluded_row] == [
        ("excluded", "", "true")
    ]

    # Run 2: the CRMs no longer refuse the two records; only they are sent.
    hubspot.failing.clear()
    salesforce.failing.clear()
    hub_before, sf_before = len(hubspot.requests), len(salesforce.requests)
    second = export(build_db, outbox, env, policy)
    assert (second.hubspot.changed, second.hubspot.sent, second.hubspot.failed) == (1, 1, 0)
    assert (second.salesforce.changed, second.salesforce.sent) == (1, 1)
    new_hub = hubspot.requests[hub_before:]
    assert [i["id"] for r in new_hub for i in r.body["inputs"]] == ["h7"]
    assert [rec["id"] for r in salesforce.requests[sf_before:] for rec in r.body["records"]] == [
        sf_id(9)
    ]
    # The outbox is appended to, never rewritten: the second run changed no row, added none.
    assert second.outbox.changed == 0 and read_outbox(outbox) == outbox_rows
    assert all(r[3] == "sent" for r in ledger(build_db))

    # Run 3: nothing changed, nothing is sent (not even an empty request).
    hub_before, sf_before = len(hubspot.requests), len(salesforce.requests)
    third = export(build_db, outbox, env, policy)
    assert third.hubspot.changed == third.salesforce.changed == third.outbox.changed == 0
    assert third.hubspot.unchanged == 240 and third.success
    assert len(hubspot.requests) == hub_before and len(salesforce.requests) == sf_before
    assert (outbox / "crm_updates.csv").exists()

    # Run 4, a day later: one lead score moves; only that model's fields of that contact are
    # sent, and the outbox gains that one row, told apart from the earlier runs' by its as_of.
    with duckdb.connect(str(build_db)) as con:
        con.execute("update marts.contact_scores set as_of = timestamp '2026-11-02'")
        con.execute(
            "update marts.contact_scores set total_score = 99 "
            "where contact_id = ? and model_id = 'lead'",
            [contact_id(10)],
        )
    fourth = export(build_db, outbox, env, policy)
    assert (fourth.hubspot.sent, fourth.salesforce.sent, fourth.outbox.sent) == (1, 1, 1)
    appended = read_outbox(outbox)
    assert appended[: len(outbox_rows)] == outbox_rows
    assert {r["as_of"] for r in outbox_rows} == {"2026-11-01T00:00:00.000Z"}
    assert [
        (r["model_id"], r["contact_id"], r["total_score"])
        for r in appended
        if r["as_of"] == "2026-11-02T00:00:00.000Z"
    ] == [("lead", contact_id(10), "99")]
    (last,) = hubspot.calls("POST", BATCH_PATH)[-1].body["inputs"]
    assert last["id"] == "h10" and last["properties"]["leadscore_total"] == "99"
    assert not any("cross_sell" in name for name in last["properties"])

    # The tokens are nowhere: logs (httpx and httpcore debug included), ledger, outbox, summary.
    assert "c007" in caplog.text and "retrying" in caplog.text  # the logs are not empty
    assert_no_secret(
        caplog.text,
        ledger_text(build_db),
        (outbox / "crm_updates.csv").read_text(encoding="utf-8"),
        repr(first),
        repr(second),
    )


def test_dry_run_sends_records_and_writes_nothing(tmp_path, build_db, hubspot, salesforce, policy):
    outbox = tmp_path / "outbox"
    summary = export(build_db, outbox, crm_env(hubspot, salesforce), policy, dry_run=True)
    assert summary.dry_run
    assert (summary.hubspot.changed, summary.salesforce.changed) == (240, 220)
    assert summary.outbox.changed == N_CONTACTS + len(CROSS_SELL)
    assert summary.sent == 0
    preview = summary.hubspot.preview[0]
    assert preview["match"] == "id:h1" and preview["values"]["leadscore_total"] == "0.5"
    assert hubspot.requests == [] and salesforce.requests == []
    assert not (outbox / "crm_updates.csv").exists()
    with duckdb.connect(str(build_db), read_only=True) as con:
        assert not con.execute(
            "select count(*) from duckdb_tables() where table_name = 'export_ledger'"
        ).fetchone()[0]
    # After a real run, a dry run sees nothing left to send and leaves the ledger alone.
    export(build_db, outbox, crm_env(hubspot, salesforce), policy)
    before = ledger(build_db)
    again = export(build_db, outbox, crm_env(hubspot, salesforce), policy, dry_run=True)
    assert again.hubspot.changed == 0 and ledger(build_db) == before


def test_dry_run_previews_targets_that_are_not_configured_yet(tmp_path, build_db, policy):
    summary = export(build_db, tmp_path / "outbox", {}, policy, dry_run=True)
    assert not summary.hubspot.configured and summary.hubspot.changed == 240
    assert "not configured" in summary.describe()


def test_without_any_crm_only_the_outbox_is_written(tmp_path, build_db, policy):
    outbox = tmp_path / "outbox"
    summary = export(build_db, outbox, {}, policy)
    assert summary.describe().endswith("hubspot not configured; salesforce not configured")
    assert len(read_outbox(outbox)) == N_CONTACTS + len(CROSS_SELL)
    assert {r[0] for r in ledger(build_db)} == {"outbox"}
    assert export(build_db, outbox, {}, policy).outbox.changed == 0
    assert len(read_outbox(outbox)) == N_CONTACTS + len(CROSS_SELL)  # nothing appended


def test_a_half_configured_salesforce_is_reported_and_the_rest_still_runs(
    tmp_path, build_db, hubspot, policy
):
    env = crm_env(hubspot, SALESFORCE_INSTANCE_URL="https://acme.my.salesforce.com")
    summary = export(build_db, tmp_path / "outbox", env, policy)
    assert summary.hubspot.sent == 240 and summary.outbox.sent > 0
    assert not summary.salesforce.configured and not summary.success
    assert "SALESFORCE_ACCESS_TOKEN" in summary.salesforce.note
    assert "salesforce not configured: Salesforce export needs" in summary.describe()


def test_an_empty_field_map_falls_back_to_the_contract_defaults(tmp_path, hubspot, policy):
    build_db = build_crm_database(
        tmp_path / "build.duckdb",
        [{"contact_id": "c001", "hubspot_id": "h1"}],
        [{"contact_id": "c001", "total_score": 12, "stage": "sql"}],
        field_map=[],
    )
    summary = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    assert summary.hubspot.sent == 1
    assert set(hubspot.updates[0][1]) == {
        "leadscore_total",
        "leadscore_fit",
        "leadscore_engagement",
        "leadscore_stage",
        "leadscore_band",
        "leadscore_reasons",
    }  # lifecycle stage only when mapped


# --- failures -------------------------------------------------------------------------------


def test_a_refused_token_stops_the_target_and_is_never_echoed(
    tmp_path, build_db, hubspot, policy, caplog
):
    caplog.set_level(logging.DEBUG)
    outbox = tmp_path / "outbox"
    wrong = "pat-na1-WRONG-TEST-SECRET-token"
    env = {"HUBSPOT_ACCESS_TOKEN": wrong, "HUBSPOT_BASE_URL": hubspot.url}
    summary = export(build_db, outbox, env, policy)
    assert (summary.hubspot.sent, summary.hubspot.failed) == (0, 240)
    assert "HTTP 401" in summary.hubspot.aborted
    assert len(hubspot.requests) == 1  # no point sending the other batches
    statuses = Counter(r[3] for r in ledger(build_db) if r[0] == "hubspot")
    assert statuses == {"failed": 240 + len(CROSS_SELL)}  # one row per contact and model
    # The fake echoes the presented token in its error body; it must be scrubbed everywhere.
    assert "[redacted]" in ledger_text(build_db)
    for text in (caplog.text, ledger_text(build_db), repr(summary)):
        assert wrong not in text
    fixed = export(build_db, outbox, crm_env(hubspot), policy)
    assert (fixed.hubspot.changed, fixed.hubspot.sent) == (240, 240)


def test_server_errors_are_retried_with_backoff(tmp_path, build_db, hubspot, sleeps):
    policy = ExportPolicy(backoff_seconds=0.01, timeout_seconds=5, sleep=sleeps.append)
    hubspot.inject(503, path=BATCH_PATH)
    hubspot.inject(502, path=BATCH_PATH)
    hubspot.inject(503, path=BATCH_PATH)
    summary = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    assert (summary.hubspot.sent, summary.hubspot.failed) == (240, 0)
    assert summary.hubspot.requests == 3 + 3
    assert sleeps[:3] == [0.01, 0.02, 0.04]  # exponential backoff without Retry-After
    assert Counter(hubspot.updated_ids()).most_common(1)[0][1] == 1


def wait_for_updates(server, count: int, seconds: float = 3.0) -> None:
    """Until the stand-in has carried out `count` updates (a late answer is still running)."""
    deadline = time.monotonic() + seconds
    while len(server.updated_ids()) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_an_answer_after_the_timeout_is_not_sent_again_in_the_same_run(
    tmp_path, build_db, hubspot, sleeps
):
    policy = ExportPolicy(backoff_seconds=0.01, timeout_seconds=0.5, sleep=sleeps.append)
    # The first batch is carried out, but its answer comes after the client gave up.
    hubspot.inject(delay=1.0, process=True, path=BATCH_PATH)
    hubspot.inject(delay=1.0, path=BATCH_PATH)  # the second gets no answer at all
    first = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    wait_for_updates(hubspot, 140)
    assert (first.hubspot.sent, first.hubspot.failed, first.hubspot.requests) == (40, 200, 3)
    assert "it may have arrived, so it is not sent again in this run" in first.hubspot.errors[0]
    assert set(Counter(hubspot.updated_ids()).values()) == {1}  # nothing twice in the run
    assert sleeps == []
    second = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    assert (second.hubspot.changed, second.hubspot.sent) == (200, 200)
    assert {r[3] for r in ledger(build_db)} == {"sent"}


def test_the_delivery_budget_leaves_the_rest_pending_for_the_next_run(
    tmp_path, build_db, hubspot, policy
):
    slow = ExportPolicy(
        timeout_seconds=2, budget_seconds=0.8, hubspot_batch_size=20, sleep=policy.sleep
    )
    hubspot.inject(delay=0.3, process=True, path=BATCH_PATH, times=12)  # every batch is slow
    started = time.monotonic()
    first = export(build_db, tmp_path / "outbox", crm_env(hubspot), slow)
    elapsed = time.monotonic() - started
    wait_for_updates(hubspot, first.hubspot.sent + first.hubspot.failed)
    target = first.hubspot
    assert elapsed < 2.5  # unbounded: 12 batches x 0.3 s, and the planning
    assert target.sent >= 20 and target.deferred >= 120
    assert target.sent + target.failed + target.deferred == 240
    assert f"{target.deferred:,} left for the next run (delivery budget of 0.8 s used up)" in (
        first.describe()
    )
    assert not first.success and first.outbox.sent == N_CONTACTS + len(CROSS_SELL)
    statuses = {(r[1], r[3]) for r in ledger(build_db) if r[0] == "hubspot"}
    assert len({c for c, status in statuses if status == "pending"}) == target.deferred
    assert set(Counter(hubspot.updated_ids()).values()) == {1}
    second = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    assert second.hubspot.changed == target.failed + target.deferred
    assert second.hubspot.sent == second.hubspot.changed and second.success


def test_a_plain_http_crm_url_is_refused_and_the_outbox_still_written(tmp_path, build_db, policy):
    env = {"HUBSPOT_ACCESS_TOKEN": HUBSPOT_TOKEN, "HUBSPOT_BASE_URL": "http://api.example.com"}
    summary = export(build_db, tmp_path / "outbox", env, policy)
    assert not summary.hubspot.configured and summary.hubspot.sent == 0
    assert summary.hubspot.note.startswith("not configured: HUBSPOT_BASE_URL uses plain http")
    assert "https is required" in summary.hubspot.note
    assert summary.outbox.sent == N_CONTACTS + len(CROSS_SELL)


def test_a_service_that_stays_down_leaves_everything_for_the_next_run(
    tmp_path, build_db, salesforce, policy
):
    salesforce.inject(503, times=policy.attempts)
    down = export(build_db, tmp_path / "outbox", crm_env(salesforce=salesforce), policy)
    assert (down.salesforce.sent, down.salesforce.failed) == (0, 220)
    assert "gave up after 4 attempts" in down.salesforce.aborted
    assert len(salesforce.requests) == policy.attempts
    up = export(build_db, tmp_path / "outbox", crm_env(salesforce=salesforce), policy)
    assert (up.salesforce.changed, up.salesforce.sent) == (220, 220)


def test_a_retry_after_longer_than_the_limit_is_not_waited_for(tmp_path, build_db, hubspot, sleeps):
    policy = ExportPolicy(max_retry_after_seconds=60, sleep=sleeps.append)
    hubspot.inject(429, retry_after="86400", path=BATCH_PATH)  # a daily limit
    summary = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    assert summary.hubspot.failed == 240 and "429" in summary.hubspot.aborted
    assert sleeps == [] and len(hubspot.requests) == 1


def test_crash_mid_export_neither_loses_nor_repeats_accepted_records(
    tmp_path, build_db, hubspot, policy, monkeypatch
):
    real_send = hubspot_module.HubSpotSender.send
    calls = []

    def crashing_send(self, batch):
        calls.append(len(batch))
        if len(calls) == 2:
            raise KeyboardInterrupt  # the process dies while the second batch is in flight
        return real_send(self, batch)

    monkeypatch.setattr(hubspot_module.HubSpotSender, "send", crashing_send)
    with pytest.raises(KeyboardInterrupt):
        export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    statuses = Counter(r[3] for r in ledger(build_db) if r[0] == "hubspot")
    # The first batch (100 contacts, 20 of them with a cross-sell row too) is committed.
    assert statuses == {"sent": 100 + len(CROSS_SELL), "pending": 140}
    monkeypatch.setattr(hubspot_module.HubSpotSender, "send", real_send)
    resumed = export(build_db, tmp_path / "outbox", crm_env(hubspot), policy)
    assert (resumed.hubspot.changed, resumed.hubspot.sent) == (140, 140)
    updated = Counter(hubspot.updated_ids())
    assert len(updated) == 240 and set(updated.values()) == {1}


def test_whole_batch_refusals_stop_after_a_few(tmp_path, build_db, policy):
    # A portal where the properties were never created: every batch is refused (400).
    with FakeHubSpot(HUBSPOT_TOKEN, hubspot_portal()) as empty:
        summary = export(
            build_db,
            tmp_path / "outbox",
            crm_env(empty),
            ExportPolicy(hubspot_batch_size=20, abort_after_rejected_batches=3, sleep=policy.sleep),
        )
    assert summary.hubspot.failed == 240 and summary.hubspot.sent == 0
    assert len(empty.requests) == 3
    assert "does not exist" in summary.hubspot.errors[0]


# --- setup from an empty portal -------------------------------------------------------------


def test_setup_creates_the_missing_properties_then_the_export_works(tmp_path, build_db, policy):
    with FakeHubSpot(HUBSPOT_TOKEN, hubspot_portal()) as portal:
        env = crm_env(portal)
        created = setup_hubspot_properties(env, policy=policy)
        expected = [f for f in hubspot_fields() if f != "lifecyclestage"]
        assert created == expected
        assert "leadscore" in portal.groups
        assert portal.properties["leadscore_total"]["type"] == "number"
        assert portal.properties["leadscore_reasons"]["fieldType"] == "textarea"
        assert setup_hubspot_properties(env, policy=policy) == []  # idempotent
        summary = export(build_db, tmp_path / "outbox", env, policy)
        assert (summary.hubspot.sent, summary.hubspot.failed) == (240, 0)


def test_setup_reports_a_refused_token_without_quoting_it():
    with FakeHubSpot(HUBSPOT_TOKEN) as portal:
        env = {"HUBSPOT_ACCESS_TOKEN": "wrong-TEST-SECRET", "HUBSPOT_BASE_URL": portal.url}
        with pytest.raises(Exception) as raised:
            setup_hubspot_properties(env, policy=ExportPolicy(sleep=lambda s: None))
    assert "HTTP 401" in str(raised.value) and "TEST-SECRET" not in str(raised.value)


# --- the stand-ins themselves enforce the documented limits ---------------------------------


def test_the_stand_ins_enforce_auth_and_batch_limits(hubspot, salesforce):
    too_many = {"inputs": [{"id": f"h{n}", "properties": {}} for n in range(1, 102)]}
    bearer = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}
    assert httpx.post(hubspot.url + BATCH_PATH, json=too_many).status_code == 401
    assert httpx.post(hubspot.url + BATCH_PATH, json=too_many, headers=bearer).status_code == 400
    records = [{"attributes": {"type": "Lead"}, "id": sf_id(n)} for n in range(1, 202)]
    response = httpx.patch(
        salesforce.url + salesforce.path,
        json={"allOrNone": False, "records": records},
        headers={"Authorization": f"Bearer {SALESFORCE_TOKEN}"},
    )
    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
