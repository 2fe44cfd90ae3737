"""End to end on the embedded node: issue anchored, export a trust bundle, verify offline.

Each scenario runs the commands an authority, an institution and an employer would:
``credbank`` in process for the chain side, and ``credbank-verify`` in a subprocess that
gets nothing but files (the credentials, the bundle, the pinned signer set).
"""

# The chain fixture is imported, so test parameters named after it shadow the import.
# ruff: noqa: F811

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest

from api.cli import main
from ledger import anchor_credential
from ledger.governance import issuer_client
from ledger.issuance import IssuerIdentity
from ledger.issuance.signing import sign_document, single_batch
from tests.credentials import RECORD
from tests.ledger.chains import ChainUnderTest, embedded_chain  # noqa: F401 - fixture
from verifier import timefmt

BIN = Path(sys.executable).parent
BATCH_SIZE = 1_000


def credbank(*args: object) -> str:
    """Run credbank in process; its stdout. Any failure fails the test with its message."""
    out = StringIO()
    with redirect_stdout(out):
        code = main([str(a) for a in args])
    assert code == 0, f"credbank {' '.join(map(str, args))} exited {code}"
    return out.getvalue()


def verify_offline(bundle: Path, pin: Path, *files: Path) -> list[dict]:
    """credbank-verify in its own process, with files only; one result per credential."""
    completed = subprocess.run(
        [str(BIN / "credbank-verify"), "--trust", str(bundle), "--pin", str(pin), "--json",
         *map(str, files)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return [json.loads(line) for line in completed.stdout.splitlines()]


def statuses(result: dict) -> dict[str, str]:
    return {check["id"]: check["status"] for check in result["checks"]}


def detail(result: dict, check_id: str) -> str:
    return next(c["detail"] for c in result["checks"] if c["id"] == check_id)


def failing(result: dict) -> list[str]:
    return [k for k, v in statuses(result).items() if v not in ("passed", "skipped")]


class Credit:
    """A credit bank on the embedded node: registry, governor, one accredited institution."""

    def __init__(self, chain: ChainUnderTest, root: Path) -> None:
        self.root = root
        self.chain = chain
        self.governor_key = root / "governor.key"
        chain.admit(credbank("chain", "new-key", "--out", self.governor_key).strip())
        self.chain_file = root / "chain.json"
        credbank("chain", "deploy", "--rpc", chain.url, "--governor-key", self.governor_key,
                 "--out", self.chain_file)
        self.registry = json.loads(self.chain_file.read_text())["registry"]
        self.ou = root / "ou"
        # Created a while ago, so that a key rotation now falls inside the first key's window.
        IssuerIdentity.create(self.ou, "上海开放大学 Shanghai Open University",
                              now=datetime.now(UTC) - timedelta(hours=1))
        accredited = json.loads(credbank("issuer", "accredit", "--dir", self.ou, "--chain",
                                         self.chain_file, "--governor-key", self.governor_key,
                                         "--json"))
        chain.admit(accredited["anchoringAccount"])
        self.pin = root / "pin.json"
        credbank("trust", "pin", "--rpc", chain.url, "--registry", self.registry,
                 "--out", self.pin)
        self._exports = 0

    def issue(self, name: str, count: int) -> Path:
        records = self.root / f"{name}.records.jsonl"
        records.write_text("".join(json.dumps(RECORD, ensure_ascii=False) + "\n"
                                   for _ in range(count)), encoding="utf-8")
        out = self.root / f"{name}.jsonl"
        credbank("issue", "--issuer", self.ou, records, "--out", out)
        return out

    def export(self) -> tuple[Path, int]:
        self._exports += 1
        bundle = self.root / f"bundle-{self._exports}.json"
        credbank("trust", "export", "--rpc", self.chain.url, "--registry", self.registry,
                 "--out", bundle)
        return bundle, json.loads(bundle.read_text())["checkpoint"]["number"]


@pytest.fixture
def credit(embedded_chain: ChainUnderTest, tmp_path: Path) -> Credit:
    return Credit(embedded_chain, tmp_path)


def _line(batch: Path, number: int) -> dict:
    return json.loads(batch.read_text(encoding="utf-8").splitlines()[number])


def test_batch_verifies_offline_and_a_revocation_shows_only_in_the_newer_bundle(
    credit: Credit,
) -> None:
    batch = credit.issue("batch", BATCH_SIZE)
    before, before_block = credit.export()

    results = verify_offline(before, credit.pin, batch)
    assert len(results) == BATCH_SIZE
    assert all(r["verified"] for r in results), failing(next(r for r in results
                                                             if not r["verified"]))
    assert {statuses(results[0])[c] for c in ("anchored", "not_revoked", "not_suspended",
                                                "issuer_trusted")} == {"passed"}

    target = 417
    index = _line(batch, target)["credentialStatus"]["statusIndex"]
    credbank("revoke", "--issuer", credit.ou, "--index", index, "--reason", 1)
    after, after_block = credit.export()
    assert after_block > before_block

    results = verify_offline(after, credit.pin, batch)
    failed = [i for i, r in enumerate(results) if not r["verified"]]
    assert failed == [target]
    assert failing(results[target]) == ["not_revoked"]
    assert f"as of block {after_block}" in detail(results[target], "not_revoked")

    # The older bundle still speaks for its own block, when the credential was good.
    old = verify_offline(before, credit.pin, batch)[target]
    assert old["verified"]
    assert f"as of block {before_block}" in detail(old, "not_revoked")


def test_suspension_fails_until_reinstated(credit: Credit) -> None:
    batch = credit.issue("batch", 3)
    index = _line(batch, 1)["credentialStatus"]["statusIndex"]

    credbank("suspend", "--issuer", credit.ou, "--index", index, "--reason", 7)
    suspended, _ = credit.export()
    results = verify_offline(suspended, credit.pin, batch)
    assert [failing(r) for r in results] == [[], ["not_suspended"], []]

    credbank("reinstate", "--issuer", credit.ou, "--index", index)
    reinstated, _ = credit.export()
    assert all(r["verified"] for r in verify_offline(reinstated, credit.pin, batch))


def test_revoked_batch_fails_every_credential_in_it(credit: Credit) -> None:
    kept, revoked = credit.issue("kept", 2), credit.issue("revoked", 3)
    credbank("revoke-batch", "--issuer", credit.ou, revoked, "--reason", 1)

    bundle, _ = credit.export()
    results = verify_offline(bundle, credit.pin, kept, revoked)
    assert [failing(r) for r in results] == [[], [], *[["not_revoked"]] * 3]


def test_key_rotation_keeps_earlier_credentials_and_refuses_the_old_key_after(
    credit: Credit,
) -> None:
    before = credit.issue("before", 2)
    credbank("issuer", "rotate-key", "--dir", credit.ou, "--governor-key", credit.governor_key)
    after = credit.issue("after", 2)
    assert _line(before, 0)["issuer"]["id"] != _line(after, 0)["issuer"]["id"]

    # The retired key signs once more, after the rotation, and the result is anchored.
    identity = IssuerIdentity.load(credit.ou)
    old_record = identity.key_records[0]
    old_key = identity._read_key(old_record.public_key_multibase)
    document = {k: v for k, v in _line(after, 0).items() if k != "proof"}
    document["issuer"] = {**document["issuer"], "id": old_key.did}
    document["id"] = "urn:uuid:6a1d6f43-0000-4000-8000-00000000beef"
    signed, claims_root = sign_document(document, old_key, timefmt.format(timefmt.now()))
    late = anchor_credential(issuer_client(identity), single_batch(signed, claims_root))
    late_file = credit.root / "late.json"
    late_file.write_text(json.dumps(late, ensure_ascii=False), encoding="utf-8")

    bundle, _ = credit.export()
    results = verify_offline(bundle, credit.pin, before, after, late_file)
    assert [r["verified"] for r in results] == [True, True, True, True, False]
    assert failing(results[-1]) == ["issuer_trusted"]


def test_derived_copy_verifies_offline(credit: Credit) -> None:
    batch = credit.issue("batch", 2)
    full = credit.root / "full.json"
    full.write_text(json.dumps(_line(batch, 1), ensure_ascii=False), encoding="utf-8")
    derived = credit.root / "derived.json"
    credbank("derive", full, "--reveal", "/credentialSubject/creditsEarned", "--out", derived)
    assert "result" not in json.loads(derived.read_text())["credentialSubject"]

    bundle, _ = credit.export()
    (result,) = verify_offline(bundle, credit.pin, derived)
    assert result["verified"], failing(result)
    assert statuses(result)["anchored"] == "passed"
    assert statuses(result)["not_revoked"] == "passed"
