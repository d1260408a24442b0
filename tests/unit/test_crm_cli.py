"""`leadscore crm setup --hubspot` and `leadscore crm export [--dry-run]`."""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from tests.support.crm_servers import FakeHubSpot, build_crm_database

TOKEN = "pat-na1-CLI-TEST-SECRET"
CRM_VARIABLES = (
    "HUBSPOT_ACCESS_TOKEN",
    "HUBSPOT_BASE_URL",
    "SALESFORCE_INSTANCE_URL",
    "SALESFORCE_ACCESS_TOKEN",
    "LEADSCORE_CRM_TIMEOUT_SECONDS",
    "LEADSCORE_CRM_MAX_ATTEMPTS",
    "LEADSCORE_DELIVERY_BUDGET_SECONDS",
)


@pytest.fixture(autouse=True)
def no_crm_in_the_environment(monkeypatch):
    for name in CRM_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data_dir(tmp_path):
    contacts = [
        {"contact_id": "c1", "email": "a@example.com", "hubspot_id": "101"},
        {"contact_id": "c2", "email": "b@example.com"},
    ]
    scores = [
        {"contact_id": "c1", "total_score": 70, "stage": "sql"},
        {"contact_id": "c2", "total_score": 40, "stage": "mql"},
    ]
    build_crm_database(tmp_path / "work" / "build.duckdb", contacts, scores)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, list(args))


def test_export_without_a_build_says_what_to_do(tmp_path):
    result = invoke("--data-dir", str(tmp_path), "crm", "export")
    assert result.exit_code == 1
    assert "run `leadscore run` first" in result.output


def test_dry_run_prints_what_would_be_sent_and_changes_nothing(data_dir):
    result = invoke("--data-dir", str(data_dir), "crm", "export", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run: nothing sent" in result.output
    assert "hubspot 2 would be sent" in result.output and "not configured" in result.output
    assert (
        '"match": "id:101"' in result.output and '"match": "email:b@example.com"' in result.output
    )
    assert not (data_dir / "outbox").exists()


def test_export_writes_the_outbox_and_sends_to_hubspot(data_dir, monkeypatch):
    with FakeHubSpot(TOKEN, {"101": "a@example.com", "202": "b@example.com"}) as portal:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", TOKEN)
        monkeypatch.setenv("HUBSPOT_BASE_URL", portal.url)
        setup = invoke("crm", "setup", "--hubspot")
        assert setup.exit_code == 0, setup.output
        assert "created 14 contact properties" in setup.output and "leadscore_total" in setup.output
        again = invoke("crm", "setup", "--hubspot")
        assert "already exists" in again.output
        result = invoke("--data-dir", str(data_dir), "crm", "export")
        assert result.exit_code == 0, result.output
        assert "hubspot 2 changed, 2 sent" in result.output
        assert portal.contacts["202"]["lifecyclestage"] == "marketingqualifiedlead"
        assert TOKEN not in result.output
    assert (data_dir / "outbox" / "crm_updates.csv").exists()
    with duckdb.connect(str(data_dir / "work" / "build.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from ops.export_ledger").fetchone()[0] == 4


def test_failures_exit_non_zero(data_dir, monkeypatch):
    with FakeHubSpot(TOKEN, {"101": "a@example.com"}) as portal:
        monkeypatch.setenv("HUBSPOT_ACCESS_TOKEN", "wrong-CLI-TEST-SECRET")
        monkeypatch.setenv("HUBSPOT_BASE_URL", portal.url)
        monkeypatch.setenv("LEADSCORE_CRM_MAX_ATTEMPTS", "1")
        result = invoke("--data-dir", str(data_dir), "crm", "export")
    assert result.exit_code == 1
    assert "HTTP 401" in result.output and "CLI-TEST-SECRET" not in result.output


def test_setup_needs_a_target_and_a_token():
    assert invoke("crm", "setup").exit_code == 2
    result = invoke("crm", "setup", "--hubspot")
    assert result.exit_code == 1 and "HUBSPOT_ACCESS_TOKEN is not set" in result.output
