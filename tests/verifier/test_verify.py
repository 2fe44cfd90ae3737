"""verify(): every check, on genuine, tampered, swapped, derived and expired credentials."""

from __future__ import annotations

import copy
import json
import random
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.credentials import ISSUED_AT, LATER, RECORD, issue, make_issuer, trust_doc
from verifier import Status, claims, derive_copy, parse_trust_list, verdict, verify
from verifier.checks import CHECK_IDS

pytestmark = pytest.mark.filterwarnings("error")
FIXTURES = [HealthCheck.function_scoped_fixture]  # module-scoped fixtures, read-only here


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    return make_issuer(tmp_path_factory.mktemp("issuer") / "ou")


@pytest.fixture(scope="module")
def other_issuer(tmp_path_factory):
    return make_issuer(tmp_path_factory.mktemp("issuer") / "other", "Another College")


@pytest.fixture(scope="module")
def credential(issuer):
    return issue(issuer)


@pytest.fixture(scope="module")
def trust(issuer):
    return parse_trust_list(trust_doc(issuer))


def failing(result) -> list[str]:
    return [c.id for c in result.checks if c.status in (Status.FAILED, Status.ERROR)]


def verified_offline(result, *, accept=frozenset({"status"})) -> bool:
    """Verified once the gaps of an offline check (no chain evidence) are accepted."""
    return verdict.explain(result, accept=accept).verified


def test_genuine_credential_passes_every_offline_check(credential, trust) -> None:
    result = verify(credential, trust=trust, now=LATER)
    # fails closed: status was not checked, so only a caller accepting that says verified
    assert not result.verified and verified_offline(result)
    assert verdict.explain(result).reason == "status_unknown"
    assert [c.id for c in result.checks] == list(CHECK_IDS)
    statuses = {c.id: c.status for c in result.checks}
    assert statuses["issuer_trusted"] is Status.PASSED
    for chain_check in ("anchored", "not_revoked", "not_suspended"):
        assert statuses[chain_check] is Status.SKIPPED
        assert result.check(chain_check).detail == "no chain evidence"


def test_without_trust_list_issuer_check_is_skipped_with_reason(credential) -> None:
    result = verify(credential, now=LATER)
    assert not result.verified and not verified_offline(result)
    assert verdict.explain(result, accept={"status"}).reason == "issuer_unknown"
    assert verified_offline(result, accept={"issuer", "status"})
    assert result.check("issuer_trusted").status is Status.SKIPPED
    assert "trust" in result.check("issuer_trusted").detail


def test_reordered_members_and_whitespace_do_not_change_the_verdict(credential, trust) -> None:
    def shuffled(value, rng):
        if isinstance(value, dict):
            items = list(value.items())
            rng.shuffle(items)
            return {k: shuffled(v, rng) for k, v in items}
        if isinstance(value, list):
            return [shuffled(v, rng) for v in value]
        return value

    for seed in range(5):
        text = json.dumps(shuffled(credential, random.Random(seed)), indent=seed,
                          ensure_ascii=bool(seed % 2))
        assert verified_offline(verify(text, trust=trust, now=LATER))


def _leaf_pointers(document):
    return [p for p, _ in claims.iter_leaves(document)]


def _set(document, pointer, value):
    node = document
    tokens = claims.split_pointer(pointer)
    for token in tokens[:-1]:
        node = node[int(token)] if isinstance(node, list) else node[token]
    last = tokens[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _changed(value, position: int):
    if isinstance(value, str):
        if not value:
            return "x"
        i = position % len(value)
        return value[:i] + ("Y" if value[i] != "Y" else "Z") + value[i + 1:]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    return "x"


def _document_pointers() -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        sample = issue(make_issuer(Path(tmp) / "issuer"))
    return _leaf_pointers({k: v for k, v in sample.items() if k != "proof"})


DOCUMENT_POINTERS = _document_pointers()


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(st.sampled_from(DOCUMENT_POINTERS), st.integers(min_value=0, max_value=200))
def test_changing_any_disclosed_value_fails_integrity(credential, trust, pointer, position):
    tampered = copy.deepcopy(credential)
    original = dict(claims.iter_leaves(credential))[pointer]
    _set(tampered, pointer, _changed(original, position))
    result = verify(tampered, trust=trust, now=LATER)
    assert not verified_offline(result)
    # Either the claims no longer match, or the change broke the format itself.
    assert {"integrity", "format"} & set(failing(result)), failing(result)


PROOF_FIELDS = [
    (1, "claimsRoot"), (1, "saltKey"), (1, "signature"), (1, "created"),
    (1, "verificationMethod"), (0, "proofValue"), (0, "created"), (0, "verificationMethod"),
]


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURES)
@given(st.sampled_from(PROOF_FIELDS), st.integers(min_value=0, max_value=100))
def test_changing_any_proof_field_is_caught(credential, trust, field, position):
    which, name = field
    tampered = copy.deepcopy(credential)
    tampered["proof"][which][name] = _changed(tampered["proof"][which][name], position)
    result = verify(tampered, trust=trust, now=LATER)
    assert not verified_offline(result)
    assert failing(result)


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURES)
@given(st.integers(min_value=0, max_value=10), st.integers(min_value=0, max_value=63))
def test_changing_the_anchor_path_fails_batch_inclusion(credential, trust, step, position):
    tampered = copy.deepcopy(credential)
    anchor = tampered["proof"][1]["anchor"]
    anchor["merklePath"].append("0x" + "ab" * 32)
    anchor["batchRoot"] = "0x" + ("%064x" % (int(anchor["batchRoot"], 16) ^ (1 << position)))
    result = verify(tampered, trust=trust, now=LATER)
    assert failing(result) == ["batch_inclusion"]


def test_another_credentials_proofs_do_not_fit(issuer, credential, trust) -> None:
    other = issue(issuer, {**RECORD, "creditsEarned": 5}, index=1)
    swapped = {**copy.deepcopy(credential), "proof": copy.deepcopy(other["proof"])}
    assert "integrity" in failing(verify(swapped, trust=trust, now=LATER))
    only_interop = copy.deepcopy(credential)
    only_interop["proof"][0] = copy.deepcopy(other["proof"][0])
    assert failing(verify(only_interop, trust=trust, now=LATER)) == ["issuer_signature"]


def test_signature_from_another_key_fails(other_issuer, credential, trust) -> None:
    forged = issue(other_issuer)
    # The forger claims to be the trusted issuer: same issuer.id, own signatures.
    forged["issuer"] = copy.deepcopy(credential["issuer"])
    forged["credentialStatus"] = copy.deepcopy(credential["credentialStatus"])
    result = verify(forged, trust=trust, now=LATER)
    assert not verified_offline(result)
    assert "issuer_signature" in failing(result) or "integrity" in failing(result)
    # An honest credential from an issuer the trust list does not name.
    result = verify(issue(other_issuer), trust=trust, now=LATER)
    assert failing(result) == ["issuer_trusted"]


def test_expiry_and_not_yet_valid(credential) -> None:
    assert verify(credential, now=ISSUED_AT - timedelta(days=1)).check(
        "not_expired").status is Status.FAILED
    expired = verify(credential, now=ISSUED_AT + timedelta(days=365 * 6))
    assert failing(expired) == ["not_expired"]
    assert "expired at 2031-09-01" in expired.check("not_expired").detail


def test_key_rotation_keeps_old_credentials_valid(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "rot")
    old = issue(issuer)
    issuer.rotate_key(now=ISSUED_AT + timedelta(days=30))
    new = issue(issuer, at=ISSUED_AT + timedelta(days=31))
    assert new["issuer"]["id"] != old["issuer"]["id"]
    trust = parse_trust_list(trust_doc(issuer))
    assert verified_offline(verify(old, trust=trust, now=LATER))
    assert verified_offline(verify(new, trust=trust, now=LATER))


def test_key_revoked_from_a_time_fails_what_it_signed_later(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "rev")
    before = issue(issuer, at=ISSUED_AT + timedelta(days=1))
    after = issue(issuer, at=ISSUED_AT + timedelta(days=10))
    doc = trust_doc(issuer)
    doc["issuers"][0]["keys"][0]["revokedFrom"] = "2026-09-05T00:00:00Z"
    trust = parse_trust_list(doc)
    assert verified_offline(verify(before, trust=trust, now=LATER))
    result = verify(after, trust=trust, now=LATER)
    assert failing(result) == ["issuer_trusted"]
    assert "not valid at issuance" in result.check("issuer_trusted").detail


# -- selective disclosure ----------------------------------------------------------------

OPTIONAL = ["/name", "/credentialSubject/identifier", "/credentialSubject/result",
            "/credentialSubject/result/0", "/credentialSubject/creditsEarned",
            "/credentialSubject/achievement/description",
            "/credentialSubject/achievement/fieldOfStudy", "/credentialSchema",
            "/credentialSubject/activityStartDate"]


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES)
@given(st.lists(st.sampled_from(OPTIONAL), unique=True))
def test_derived_copy_verifies_and_hides_the_rest(credential, trust, reveal) -> None:
    derived = derive_copy(credential, reveal)
    result = verify(derived, trust=trust, now=LATER)
    assert verified_offline(result), failing(result)
    text = json.dumps(derived, ensure_ascii=False)
    assert "saltKey" not in text
    document = {k: v for k, v in credential.items() if k != "proof"}
    shown = {v for p, v in claims.iter_leaves(document)
             if claims.is_mandatory(p) or any(claims.under(p, r) for r in reveal)}
    hidden_values = {
        value for pointer, value in claims.iter_leaves(document)
        if isinstance(value, str) and len(value) > 6 and value not in shown
        and not any(value in str(s) for s in shown)
    }
    assert hidden_values or set(reveal) >= {"/credentialSubject/identifier"}
    for value in hidden_values:
        assert value not in text


def test_hidden_learner_identity_is_not_in_the_copy(credential) -> None:
    derived = derive_copy(credential, ["/credentialSubject/achievement/description"])
    text = json.dumps(derived, ensure_ascii=False)
    for secret in ("310101199001011234", "张伟",
                   credential["credentialSubject"]["identifier"][0]["identityHash"]):
        assert secret not in text


def test_mandatory_claims_cannot_be_hidden(credential, trust) -> None:
    derived = derive_copy(credential, [])
    for pointer in ("/validUntil", "/credentialStatus/statusIndex", "/issuer/name",
                    "/credentialSubject/achievement/name", "/type/1"):
        tampered = copy.deepcopy(derived)
        tokens = claims.split_pointer(pointer)
        node = tampered
        for token in tokens[:-1]:
            node = node[token]
        if isinstance(node, list):
            node.pop(int(tokens[-1]))
        else:
            del node[tokens[-1]]
        salts = tampered["proof"][0]["disclosure"]["salts"]
        salts.pop(pointer, None)
        # Even handing the hidden digest over does not make the copy verify.
        result = verify(tampered, trust=trust, now=LATER)
        assert not verified_offline(result), pointer


def test_derived_copy_with_a_changed_value_fails(credential, trust) -> None:
    derived = derive_copy(credential, ["/credentialSubject/result"])
    derived["credentialSubject"]["result"][0]["value"] = "A+"
    assert "integrity" in failing(verify(derived, trust=trust, now=LATER))


def test_derived_copy_cannot_smuggle_an_unsalted_value(credential, trust) -> None:
    derived = derive_copy(credential, [])
    derived["credentialSubject"]["creditsEarned"] = 40
    result = verify(derived, trust=trust, now=LATER)
    assert "integrity" in failing(result)
    assert "without a salt" in result.check("integrity").detail


def test_derive_refuses_unknown_pointers_and_derived_input(credential) -> None:
    from verifier import CredentialFormatError

    with pytest.raises(CredentialFormatError, match="names nothing"):
        derive_copy(credential, ["/credentialSubject/nothingHere"])
    derived = derive_copy(credential, [])
    with pytest.raises(CredentialFormatError, match="full copy"):
        derive_copy(derived, [])


# -- input that is not a credential --------------------------------------------------------

@pytest.mark.parametrize("mutate, reason", [
    (lambda c: c.pop("proof"), "proof"),
    (lambda c: c.update({"@context": ["https://example.org"]}), "VC 2.0"),
    (lambda c: c.update({"type": ["VerifiableCredential"]}), "OpenBadgeCredential"),
    (lambda c: c.update({"validFrom": "yesterday"}), "validFrom"),
    (lambda c: c["credentialStatus"].update({"statusIndex": 7}), "statusIndex"),
    (lambda c: c["issuer"].update({"id": "https://example.edu"}), "did:key"),
    (lambda c: c["proof"].append({"type": "Ed25519Signature2020"}), "proof"),
    (lambda c: c["proof"][1].update({"saltKey": "short"}), "saltKey"),
    (lambda c: c["proof"][1]["anchor"].update({"merklePath": "0x00"}), "merklePath"),
])
def test_malformed_credentials_fail_format_with_a_reason(credential, mutate, reason) -> None:
    bad = copy.deepcopy(credential)
    mutate(bad)
    result = verify(bad, now=LATER)
    assert result.check("format").status is Status.FAILED
    assert reason in result.check("format").detail
    assert all(c.status is Status.SKIPPED for c in result.checks[1:])


@pytest.mark.parametrize("value", [[], "text", 42, None, {"hello": "world"}])
def test_non_credential_json_fails_format(value) -> None:
    result = verify(value)
    assert not result.verified
    assert result.check("format").status is Status.FAILED


# -- reviewed edge cases ---------------------------------------------------------------------

def test_huge_integer_literal_is_a_clear_format_error(credential) -> None:
    from verifier import CredentialFormatError, jsonio

    text = json.dumps(credential)[:-1] + ', "big": ' + "9" * 5000 + "}"
    with pytest.raises(CredentialFormatError, match="unreadable JSON value"):
        jsonio.loads(text)


def test_hashes_have_one_spelling_only(credential) -> None:
    for spelling in (str.upper, lambda h: h[:10] + " " + h[11:]):
        tampered = copy.deepcopy(credential)
        root = tampered["proof"][1]["claimsRoot"]
        tampered["proof"][1]["claimsRoot"] = "0x" + spelling(root[2:])
        result = verify(tampered, now=LATER)
        assert result.check("format").status is Status.FAILED
        assert "lowercase hex" in result.check("format").detail


def test_ledger_proof_created_must_be_a_date(credential) -> None:
    tampered = copy.deepcopy(credential)
    tampered["proof"][1]["created"] = "yesterday"
    assert "created" in verify(tampered, now=LATER).check("format").detail


def test_rotation_closes_the_old_keys_window(tmp_path) -> None:
    issuer = make_issuer(tmp_path / "rot")
    issuer.rotate_key(now=ISSUED_AT + timedelta(days=30))
    old, new = issuer.trust_entry()["keys"]
    assert old["validUntil"] == new["validFrom"] == "2026-10-01T08:00:00Z"
    trust = parse_trust_list(trust_doc(issuer))
    # A credential the old key signs after rotation is not trusted.
    late = issue(issuer, at=ISSUED_AT + timedelta(days=31))
    old_key_late = copy.deepcopy(late)
    from ledger.issuance.signing import sign_document, single_batch
    from verifier import keys as vkeys

    old_key = issuer._read_key(old["publicKeyMultibase"])
    document = {k: v for k, v in old_key_late.items() if k != "proof"}
    document["issuer"] = {**document["issuer"], "id": old_key.did}
    signed, root = sign_document(document, old_key, "2026-10-02T08:00:00Z")
    result = verify(single_batch(signed, root), trust=trust, now=LATER)
    assert failing(result) == ["issuer_trusted"]
    assert vkeys.public_key_multibase(old_key.public_key) == old["publicKeyMultibase"]


def test_interop_proof_context_is_a_prefix_of_the_documents() -> None:
    """vc-di-eddsa §3.3.2: a proof whose @context is a prefix of the document's verifies
    over the document with the proof's @context."""
    from verifier import keys as vkeys
    from verifier.proofs import eddsa_jcs_2022

    key = vkeys.SigningKey.generate()
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x",
                "type": ["VerifiableCredential"]}
    proof = eddsa_jcs_2022.create_proof(document, key, "2026-01-01T00:00:00Z")
    extended = {**document, "@context": [*document["@context"], "https://example.org/v1"]}
    assert eddsa_jcs_2022.verify_proof(extended, proof)
    reordered = {**document, "@context": ["https://example.org/v1", *document["@context"]]}
    assert not eddsa_jcs_2022.verify_proof(reordered, proof)


def test_disclosed_null_in_an_array_is_a_value_not_a_filler() -> None:
    document = {"id": "urn:x", "type": ["VerifiableCredential"],
                "validFrom": "2026-01-01T00:00:00Z", "list": [None, None, "a"], "secret": "s"}
    key = bytes(range(32))
    derived, salts, hidden = claims.derive(document, key, ["/list"])
    assert derived["list"] == [None, None, "a"] and len(hidden) == 1
    assert claims.recompute_root(derived, salts=salts, hidden=hidden) == claims.ClaimsTree.build(
        document, key).root


def _places(value, path=()):
    """Every (container path) in a JSON value, the root included."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _places(item, (*path, i))


_ODD = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=5),
                 st.lists(st.lists(st.text(max_size=3), max_size=2), max_size=2),
                 st.dictionaries(st.text(max_size=3), st.lists(st.integers(), max_size=2),
                                 max_size=2))


@settings(max_examples=300, deadline=None, suppress_health_check=FIXTURES)
@given(data=st.data())
def test_any_malformed_value_is_a_named_failure_never_an_exception(credential, data):
    """A value of the wrong shape anywhere (a nested list in ``type``, an object for a
    date, ...) ends in named checks, the first of them failed or errored: never a raise."""
    places = sorted(_places(credential))[1:]
    path = data.draw(st.sampled_from(places))
    odd = copy.deepcopy(credential)
    target = odd
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(_ODD)
    result = verify(odd)
    assert tuple(c.id for c in result.checks) == CHECK_IDS
    assert not verified_offline(result, accept={"issuer", "status"}) or odd == credential


def test_a_nested_list_in_type_is_a_format_failure(credential):
    odd = copy.deepcopy(credential)
    odd["type"] = ["VerifiableCredential", ["OpenBadgeCredential"]]
    result = verify(odd)
    assert result.checks[0].status is Status.FAILED
    assert "type must include" in result.checks[0].detail


@pytest.mark.parametrize("where", ["proof", "anchor", "disclosure"])
def test_an_unknown_member_of_the_ledger_proof_is_refused(credential, where):
    odd = derive_copy(credential, []) if where == "disclosure" else copy.deepcopy(credential)
    ledger = next(p for p in odd["proof"] if p["type"] == "CredbankLedgerProof")
    {"proof": ledger, "anchor": ledger["anchor"], "disclosure": ledger.get("disclosure")}[
        where]["x1"] = "injected"
    result = verify(odd)
    assert result.checks[0].status is Status.FAILED
    assert "unknown member 'x1'" in result.checks[0].detail
