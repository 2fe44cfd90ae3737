"""The layering rule of DESIGN.md, enforced: imports only point down.

    api -> ledger -> verifier        contracts is a leaf (anyone may import it but verifier)

verifier imports nothing of ours; ledger may import verifier and contracts; api may import
ledger, verifier and contracts; contracts imports nothing of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"verifier", "ledger", "contracts", "api"}
ALLOWED = {
    "verifier": set(),
    "contracts": set(),
    "ledger": {"verifier", "contracts"},
    "api": {"ledger", "verifier", "contracts"},
}


def imported_packages(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


def violations(package: str) -> list[str]:
    bad = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for target in imported_packages(path.read_text(encoding="utf-8")) - {package}:
            if target not in ALLOWED[package]:
                bad.append(f"{path.relative_to(ROOT)} imports {target}")
    return bad


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_only_point_down(package: str) -> None:
    assert violations(package) == []


def test_the_check_catches_an_upward_import() -> None:
    assert imported_packages("from ledger.client import X\nimport api.app") == {"ledger", "api"}
    assert imported_packages("from .merkle import root") == set()


def test_verifier_uses_no_chain_client_library() -> None:
    """The offline verifier must not pull in web3 or the node."""
    for path in (ROOT / "verifier").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in {"web3", "eth", "eth_tester", "fastapi"}, (
                    f"{path.relative_to(ROOT)} imports {name}"
                )
