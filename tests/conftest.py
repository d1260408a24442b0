"""Shared fixtures: a fresh scoring scenario per test, on session-wide dbt paths."""

from __future__ import annotations

import pytest

from tests.support.scenario import Scenario


@pytest.fixture(scope="session")
def dbt_workspace(tmp_path_factory):
    return tmp_path_factory.mktemp("dbt_workspace")


@pytest.fixture
def scenario(tmp_path, dbt_workspace) -> Scenario:
    return Scenario(tmp_path, dbt_workspace)
