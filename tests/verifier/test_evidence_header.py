"""Headers: RLP, block hash and Clique seal, on Rinkeby's block 30000 and the embedded node."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import rlp
from eth_keys import keys

from tests.vectors import vector_dir
from verifier.evidence import header
from verifier.evidence.errors import HeaderError

RINKEBY_SIGNER = bytes.fromhex("42eb768f2244c8811c63729a21a3569731535f06")


@pytest.fixture(scope="module")
def rinkeby() -> dict:
    return json.loads((vector_dir("ethereum-clique") / "rinkeby-block-30000.json").read_text())


def test_rinkeby_checkpoint_header_hashes_and_recovers_its_sealer(rinkeby: dict) -> None:
    parsed = header.from_rpc(rinkeby["header"])
    assert parsed.base_fee is None  # pre-London: 15 fields
    assert "0x" + parsed.hash.hex() == rinkeby["expected"]["blockHash"]
    assert parsed.seal_hash().hex() == (
        "89cb211c2d7a21ef8d7af39625fb047547ab7ecfee5467f3548946eca3c0ac3b"
    )
    assert parsed.signer() == RINKEBY_SIGNER
    assert ["0x" + s.hex() for s in parsed.checkpoint_signers()] == (
        rinkeby["expected"]["validatorsInExtraData"]
    )
    assert parsed.number == 30000


def test_rlp_round_trip(rinkeby: dict) -> None:
    parsed = header.from_rpc(rinkeby["header"])
    assert header.decode(parsed.encode()) == parsed
    assert header.from_rpc(header.to_rpc(parsed)) == parsed


def test_a_flipped_byte_changes_the_hash_or_the_signer(rinkeby: dict) -> None:
    fields = dict(rinkeby["header"])
    fields["stateRoot"] = fields["stateRoot"][:-1] + (
        "5" if fields["stateRoot"][-1] != "5" else "6"
    )
    forged = header.from_rpc(fields)
    assert "0x" + forged.hash.hex() != rinkeby["expected"]["blockHash"]
    assert forged.signer() != RINKEBY_SIGNER


def test_a_seal_by_another_key_recovers_that_key(rinkeby: dict) -> None:
    original = header.from_rpc(rinkeby["header"])
    intruder = keys.PrivateKey(b"\x07" * 32)
    seal = intruder.sign_msg_hash(original.seal_hash()).to_bytes()
    fields = dict(rinkeby["header"])
    fields["extraData"] = "0x" + (original.extra_data[:-65] + seal).hex()
    resealed = header.from_rpc(fields)
    assert resealed.signer() == intruder.public_key.to_canonical_address()


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda b: b.pop("stateRoot"), "no stateRoot"),
        (lambda b: b.update(stateRoot="0x1234"), "must be 32 bytes"),
        (lambda b: b.update(number="12"), "hex quantity"),
        (lambda b: b.update(extraData="0x" + "00" * 40), "too short"),
    ],
)
def test_malformed_fields_are_header_errors(rinkeby: dict, mutate, reason: str) -> None:
    fields = dict(rinkeby["header"])
    mutate(fields)
    with pytest.raises(HeaderError, match=reason):
        header.from_rpc(fields).signer()


def test_decode_refuses_trailing_bytes_and_wrong_shapes(rinkeby: dict) -> None:
    encoded = header.from_rpc(rinkeby["header"]).encode()
    with pytest.raises(HeaderError):
        header.decode(encoded + b"\x00")
    with pytest.raises(HeaderError, match="fields"):
        header.decode(rlp.encode([b"\x01" * 32] * 3))


# ---- the embedded node (in process, no socket) -------------------------------------------


@pytest.fixture(scope="module")
def node_rpc(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from eth_account import Account

    from ledger.node import Node, RpcHandler, init_data_dir

    sender = Account.create()
    path: Path = tmp_path_factory.mktemp("node") / "data"
    init_data_dir(path, sender_allowlist=[bytes.fromhex(sender.address[2:])], period=0)
    node = Node.open(path, durable=False)
    handler = RpcHandler(node, full_extra_data=True)
    try:
        for _ in range(3):
            node.seal_pending(allow_empty=True)

        def call(method: str, *params: object) -> object:
            answer = handler.handle(
                {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
            )
            assert answer is not None and "error" not in answer, answer
            return answer["result"]

        yield call
    finally:
        node.close()


def test_embedded_node_headers_hash_as_the_node_says(node_rpc) -> None:
    signers = {bytes.fromhex(s[2:]) for s in node_rpc("clique_getSigners", "latest")}
    for number in range(0, 4):
        block = node_rpc("eth_getBlockByNumber", hex(number), False)
        parsed = header.from_rpc(block)
        assert parsed.base_fee == 0  # London rules with a zero base fee
        assert "0x" + parsed.hash.hex() == block["hash"]
        raw = node_rpc("debug_getRawHeader", hex(number))
        assert header.decode(bytes.fromhex(raw[2:])) == parsed
        if number:  # the genesis block carries no seal
            assert parsed.signer() in signers
