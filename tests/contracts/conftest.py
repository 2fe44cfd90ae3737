"""Contract tests run on two independent EVMs: py-evm in-process and anvil on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth.vm.forks import LondonVM
from eth_tester import EthereumTester, PyEVMBackend
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
        # London, like the embedded chain and the anvil node.
        backend = PyEVMBackend(vm_configuration=((0, LondonVM),))
        return Web3(EthereumTesterProvider(EthereumTester(backend)))
    return Web3(Web3.HTTPProvider(request.getfixturevalue("anvil_url")))


def _uses_anvil(request: pytest.FixtureRequest) -> bool:
    callspec = getattr(request.node, "callspec", None)
    on_anvil_backend = callspec is not None and callspec.params.get("w3") == "anvil"
    return on_anvil_backend or "anvil_url" in request.fixturenames


@pytest.fixture(autouse=True)
def anvil_left_as_found(request: pytest.FixtureRequest) -> Iterator[None]:
    """Revert the shared anvil node to its state before the test (evm_snapshot/evm_revert).

    The node serves the whole session; rewinding keeps its chain where other tests expect it.
    """
    if not _uses_anvil(request):
        yield
        return
    node = Web3(Web3.HTTPProvider(request.getfixturevalue("anvil_url")))
    snapshot = node.provider.make_request("evm_snapshot", [])["result"]
    yield
    reverted = node.provider.make_request("evm_revert", [snapshot])
    assert reverted.get("result") is True, reverted


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
