"""A fully disclosed credbank credential verifies with an independent W3C implementation
(Digital Bazaar's @digitalbazaar/vc with the eddsa-jcs-2022 cryptosuite), run by Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.credentials import issue, make_issuer
from tests.vectors import vector_dir

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("verify_with_digitalbazaar.mjs")
OB_CONTEXT = vector_dir("openbadges3", "context", "context-3.0.3.json")


def independent_verdict(path: Path) -> dict:
    installed = (ROOT / "node_modules" / "@digitalbazaar" / "vc").exists()
    if shutil.which("node") is None or not installed:
        pytest.fail("Node packages missing: run scripts/test (it runs npm ci)")
    done = subprocess.run(["node", str(SCRIPT), str(path), str(OB_CONTEXT)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_independent_verifier_accepts_a_credbank_credential(tmp_path) -> None:
    credential = issue(make_issuer(tmp_path / "ou"))
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential, ensure_ascii=False))
    assert independent_verdict(path) == {"verified": True, "errors": []}


def test_independent_verifier_refuses_a_tampered_one(tmp_path) -> None:
    credential = issue(make_issuer(tmp_path / "ou"))
    credential["credentialSubject"]["achievement"]["name"] = "高等数学"
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(credential, ensure_ascii=False))
    verdict = independent_verdict(path)
    assert verdict["verified"] is False
    assert "Invalid signature." in verdict["errors"]
