"""What an employer reads, end to end on the embedded node: the verdict fails closed.

A self-made issuer with a real institution's name is never "verified"; a genuine
credential verifies with every check made, or with the gaps the employer accepted named; a
revoked one says when, in which block and why; the pin `credbank trust pin` stores is
what `credbank-verify` checks the chain's signers against when it is given no `--pin`.
"""

# The chain fixtures are imported, so test parameters named after them shadow the import.
# ruff: noqa: F811

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from tests.credentials import RECORD
from tests.ledger.chains import ChainUnderTest, embedded_chain  # noqa: F401 - fixture

from .test_offline_verification import BIN, Credit, _line, credbank, credit  # noqa: F401

NAME = "上海开放大学 Shanghai Open University"
AUTHORITY = "上海市终身教育学分银行"


def credbank_verify(*args: object) -> subprocess.CompletedProcess[str]:
    """credbank-verify in its own process, in the time zone of Shanghai."""
    completed = subprocess.run(
        [str(BIN / "credbank-verify"), *map(str, args)], capture_output=True, text=True,
        timeout=600, check=False, env={**os.environ, "TZ": "Asia/Shanghai"})
    assert completed.returncode in (0, 1), completed.stderr
    return completed


def self_made(root: Path) -> tuple[Path, str]:
    """What anyone can make with credbank alone: an issuer named like a real institution,
    and a credential it signs."""
    issuer = root / "self-made"
    credbank("issuer", "create", "--dir", issuer, "--name", NAME)
    record = root / "record.json"
    record.write_text(json.dumps(RECORD, ensure_ascii=False), encoding="utf-8")
    forged = root / "forged.json"
    credbank("issue", "--issuer", issuer, record, "--out", forged)
    did = json.loads(forged.read_text(encoding="utf-8"))["credentialStatus"]["statusIssuer"]
    return forged, did


def test_a_self_made_issuer_is_never_verified(credit: Credit) -> None:
    forged, did = self_made(credit.root)

    alone = credbank_verify(forged)
    assert alone.returncode == 1
    assert alone.stdout.startswith("NOT VERIFIED: issuer not checked (no trust source")

    # The authority's bundle, as everyone gets it: it does not speak for this issuer.
    bundle, block = credit.export()
    checked = credbank_verify("--trust", bundle, "--pin", credit.pin, forged)
    assert checked.returncode == 1
    headline = checked.stdout.splitlines()[1]
    assert headline.startswith("NOT VERIFIED: issuer not accredited (")
    assert "proof node" not in checked.stdout and "incomplete" not in checked.stdout
    assert credit.registry in headline or credit.registry.lower() in headline.lower()

    # A bundle asked about this DID proves its issuer word is zero: no record at all.
    asked = credit.root / "asked.json"
    credbank("trust", "export", "--rpc", credit.chain.url, "--registry", credit.registry,
             "--authority", AUTHORITY, "--did", did, "--out", asked)
    checked = credbank_verify("--trust", asked, "--pin", credit.pin, forged, "--json")
    assert checked.returncode == 1
    (report,) = (json.loads(line) for line in checked.stdout.splitlines())
    assert (report["verified"], report["reason"]) == (False, "not_accredited")
    human = credbank_verify("--trust", asked, "--pin", credit.pin, forged).stdout
    assert re.search(rf"^NOT VERIFIED: issuer not accredited \(by {AUTHORITY}, registry "
                     rf"{credit.registry} on chain \d+: {did} has no record in the registry "
                     r"\(as of block \d+", human.splitlines()[1], re.IGNORECASE), human
    # Accepting an unknown issuer does not accept one the registry shows is not accredited.
    accepting = credbank_verify("--trust", asked, "--pin", credit.pin,
                                "--accept-unknown-issuer", forged)
    assert accepting.returncode == 1
    assert block > 0


def test_a_genuine_credential_verifies_with_every_check_or_with_the_gaps_named(
        credit: Credit) -> None:
    batch = credit.issue("batch", 2)
    bundle, _ = credit.export()
    checked = credbank_verify("--trust", bundle, "--pin", credit.pin, batch)
    assert checked.returncode == 0, checked.stdout
    lines = checked.stdout.splitlines()
    chain_id = json.loads(credit.pin.read_text())["chainId"]
    assert lines[0] == f"pin: {credit.pin} (chain {chain_id}, 1 signer(s))"
    assert lines[1] == f"VERIFIED  {batch}:1"
    assert lines[-1] == "2 verified, 0 not verified"

    offline = credbank_verify(batch)
    assert offline.returncode == 1
    assert offline.stdout.splitlines()[-1] == "0 verified, 2 not verified: 2 issuer not checked"
    accepted = credbank_verify("--accept-unknown-issuer", "--no-status", "--json", batch)
    assert accepted.returncode == 0
    reports = [json.loads(line) for line in accepted.stdout.splitlines()]
    assert [(r["verified"], r["notChecked"]) for r in reports] == [
        (True, ["issuer", "status"])] * 2
    assert accepted.stderr.strip() == "2 verified, 0 not verified"


def test_a_revoked_credential_says_when_in_which_block_and_why(credit: Credit) -> None:
    batch = credit.issue("batch", 3)
    index = _line(batch, 1)["credentialStatus"]["statusIndex"]
    revoked = json.loads(credbank("revoke", "--issuer", credit.ou, "--index", index,
                                  "--reason", 1, "--json"))
    bundle, _ = credit.export()
    exported = json.loads(bundle.read_text())
    (event,) = exported["statusEvents"]
    assert event["statusIndices"] == [index] and event["reason"] == 1
    assert event["blockNumber"] == revoked["blockNumber"]
    assert event["transactionHash"] == revoked["transactionHash"].lower()

    checked = credbank_verify("--trust", bundle, "--pin", credit.pin, batch)
    assert checked.returncode == 1
    assert re.search(
        r"^NOT VERIFIED: revoked on \d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+08:00\), block "
        rf"{revoked['blockNumber']}, reason 1 issued in error \(date and reason reported by "
        rf"the bundle's exporter, not proven\)  {re.escape(str(batch))}:2$",
        checked.stdout, re.MULTILINE), checked.stdout
    assert "✗ not_revoked" in checked.stdout
    assert checked.stdout.splitlines()[-1] == "2 verified, 1 not verified: 1 revoked"

    as_json = credbank_verify("--trust", bundle, "--pin", credit.pin, "--json", batch)
    reports = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["reason"] for r in reports] == ["verified", "revoked", "verified"]
    change = reports[1]["statusChange"]
    assert (change["action"], change["reason"], change["blockNumber"], change["reportedBy"]) == (
        "revoked", 1, revoked["blockNumber"], "bundle")
    assert change["transactionHash"] == revoked["transactionHash"].lower()
    assert "statusChange" not in reports[0]

    # --online reads the same from the node's logs, and says who reports it
    online = credbank_verify("--online", credit.chain.url, "--pin", credit.pin, batch)
    assert re.search(rf"revoked on .*, block {revoked['blockNumber']}, reason 1 issued in "
                     r"error \(date and reason reported by the node, not proven\)",
                     online.stdout), online.stdout


def test_the_pin_stored_by_credbank_trust_pin_is_used_by_default(
        credit: Credit, config_dir: Path) -> None:
    batch = credit.issue("batch", 1)
    bundle, _ = credit.export()
    # Credit pinned with --out; the same command stored it too.
    stored = config_dir / "credbank" / "pin.json"
    assert json.loads(stored.read_text()) == json.loads(credit.pin.read_text())
    stored.unlink()
    credbank("trust", "pin", "--rpc", credit.chain.url, "--registry", credit.registry)
    assert stored.is_file()

    checked = credbank_verify("--trust", bundle, batch)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.splitlines()[0].startswith(
        f"pin: {stored}, stored by `credbank trust pin` (chain ")
    # the stored pin names the registry, so --online needs nothing else
    online = credbank_verify("--online", credit.chain.url, batch)
    assert online.returncode == 0, online.stdout

    stored.unlink()
    unpinned = credbank_verify("--trust", bundle, batch)
    assert unpinned.returncode == 1
    assert unpinned.stdout.startswith("pin: none")
