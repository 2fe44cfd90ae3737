"""The chain commands as an authority and an institution run them, on either node."""

# The chain fixtures are imported, so test parameters named after them shadow the import.
# ruff: noqa: F811

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.cli import main
from ledger import Web3RegistryClient, load_account_key
from ledger.issuance import IssuerIdentity
from tests.credentials import RECORD
from tests.ledger.chains import ChainUnderTest, chain  # noqa: F401 - fixture
from verifier import keys, parse_trust_list, verdict, verify
from verifier.proofs import ledger_proof


class Shell:
    """Runs credbank in process and keeps every line it printed, to search for secrets."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys
        self.transcript: list[str] = []

    def __call__(self, *args: object) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = self.capsys.readouterr()
        self.transcript += [out, err]
        return code, out, err

    def ok(self, *args: object) -> str:
        code, out, err = self(*args)
        assert code == 0, err
        return out


@pytest.fixture
def sh(capsys: pytest.CaptureFixture[str]) -> Shell:
    return Shell(capsys)


def _records(path: Path, count: int) -> Path:
    path.write_text("".join(json.dumps(RECORD, ensure_ascii=False) + "\n"
                            for _ in range(count)), encoding="utf-8")
    return path


def _credential_files(batch: Path) -> list[Path]:
    return sorted(p for p in batch.glob("*.json") if p.name != "batch.json")


def test_deploy_accredit_issue_anchored_and_revoke(
    chain: ChainUnderTest, tmp_path: Path, sh: Shell
) -> None:
    governor_key = tmp_path / "governor.key"
    chain.admit(sh.ok("chain", "new-key", "--out", governor_key).strip())
    chain_file = tmp_path / "chain.json"
    sh.ok("chain", "deploy", "--rpc", chain.url, "--governor-key", governor_key,
          "--out", chain_file)
    config = json.loads(chain_file.read_text())
    assert config["type"] == "CredbankChain" and config["registry"].startswith("0x")

    ou = tmp_path / "ou"
    did = sh.ok("issuer", "create", "--dir", ou, "--name", "上海开放大学").strip()
    accredited = json.loads(sh.ok("issuer", "accredit", "--dir", ou, "--chain", chain_file,
                                  "--governor-key", governor_key, "--json"))
    assert accredited["steps"] == ["accredited", "key registered", "account authorized"]
    chain.admit(accredited["anchoringAccount"])
    anchoring_key = ou / IssuerIdentity.load(ou).chain["anchoringKeyFile"]
    assert anchoring_key.stat().st_mode & 0o077 == 0
    # Running it again finds everything done and sends nothing.
    assert json.loads(sh.ok("issuer", "accredit", "--dir", ou, "--chain", chain_file,
                            "--governor-key", governor_key, "--json"))["steps"] == []

    batch = tmp_path / "batch"
    manifest = json.loads(sh.ok("issue", "--issuer", ou, _records(tmp_path / "r.jsonl", 3),
                                "--out", batch))
    assert manifest["anchor"]["chainId"] == config["chainId"] == chain_id_of(chain)
    files = _credential_files(batch)
    trust = parse_trust_list({"type": "CredbankTrustList", "version": 1,
                              "issuers": [IssuerIdentity.load(ou).trust_entry()]})
    for path in files:
        credential = json.loads(path.read_text())
        status = credential["credentialStatus"]
        assert status["statusRegistry"] == f"eip155:{config['chainId']}:{config['registry']}"
        anchor = credential["proof"][1]["anchor"]
        assert anchor["transactionHash"] == manifest["anchor"]["transactionHash"]
        assert verdict.explain(verify(credential, trust=trust), accept={"status"}).verified

    reader = Web3RegistryClient(chain.url, config["registry"])
    revoked = json.loads(sh.ok("revoke", "--issuer", ou, files[1], "--reason", "1", "--json"))
    index = int(json.loads(files[1].read_text())["credentialStatus"]["statusIndex"])
    assert revoked["statusIndices"] == [index]
    others = [int(json.loads(p.read_text())["credentialStatus"]["statusIndex"])
              for p in files if p != files[1]]
    assert reader.is_revoked(did, index) and not any(reader.is_revoked(did, i) for i in others)

    code, _, err = sh("revoke", "--issuer", ou, files[1])
    assert code == 2
    assert err.strip() == ("credbank: refused by the registry: AlreadyRevoked — "
                           "the credential is already revoked")

    sh.ok("suspend", "--issuer", ou, "--index", 0, "--index", 2, "--reason", 7)
    assert reader.is_suspended(did, 0) and reader.is_suspended(did, 2)
    sh.ok("reinstate", "--issuer", ou, "--index", 2)
    assert reader.is_suspended(did, 0) and not reader.is_suspended(did, 2)

    secrets = [governor_key.read_text().strip(), anchoring_key.read_text().strip()]
    secrets += [p.read_text().strip() for p in (ou / "keys").glob("z*.key")]
    printed = "\n".join(sh.transcript)
    assert all(secret[-40:] not in printed for secret in secrets)


def chain_id_of(chain: ChainUnderTest) -> int:
    from web3 import Web3

    return Web3(Web3.HTTPProvider(chain.url)).eth.chain_id


@pytest.fixture
def accredited(chain: ChainUnderTest, tmp_path: Path, sh: Shell) -> dict:
    """A deployed registry and an accredited, connected issuer directory."""
    governor_key = tmp_path / "governor.key"
    chain.admit(sh.ok("chain", "new-key", "--out", governor_key).strip())
    chain_file = tmp_path / "chain.json"
    sh.ok("chain", "deploy", "--rpc", chain.url, "--governor-key", governor_key,
          "--out", chain_file)
    ou = tmp_path / "ou"
    # Created an hour ago, so a rotation now falls strictly inside the first key's window.
    did = IssuerIdentity.create(ou, "Open University",
                                now=datetime.now(UTC) - timedelta(hours=1)).did
    out = sh.ok("issuer", "accredit", "--dir", ou, "--chain", chain_file,
                "--governor-key", governor_key, "--json")
    chain.admit(json.loads(out)["anchoringAccount"])
    registry = json.loads(chain_file.read_text())["registry"]
    return {"governor_key": governor_key, "chain_file": chain_file, "ou": ou, "did": did,
            "reader": Web3RegistryClient(chain.url, registry)}


def test_suspended_issuer_issues_but_cannot_anchor_until_reinstated(
    accredited: dict, tmp_path: Path, sh: Shell
) -> None:
    ou, did = accredited["ou"], accredited["did"]
    governor = ("--chain", accredited["chain_file"], "--governor-key", accredited["governor_key"])
    sh.ok("chain", "suspend-issuer", did, *governor)
    batch = tmp_path / "batch.jsonl"

    code, _, err = sh("issue", "--issuer", ou, _records(tmp_path / "r.jsonl", 2), "--out", batch)

    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "2 credentials issued in" in err and "IssuerNotActive" in err
    assert f"credbank anchor --issuer {ou} {batch}" in err
    sh.ok("chain", "reinstate-issuer", did, *governor)
    out = json.loads(sh.ok("anchor", "--issuer", ou, batch, "--json"))
    assert out["count"] == 2 and not out["resumed"]
    first = json.loads(batch.read_text().splitlines()[0])
    root = ledger_proof.unhex32(first["proof"][1]["anchor"]["batchRoot"], "root")
    assert accredited["reader"].batch(root).anchored


def test_no_anchor_then_anchor_a_lone_credential(
    accredited: dict, tmp_path: Path, sh: Shell
) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(RECORD, ensure_ascii=False), encoding="utf-8")
    credential_file = tmp_path / "c.json"
    sh.ok("issue", "--issuer", accredited["ou"], record, "--out", credential_file,
          "--no-anchor")
    assert "chainId" not in json.loads(credential_file.read_text())["proof"][1]["anchor"]

    sh.ok("anchor", "--issuer", accredited["ou"], credential_file)

    anchor = json.loads(credential_file.read_text())["proof"][1]["anchor"]
    assert accredited["reader"].batch(
        ledger_proof.unhex32(anchor["batchRoot"], "root")).count == 1


def test_rotate_key_on_chain_closes_the_old_window(
    accredited: dict, tmp_path: Path, sh: Shell
) -> None:
    ou, did, reader = accredited["ou"], accredited["did"], accredited["reader"]
    old_key = IssuerIdentity.load(ou).signing_key().public_key

    code, _, err = sh("issuer", "rotate-key", "--dir", ou)
    assert code == 2 and "--governor-key" in err
    assert len(IssuerIdentity.load(ou).key_records) == 1  # nothing changed

    new_did = sh.ok("issuer", "rotate-key", "--dir", ou, "--governor-key",
                    accredited["governor_key"]).strip()

    new_key = keys.public_key_from_did_key(new_did)
    old_record, new_record = IssuerIdentity.load(ou).key_records
    assert old_record.valid_until == new_record.valid_from
    on_chain_old, on_chain_new = reader.issuer_key(did, old_key), reader.issuer_key(did, new_key)
    assert on_chain_old.valid_until == on_chain_new.valid_from > 0
    assert on_chain_new.registered and on_chain_new.valid_until == 0


def test_refusals_are_one_line_with_the_custom_error(
    accredited: dict, chain: ChainUnderTest, tmp_path: Path, sh: Shell
) -> None:
    # An institution connected to the chain but never accredited.
    museum = tmp_path / "museum"
    sh.ok("issuer", "create", "--dir", museum, "--name", "Museum")
    chain.admit(sh.ok("issuer", "connect", "--dir", museum, "--chain",
                      accredited["chain_file"]).strip())

    code, out, err = sh("revoke", "--issuer", museum, "--index", 0)
    assert code == 2 and out == ""
    assert err == ("credbank: refused by the registry: NotAnchoringAccount — "
                   "this account may not anchor for any issuer\n")

    # Only governors accredit: the museum's own anchoring key is not one.
    museum_key = museum / IssuerIdentity.load(museum).chain["anchoringKeyFile"]
    code, _, err = sh("issuer", "accredit", "--dir", museum, "--chain",
                      accredited["chain_file"], "--governor-key", museum_key)
    assert code == 2 and "NotGovernor — this account is not a governor" in err


def test_bad_input_is_one_line(accredited: dict, tmp_path: Path, sh: Shell) -> None:
    ou = accredited["ou"]
    other = tmp_path / "other"
    sh.ok("issuer", "create", "--dir", other, "--name", "Other")
    sh.ok("issue", "--issuer", other, _records(tmp_path / "o.jsonl", 1), "--out",
          tmp_path / "other-batch")
    cases = [
        (["revoke-batch", "--issuer", ou, tmp_path / "other-batch"], "was issued by did:key"),
        (["revoke", "--issuer", ou], "not both and not neither"),
        (["revoke", "--issuer", ou, "--index", 1, "--reason", 300], "between 0 and 255"),
        (["chain", "deploy", "--rpc", "http://127.0.0.1:9", "--governor-key",
          accredited["governor_key"], "--governor", "nobody", "--out", tmp_path / "c2.json"],
         "is not an Ethereum address"),
        (["chain", "deploy", "--rpc", "http://127.0.0.1:9", "--governor-key",
          tmp_path / "missing.key"], "no key file at"),
        (["anchor", "--issuer", ou, tmp_path / "nothing"], "does not exist"),
        (["issuer", "accredit", "--dir", ou, "--chain", tmp_path / "none.json",
          "--governor-key", accredited["governor_key"]], "no chain file at"),
    ]
    shared_key = tmp_path / "shared.key"
    shared_key.write_text(accredited["governor_key"].read_text())
    shared_key.chmod(0o644)
    cases.append((["chain", "suspend-issuer", accredited["did"], "--chain",
                   accredited["chain_file"], "--governor-key", shared_key],
                  "is readable by others; run: chmod 600"))
    for args, expected in cases:
        code, _, err = sh(*args)
        assert code == 2 and expected in err, (args, err)
        assert len(err.strip().splitlines()) == 1


def test_authority_accredits_from_a_copy_of_the_public_profile(
    chain: ChainUnderTest, tmp_path: Path, sh: Shell
) -> None:
    governor_key = tmp_path / "governor.key"
    chain.admit(sh.ok("chain", "new-key", "--out", governor_key).strip())
    chain_file = tmp_path / "chain.json"
    sh.ok("chain", "deploy", "--rpc", chain.url, "--governor-key", governor_key,
          "--out", chain_file)
    # The institution connects on its machine and sends only issuer.json to the authority.
    ou = tmp_path / "institution" / "ou"
    sh.ok("issuer", "create", "--dir", ou, "--name", "Open University")
    account = sh.ok("issuer", "connect", "--dir", ou, "--chain", chain_file).strip()
    chain.admit(account)
    copy_dir = tmp_path / "authority" / "ou"
    copy_dir.mkdir(parents=True)
    (copy_dir / "issuer.json").write_text((ou / "issuer.json").read_text())

    out = json.loads(sh.ok("issuer", "accredit", "--dir", copy_dir, "--chain", chain_file,
                           "--governor-key", governor_key, "--json"))

    assert out["anchoringAccount"] == account
    assert sorted(p.name for p in copy_dir.iterdir()) == ["issuer.json"]  # no key made
    manifest = json.loads(sh.ok("issue", "--issuer", ou, _records(tmp_path / "r.jsonl", 2),
                                "--out", tmp_path / "batch"))
    assert manifest["anchor"]["registry"] == out["registry"]


def test_governors_change_by_majority_and_end_a_window(
    accredited: dict, chain: ChainUnderTest, tmp_path: Path, sh: Shell
) -> None:
    chain_file, first_key = accredited["chain_file"], accredited["governor_key"]
    keys_by_name = {}
    for name in ("second", "third"):
        keys_by_name[name] = tmp_path / f"{name}.key"
        chain.admit(sh.ok("chain", "new-key", "--out", keys_by_name[name]).strip())
    address = {name: load_account_key(path).address for name, path in keys_by_name.items()}

    out = json.loads(sh.ok("chain", "propose-governor", address["second"], "--chain",
                           chain_file, "--governor-key", first_key, "--json"))
    assert out["executed"]  # one governor: the proposer's approval is the majority
    out = json.loads(sh.ok("chain", "propose-governor", address["third"], "--chain",
                           chain_file, "--governor-key", first_key, "--json"))
    assert not out["executed"] and out["approvals"] == 1
    code, _, err = sh("chain", "approve-governor", out["proposalId"], "--chain", chain_file,
                      "--governor-key", first_key)
    assert code == 2 and "AlreadyApproved" in err
    approved = sh.ok("chain", "approve-governor", out["proposalId"], "--chain", chain_file,
                     "--governor-key", keys_by_name["second"])
    assert "executed" in approved
    assert accredited["reader"].is_governor(address["third"])

    # The newest governor ends the institution's accreditation; anchoring is then refused.
    sh.ok("chain", "set-window", accredited["did"], "--chain", chain_file, "--governor-key",
          keys_by_name["third"], "--valid-from", "2020-01-01T00:00:00Z",
          "--valid-until", "2021-01-01T00:00:00Z")
    code, _, err = sh("issue", "--issuer", accredited["ou"], _records(tmp_path / "r.jsonl", 1),
                      "--out", tmp_path / "batch")
    assert code == 2 and "OutsideAccreditationWindow" in err
