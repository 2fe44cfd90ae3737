"""The chain client against two independent nodes: the embedded node and anvil."""

# The chain fixtures are imported, so test parameters named after them shadow the import.
# ruff: noqa: F811

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from eth_account import Account
from web3 import Web3

from ledger import (
    AlreadyRecorded,
    ChainError,
    ChainUnavailable,
    IssuerNotActive,
    NotAuthorized,
    RegistryRefused,
    TransactionRejected,
    TransactionTimeout,
    Web3RegistryClient,
    create_account_key,
    load_account_key,
)
from ledger.client import key_file_is_private
from ledger.transactions import redact_url, with_retries
from verifier import registry_layout
from verifier.registry_layout import IssuerStatus

from .chains import ChainUnderTest, anvil_rewound, chain, embedded_chain  # noqa: F401

DID = "did:example:open-university"
OTHER_DID = "did:example:museum"
KEY_1 = bytes(range(1, 33))
KEY_2 = bytes(range(101, 133))
ROOT = b"\xab" * 32


class Roles:
    """A registry deployed by a governor, with one issuer accredited and its account bound."""

    def __init__(self, chain: ChainUnderTest) -> None:
        self.governor = chain.new_account()
        self.issuer_account = chain.new_account()
        self.outsider = chain.new_account()
        self.client = Web3RegistryClient.deploy(chain.url, self.governor, [self.governor.address])
        self.client.accredit(DID, "Open University")
        self.client.add_key(DID, KEY_1, valid_from=1)
        self.client.authorize_account(DID, self.issuer_account.address)
        self.issuer = self.client.with_account(self.issuer_account)


@pytest.fixture
def roles(chain: ChainUnderTest) -> Roles:
    return Roles(chain)


def test_deploy_sets_the_initial_governors(chain: ChainUnderTest) -> None:
    deployer, second, third = (chain.new_account() for _ in range(3))
    client = Web3RegistryClient.deploy(chain.url, deployer, [second.address, third.address])

    assert client.registry == Web3RegistryClient(chain.url, client.registry).registry
    assert not client.is_governor(deployer.address)
    assert client.is_governor(second.address) and client.is_governor(third.address)
    assert client.governor_count() == 2
    assert client.approvals_required() == 2


def test_governor_change_executes_at_a_majority(chain: ChainUnderTest) -> None:
    first, second, newcomer = (chain.new_account() for _ in range(3))
    client = Web3RegistryClient.deploy(chain.url, first, [first.address, second.address])

    _, proposal_id = client.propose_governor_change(newcomer.address, add=True)
    assert not client.is_governor(newcomer.address)
    assert client.governor_proposal(proposal_id).approvals == 1

    client.with_account(second).approve_governor_change(proposal_id)
    assert client.is_governor(newcomer.address)
    assert client.governor_proposal(proposal_id).executed


def test_accredit_key_and_account_are_readable(roles: Roles) -> None:
    client = roles.client
    fact = client.issuer(DID)

    assert fact.status is IssuerStatus.ACTIVE and fact.issuer_number == 1
    assert client.issuer_name(DID) == "Open University"
    assert client.is_issuer_active(DID)
    assert client.issuer_key(DID, KEY_1).registered
    assert client.account_issuer(
        roles.issuer_account.address
    ).issuer_id == registry_layout.issuer_id(DID)
    assert client.account_issuer(roles.outsider.address).issuer_id is None
    assert client.issuer(OTHER_DID).status is IssuerStatus.NONE


def test_anchor_records_the_batch_and_its_transaction(roles: Roles) -> None:
    result = roles.issuer.anchor(ROOT, 1000)

    fact = roles.client.batch(ROOT)
    assert fact.anchored and fact.count == 1000 and fact.issuer_number == 1
    assert fact.block_number == result.block_number
    assert result.chain_id == roles.client.chain_id and result.registry == roles.client.registry
    assert roles.client.anchoring_transaction(ROOT) == result
    assert roles.client.anchoring_transaction(b"\x01" * 32) is None
    with pytest.raises(AlreadyRecorded) as twice:
        roles.issuer.anchor(ROOT, 1000)
    assert twice.value.name == "BatchAlreadyAnchored"


def test_revoke_suspend_and_reinstate_many_per_transaction(roles: Roles) -> None:
    issuer, client = roles.issuer, roles.client
    issuer.revoke([700, 3, 5])
    issuer.suspend([8, 9])
    issuer.reinstate([9])

    assert [client.is_revoked(DID, i) for i in (3, 4, 5, 700)] == [True, False, True, True]
    assert client.is_suspended(DID, 8) and not client.is_suspended(DID, 9)
    with pytest.raises(AlreadyRecorded) as again:
        issuer.revoke([5])
    assert again.value.name == "AlreadyRevoked" and again.value.error_args["statusIndex"] == 5
    with pytest.raises(RegistryRefused) as not_suspended:
        issuer.reinstate([3])
    assert not_suspended.value.name == "NotSuspended"


def test_revoke_a_whole_batch(roles: Roles) -> None:
    roles.issuer.anchor(ROOT, 10)
    roles.issuer.revoke_batch(ROOT, reason=2)

    fact = roles.client.batch(ROOT)
    assert fact.revoked and fact.revocation_reason == 2


def test_non_governor_cannot_accredit(roles: Roles) -> None:
    with pytest.raises(NotAuthorized) as refused:
        roles.issuer.accredit(OTHER_DID, "Museum")
    assert refused.value.name == "NotGovernor"
    assert refused.value.error_args == {"account": roles.issuer_account.address}
    assert "NotGovernor" in str(refused.value) and "not a governor" in str(refused.value)


def test_account_of_no_issuer_cannot_anchor(roles: Roles) -> None:
    for caller in (roles.outsider, roles.governor):
        with pytest.raises(NotAuthorized) as refused:
            roles.client.with_account(caller).anchor(ROOT, 1)
        assert refused.value.name == "NotAnchoringAccount"
        assert refused.value.error_args == {"account": caller.address}
        assert str(refused.value) == (
            "refused by the registry: NotAnchoringAccount — "
            "this account may not anchor for any issuer"
        )


def test_another_issuer_cannot_revoke_a_batch(roles: Roles, chain: ChainUnderTest) -> None:
    other_account = chain.new_account()
    roles.client.accredit(OTHER_DID, "Museum")
    roles.client.authorize_account(OTHER_DID, other_account.address)
    roles.issuer.anchor(ROOT, 3)

    with pytest.raises(NotAuthorized) as refused:
        roles.client.with_account(other_account).revoke_batch(ROOT)
    assert refused.value.name == "NotBatchIssuer"
    assert refused.value.error_args["issuerId"] == "0x" + registry_layout.issuer_id(OTHER_DID).hex()
    # Status indices are per issuer: the other issuer's revocation never touches ours.
    roles.client.with_account(other_account).revoke([0])
    assert roles.client.is_revoked(OTHER_DID, 0) and not roles.client.is_revoked(DID, 0)


def test_suspended_issuer_cannot_anchor_until_reinstated(roles: Roles) -> None:
    roles.client.suspend_issuer(DID)
    with pytest.raises(IssuerNotActive) as refused:
        roles.issuer.anchor(ROOT, 1)
    assert refused.value.name == "IssuerNotActive"
    assert refused.value.error_args["status"] == IssuerStatus.SUSPENDED

    roles.client.reinstate_issuer(DID)
    roles.issuer.anchor(ROOT, 1)
    assert roles.client.batch(ROOT).anchored


def test_key_rotation_closes_the_old_window(roles: Roles) -> None:
    at = roles.client.latest_block_timestamp()
    roles.client.rotate_key(DID, KEY_1, KEY_2, at)

    assert roles.client.issuer_key(DID, KEY_1).valid_until == at
    assert roles.client.is_key_valid_at(DID, KEY_1, at - 1)
    assert not roles.client.is_key_valid_at(DID, KEY_1, at)
    assert roles.client.is_key_valid_at(DID, KEY_2, at)
    roles.client.revoke_key(DID, KEY_2, at + 10)
    assert not roles.client.is_key_valid_at(DID, KEY_2, at + 10)
    with pytest.raises(RegistryRefused) as refused:
        roles.client.rotate_key(DID, KEY_1, b"\x07" * 32, at)
    assert refused.value.name == "InvalidRotationTime"


def test_quick_successive_sends_take_consecutive_nonces(roles: Roles) -> None:
    roots = [bytes([n]) * 32 for n in range(1, 7)]
    hashes = [roles.issuer.send("anchor", root, 1) for root in roots]
    results = [roles.issuer.wait(h) for h in hashes]

    assert len(set(hashes)) == len(roots)
    w3 = roles.client.w3
    nonces = [w3.eth.get_transaction(h)["nonce"] for h in hashes]
    assert nonces == list(range(nonces[0], nonces[0] + len(roots)))
    assert all(roles.client.batch(root).anchored for root in roots)
    assert [r.block_number for r in results] == sorted(r.block_number for r in results)


def test_a_reverted_receipt_is_decoded_by_replaying_it(roles: Roles) -> None:
    # An explicit gas limit skips the estimate, so the refusal happens inside a block.
    outsider = roles.client.with_account(roles.outsider)
    with pytest.raises(NotAuthorized) as refused:
        outsider.transact("anchor", ROOT, 1, gas=200_000)
    assert refused.value.name == "NotAnchoringAccount"
    receipt = roles.client.w3.eth.get_transaction_receipt(refused.value.transaction_hash)
    assert receipt["status"] == 0


def test_read_only_client_refuses_to_send(roles: Roles, chain: ChainUnderTest) -> None:
    reader = Web3RegistryClient(chain.url, roles.client.registry)
    assert reader.sender is None and reader.is_issuer_active(DID)
    with pytest.raises(ChainError, match="no account"):
        reader.anchor(ROOT, 1)


def test_an_address_without_the_registry_is_refused(chain: ChainUnderTest) -> None:
    with pytest.raises(ChainError, match="no contract at"):
        Web3RegistryClient(chain.url, Account.create().address)


def test_node_refusing_a_sender_is_a_rejection(embedded_chain: ChainUnderTest) -> None:
    governor = embedded_chain.new_account()
    client = Web3RegistryClient.deploy(embedded_chain.url, governor, [governor.address])
    stranger = client.with_account(Account.create())  # not on the allow-list
    with pytest.raises(TransactionRejected, match="allow-list"):
        # A gas limit skips the estimate, so the node's admission is what refuses.
        stranger.transact("accredit", DID, "Open University", 0, 0, gas=300_000)


def test_unreachable_endpoint_fails_after_bounded_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(ChainUnavailable) as unreachable:
            Web3RegistryClient(
                f"http://user:secret@127.0.0.1:{port}",
                ROOT[:20].hex(),
                retries=2,
                retry_backoff=0.01,
            )
    assert "tried 3 times" in str(unreachable.value)
    assert "secret" not in str(unreachable.value)


def test_redact_url_drops_credentials() -> None:
    assert redact_url("https://u:p@besu.example:8545/rpc") == "https://besu.example:8545/rpc"
    assert redact_url("http://127.0.0.1:8545") == "http://127.0.0.1:8545"


def test_account_key_files_are_private_and_never_quoted(tmp_path: Path) -> None:
    path = tmp_path / "anchoring.key"
    account = create_account_key(path)
    assert key_file_is_private(path)
    assert load_account_key(path).address == account.address
    with pytest.raises(FileExistsError):
        create_account_key(path)

    bad = tmp_path / "bad.key"
    bad.write_text("not-a-key-but-secret-looking-text\n")
    with pytest.raises(ChainError) as refused:
        load_account_key(bad)
    assert "secret" not in str(refused.value) and str(bad) in str(refused.value)


def test_transient_transport_errors_are_retried_then_answered() -> None:
    failures = [requests.exceptions.ConnectionError("reset"), requests.exceptions.Timeout()]
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return "answer"

    assert with_retries(flaky, "http://127.0.0.1:1", retries=3, backoff=0.0) == "answer"
    assert len(calls) == 3


def test_no_receipt_in_time_is_a_timeout_that_names_the_transaction(
    rewound_anvil_url: str,
) -> None:
    anvil_url = rewound_anvil_url
    admin = Web3(Web3.HTTPProvider(anvil_url))
    governor = Account.create()
    admin.provider.make_request("anvil_setBalance", [governor.address, hex(10**21)])
    client = Web3RegistryClient.deploy(anvil_url, governor, [governor.address],
                                       receipt_timeout=0.5)
    admin.provider.make_request("evm_setAutomine", [False])  # anvil holds the transaction
    try:
        with pytest.raises(TransactionTimeout) as late:
            client.accredit(DID, "Open University")
        assert late.value.transaction_hash in str(late.value)
        admin.provider.make_request("evm_mine", [])
        assert client.wait(late.value.transaction_hash).block_number > 0
    finally:
        admin.provider.make_request("evm_setAutomine", [True])
    assert client.issuer(DID).accredited


@pytest.fixture
def rewound_anvil_url(anvil_url: str) -> Iterator[str]:
    with anvil_rewound(anvil_url):
        yield anvil_url
