"""The house rules a machine can check: Dagster only in defs/, one owner per setting, sizes."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orchestration"
DEFS = PACKAGE / "defs"
MAX_LINES = 500


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def loaded_dagster_modules(code: str) -> list[str]:
    """Run `code` in a fresh interpreter; the dagster modules it loaded."""
    probe = (
        f"{code}\nimport sys\n"
        "print('\\n'.join(m for m in sys.modules if m.split('.')[0].startswith('dagster')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    return result.stdout.split()


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_defs_imports_dagster_and_nothing_imports_private_dagster(path):
    names = imported_names(path)
    assert not [n for n in names if n.startswith(("dagster._", "dagster_dbt._"))]
    if DEFS not in path.parents:
        assert not [n for n in names if n.split(".")[0].startswith("dagster")]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_long_without_saying_why(path):
    text = path.read_text(encoding="utf-8")
    docstring = ast.get_docstring(ast.parse(text)) or ""
    assert docstring, "every module starts with a one-line purpose"
    if text.count("\n") > MAX_LINES:
        assert "Longer than" in docstring, f"{path.name}: over {MAX_LINES} lines"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_config_module_reads_the_environment(path):
    if path == PACKAGE / "config.py":
        return
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            assert target not in ("os.getenv", "os.environ.get"), f"{path.name}: {target}"
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            assert ast.unparse(node.value) != "os.environ", f"{path.name} reads os.environ[...]"


def test_the_domain_loads_without_dagster():
    code = (
        "import orchestration.explain, orchestration.rules, orchestration.ingest, "
        "orchestration.alerts, orchestration.crm, orchestration.warehouse.publish, "
        "orchestration.warehouse.guard, orchestration.demo, orchestration.reports"
    )
    assert loaded_dagster_modules(code) == []


@pytest.mark.parametrize(
    "args",
    [["validate"], ["top"], ["explain", "nobody"], ["report"]],
    ids=["validate", "top", "explain", "report"],
)
def test_cli_commands_that_read_need_no_dagster(args, tmp_path):
    code = (
        "from click.testing import CliRunner\n"
        "from orchestration.cli import main\n"
        f"CliRunner().invoke(main, ['--data-dir', {str(tmp_path)!r}, *{args!r}])"
    )
    assert loaded_dagster_modules(code) == []
