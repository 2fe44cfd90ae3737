"""The chain checks of verify(): real credentials against evidence from a synthetic chain."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak

from ledger.issuance import LearningRecord, issue_one
from ledger.issuance.signing import single_batch
from tests.credentials import ISSUED_AT, LATER, RECORD, make_issuer, trust_doc
from verifier import (
    ChainEvidence,
    RejectedEvidence,
    Status,
    load_evidence,
    parse_trust_list,
    verdict,
    verify,
)
from verifier import registry_layout as layout
from verifier.evidence import bundle as bundles
from verifier.evidence.status_log import change_of

from .test_evidence_bundle import CHAIN_ID, PIN, REGISTRY, SyntheticChain

REGISTRY_TEXT = bundles.checksum_address(REGISTRY)
STATUS_REGISTRY = f"eip155:{CHAIN_ID}:{REGISTRY_TEXT}"
T = int(ISSUED_AT.timestamp()) + 3600  # anchored an hour after issuance
ANCHOR_BLOCK = 17
CHAIN_CHECKS = ("issuer_trusted", "anchored", "not_revoked", "not_suspended")


def issuer_word(number: int = 1, *, valid_from: int = 0, valid_until: int = 0) -> int:
    return 1 | number << 8 | valid_from << 40 | valid_until << 104


def key_word(*, valid_from: int = 0, valid_until: int = 0, revoked_from: int = 0) -> int:
    return 1 | valid_from << 8 | valid_until << 72 | revoked_from << 136


def batch_word(number: int = 1, *, block: int = ANCHOR_BLOCK, at: int = T,
               revoked: bool = False, reason: int = 0) -> int:
    return 1 | int(revoked) << 1 | number << 8 | block << 40 | at << 104 | 1 << 168 | reason << 232


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    return make_issuer(tmp_path_factory.mktemp("issuer") / "sou")


def credential_for(issuer, index: int, *, status_registry: str | None = STATUS_REGISTRY,
                   **anchor: Any) -> dict[str, Any]:
    record = LearningRecord.from_json(copy.deepcopy(RECORD))
    unanchored, root = issue_one(record, issuer, status_index=index, now=ISSUED_AT,
                                 status_registry=status_registry)
    credential = single_batch(unanchored, root)
    members = {"chainId": CHAIN_ID, "registry": REGISTRY_TEXT,
               "transactionHash": "0x" + "ab" * 32, "blockNumber": ANCHOR_BLOCK}
    members.update(anchor)
    for proof in credential["proof"]:
        if proof["type"] == "CredbankLedgerProof":
            proof["anchor"].update({k: v for k, v in members.items() if v is not None})
    return credential


def batch_root(credential: dict[str, Any]) -> bytes:
    ledger = next(p for p in credential["proof"] if p["type"] == "CredbankLedgerProof")
    return bytes.fromhex(ledger["anchor"]["batchRoot"][2:])


class Registry:
    """Registry words for one issuer and its credentials, as a chain would hold them."""

    def __init__(self, issuer) -> None:
        self.did = issuer.did
        self.id = layout.issuer_id(issuer.did)
        self.key = issuer.signing_key(ISSUED_AT).public_key
        self.words: dict[int, int] = {
            layout.issuer_slot(self.id): issuer_word(),
            layout.key_slot(self.id, self.key): key_word(),
        }
        # Another issuer's words beside ours, as on a shared registry.
        other = layout.issuer_id("did:example:other")
        self.words[layout.issuer_slot(other)] = issuer_word(2)

    def anchor(self, credential: dict[str, Any], **word: Any) -> None:
        self.words[layout.root_slot(batch_root(credential))] = batch_word(**word)

    def set_status(self, index: int, *, revoked: bool = False, suspended: bool = False) -> None:
        word, bit = layout.status_position(index)
        for flag, slot in ((revoked, layout.revocation_slot(self.id, word)),
                           (suspended, layout.suspension_slot(self.id, word))):
            self.words[slot] = self.words.get(slot, 0) | (int(flag) << bit)

    def evidence(self, *, pinned: bool = True, slots: list[int] | None = None,
                 **bundle: Any) -> ChainEvidence:
        status_slots = [layout.revocation_slot(self.id, word) for word in (0, 1)] + [
            layout.suspension_slot(self.id, word) for word in (0, 1)]
        chain = SyntheticChain(dict(self.words))
        slots = list(dict.fromkeys([*(self.words if slots is None else slots),
                                    *status_slots]))
        return load_evidence(chain.bundle(slots=slots, **bundle), PIN if pinned else None)


@pytest.fixture
def registry(issuer) -> Registry:
    return Registry(issuer)


def statuses(result) -> dict[str, Status]:
    return {c.id: c.status for c in result.checks}


def test_anchored_unrevoked_credential_passes_every_chain_check(issuer, registry) -> None:
    credential = credential_for(issuer, 3)
    registry.anchor(credential)
    registry.set_status(5, revoked=True)  # another credential's bit in the same word
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.verified, result.checks
    for check in CHAIN_CHECKS:
        assert result.check(check).status is Status.PASSED
        assert "as of block 42" in result.check(check).detail
    assert f"in block {ANCHOR_BLOCK}" in result.check("anchored").detail
    assert "chain time" in result.check("issuer_trusted").detail
    assert "not pinned" not in result.check("anchored").detail


def test_revoked_credential_fails_not_revoked_as_of_the_checkpoint(issuer, registry) -> None:
    credential = credential_for(issuer, 260)
    registry.anchor(credential)
    registry.set_status(260, revoked=True)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert not result.verified
    assert result.check("not_revoked").status is Status.FAILED
    assert "as of block 42" in result.check("not_revoked").detail
    assert result.check("not_suspended").status is Status.PASSED


def test_suspended_credential_fails_not_suspended(issuer, registry) -> None:
    credential = credential_for(issuer, 7)
    registry.anchor(credential)
    registry.set_status(7, suspended=True)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("not_suspended").status is Status.FAILED
    assert result.check("not_revoked").status is Status.PASSED


def test_a_revoked_batch_fails_not_revoked(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential, revoked=True, reason=3)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("not_revoked").status is Status.FAILED
    assert "batch" in result.check("not_revoked").detail


def test_an_unanchored_batch_fails_anchored_and_issuer_trusted(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("anchored").status is Status.FAILED
    assert result.check("issuer_trusted").status is Status.FAILED


def test_a_batch_anchored_by_another_issuer_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential, number=2)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("anchored").status is Status.FAILED
    assert result.check("issuer_trusted").status is Status.FAILED


def test_a_stated_block_other_than_the_anchoring_one_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1, blockNumber=ANCHOR_BLOCK + 1)
    registry.anchor(credential)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("anchored").status is Status.FAILED


def test_a_key_revoked_after_anchoring_keeps_older_credentials_valid(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    registry.words[layout.key_slot(registry.id, registry.key)] = key_word(revoked_from=T + 1)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("issuer_trusted").status is Status.PASSED


def test_a_credential_anchored_after_its_key_was_revoked_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    # The issuer states `created` an hour before the revocation; the chain says otherwise.
    registry.words[layout.key_slot(registry.id, registry.key)] = key_word(revoked_from=T - 60)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert result.check("issuer_trusted").status is Status.FAILED
    assert "revoked from" in result.check("issuer_trusted").detail


def test_an_unregistered_key_or_closed_accreditation_fails(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    registry.words[layout.issuer_slot(registry.id)] = issuer_word(valid_until=T)
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert "not accredited at anchoring time" in result.check("issuer_trusted").detail
    registry.words[layout.issuer_slot(registry.id)] = issuer_word()
    del registry.words[layout.key_slot(registry.id, registry.key)]
    result = verify(credential, evidence=registry.evidence(), now=LATER)
    assert "not a registered key" in result.check("issuer_trusted").detail


def test_a_credential_from_another_registry_or_chain_fails(issuer, registry) -> None:
    other = "0x" + "42" * 20
    for credential in (
        credential_for(issuer, 1, status_registry=f"eip155:{CHAIN_ID}:{other}", registry=None),
        credential_for(issuer, 1, chainId=CHAIN_ID + 1),
        credential_for(issuer, 1, registry=other),
    ):
        registry.anchor(credential)
        result = verify(credential, evidence=registry.evidence(), now=LATER)
        for check in CHAIN_CHECKS:
            assert result.check(check).status is Status.FAILED, (check, result.checks)


def test_a_missing_proof_node_is_an_error_never_a_pass(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    registry.set_status(9, revoked=True)
    evidence = registry.evidence()
    chain = SyntheticChain(dict(registry.words))
    _, storage, _ = chain.tries()
    slot = layout.revocation_slot(registry.id, 0)
    leaf = rlp.encode(storage.get_proof(keccak(slot.to_bytes(32, "big")))[-1])
    stripped = load_evidence(
        {**_bundle_doc(registry), "nodes": [n for n in _bundle_doc(registry)["nodes"]
                                            if n != "0x" + leaf.hex()]}, PIN)
    assert verify(credential, evidence=evidence, now=LATER).verified
    result = verify(credential, evidence=stripped, now=LATER)
    assert result.check("not_revoked").status is Status.ERROR
    assert "missing" in result.check("not_revoked").detail
    assert not result.verified


def _bundle_doc(registry: Registry) -> dict[str, Any]:
    chain = SyntheticChain(dict(registry.words))
    return chain.bundle(slots=list(registry.words))


def test_rejected_evidence_makes_every_chain_check_an_error(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    result = verify(credential, evidence=RejectedEvidence("the signer set differs"), now=LATER)
    for check in CHAIN_CHECKS:
        assert result.check(check).status is Status.ERROR
        assert "signer set differs" in result.check(check).detail
    assert not result.verified


def test_an_unpinned_bundle_says_so_in_every_chain_check(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    result = verify(credential, evidence=registry.evidence(pinned=False), now=LATER)
    assert result.verified  # every check passed ...
    for check in CHAIN_CHECKS:
        assert "signer set not pinned" in result.check(check).detail
    # ... against a signer set nobody pinned: to the caller, nothing on chain was checked
    explained = verdict.explain(result, unpinned=True)
    assert not explained.verified and explained.reason == "issuer_unknown"


# ---- an issuer the registry does not accredit -----------------------------------------------


@pytest.fixture(scope="module")
def stranger(tmp_path_factory):
    """A self-made issuer: its own key, a real institution's name, no accreditation."""
    return make_issuer(tmp_path_factory.mktemp("issuer") / "self-made")


def test_an_issuer_the_bundle_was_asked_about_has_no_record(stranger, registry) -> None:
    credential = credential_for(stranger, 0)
    absent = layout.issuer_slot(layout.issuer_id(stranger.did))
    evidence = registry.evidence(authority="上海市终身教育学分银行",
                                 slots=[*registry.words, absent])
    result = verify(credential, evidence=evidence, now=LATER)
    check = result.check("issuer_trusted")
    assert check.status is Status.FAILED
    assert check.detail.startswith("not accredited by 上海市终身教育学分银行, registry "
                                   f"{REGISTRY_TEXT} on chain {CHAIN_ID}: {stranger.did} has "
                                   "no record in the registry (as of block 42")
    assert verdict.explain(result).reason == "not_accredited"


def test_an_issuer_the_bundle_does_not_cover_is_not_accredited_by_it(stranger, registry
                                                                    ) -> None:
    credential = credential_for(stranger, 0)
    exported = list(registry.words)
    # Words the bundle does not vouch for, beside the stranger's issuer word in the trie (a
    # bundle that covered every word of a registry would prove any other issuer absent;
    # this one cannot): storage slots whose trie keys share its first four nibbles.
    near = keccak(layout.issuer_slot(layout.issuer_id(stranger.did)).to_bytes(32, "big"))[:2]
    found = (slot for slot in range(1 << 24) if keccak(slot.to_bytes(32, "big"))[:2] == near)
    for slot in (next(found), next(found)):
        registry.words[slot] = 1
    result = verify(credential, evidence=registry.evidence(slots=exported), now=LATER)
    check = result.check("issuer_trusted")
    assert check.status is Status.FAILED
    assert "not accredited by any issuer this evidence covers" in check.detail
    assert "nor proof that the registry has none" in check.detail
    assert "proof node" not in check.detail
    # A word the others needed that the pool cannot answer is "not covered", an error; one
    # it happens to prove absent (a small trie) is answered as usual.
    for other in ("anchored", "not_revoked", "not_suspended"):
        if result.check(other).status is Status.ERROR:
            assert result.check(other).detail.startswith("not covered by the chain evidence")
    explained = verdict.explain(result)
    assert (explained.reason, explained.failed) == ("not_accredited", "issuer_trusted")


def test_a_vouched_word_missing_from_the_pool_is_incomplete_not_uncovered(issuer, registry
                                                                          ) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential)
    doc = _bundle_doc(registry)
    chain = SyntheticChain(dict(registry.words))
    _, storage, _ = chain.tries()
    slot = layout.issuer_slot(registry.id)
    leaf = rlp.encode(storage.get_proof(keccak(slot.to_bytes(32, "big")))[-1])
    stripped = load_evidence({**doc, "nodes": [n for n in doc["nodes"]
                                               if n != "0x" + leaf.hex()]}, PIN)
    check = verify(credential, evidence=stripped, now=LATER).check("issuer_trusted")
    assert check.status is Status.ERROR and "chain evidence incomplete" in check.detail


# ---- status changes: proven bits, reported dates ------------------------------------------


def _event(**changes: Any) -> dict[str, Any]:
    event = {"issuer": "did:key:z6MkExample", "statusIndices": ["260"], "action": "revoked",
             "reason": 1, "blockNumber": 40, "timestamp": T + 100,
             "transactionHash": "0x" + "cd" * 32}
    event.update(changes)
    return event


def test_a_bundle_reports_when_and_why_but_never_decides(issuer, registry) -> None:
    credential = credential_for(issuer, 260)
    registry.anchor(credential)
    events = [_event(issuer=issuer.did, action="suspended", reason=7, blockNumber=30),
              _event(issuer=issuer.did)]
    registry.set_status(260, revoked=True)
    revoked_evidence = registry.evidence(statusEvents=events)
    result = verify(credential, evidence=revoked_evidence, now=LATER)
    assert result.check("not_revoked").status is Status.FAILED
    change = change_of(revoked_evidence.status_log, issuer.did, 260, "revoked")
    assert change is not None and (change.block_number, change.reason) == (40, 1)
    assert change_of(revoked_evidence.status_log, issuer.did, 261, "revoked") is None
    # The same report beside a bit the proofs show clear changes nothing.
    clear = Registry(issuer)
    clear.anchor(credential)
    unrevoked = verify(credential, evidence=clear.evidence(statusEvents=events), now=LATER)
    assert unrevoked.check("not_revoked").status is Status.PASSED
    assert unrevoked.verified


def test_a_reported_batch_revocation_dates_every_credential_in_it(issuer, registry) -> None:
    credential = credential_for(issuer, 1)
    registry.anchor(credential, revoked=True, reason=3)
    root = "0x" + batch_root(credential).hex()
    evidence = registry.evidence(statusEvents=[
        {"batchRoot": root, "action": "revoked", "reason": 3, "blockNumber": 41,
         "timestamp": T + 5, "transactionHash": "0x" + "ef" * 32}])
    change = change_of(evidence.status_log, issuer.did, 1, "revoked", batch_root(credential))
    assert change is not None and (change.batch_root, change.reason) == (
        batch_root(credential), 3)


@pytest.mark.parametrize(("event", "reason"), [
    (_event(action="forgotten"), "action"),
    (_event(reason=256), "reason"),
    (_event(statusIndices=[260]), "status index"),
    (_event(statusIndices=[]), "statusIndices"),
    (_event(transactionHash="0xAB"), "transactionHash"),
    (_event(issuer="someone"), "issuer"),
    ({**_event(), "extra": 1}, "needs exactly"),
])
def test_malformed_status_events_are_a_format_error(registry, event, reason) -> None:
    with pytest.raises(bundles.BundleFormatError, match=reason):
        registry.evidence(statusEvents=[event])


@pytest.mark.parametrize("authority", ["", "x" * 201, 7])
def test_the_authority_is_a_short_name(registry, authority) -> None:
    with pytest.raises(bundles.BundleFormatError, match="authority"):
        registry.evidence(authority=authority)


def test_without_evidence_chain_checks_stay_skipped(issuer) -> None:
    credential = credential_for(issuer, 1)
    trust = parse_trust_list(trust_doc(issuer))
    result = verify(credential, trust=trust, now=LATER)
    assert result.check("issuer_trusted").status is Status.PASSED
    assert "not chain time" in result.check("issuer_trusted").detail
    for check in CHAIN_CHECKS[1:]:
        assert result.check(check).status is Status.SKIPPED
        assert result.check(check).detail == "no chain evidence"
