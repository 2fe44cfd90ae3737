"""Trust bundle export against the embedded node, verified offline and online end to end.

The registry is deployed and driven through the chain client over JSON-RPC, as an
operator would; the views are read with plain web3.py to compare with the bundle.
"""

from __future__ import annotations

import copy
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_hash.auto import keccak
from web3 import Web3

import contracts
from ledger.bundle import export_bundle, export_pin, read_history, rpc_for, write_json
from ledger.errors import ChainError
from ledger.issuance import LearningRecord, attach_anchor, issue_one
from ledger.node import Node, RpcHandler, RpcServer, init_data_dir
from ledger.web3_client import Web3RegistryClient
from tests.credentials import ISSUED_AT, RECORD, make_issuer
from verifier import Status, load_evidence, parse_pin, registry_layout, verify
from verifier.cli import main as verify_main
from verifier.merkle import MerkleTree, leaf_hash

CREDENTIALS = 4  # status indices 0..3: 1 is revoked, 2 suspended


@dataclass
class Deployment:
    url: str
    w3: Web3
    registry: Any  # a web3 contract, for reading views
    credentials: list[dict[str, Any]]
    batch_root: bytes
    anchor_block: int


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    governor, anchorer = Account.create(), Account.create()
    base = tmp_path_factory.mktemp("bundle")
    data_dir = base / "node"
    init_data_dir(data_dir, period=0, sender_allowlist=[
        bytes.fromhex(a.address[2:]) for a in (governor, anchorer)])
    node = Node.open(data_dir, durable=False)
    # The default handler reports only the 32-byte vanity of extraData, as web3.py wants;
    # the exporter must then fetch the sealed header with debug_getRawHeader.
    server = RpcServer(RpcHandler(node), port=0)
    node.start()
    server.start()
    try:
        client = Web3RegistryClient.deploy(server.url, governor, [governor.address])
        issuer = make_issuer(base / "issuer")
        client.accredit(issuer.did, issuer.name)
        client.add_key(issuer.did, issuer.signing_key(ISSUED_AT).public_key, 0)
        client.authorize_account(issuer.did, anchorer.address)
        issuing = client.with_account(anchorer)

        status_registry = f"eip155:{client.chain_id}:{client.registry}"
        issued = [
            issue_one(LearningRecord.from_json(copy.deepcopy(RECORD)), issuer, status_index=i,
                      now=ISSUED_AT, status_registry=status_registry)
            for i in range(CREDENTIALS)
        ]
        tree = MerkleTree(leaf_hash(root) for _, root in issued)
        anchored = issuing.anchor(tree.root, CREDENTIALS)
        credentials = [
            attach_anchor(c, tree.root, tree.proof(leaf_hash(root)), anchored.anchor_members())
            for c, root in issued
        ]
        issuing.revoke([1], reason=1)
        issuing.suspend([2], reason=7)
        w3 = Web3(Web3.HTTPProvider(server.url, request_kwargs={"timeout": 30}))
        registry = w3.eth.contract(address=client.registry,
                                   abi=contracts.load("CredentialRegistry").abi)
        yield Deployment(server.url, w3, registry, credentials, tree.root,
                         anchored.block_number)
    finally:
        server.stop()
        node.close()


@pytest.fixture(scope="module")
def bundle(deployment: Deployment) -> dict[str, Any]:
    return export_bundle(deployment.url, deployment.registry.address)


@pytest.fixture(scope="module")
def pin(deployment: Deployment) -> dict[str, Any]:
    return export_pin(deployment.url, deployment.registry.address)


def test_bundle_names_the_chain_registry_signers_and_issuer(deployment, bundle, pin) -> None:
    assert bundle["type"] == "CredbankTrustBundle" and bundle["version"] == 1
    assert bundle["chainId"] == deployment.w3.eth.chain_id == pin["chainId"]
    assert bundle["registry"] == deployment.registry.address
    assert bundle["signers"] == pin["signers"]
    assert bundle["checkpoint"]["number"] >= deployment.anchor_block + 2
    block = deployment.w3.eth.get_block(bundle["checkpoint"]["number"])
    assert bundle["checkpoint"]["hash"] == "0x" + bytes(block["hash"]).hex()
    assert [i["name"] for i in bundle["issuers"]] == ["上海开放大学 Shanghai Open University"]
    # issuer, key, account, root, one revocation and one suspension word, the scope word
    assert len(bundle["slots"]) == 7
    assert len(bundle["nodes"]) == len(set(bundle["nodes"]))


def test_exported_words_equal_the_registry_views(deployment, bundle) -> None:
    evidence = load_evidence(bundle, parse_pin(export_pin(deployment.url)))
    credential = deployment.credentials[0]
    did = credential["credentialStatus"]["statusIssuer"]
    views = deployment.registry.functions
    assert (
        evidence.revoked(did, 1).value and views.isRevoked(registry_layout.issuer_id(did), 1).call()
    )
    assert not evidence.revoked(did, 0).value
    assert evidence.suspended(did, 2).value
    batch = evidence.batch(deployment.batch_root).value
    assert batch.anchored and batch.block_number == deployment.anchor_block
    assert batch.count == CREDENTIALS


def test_offline_verification_with_the_bundle_and_pin(deployment, bundle, pin) -> None:
    evidence = load_evidence(bundle, parse_pin(pin))
    results = [verify(c, evidence=evidence) for c in deployment.credentials]
    assert results[0].verified and results[3].verified, results[0].checks
    assert results[1].check("not_revoked").status is Status.FAILED
    assert results[2].check("not_suspended").status is Status.FAILED
    assert results[2].check("not_revoked").status is Status.PASSED
    detail = results[0].check("anchored").detail
    assert f"in block {deployment.anchor_block}" in detail and "Shanghai" in detail


def _write_credentials(tmp_path: Path, credentials: list[dict[str, Any]]) -> list[str]:
    paths = []
    for i, credential in enumerate(credentials):
        path = tmp_path / f"c{i}.json"
        path.write_text(json.dumps(credential, ensure_ascii=False))
        paths.append(str(path))
    return paths


def _statuses(out: str) -> list[dict[str, str]]:
    return [{c["id"]: c["status"] for c in json.loads(line)["checks"]} for line in out.splitlines()]


def test_credbank_verify_with_a_gzipped_bundle_and_pin(
    deployment, bundle, pin, tmp_path, capsys
) -> None:
    files = _write_credentials(tmp_path, deployment.credentials)
    write_json(bundle, tmp_path / "trust.json.gz")
    write_json(pin, tmp_path / "pin.json")
    assert (tmp_path / "trust.json.gz").read_bytes()[:2] == b"\x1f\x8b"
    code = verify_main(
        [
            *files,
            "--trust",
            str(tmp_path / "trust.json.gz"),
            "--pin",
            str(tmp_path / "pin.json"),
            "--json",
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    first, revoked, suspended, fourth = _statuses(out)
    assert set(first.values()) == {"passed"} and set(fourth.values()) == {"passed"}
    assert revoked["not_revoked"] == "failed" and suspended["not_suspended"] == "failed"


def test_credbank_verify_online_checks_the_latest_block(deployment, pin, tmp_path, capsys) -> None:
    files = _write_credentials(tmp_path, deployment.credentials)
    (tmp_path / "pin.json").write_text(json.dumps(pin))
    code = verify_main(
        [*files, "--online", deployment.url, "--pin", str(tmp_path / "pin.json"), "--json"]
    )
    out = capsys.readouterr().out
    assert code == 1
    first, revoked, suspended, _ = _statuses(out)
    assert set(first.values()) == {"passed"}
    assert revoked["not_revoked"] == "failed" and suspended["not_suspended"] == "failed"
    detail = json.loads(out.splitlines()[0])["checks"][7]["detail"]
    assert "as of block" in detail and "not pinned" not in detail


def test_online_against_a_pin_of_other_signers_is_an_error(
    deployment, pin, tmp_path, capsys
) -> None:
    files = _write_credentials(tmp_path, deployment.credentials[:1])
    forged = {**pin, "signers": [Account.create().address]}
    (tmp_path / "pin.json").write_text(json.dumps(forged))
    code = verify_main(
        [*files, "--online", deployment.url, "--pin", str(tmp_path / "pin.json"), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and not report["verified"]
    chain = [c for c in report["checks"] if c["id"] in ("anchored", "not_revoked")]
    assert {c["status"] for c in chain} == {"error"}
    assert "not one of the signers" in chain[0]["detail"]


def test_a_bundle_without_the_revocation_leaf_errs(deployment, bundle, pin) -> None:
    did = deployment.credentials[1]["credentialStatus"]["statusIssuer"]
    slot = registry_layout.revocation_slot(registry_layout.issuer_id(did), 0)
    answer = deployment.w3.eth.get_proof(
        deployment.registry.address, [slot], bundle["checkpoint"]["number"]
    )
    leaf = "0x" + bytes(answer["storageProof"][0]["proof"][-1]).hex()
    stripped = copy.deepcopy(bundle)
    stripped["nodes"].remove(leaf)
    evidence = load_evidence(stripped, parse_pin(pin))
    result = verify(deployment.credentials[1], evidence=evidence)
    assert result.check("not_revoked").status is Status.ERROR
    assert not result.verified


def test_trust_export_and_pin_commands(deployment, tmp_path) -> None:
    from api.cli import main as credbank

    out, pin_out = tmp_path / "trust.json", tmp_path / "pin.json"
    assert (
        credbank(
            [
                "trust",
                "export",
                "--rpc",
                deployment.url,
                "--registry",
                deployment.registry.address,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (
        credbank(
            [
                "trust",
                "pin",
                "--rpc",
                deployment.url,
                "--registry",
                deployment.registry.address,
                "--out",
                str(pin_out),
            ]
        )
        == 0
    )
    document = json.loads(out.read_text())
    assert document["type"] == "CredbankTrustBundle"
    pin = json.loads(pin_out.read_text())
    assert load_evidence(document, parse_pin(pin)).registry_address == (deployment.registry.address)
    assert (
        credbank(
            ["trust", "export", "--rpc", deployment.url, "--registry", "0x1234", "--out", str(out)]
        )
        == 2
    )


def test_status_events_are_reported_with_their_block_time_and_transaction(
        deployment, bundle) -> None:
    did = deployment.credentials[0]["credentialStatus"]["statusIssuer"]
    events = bundle["statusEvents"]
    assert [(e["action"], e["statusIndices"], e["reason"]) for e in events] == [
        ("revoked", ["1"], 1), ("suspended", ["2"], 7)]
    for event in events:
        assert event["issuer"] == did
        block = deployment.w3.eth.get_block(event["blockNumber"])
        assert event["timestamp"] == block["timestamp"]
        receipt = deployment.w3.eth.get_transaction_receipt(event["transactionHash"])
        assert receipt["blockNumber"] == event["blockNumber"]
    # reported beside the proofs, never a fact the verifier decides on
    evidence = load_evidence(bundle)
    assert evidence.revoked(did, 1).value and not evidence.revoked(did, 2).value


def test_an_export_proves_what_it_is_asked_about_and_names_the_authority(deployment) -> None:
    stranger = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    document = export_bundle(deployment.url, deployment.registry.address,
                             authority="上海市终身教育学分银行", dids=[stranger])
    assert document["authority"] == "上海市终身教育学分银行"
    slot = registry_layout.issuer_slot(registry_layout.issuer_id(stranger))
    assert "0x" + slot.to_bytes(32, "big").hex() in document["slots"]
    evidence = load_evidence(document)
    assert not evidence.issuer(stranger).value.accredited  # proven absent: a zero word
    assert evidence.authority == "上海市终身教育学分银行"
    with pytest.raises(ChainError, match="authority"):
        export_bundle(deployment.url, deployment.registry.address, authority="")


def test_gzip_is_deterministic(bundle, tmp_path) -> None:
    size = write_json(bundle, tmp_path / "a.json.gz")
    write_json(bundle, tmp_path / "b.json.gz")
    assert (tmp_path / "a.json.gz").read_bytes() == (tmp_path / "b.json.gz").read_bytes()
    assert json.loads(gzip.decompress((tmp_path / "a.json.gz").read_bytes())) == bundle
    assert size == (tmp_path / "a.json.gz").stat().st_size


def test_bundle_nodes_are_the_proofs_and_nothing_dangling(bundle) -> None:
    # Every node in the pool is reachable: the account leaf carries the storage root.
    nodes = {keccak(bytes.fromhex(n[2:])) for n in bundle["nodes"]}
    header = rlp.decode(bytes.fromhex(bundle["checkpoint"]["header"][2:]))
    assert header[3] in nodes  # the state root node itself is in the pool


def test_human_output_without_a_pin_says_the_signer_set_is_not_pinned(
        deployment, bundle, tmp_path, capsys) -> None:
    files = _write_credentials(tmp_path, deployment.credentials[:1])
    write_json(bundle, tmp_path / "trust.json")
    code = verify_main([*files, "--trust", str(tmp_path / "trust.json")])
    out = capsys.readouterr().out
    # every check passed, against a signer set nobody pinned: proves nothing to the reader
    assert code == 1 and out.startswith("pin: none")
    assert out.count("signer set not pinned") == 4
    assert "NOT VERIFIED: issuer not checked (the chain evidence's signer set is not " \
           "pinned: give --pin" in out
    code = verify_main([*files, "--trust", str(tmp_path / "trust.json"),
                        "--accept-unknown-issuer", "--no-status"])
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines()[1].startswith("VERIFIED, except that")



def test_history_reads_status_indices_under_the_reason_byte_of_status_events(
        tmp_path: Path) -> None:
    # Status events carry the reason code in the top byte of the index word; the status
    # words exported come from the bits below it, and only words in use are exported.
    governor, anchorer = Account.create(), Account.create()
    init_data_dir(tmp_path / "node", period=0, sender_allowlist=[
        bytes.fromhex(a.address[2:]) for a in (governor, anchorer)])
    node = Node.open(tmp_path / "node", durable=False)
    server = RpcServer(RpcHandler(node), port=0)
    node.start()
    server.start()
    try:
        client = Web3RegistryClient.deploy(server.url, governor, [governor.address])
        did = "did:web:status.example.cn"
        client.accredit(did, "Status Example")
        client.authorize_account(did, anchorer.address)
        issuing = client.with_account(anchorer)
        registry = bytes.fromhex(client.registry[2:])
        issuer = registry_layout.issuer_id(did)

        def words() -> list[int]:
            history = read_history(rpc_for(server.url), registry, client.w3.eth.block_number)
            return history[issuer].status_words()

        issuing.suspend([600], reason=255)
        assert words() == [2]
        issuing.revoke([1030, 1000], reason=255)
        assert words() == [2, 3, 4]
        issuing.reinstate([600], reason=255)
        issuing.revoke([1300], reason=3)
        assert words() == [2, 3, 4, 5]
        issuing.revoke([2**64 - 1], reason=1)  # a stray huge index adds one word, not 2**56
        assert words() == [2, 3, 4, 5, (2**64 - 1) // 256]
    finally:
        server.stop()
        node.close()
