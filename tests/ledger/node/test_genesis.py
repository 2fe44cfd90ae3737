"""The genesis file: geth/Besu-shaped JSON that round-trips, and refuses nonsense."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from ledger.node import Genesis, GenesisError
from ledger.node.genesis import Account as GenesisAccount


def _address() -> bytes:
    return bytes.fromhex(Account.create().address[2:])


def test_genesis_round_trips_through_json() -> None:
    genesis = Genesis(
        chain_id=77,
        signers=(_address(),),
        timestamp=1_700_000_000,
        period=2,
        epoch_length=100,
        gas_limit=20_000_000,
        alloc={_address(): GenesisAccount(balance=5, storage={1: 2}, code=b"\x60\x00")},
        sender_allowlist=(_address(), _address()),
    )
    assert Genesis.loads(genesis.dumps()) == genesis
    doc = genesis.to_json()
    assert doc["config"]["clique"] == {"blockperiodseconds": 2, "epochlength": 100}
    assert doc["config"]["zeroBaseFee"] is True and doc["baseFeePerGas"] == "0x0"


def test_geth_spelling_of_clique_settings_is_read() -> None:
    signer = _address()
    doc = {
        "config": {"chainId": 5, "clique": {"period": 3, "epoch": 10}},
        "extraData": "0x" + "00" * 32 + signer.hex() + "00" * 65,
        "timestamp": "0x0",
    }
    genesis = Genesis.from_json(doc)
    assert (genesis.period, genesis.epoch_length, genesis.signers) == (3, 10, (signer,))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("config"),
        lambda d: d["config"].pop("clique"),
        lambda d: d.update(extraData="0x1234"),
        lambda d: d.update(extraData="0x" + "00" * 97),  # no signer
        lambda d: d.update(gasLimit="lots"),
        lambda d: d.update(alloc={"0x12": {"balance": "0x1"}}),
    ],
)
def test_malformed_genesis_is_refused(mutate) -> None:
    doc = Genesis(chain_id=1, signers=(_address(),), timestamp=0).to_json()
    mutate(doc)
    with pytest.raises(GenesisError):
        Genesis.loads(json.dumps(doc))
