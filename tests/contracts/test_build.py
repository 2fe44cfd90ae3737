"""The committed artifacts are what the pinned compiler makes of the committed sources."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import contracts

ROOT = Path(__file__).resolve().parents[2]
DEPLOYED = ["CredentialRegistry", "IssuerRegistry"]
PUSH1, PUSH32, PUSH0 = 0x60, 0x7F, 0x5F


def test_every_deployable_contract_has_an_artifact() -> None:
    assert contracts.available() == sorted(DEPLOYED)
    with pytest.raises(contracts.ArtifactNotFound):
        contracts.load("DocumentStore")


@pytest.mark.parametrize("name", DEPLOYED)
def test_artifacts_are_built_from_the_current_sources(name: str) -> None:
    stale = contracts.stale_sources(name)
    assert stale == [], f"sources changed since the build: {stale}; run scripts/compile_contracts"


@pytest.mark.parametrize("name", DEPLOYED)
def test_artifacts_use_the_pinned_compiler_and_settings(name: str) -> None:
    artifact = contracts.load(name)
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["solc"]
    assert artifact.compiler_version.startswith(pinned + "+commit.")
    assert artifact.settings["evmVersion"] == "london"
    assert artifact.settings["optimizer"]["enabled"] is True
    assert artifact.settings["optimizer"]["runs"] > 0


def opcodes(code: bytes) -> list[int]:
    found, pc = [], 0
    while pc < len(code):
        op = code[pc]
        found.append(op)
        pc += 1 + (op - PUSH1 + 1 if PUSH1 <= op <= PUSH32 else 0)
    return found


@pytest.mark.parametrize("name", DEPLOYED)
def test_bytecode_runs_on_london_rules(name: str) -> None:
    """No PUSH0 (Shanghai): the embedded chain runs London."""
    code = bytes.fromhex(contracts.load(name).deployed_bytecode[2:])
    # The CBOR metadata at the end is data, not code; its length is in the last two bytes.
    code = code[: -(int.from_bytes(code[-2:], "big") + 2)]
    assert PUSH0 not in opcodes(code)


def test_the_pinned_solidity_pragma() -> None:
    for source in sorted((ROOT / "contracts" / "src").glob("*.sol")):
        assert "pragma solidity 0.8.28;" in source.read_text(), source.name


@pytest.mark.skipif(
    not (ROOT / "node_modules" / "solc").is_dir() or shutil.which("node") is None,
    reason="needs node and node_modules/solc (npm ci); scripts/test always installs them",
)
def test_recompiling_reproduces_the_committed_artifacts(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "compile_contracts"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rebuilt = sorted(p.name for p in tmp_path.glob("*.json"))
    assert rebuilt == sorted(f"{name}.json" for name in DEPLOYED)
    for name in rebuilt:
        committed = (ROOT / "contracts" / "build" / name).read_bytes()
        assert (tmp_path / name).read_bytes() == committed, f"{name} differs from a rebuild"
