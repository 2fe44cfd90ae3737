"""IssuerRegistry: governance, accreditation, keys and anchoring accounts."""

from __future__ import annotations

import pytest
from web3 import Web3

import contracts
from tests.contracts.conftest import DID_A, Issuers
from tests.contracts.harness import ARTIFACT, Registry, decode_revert, deploy, revert_data
from verifier.registry_layout import IssuerStatus, issuer_id

ZERO_ADDRESS = "0x" + "00" * 20
KEY_1 = b"\x11" * 32
KEY_2 = b"\x22" * 32


# ---- governance -----------------------------------------------------------------------------


def deploy_refused(w3: Web3, governors: list[str]) -> str:
    factory = w3.eth.contract(abi=ARTIFACT.abi, bytecode=ARTIFACT.bytecode)
    with pytest.raises(Exception) as caught:  # the backends raise different types
        factory.constructor(governors).transact({"from": w3.eth.accounts[0]})
    return decode_revert(revert_data(caught.value)).name


def test_a_registry_needs_distinct_nonzero_governors(w3: Web3) -> None:
    accounts = w3.eth.accounts
    assert deploy_refused(w3, []) == "NoGovernors"
    assert deploy_refused(w3, [accounts[0], accounts[0]]) == "AlreadyGovernor"
    assert deploy_refused(w3, [ZERO_ADDRESS]) == "ZeroAddress"


def test_initial_governors_and_majority_threshold(registry: Registry) -> None:
    assert registry.call("governorCount") == 3
    assert registry.call("approvalsRequired") == 2
    assert all(registry.call("isGovernor", g) for g in registry.governors)
    assert not registry.call("isGovernor", registry.outsider)


def test_adding_a_governor_needs_a_majority(registry: Registry) -> None:
    g0, g1, g2 = registry.governors
    newcomer = registry.outsider
    receipt = registry.transact("proposeGovernorChange", newcomer, True, sender=g0)
    assert registry.event_names(receipt) == ["GovernorChangeProposed", "GovernorChangeApproved"]
    (proposed,) = registry.events(receipt, "GovernorChangeProposed")
    assert proposed == {"proposalId": 1, "account": newcomer, "add": True, "proposer": g0}
    assert not registry.call("isGovernor", newcomer)

    assert registry.refused("approveGovernorChange", 1, sender=g0) == (
        registry.refused("approveGovernorChange", 1, sender=g0)
    )
    assert registry.refused("approveGovernorChange", 1, sender=g0).name == "AlreadyApproved"
    assert registry.refused("approveGovernorChange", 1, sender=newcomer).name == "NotGovernor"

    receipt = registry.transact("approveGovernorChange", 1, sender=g1)
    assert registry.event_names(receipt) == ["GovernorChangeApproved", "GovernorAdded"]
    assert registry.events(receipt, "GovernorChangeApproved")[0]["approvals"] == 2
    assert registry.events(receipt, "GovernorAdded") == [{"account": newcomer, "proposalId": 1}]
    assert registry.call("isGovernor", newcomer)
    assert registry.call("governorCount") == 4
    assert registry.call("approvalsRequired") == 3
    assert registry.refused("approveGovernorChange", 1, sender=g2).name == "ProposalClosed"


def test_a_single_governor_decides_alone(w3: Web3) -> None:
    solo = deploy(w3, governors=[w3.eth.accounts[0]])
    receipt = solo.transact(
        "proposeGovernorChange", w3.eth.accounts[1], True, sender=solo.governors[0]
    )
    assert solo.events(receipt, "GovernorAdded")[0]["account"] == w3.eth.accounts[1]
    assert solo.call("governorCount") == 2


def test_the_last_governor_cannot_be_removed(w3: Web3) -> None:
    solo = deploy(w3, governors=[w3.eth.accounts[0]])
    refusal = solo.refused(
        "proposeGovernorChange", w3.eth.accounts[0], False, sender=w3.eth.accounts[0]
    )
    assert refusal.name == "LastGovernor"
    assert refusal.args == (w3.eth.accounts[0],)


def test_removing_a_governor_and_the_removed_one_loses_every_power(
    registry: Registry, issuers: Issuers
) -> None:
    g0, g1, g2 = registry.governors
    registry.transact("proposeGovernorChange", g2, False, sender=g0)
    receipt = registry.transact("approveGovernorChange", 1, sender=g1)
    assert registry.events(receipt, "GovernorRemoved") == [{"account": g2, "proposalId": 1}]
    assert registry.call("governorCount") == 2
    assert registry.refused("suspendIssuer", issuers.a, sender=g2).name == "NotGovernor"
    assert registry.refused("proposeGovernorChange", g2, True, sender=g2).name == "NotGovernor"


def test_a_proposal_made_under_an_older_governor_set_is_stale(registry: Registry) -> None:
    g0, g1, g2 = registry.governors
    registry.transact("proposeGovernorChange", registry.outsider, True, sender=g0)  # id 1
    registry.transact("proposeGovernorChange", g2, False, sender=g0)  # id 2
    registry.transact("approveGovernorChange", 2, sender=g1)  # g2 removed
    assert registry.refused("approveGovernorChange", 1, sender=g1).name == "ProposalClosed"


def test_proposal_input_checks(registry: Registry) -> None:
    g0 = registry.governors[0]
    assert registry.refused("approveGovernorChange", 7, sender=g0).name == "UnknownProposal"
    assert registry.refused("approveGovernorChange", 0, sender=g0).name == "UnknownProposal"
    assert registry.refused("proposeGovernorChange", g0, True, sender=g0).name == "AlreadyGovernor"
    assert (
        registry.refused("proposeGovernorChange", registry.outsider, False, sender=g0).name
        == "NotGovernor"
    )
    assert registry.refused("proposeGovernorChange", ZERO_ADDRESS, True, sender=g0).name == (
        "ZeroAddress"
    )


def test_the_issuer_registry_also_deploys_alone(w3: Web3) -> None:
    artifact = contracts.load("IssuerRegistry")
    governor = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(
        factory.constructor([governor]).transact({"from": governor})
    )
    alone = w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)
    alone.functions.accredit(DID_A, "A", 0, 0).transact({"from": governor})
    assert alone.functions.isIssuerActive(issuer_id(DID_A)).call()
    assert not any(e.get("name") == "anchor" for e in artifact.abi)


# ---- accreditation --------------------------------------------------------------------------


def test_accreditation_records_the_issuer_and_derives_its_id_from_the_did(
    registry: Registry,
) -> None:
    receipt = registry.transact(
        "accredit",
        DID_A,
        "开放大学 Open University",
        10,
        2_000_000_000,
        sender=registry.governors[1],
    )
    expected_id = issuer_id(DID_A)
    (event,) = registry.events(receipt, "IssuerAccredited")
    assert event == {
        "issuerId": expected_id,
        "issuerNumber": 1,
        "did": DID_A,
        "name": "开放大学 Open University",
        "validFrom": 10,
        "validUntil": 2_000_000_000,
    }
    assert registry.call("issuerIdOf", DID_A) == expected_id
    status, number, valid_from, valid_until, since = registry.call("issuer", expected_id)
    assert (status, number, valid_from, valid_until) == (IssuerStatus.ACTIVE, 1, 10, 2_000_000_000)
    assert since == registry.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert registry.call("issuerDid", expected_id) == DID_A
    assert registry.call("issuerIdByNumber", 1) == expected_id
    assert registry.call("issuerCount") == 1


@pytest.mark.parametrize("role", ["outsider", "issuer_account"])
def test_only_governors_accredit(registry: Registry, issuers: Issuers, role: str) -> None:
    caller = getattr(registry, role)
    refusal = registry.refused("accredit", "did:web:new.example.cn", "New", 0, 0, sender=caller)
    assert refusal.name == "NotGovernor"
    assert refusal.args == (caller,)


def test_accreditation_input_checks(registry: Registry, issuers: Issuers) -> None:
    g0 = registry.governors[0]
    refusal = registry.refused("accredit", DID_A, "again", 0, 0, sender=g0)
    assert refusal == type(refusal)("IssuerAlreadyAccredited", (issuers.a,))
    assert registry.refused("accredit", "", "no did", 0, 0, sender=g0).name == "EmptyDid"
    assert registry.refused("accredit", "did:web:w", "w", 20, 20, sender=g0).name == "InvalidWindow"


GOVERNOR_ONLY_CALLS = [
    ("suspendIssuer", lambda i: (i.a,)),
    ("reinstateIssuer", lambda i: (i.a,)),
    ("retireIssuer", lambda i: (i.a,)),
    ("setAccreditationWindow", lambda i: (i.a, 0, 0)),
    ("addKey", lambda i: (i.a, KEY_1, 0, 0)),
    ("rotateKey", lambda i: (i.a, i.a_key, KEY_1, 1_800_000_000)),
    ("revokeKey", lambda i: (i.a, i.a_key, 1_800_000_000)),
    ("removeAccount", lambda i: ("0x" + "00" * 19 + "01",)),
]


@pytest.mark.parametrize(
    "function,arguments", GOVERNOR_ONLY_CALLS, ids=[c[0] for c in GOVERNOR_ONLY_CALLS]
)
@pytest.mark.parametrize("role", ["outsider", "issuer_account"])
def test_every_issuer_change_is_for_governors_only(
    registry: Registry, issuers: Issuers, function: str, arguments, role: str
) -> None:
    caller = getattr(registry, role)
    assert registry.refused(function, *arguments(issuers), sender=caller).name == "NotGovernor"
    refusal = registry.refused("authorizeAccount", issuers.a, registry.outsider, sender=caller)
    assert refusal.name == "NotGovernor"


def test_issuer_lifecycle_suspend_reinstate_retire(registry: Registry, issuers: Issuers) -> None:
    g0 = registry.governors[0]
    receipt = registry.transact("suspendIssuer", issuers.a, sender=g0)
    assert registry.events(receipt, "IssuerStatusChanged") == [
        {"issuerId": issuers.a, "previous": IssuerStatus.ACTIVE, "current": IssuerStatus.SUSPENDED}
    ]
    assert not registry.call("isIssuerActive", issuers.a)
    refusal = registry.refused("suspendIssuer", issuers.a, sender=g0)
    assert refusal.name == "InvalidStatusTransition"
    assert refusal.args == (issuers.a, IssuerStatus.SUSPENDED, IssuerStatus.SUSPENDED)

    receipt = registry.transact("reinstateIssuer", issuers.a, sender=g0)
    assert registry.events(receipt, "IssuerStatusChanged")[0]["current"] == IssuerStatus.ACTIVE
    assert registry.call("isIssuerActive", issuers.a)
    assert registry.refused("reinstateIssuer", issuers.a, sender=g0).name == (
        "InvalidStatusTransition"
    )

    receipt = registry.transact("retireIssuer", issuers.a, sender=g0)
    assert registry.events(receipt, "IssuerStatusChanged")[0]["current"] == IssuerStatus.RETIRED
    assert registry.refused("retireIssuer", issuers.a, sender=g0).name == "InvalidStatusTransition"
    assert registry.refused("reinstateIssuer", issuers.a, sender=g0).name == (
        "InvalidStatusTransition"
    )
    for function, args in [
        ("addKey", (issuers.a, KEY_1, 0, 0)),
        ("authorizeAccount", (issuers.a, registry.outsider)),
        ("setAccreditationWindow", (issuers.a, 0, 0)),
    ]:
        assert registry.refused(function, *args, sender=g0).name == "IssuerRetired"


def test_unknown_issuers_are_refused(registry: Registry) -> None:
    g0, unknown = registry.governors[0], issuer_id("did:web:nobody.example.cn")
    for function, args in [
        ("suspendIssuer", (unknown,)),
        ("retireIssuer", (unknown,)),
        ("addKey", (unknown, KEY_1, 0, 0)),
        ("revokeKey", (unknown, KEY_1, 5)),
        ("authorizeAccount", (unknown, registry.outsider)),
    ]:
        refusal = registry.refused(function, *args, sender=g0)
        assert (refusal.name, refusal.args) == ("UnknownIssuer", (unknown,))


def test_accreditation_window_can_be_renewed(registry: Registry, issuers: Issuers) -> None:
    receipt = registry.transact(
        "setAccreditationWindow", issuers.a, 100, 200, sender=registry.governors[0]
    )
    assert registry.events(receipt, "AccreditationWindowChanged") == [
        {"issuerId": issuers.a, "validFrom": 100, "validUntil": 200}
    ]
    status, _, valid_from, valid_until, _ = registry.call("issuer", issuers.a)
    assert (status, valid_from, valid_until) == (IssuerStatus.ACTIVE, 100, 200)
    assert not registry.call("isIssuerActive", issuers.a)  # the window closed long ago


# ---- keys -----------------------------------------------------------------------------------


def test_a_key_is_valid_inside_its_window_only(registry: Registry, issuers: Issuers) -> None:
    receipt = registry.transact(
        "addKey", issuers.a, KEY_1, 1000, 2000, sender=registry.governors[0]
    )
    assert registry.events(receipt, "IssuerKeyAdded") == [
        {"issuerId": issuers.a, "publicKey": KEY_1, "validFrom": 1000, "validUntil": 2000}
    ]
    assert registry.call("issuerKey", issuers.a, KEY_1) == (True, 1000, 2000, 0)
    valid = [
        t for t in (999, 1000, 1999, 2000) if registry.call("isKeyValidAt", issuers.a, KEY_1, t)
    ]
    assert valid == [1000, 1999]
    assert not registry.call("isKeyValidAt", issuers.b, KEY_1, 1500)  # keys belong to one issuer


def test_key_rotation_keeps_the_old_key_for_earlier_signatures(
    registry: Registry, issuers: Issuers
) -> None:
    at = 1_750_000_000
    receipt = registry.transact(
        "rotateKey", issuers.a, issuers.a_key, KEY_2, at, sender=registry.governors[0]
    )
    assert registry.event_names(receipt) == ["IssuerKeyAdded", "IssuerKeyRotated"]
    assert registry.events(receipt, "IssuerKeyRotated") == [
        {"issuerId": issuers.a, "previousKey": issuers.a_key, "newKey": KEY_2, "at": at}
    ]
    assert registry.call("isKeyValidAt", issuers.a, issuers.a_key, at - 1)
    assert not registry.call("isKeyValidAt", issuers.a, issuers.a_key, at)
    assert not registry.call("isKeyValidAt", issuers.a, KEY_2, at - 1)
    assert registry.call("isKeyValidAt", issuers.a, KEY_2, at)
    assert registry.call("issuerKey", issuers.a, issuers.a_key) == (True, 1_700_000_000, at, 0)


def test_key_input_checks(registry: Registry, issuers: Issuers) -> None:
    g0 = registry.governors[0]
    assert registry.refused("addKey", issuers.a, issuers.a_key, 0, 0, sender=g0).name == (
        "KeyAlreadyRegistered"
    )
    assert registry.refused("addKey", issuers.a, b"\x00" * 32, 0, 0, sender=g0).name == "ZeroKey"
    assert registry.refused("addKey", issuers.a, KEY_1, 5, 4, sender=g0).name == "InvalidWindow"
    assert registry.refused("rotateKey", issuers.a, KEY_1, KEY_2, 5, sender=g0).name == "UnknownKey"
    # a rotation must fall strictly inside the replaced key's window
    for at in (1_600_000_000, 1_700_000_000):
        refusal = registry.refused("rotateKey", issuers.a, issuers.a_key, KEY_2, at, sender=g0)
        assert refusal.name == "InvalidRotationTime"
    assert (
        registry.refused(
            "rotateKey", issuers.a, issuers.a_key, issuers.a_key, 1_800_000_000, sender=g0
        ).name
        == "KeyAlreadyRegistered"
    )
    assert registry.refused("revokeKey", issuers.a, KEY_1, 5, sender=g0).name == "UnknownKey"
    assert registry.refused("revokeKey", issuers.a, issuers.a_key, 0, sender=g0).name == (
        "InvalidRevocationTime"
    )


def test_a_revoked_key_is_invalid_from_the_revocation_time(
    registry: Registry, issuers: Issuers
) -> None:
    g0, revoked_from = registry.governors[0], 1_710_000_000
    receipt = registry.transact("revokeKey", issuers.a, issuers.a_key, revoked_from, sender=g0)
    assert registry.events(receipt, "IssuerKeyRevoked") == [
        {"issuerId": issuers.a, "publicKey": issuers.a_key, "revokedFrom": revoked_from}
    ]
    assert registry.call("isKeyValidAt", issuers.a, issuers.a_key, revoked_from - 1)
    assert not registry.call("isKeyValidAt", issuers.a, issuers.a_key, revoked_from)
    refusal = registry.refused("revokeKey", issuers.a, issuers.a_key, revoked_from, sender=g0)
    assert refusal.name == "KeyAlreadyRevoked"


# ---- anchoring accounts ---------------------------------------------------------------------


def test_anchoring_accounts_bind_to_one_issuer(registry: Registry, issuers: Issuers) -> None:
    g0 = registry.governors[0]
    assert registry.call("accountIssuer", registry.issuer_account) == issuers.a
    assert registry.call("accountIssuer", registry.outsider) == b"\x00" * 32
    refusal = registry.refused("authorizeAccount", issuers.b, registry.issuer_account, sender=g0)
    assert (refusal.name, refusal.args) == (
        "AccountAlreadyBound",
        (registry.issuer_account, issuers.a),
    )
    assert registry.refused("authorizeAccount", issuers.a, ZERO_ADDRESS, sender=g0).name == (
        "ZeroAddress"
    )

    receipt = registry.transact("removeAccount", registry.issuer_account, sender=g0)
    assert registry.events(receipt, "AnchoringAccountRemoved") == [
        {"issuerId": issuers.a, "account": registry.issuer_account}
    ]
    assert registry.call("accountIssuer", registry.issuer_account) == b"\x00" * 32
    assert registry.refused("removeAccount", registry.issuer_account, sender=g0).name == (
        "AccountNotBound"
    )
    receipt = registry.transact("authorizeAccount", issuers.b, registry.issuer_account, sender=g0)
    assert registry.events(receipt, "AnchoringAccountAuthorized") == [
        {"issuerId": issuers.b, "account": registry.issuer_account}
    ]
