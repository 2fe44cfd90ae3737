"""CredentialRegistry: anchoring, credential status and batch inclusion."""

from __future__ import annotations

import hashlib

import pytest

from tests.contracts.conftest import Issuers
from tests.contracts.harness import Registry, sorted_runs, with_reason
from verifier.merkle import MerkleTree, leaf_hash
from verifier.registry_layout import IssuerStatus

ROOT_1 = hashlib.sha256(b"batch one").digest()
ROOT_2 = hashlib.sha256(b"batch two").digest()
REASON_ISSUED_IN_ERROR = 1
REASON_UNDER_REVIEW = 7


# ---- anchoring ------------------------------------------------------------------------------


def test_an_issuer_account_anchors_a_batch(registry: Registry, issuers: Issuers) -> None:
    receipt = registry.transact("anchor", ROOT_1, 1000, sender=registry.second_issuer_account)
    assert registry.events(receipt, "BatchAnchored") == [
        {"batchRoot": ROOT_1, "issuerId": issuers.a, "count": 1000}
    ]
    block = registry.w3.eth.get_block(receipt["blockNumber"])
    assert registry.call("batch", ROOT_1) == (
        True,
        False,
        0,
        1,
        receipt["blockNumber"],
        block["timestamp"],
        1000,
    )
    assert registry.call("batchIssuer", ROOT_1) == issuers.a
    assert registry.call("batchIssuer", ROOT_2) == b"\x00" * 32


@pytest.mark.parametrize("role", ["outsider", "governor"])
def test_accounts_that_anchor_for_no_issuer_are_refused(
    registry: Registry, issuers: Issuers, role: str
) -> None:
    caller = registry.outsider if role == "outsider" else registry.governors[0]
    refusal = registry.refused("anchor", ROOT_1, 1, sender=caller)
    assert (refusal.name, refusal.args) == ("NotAnchoringAccount", (caller,))


def test_a_removed_account_can_no_longer_anchor(registry: Registry, issuers: Issuers) -> None:
    registry.transact("removeAccount", registry.issuer_account, sender=registry.governors[0])
    assert registry.refused("anchor", ROOT_1, 1, sender=registry.issuer_account).name == (
        "NotAnchoringAccount"
    )


def test_an_issuer_suspended_between_two_anchors(registry: Registry, issuers: Issuers) -> None:
    governor, account = registry.governors[0], registry.issuer_account
    registry.transact("anchor", ROOT_1, 10, sender=account)
    registry.transact("suspendIssuer", issuers.a, sender=governor)
    refusal = registry.refused("anchor", ROOT_2, 10, sender=account)
    assert (refusal.name, refusal.args) == ("IssuerNotActive", (issuers.a, IssuerStatus.SUSPENDED))
    assert registry.call("batch", ROOT_1)[0]  # the earlier anchor stands
    registry.transact("reinstateIssuer", issuers.a, sender=governor)
    registry.transact("anchor", ROOT_2, 10, sender=account)
    registry.transact("retireIssuer", issuers.a, sender=governor)
    refusal = registry.refused("anchor", ROOT_1[::-1], 10, sender=account)
    assert (refusal.name, refusal.args) == ("IssuerNotActive", (issuers.a, IssuerStatus.RETIRED))


def test_anchoring_outside_the_accreditation_window_is_refused(
    registry: Registry, issuers: Issuers
) -> None:
    now = registry.latest_timestamp()
    governor = registry.governors[0]
    for valid_from, valid_until in [(now + 100_000, 0), (1, now - 100_000)]:
        registry.transact(
            "setAccreditationWindow", issuers.a, valid_from, valid_until, sender=governor
        )
        refusal = registry.refused("anchor", ROOT_1, 1, sender=registry.issuer_account)
        assert refusal.name == "OutsideAccreditationWindow"
        assert refusal.args[:3] == (issuers.a, valid_from, valid_until)


def test_anchor_input_checks(registry: Registry, issuers: Issuers) -> None:
    account = registry.issuer_account
    registry.transact("anchor", ROOT_1, 1, sender=account)
    refusal = registry.refused("anchor", ROOT_1, 1, sender=registry.other_issuer_account)
    assert (refusal.name, refusal.args) == ("BatchAlreadyAnchored", (ROOT_1,))
    assert registry.refused("anchor", b"\x00" * 32, 1, sender=account).name == "ZeroBatchRoot"
    assert registry.refused("anchor", ROOT_2, 0, sender=account).name == "InvalidCount"
    assert registry.refused("anchor", ROOT_2, 2**64, sender=account).name == "InvalidCount"
    registry.transact("anchor", ROOT_2, 2**64 - 1, sender=account)
    assert registry.call("batch", ROOT_2)[6] == 2**64 - 1


# ---- revocation and suspension --------------------------------------------------------------


def test_revoking_one_credential(registry: Registry, issuers: Issuers) -> None:
    receipt = registry.transact(
        "revokeCredential", 300, REASON_ISSUED_IN_ERROR, sender=registry.issuer_account
    )
    assert registry.events(receipt, "CredentialRevoked") == [
        {"issuerId": issuers.a, "reasonAndStatusIndex": with_reason(REASON_ISSUED_IN_ERROR, 300)}
    ]
    assert registry.call("isRevoked", issuers.a, 300)
    assert not registry.call("isRevoked", issuers.a, 301)
    assert registry.call("revocationWord", issuers.a, 1) == 1 << 44
    refusal = registry.refused("revokeCredential", 300, 1, sender=registry.second_issuer_account)
    assert (refusal.name, refusal.args) == ("AlreadyRevoked", (issuers.a, 300))


def test_revoking_many_credentials_logs_one_event_per_status_word(
    registry: Registry, issuers: Issuers
) -> None:
    indices = [0, 1, 255, 256, 257, 511, 512, 70_000]
    receipt = registry.transact(
        "revokeCredentials", indices, REASON_ISSUED_IN_ERROR, sender=registry.issuer_account
    )
    assert registry.events(receipt, "CredentialsRevoked") == [
        {
            "issuerId": issuers.a,
            "reasonAndWordIndex": with_reason(REASON_ISSUED_IN_ERROR, word),
            "bits": bits,
        }
        for word, bits in sorted_runs(indices)
    ]
    assert [i for i in range(0, 1024) if registry.call("isRevoked", issuers.a, i)] == indices[:-1]
    assert registry.call("isRevoked", issuers.a, 70_000)
    assert registry.call("revocationWord", issuers.a, 0) == 0b11 | (1 << 255)


def test_bulk_status_input_checks(registry: Registry, issuers: Issuers) -> None:
    account = registry.issuer_account
    assert registry.refused("revokeCredentials", [], 1, sender=account).name == "NoStatusIndices"
    refusal = registry.refused("revokeCredentials", [4, 9, 4], 1, sender=account)
    assert (refusal.name, refusal.args) == ("DuplicateStatusIndex", (4,))
    registry.transact("revokeCredentials", [600], 1, sender=account)
    refusal = registry.refused("revokeCredentials", [599, 600, 601], 1, sender=account)
    assert (refusal.name, refusal.args) == ("AlreadyRevoked", (issuers.a, 600))
    # a refused call changes nothing
    assert not registry.call("isRevoked", issuers.a, 599)


LARGEST_STATUS_INDEX = 2**64 - 1


def test_status_events_pack_the_reason_above_the_largest_index(
    registry: Registry, issuers: Issuers
) -> None:
    account, top = registry.issuer_account, LARGEST_STATUS_INDEX
    for function, event in [
        ("suspendCredential", "CredentialSuspended"),
        ("reinstateCredential", "CredentialReinstated"),
        ("revokeCredential", "CredentialRevoked"),
    ]:
        receipt = registry.transact(function, top, 255, sender=account)
        (logged,) = registry.events(receipt, event)
        assert logged == {"issuerId": issuers.a, "reasonAndStatusIndex": 255 << 248 | top}
        packed = logged["reasonAndStatusIndex"]
        assert (packed >> 248, packed % 2**248) == (255, top)
    assert registry.call("isRevoked", issuers.a, top)
    receipt = registry.transact("revokeCredentials", [top - 1, top - 256], 255, sender=account)
    assert registry.events(receipt, "CredentialsRevoked") == [
        {"issuerId": issuers.a, "reasonAndWordIndex": with_reason(255, word), "bits": 1 << bit}
        for word, bit in [(top >> 8, 254), ((top >> 8) - 1, 255)]
    ]


@pytest.mark.parametrize(
    "function,args,named",
    [
        ("revokeCredential", (2**64, 1), 2**64),
        ("suspendCredential", (2**64, 1), 2**64),
        ("reinstateCredential", (2**256 - 1, 1), 2**256 - 1),
        ("revokeCredentials", ([5, 2**64 + 3, 2**64 + 1], 1), 2**64 + 1),
        ("suspendCredentials", ([2**200], 1), 2**200),
        ("reinstateCredentials", ([2**256 - 1, 7], 1), 2**256 - 1),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_status_indices_above_the_credential_format_range_are_refused(
    registry: Registry, issuers: Issuers, function: str, args: tuple, named: int
) -> None:
    refusal = registry.refused(function, *args, sender=registry.issuer_account)
    assert (refusal.name, refusal.args) == ("StatusIndexTooLarge", (named,))
    assert not registry.call("isRevoked", issuers.a, 5)


def test_a_refused_revocation_leaves_the_status_word_as_it_was(
    registry: Registry, issuers: Issuers
) -> None:
    account = registry.issuer_account
    registry.transact("revokeCredentials", [3, 9], 1, sender=account)
    refusal = registry.refused("revokeCredential", 9, 1, sender=account)
    assert (refusal.name, refusal.args) == ("AlreadyRevoked", (issuers.a, 9))
    assert registry.call("revocationWord", issuers.a, 0) == 1 << 3 | 1 << 9


def test_an_issuer_changes_only_its_own_credentials_status(
    registry: Registry, issuers: Issuers
) -> None:
    registry.transact("revokeCredential", 5, 1, sender=registry.other_issuer_account)
    registry.transact("suspendCredentials", [6], 1, sender=registry.other_issuer_account)
    assert registry.call("isRevoked", issuers.b, 5)
    assert not registry.call("isRevoked", issuers.a, 5)
    assert registry.call("isSuspended", issuers.b, 6)
    assert not registry.call("isSuspended", issuers.a, 6)


STATUS_CALLS = [
    ("revokeCredential", (1, 1)),
    ("revokeCredentials", ([1, 2], 1)),
    ("suspendCredential", (1, 1)),
    ("suspendCredentials", ([1, 2], 1)),
    ("reinstateCredential", (1, 1)),
    ("reinstateCredentials", ([1, 2], 1)),
    ("revokeBatch", (ROOT_1, 1)),
]


@pytest.mark.parametrize("function,args", STATUS_CALLS, ids=[c[0] for c in STATUS_CALLS])
@pytest.mark.parametrize("role", ["outsider", "governor"])
def test_only_issuer_accounts_change_credential_status(
    registry: Registry, issuers: Issuers, function: str, args: tuple, role: str
) -> None:
    caller = registry.outsider if role == "outsider" else registry.governors[0]
    refusal = registry.refused(function, *args, sender=caller)
    assert (refusal.name, refusal.args) == ("NotAnchoringAccount", (caller,))


def test_suspension_and_reinstatement(registry: Registry, issuers: Issuers) -> None:
    account = registry.issuer_account
    receipt = registry.transact("suspendCredential", 42, REASON_UNDER_REVIEW, sender=account)
    assert registry.events(receipt, "CredentialSuspended") == [
        {"issuerId": issuers.a, "reasonAndStatusIndex": with_reason(REASON_UNDER_REVIEW, 42)}
    ]
    receipt = registry.transact(
        "suspendCredentials", [43, 300], REASON_UNDER_REVIEW, sender=account
    )
    assert registry.events(receipt, "CredentialsSuspended") == [
        {
            "issuerId": issuers.a,
            "reasonAndWordIndex": with_reason(REASON_UNDER_REVIEW, word),
            "bits": 1 << bit,
        }
        for word, bit in [(0, 43), (1, 44)]
    ]
    assert registry.refused("suspendCredential", 42, 1, sender=account).name == "AlreadySuspended"
    assert registry.refused("suspendCredentials", [44, 43], 1, sender=account).name == (
        "AlreadySuspended"
    )
    assert all(registry.call("isSuspended", issuers.a, i) for i in (42, 43, 300))
    assert not registry.call("isRevoked", issuers.a, 42)

    receipt = registry.transact("reinstateCredential", 42, 0, sender=account)
    assert registry.events(receipt, "CredentialReinstated") == [
        {"issuerId": issuers.a, "reasonAndStatusIndex": 42}
    ]
    refusal = registry.refused("reinstateCredentials", [43, 44], 0, sender=account)
    assert (refusal.name, refusal.args) == ("NotSuspended", (issuers.a, 44))
    receipt = registry.transact("reinstateCredentials", [43, 300], 0, sender=account)
    assert registry.events(receipt, "CredentialsReinstated") == [
        {"issuerId": issuers.a, "reasonAndWordIndex": 0, "bits": 1 << 43},
        {"issuerId": issuers.a, "reasonAndWordIndex": 1, "bits": 1 << 44},
    ]
    assert not any(registry.call("isSuspended", issuers.a, i) for i in (42, 43, 300))
    assert registry.call("suspensionWord", issuers.a, 0) == 0


def test_a_suspended_issuer_may_revoke_but_not_reinstate(
    registry: Registry, issuers: Issuers
) -> None:
    account = registry.issuer_account
    registry.transact("suspendCredential", 8, 1, sender=account)
    registry.transact("suspendIssuer", issuers.a, sender=registry.governors[0])
    registry.transact("revokeCredential", 9, 1, sender=account)
    registry.transact("suspendCredentials", [10], 1, sender=account)
    for function, args in [("reinstateCredential", (8, 0)), ("reinstateCredentials", ([8], 0))]:
        refusal = registry.refused(function, *args, sender=account)
        assert (refusal.name, refusal.args) == (
            "IssuerNotActive",
            (issuers.a, IssuerStatus.SUSPENDED),
        )


def test_revoking_a_whole_batch(registry: Registry, issuers: Issuers) -> None:
    registry.transact("anchor", ROOT_1, 500, sender=registry.issuer_account)
    refusal = registry.refused("revokeBatch", ROOT_1, 3, sender=registry.other_issuer_account)
    assert (refusal.name, refusal.args) == ("NotBatchIssuer", (ROOT_1, issuers.b))
    refusal = registry.refused("revokeBatch", ROOT_2, 3, sender=registry.issuer_account)
    assert (refusal.name, refusal.args) == ("UnknownBatch", (ROOT_2,))

    receipt = registry.transact("revokeBatch", ROOT_1, 3, sender=registry.second_issuer_account)
    assert registry.events(receipt, "BatchRevoked") == [
        {"batchRoot": ROOT_1, "issuerId": issuers.a, "reason": 3}
    ]
    anchored, revoked, reason, number, _, _, count = registry.call("batch", ROOT_1)
    assert (anchored, revoked, reason, number, count) == (True, True, 3, 1, 500)
    refusal = registry.refused("revokeBatch", ROOT_1, 3, sender=registry.issuer_account)
    assert refusal.name == "BatchAlreadyRevoked"


# ---- inclusion ------------------------------------------------------------------------------


def claims_roots(n: int, seed: str) -> list[bytes]:
    return [hashlib.sha256(f"{seed}/{i}".encode()).digest() for i in range(n)]


def test_credential_leaf_matches_the_python_construction(registry: Registry) -> None:
    claims_root = hashlib.sha256(b"claims").digest()
    assert registry.call("credentialLeaf", claims_root) == leaf_hash(claims_root)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_inclusion_proofs_built_in_python_verify_on_chain(
    registry: Registry, issuers: Issuers, size: int
) -> None:
    roots = claims_roots(size, f"size-{size}")
    tree = MerkleTree(leaf_hash(c) for c in roots)
    registry.transact("anchor", tree.root, size, sender=registry.issuer_account)
    sample = roots if size <= 7 else roots[:: size // 12] + [roots[-1]]
    for claims_root in sample:
        proof = tree.proof(leaf_hash(claims_root))
        assert registry.call("batchRootOf", claims_root, proof) == tree.root
        assert registry.call("isIncluded", claims_root, proof, tree.root)


def test_wrong_inclusion_proofs_are_rejected(registry: Registry, issuers: Issuers) -> None:
    roots = claims_roots(1000, "wrong")
    tree = MerkleTree(leaf_hash(c) for c in roots)
    other = MerkleTree(leaf_hash(c) for c in claims_roots(5, "other"))
    registry.transact("anchor", tree.root, 1000, sender=registry.issuer_account)
    claims_root = roots[123]
    proof = tree.proof(leaf_hash(claims_root))
    assert registry.call("isIncluded", claims_root, proof, tree.root)

    tampered = list(proof)
    tampered[3] = bytes([tampered[3][0] ^ 1]) + tampered[3][1:]
    outsider_root = hashlib.sha256(b"not in the batch").digest()
    wrong = {
        "tampered sibling": (claims_root, tampered, tree.root),
        "truncated proof": (claims_root, proof[:-1], tree.root),
        "foreign credential": (outsider_root, proof, tree.root),
        "leaf passed instead of claimsRoot": (leaf_hash(claims_root), proof, tree.root),
        "other root": (claims_root, proof, other.root),
    }
    for case, args in wrong.items():
        assert not registry.call("isIncluded", *args), case
    # a correct proof of a batch that was never anchored is not an inclusion
    other_claims = claims_roots(5, "other")[0]
    other_proof = other.proof(leaf_hash(other_claims))
    assert registry.call("batchRootOf", other_claims, other_proof) == other.root
    assert not registry.call("isIncluded", other_claims, other_proof, other.root)
