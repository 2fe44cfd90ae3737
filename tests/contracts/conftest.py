"""Contract tests run on two independent EVMs: py-evm in-process and anvil on loopback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from web3 import EthereumTesterProvider, Web3

from tests.contracts.harness import Registry, deploy
from verifier.registry_layout import issuer_id

BACKENDS = [
    pytest.param("eth-tester", id="eth-tester"),
    pytest.param("anvil", id="anvil", marks=pytest.mark.anvil),
]

DID_A = "did:web:open-university.example.cn"
DID_B = "did:web:museum.example.cn"


@pytest.fixture(scope="session", params=BACKENDS)
def w3(request: pytest.FixtureRequest) -> Web3:
    if request.param == "eth-tester":
        return Web3(EthereumTesterProvider())
    return Web3(Web3.HTTPProvider(request.getfixturevalue("anvil_url")))


@pytest.fixture
def registry(w3: Web3) -> Registry:
    """A fresh registry with three governors (a change of governors needs two)."""
    return deploy(w3)


@dataclass(frozen=True)
class Issuers:
    """Two accredited issuers: A with two anchoring accounts and a key, B with one account."""

    a: bytes
    b: bytes
    a_key: bytes


@pytest.fixture
def issuers(registry: Registry) -> Issuers:
    governor = registry.governors[0]
    a, b = issuer_id(DID_A), issuer_id(DID_B)
    a_key = bytes(range(1, 33))
    registry.transact("accredit", DID_A, "Example Open University", 0, 0, sender=governor)
    registry.transact("accredit", DID_B, "Example Museum", 0, 0, sender=governor)
    registry.transact("addKey", a, a_key, 1_700_000_000, 0, sender=governor)
    registry.transact("authorizeAccount", a, registry.issuer_account, sender=governor)
    registry.transact("authorizeAccount", a, registry.second_issuer_account, sender=governor)
    registry.transact("authorizeAccount", b, registry.other_issuer_account, sender=governor)
    return Issuers(a=a, b=b, a_key=a_key)
