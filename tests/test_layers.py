"""The structure of docs/architecture.md, enforced by the import contracts declared in
pyproject.toml ([tool.importlinter]) and checked with import-linter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("verifier", "contracts", "ledger", "api")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the packages found in ``tree``, with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = Path(sys.executable).with_name("lint-imports")
    return subprocess.run([str(command), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=tree, env=env, capture_output=True, text=True, timeout=300)


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken." in result.stdout


def _copy_of_the_packages(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def test_a_service_module_importing_a_route_breaks_the_contracts(tmp_path: Path) -> None:
    tree = _copy_of_the_packages(tmp_path)
    (tree / "api" / "service" / "probe.py").write_text(
        "from api.web.routes import admin  # noqa: F401\n", encoding="utf-8")
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "The service knows nothing of HTTP, the web layer or the command line BROKEN" \
        in result.stdout
    assert "api.service.probe -> api.web.routes.admin" in result.stdout


def test_a_service_module_importing_the_command_line_breaks_the_contracts(
        tmp_path: Path) -> None:
    tree = _copy_of_the_packages(tmp_path)
    (tree / "api" / "service" / "probe.py").write_text(
        "def later():\n    from api.cli import main  # noqa: F401\n", encoding="utf-8")
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "api.service.probe -> api.cli" in result.stdout


def test_an_import_cycle_breaks_the_contracts(tmp_path: Path) -> None:
    tree = _copy_of_the_packages(tmp_path)
    (tree / "verifier" / "probe_a.py").write_text("from verifier import probe_b  # noqa\n")
    (tree / "verifier" / "probe_b.py").write_text("from verifier import probe_a  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No import cycles BROKEN" in result.stdout
