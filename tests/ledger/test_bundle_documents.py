"""Published documents and accreditation scopes in trust bundles and online evidence: the
exporter proves them, the verifier proves them again offline, and tampering fails closed."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account import Account

from ledger.bundle import BundleExportError, export_bundle
from ledger.issuance import LearningRecord, attach_anchor, issue_one
from ledger.node import Node, RpcHandler, RpcServer, init_data_dir
from ledger.transactions import Sender
from ledger.web3_client import Web3RegistryClient
from tests.credentials import ISSUED_AT, RECORD, make_issuer
from tests.verifier.credit.examples import FRAMEWORK, RULE_SET, STANDARDS
from verifier import credential, load_evidence, registry_layout, scope_problem
from verifier.credit import parse_framework, parse_rule_set, parse_standards
from verifier.evidence.errors import BundleFormatError, BundleRejected, EvidenceError, NotCovered
from verifier.evidence.online import fetch_evidence
from verifier.merkle import MerkleTree, leaf_hash
from verifier.published import carried_documents, framework_in_force, kind_of
from verifier.registry_layout import DocumentKind

from .test_client_documents import OLD_BUILD

INSTITUTION = "did:web:vocational-centre.example"
OTHER = "did:web:museum.example"
RULES_HASH = parse_rule_set(RULE_SET).hash()
FRAMEWORK_HASH = parse_framework(FRAMEWORK).hash()
NEVER = hashlib.sha256(b"never published").digest()


@dataclass
class Published:
    url: str
    client: Web3RegistryClient
    governor: Any
    credentials: list[dict[str, Any]]  # of `issuer`, level 3 and level 5, anchored
    issuer: str  # its DID, accredited for vocational and non_degree up to rank 4


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    governor, anchorer = Account.create(), Account.create()
    base = tmp_path_factory.mktemp("documents")
    data_dir = base / "node"
    init_data_dir(data_dir, period=0, sender_allowlist=[
        bytes.fromhex(a.address[2:]) for a in (governor, anchorer)])
    node = Node.open(data_dir, durable=False)
    server = RpcServer(RpcHandler(node), port=0)
    node.start()
    server.start()
    try:
        client = Web3RegistryClient.deploy(server.url, governor, [governor.address])
        client.accredit(INSTITUTION, "Vocational Centre")
        client.accredit(OTHER, "Museum")
        client.authorize_account(INSTITUTION, anchorer.address)
        client.set_accreditation_scope(INSTITUTION, ["vocational", "non_degree"], 4)
        client.publish_document(FRAMEWORK_HASH, DocumentKind.FRAMEWORK)
        institution = client.with_account(anchorer)
        institution.publish_document(RULES_HASH, DocumentKind.RULE_SET)
        institution.withdraw_document(RULES_HASH)
        issuer = make_issuer(base / "issuer")
        client.accredit(issuer.did, issuer.name)
        client.add_key(issuer.did, issuer.signing_key(ISSUED_AT).public_key, 0)
        client.set_accreditation_scope(issuer.did, ["vocational"], 4)
        client.remove_account(anchorer.address)
        client.authorize_account(issuer.did, anchorer.address)
        issued = []
        for level in ("3", "5"):
            record = copy.deepcopy(RECORD)
            record["achievement"]["level"] = level
            issued.append(issue_one(LearningRecord.from_json(record), issuer,
                                    status_index=len(issued), now=ISSUED_AT))
        tree = MerkleTree(leaf_hash(root) for _, root in issued)
        anchored = institution.anchor(tree.root, len(issued))
        credentials = [
            attach_anchor(c, tree.root, tree.proof(leaf_hash(root)), anchored.anchor_members())
            for c, root in issued]
        yield Published(server.url, client, governor, credentials, issuer.did)
    finally:
        server.stop()
        node.close()


@pytest.fixture(scope="module")
def bundle(published: Published) -> dict[str, Any]:
    return export_bundle(published.url, published.client.registry, documents=[FRAMEWORK],
                         document_hashes=[RULES_HASH, NEVER])


def test_the_bundle_proves_documents_and_scopes(published: Published, bundle) -> None:
    client = published.client
    assert [d["hash"] for d in bundle["documents"]] == [FRAMEWORK_HASH, RULES_HASH,
                                                         "0x" + NEVER.hex()]
    assert bundle["documents"][0]["content"]["type"] == "CredbankQualificationFramework"
    evidence = load_evidence(bundle)
    for digest in (FRAMEWORK_HASH, RULES_HASH, NEVER):
        assert evidence.document(digest) == client.document(digest)
    rules = evidence.document(bytes.fromhex(RULES_HASH[2:]))
    assert rules.withdrawn and rules.owner_issuer_number == client.issuer(
        INSTITUTION).issuer_number
    assert not evidence.document(NEVER).published
    scope = evidence.scope(INSTITUTION)
    assert scope == client.accreditation_scope(INSTITUTION)
    assert scope.sectors == {"vocational", "non_degree"} and scope.max_level_rank == 4
    assert not evidence.scope(OTHER).set
    framework = framework_in_force(evidence)
    assert framework is not None and framework.hash() == FRAMEWORK_HASH
    at = evidence.document(FRAMEWORK_HASH).timestamp
    assert framework_in_force(evidence, at - 1) is None


def test_a_fact_the_bundle_cannot_prove_is_not_covered(bundle) -> None:
    evidence = load_evidence(bundle)
    other = hashlib.sha256(b"not asked").digest()
    # a word the pool walks to proves itself, even unasked (here: absent); one it cannot
    # reach is "not covered", naming what was asked
    try:
        assert not evidence.document(other).published
    except NotCovered as exc:
        assert f"document 0x{other.hex()}" in str(exc)

    def uncovered(slot: int) -> int:
        raise NotCovered(f"slot {slot}")

    evidence.word = uncovered  # type: ignore[method-assign]
    with pytest.raises(NotCovered, match=f"document 0x{other.hex()}"):
        evidence.document(other)
    with pytest.raises(NotCovered, match="accreditation scope of did:web:nobody"):
        evidence.scope("did:web:nobody")


def test_tampered_evidence_fails_closed(bundle) -> None:
    # a carried document that is not what its hash says, or cannot be read
    altered = copy.deepcopy(bundle)
    altered["documents"][0]["content"]["version"] = "2025"
    with pytest.raises(BundleRejected, match="canonical hash"):
        framework_in_force(load_evidence(altered))
    unreadable = copy.deepcopy(bundle)
    unreadable["documents"][0]["content"]["levels"] = []
    with pytest.raises(BundleFormatError):
        carried_documents(load_evidence(unreadable))
    with pytest.raises(BundleExportError, match="document 1"):
        export_bundle(bundle["registry"], bundle["registry"], documents=[{"type": "x"}])
    # a document listed without the proof of its word
    unproven = copy.deepcopy(bundle)
    slot = registry_layout.document_slot(bytes.fromhex(FRAMEWORK_HASH[2:]))
    unproven["slots"].remove("0x" + slot.to_bytes(32, "big").hex())
    with pytest.raises(BundleRejected, match="without the proof"):
        load_evidence(unproven)
    # a proof node stripped: the word cannot be read, and is never taken for zero
    evidence = load_evidence(bundle)
    needed = set(evidence.pool._nodes)  # noqa: SLF001
    for node in list(bundle["nodes"]):
        stripped = copy.deepcopy(bundle)
        stripped["nodes"].remove(node)
        try:
            reduced = load_evidence(stripped)
        except EvidenceError:
            continue  # the account proof needed it
        try:
            reduced.scope(INSTITUTION)
            reduced.document(FRAMEWORK_HASH)
        except EvidenceError as exc:
            assert not isinstance(exc, NotCovered)
            break
    else:
        pytest.fail("no node removal made the scope or document unreadable")
    assert needed
    # any one node rewritten: the facts read the same (the node is off their path) or
    # cannot be read; never another value
    truth = (evidence.scope(INSTITUTION), evidence.document(FRAMEWORK_HASH))
    broken = 0
    for i, node in enumerate(bundle["nodes"]):
        forged = copy.deepcopy(bundle)
        forged["nodes"][i] = node[:-2] + ("00" if node[-2:] != "00" else "01")
        try:
            reduced = load_evidence(forged)
            seen = (reduced.scope(INSTITUTION), reduced.document(FRAMEWORK_HASH))
        except EvidenceError:
            broken += 1
            continue
        assert seen == truth
    assert broken
    with pytest.raises(BundleFormatError):
        bad = copy.deepcopy(bundle)
        bad["documents"][1]["extra"] = 1
        load_evidence(bad)


def test_a_bundle_without_the_new_members_still_verifies(published: Published, bundle) -> None:
    plain = export_bundle(published.url, published.client.registry)
    assert "documents" not in plain
    old_style = copy.deepcopy(plain)
    scope_slots = {"0x" + registry_layout.scope_slot(registry_layout.issuer_id(d)).to_bytes(
        32, "big").hex() for d in (INSTITUTION, OTHER)}
    old_style["slots"] = [s for s in plain["slots"] if s not in scope_slots]
    evidence = load_evidence(old_style)
    assert evidence.issuer(INSTITUTION).value.accredited
    assert framework_in_force(evidence) is None
    # not vouched for: not covered, unless the pool happens to hold its leaf (a short leaf
    # sits inside its parent branch), which then proves the true word
    try:
        assert evidence.document(FRAMEWORK_HASH) == published.client.document(FRAMEWORK_HASH)
    except NotCovered:
        pass


def test_online_evidence_proves_documents_and_scopes(published: Published) -> None:
    evidence = fetch_evidence(published.url, published.client.registry,
                              documents=[parse_framework(FRAMEWORK)])
    assert evidence.document(RULES_HASH).withdrawn
    assert evidence.scope(INSTITUTION).max_level_rank == 4
    assert framework_in_force(evidence) is not None
    with pytest.raises(BundleFormatError):
        fetch_evidence(published.url, published.client.registry, documents=[FRAMEWORK])
    assert kind_of(parse_standards(STANDARDS)) == DocumentKind.STANDARDS_CATALOGUE


def test_a_registry_of_an_earlier_release(published: Published) -> None:
    import json

    old = json.loads(OLD_BUILD.read_text())
    client = published.client
    factory = client.w3.eth.contract(abi=client._artifact.abi, bytecode=old["bytecode"])
    data = factory.constructor([published.governor.address]).data_in_transaction
    receipt = Sender(client.w3, published.governor, published.url, 0, 0.1).send_and_wait(
        to=None, data=data, errors={}, timeout=60, poll_interval=0.05)
    legacy = Web3RegistryClient(published.url, receipt["contractAddress"], published.governor)
    legacy.accredit(INSTITUTION, "职业培训中心")  # a name the old layout keeps at slot 7
    plain = export_bundle(published.url, legacy.registry)
    evidence = load_evidence(plain)
    assert evidence.issuer(INSTITUTION).value.accredited
    # its bundle proves no scope word (and a name found there is never read as one)
    with pytest.raises(EvidenceError):
        evidence.scope(INSTITUTION)
    with pytest.raises(BundleExportError, match="predates document publication"):
        export_bundle(published.url, legacy.registry, document_hashes=[RULES_HASH])
    # online, the old registry's slot 7 holds the issuer's name: never read as a scope
    online = fetch_evidence(published.url, legacy.registry)
    with pytest.raises(EvidenceError, match="predate accreditation scopes"):
        online.scope(INSTITUTION)


def with_sector(document: dict[str, Any], sector: str) -> credential.Credential:
    """The credential with a sector stated (the format gains this member elsewhere; the
    scope check reads the document only)."""
    changed = copy.deepcopy(document)
    changed["credentialSubject"]["achievement"]["sector"] = sector
    return credential.parse(changed)


def test_scope_problem_from_the_bundle(published: Published, bundle) -> None:
    level_3, level_5 = published.credentials
    evidence = load_evidence(bundle)
    assert evidence.scope(published.issuer).max_level_rank == 4
    assert scope_problem(with_sector(level_3, "vocational"), evidence) is None
    assert "rank 5) is above" in scope_problem(with_sector(level_5, "vocational"), evidence)
    assert "sector degree is outside" in scope_problem(with_sector(level_3, "degree"),
                                                       evidence)
    assert "states no sector" in scope_problem(credential.parse(level_3), evidence)
    # without the framework, a level limit cannot be judged: fail closed
    bare = load_evidence(export_bundle(published.url, published.client.registry))
    assert "no qualification framework" in scope_problem(with_sector(level_3, "vocational"),
                                                         bare)
