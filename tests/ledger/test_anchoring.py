"""Anchoring issued batches and recording the chain facts in every credential."""

# The chain fixtures are imported, so test parameters named after them shadow the import.
# ruff: noqa: F811

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ledger import ChainError, Web3RegistryClient, anchor_batch, anchor_credential
from ledger.anchoring import manifest_path, read_manifest, record_anchor
from ledger.errors import InputError
from ledger.issuance import IssuerIdentity, LearningRecord, issue_batch
from ledger.issuance.batch import iter_credentials
from tests.credentials import ISSUED_AT, RECORD, issue, make_issuer, trust_doc
from verifier import parse_trust_list, verdict, verify
from verifier.proofs import ledger_proof

from .chains import ChainUnderTest, chain, embedded_chain  # noqa: F401 - fixtures


class Anchoring:
    """A registry, an accredited issuer directory and the issuer's anchoring client."""

    def __init__(self, chain: ChainUnderTest, tmp_path: Path) -> None:
        governor, account = chain.new_account(), chain.new_account()
        self.registry = Web3RegistryClient.deploy(chain.url, governor, [governor.address])
        self.issuer = make_issuer(tmp_path / "ou")
        self.registry.accredit(self.issuer.did, self.issuer.name)
        self.registry.authorize_account(self.issuer.did, account.address)
        self.client = self.registry.with_account(account)
        self.status_registry = f"eip155:{self.registry.chain_id}:{self.registry.registry}"
        self.chain = chain

    def issue(self, out: Path, count: int) -> Path:
        records = [LearningRecord.from_json(copy.deepcopy(RECORD)) for _ in range(count)]
        issue_batch(records, self.issuer, out, now=ISSUED_AT, status_registry=self.status_registry)
        return out


@pytest.fixture
def anchoring(embedded_chain: ChainUnderTest, tmp_path: Path) -> Anchoring:
    return Anchoring(embedded_chain, tmp_path)


def _anchors(batch: Path) -> list[dict]:
    anchors = []
    for _, credential in iter_credentials(batch):
        (proof,) = [p for p in credential["proof"] if p["type"] == ledger_proof.TYPE]
        anchors.append(proof["anchor"])
    return anchors


@pytest.mark.parametrize("layout", ["directory", "jsonl"])
def test_anchored_batch_records_the_chain_facts_in_every_credential(
    anchoring: Anchoring, tmp_path: Path, layout: str
) -> None:
    out = tmp_path / ("batch.jsonl" if layout == "jsonl" else "batch")
    batch = anchoring.issue(out, 5)
    root = read_manifest(batch)["batchRoot"]

    anchored = anchor_batch(anchoring.client, batch)

    assert not anchored.resumed and anchored.count == 5
    facts = anchoring.registry.batch(ledger_proof.unhex32(root, "root"))
    assert facts.anchored and facts.count == 5
    expected = {
        "chainId": anchoring.registry.chain_id,
        "registry": anchoring.registry.registry,
        "transactionHash": anchored.anchor.transaction_hash,
        "blockNumber": anchored.anchor.block_number,
    }
    anchors = _anchors(batch)
    assert len(anchors) == 5
    assert all(a["batchRoot"] == root and {k: a[k] for k in expected} == expected for a in anchors)
    assert read_manifest(batch)["anchor"] == expected
    trust = parse_trust_list(trust_doc(anchoring.issuer))
    for _, credential in iter_credentials(batch):
        assert credential["credentialStatus"]["statusRegistry"] == anchoring.status_registry
        result = verify(credential, trust=trust, now=ISSUED_AT)
        assert verdict.explain(result, accept={"status"}).verified


def test_anchoring_again_resumes_without_a_second_transaction(
    anchoring: Anchoring, tmp_path: Path
) -> None:
    batch = anchoring.issue(tmp_path / "batch", 3)
    root = ledger_proof.unhex32(read_manifest(batch)["batchRoot"], "root")
    # As if a run had stopped right after its transaction, before rewriting the files.
    sent = anchoring.client.anchor(root, 3)
    nonce = anchoring.registry.w3.eth.get_transaction_count(anchoring.client.sender)

    anchored = anchor_batch(anchoring.client, batch)

    assert anchored.resumed and anchored.anchor == sent
    assert anchoring.registry.w3.eth.get_transaction_count(anchoring.client.sender) == nonce
    assert {a["transactionHash"] for a in _anchors(batch)} == {sent.transaction_hash}


def test_lone_credential_is_anchored_as_a_batch_of_one(anchoring: Anchoring) -> None:
    credential = issue(anchoring.issuer)

    anchored = anchor_credential(anchoring.client, credential)

    (proof,) = [p for p in anchored["proof"] if p["type"] == ledger_proof.TYPE]
    root = ledger_proof.unhex32(proof["anchor"]["batchRoot"], "root")
    assert anchoring.registry.batch(root).count == 1
    assert proof["anchor"]["chainId"] == anchoring.registry.chain_id


def test_account_of_another_issuer_is_refused_before_sending(
    anchoring: Anchoring, tmp_path: Path
) -> None:
    other = IssuerIdentity.create(tmp_path / "museum", "Museum", now=ISSUED_AT)
    batch = anchoring.issue(tmp_path / "batch", 2)
    other_account = anchoring.chain.new_account()
    anchoring.registry.accredit(other.did, other.name)
    anchoring.registry.authorize_account(other.did, other_account.address)
    client = anchoring.registry.with_account(other_account)

    with pytest.raises(ChainError, match="anchors for another issuer"):
        anchor_batch(client, batch)
    assert anchoring.registry.w3.eth.get_transaction_count(other_account.address) == 0
    assert "anchor" not in read_manifest(batch)


def test_recording_refuses_files_of_another_batch(anchoring: Anchoring, tmp_path: Path) -> None:
    first = anchoring.issue(tmp_path / "first", 2)
    second = anchoring.issue(tmp_path / "second", 2)
    result = anchor_batch(anchoring.client, first).anchor
    # Swap a credential of the second batch into the first batch's directory.
    stray = next(p for p in sorted(second.glob("*.json")) if p.name != "batch.json")
    victim = next(p for p in sorted(first.glob("*.json")) if p.name != "batch.json")
    victim.write_text(stray.read_text())

    with pytest.raises(InputError, match="does not belong to batch"):
        record_anchor(first, result)


def test_not_a_batch_is_an_input_error(anchoring: Anchoring, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="not an issued batch"):
        anchor_batch(anchoring.client, tmp_path / "empty")
    assert manifest_path(tmp_path / "x.jsonl") == tmp_path / "x.batch.json"


def test_issue_and_anchor_on_anvil_too(chain: ChainUnderTest, tmp_path: Path) -> None:
    setup = Anchoring(chain, tmp_path)
    batch = setup.issue(tmp_path / "batch.jsonl", 4)
    anchored = anchor_batch(setup.client, batch)
    assert (
        json.loads(batch.read_text().splitlines()[3])["proof"][1]["anchor"]["transactionHash"]
        == anchored.anchor.transaction_hash
    )
