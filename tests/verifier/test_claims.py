"""The claims tree: leaf encoding, salts, manifest, and recomputing roots."""

import hmac

from hypothesis import assume, given
from hypothesis import strategies as st

from verifier import canonical, claims, merkle

scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text()
)


@given(st.text(), scalars)
def test_fast_leaf_encoding_is_the_canonical_form(pointer: str, value) -> None:
    try:
        expected = canonical.dumps([pointer, value])
    except Exception as exc:  # both paths must refuse the same inputs
        try:
            claims.leaf_bytes(pointer, value)
        except Exception as fast_exc:
            assert type(fast_exc).__name__ == type(exc).__name__
            return
        raise AssertionError("fast path accepted what canonical form refuses") from None
    assert claims.leaf_bytes(pointer, value) == expected


@given(st.binary(min_size=32, max_size=32), st.lists(st.text(), max_size=10))
def test_salts_are_hmac_sha256_of_the_pointer(salt_key: bytes, pointers: list[str]) -> None:
    expected = [hmac.digest(salt_key, p.encode(), "sha256") for p in pointers]
    assert [claims.salt_for(salt_key, p) for p in pointers] == expected


def test_pointers_escape_tilde_and_slash() -> None:
    leaves = claims.iter_leaves({"a/b": {"m~n": 1}, "list": [True, {}], "empty": []})
    assert leaves == [("/a~1b/m~0n", 1), ("/list/0", True), ("/list/1", {}), ("/empty", [])]
    assert claims.split_pointer("/a~1b/m~0n") == ["a/b", "m~n"]


def test_manifest_lists_mandatory_leaves_only() -> None:
    pointers = ["/id", "/validUntil", "/credentialSubject/result/0/value", "/type/0", "/idx"]
    assert claims.manifest(pointers) == ["/id", "/type/0", "/validUntil"]


def test_full_and_derived_copies_recompute_the_same_root() -> None:
    document = {
        "id": "urn:x", "type": ["VerifiableCredential"], "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"result": [{"value": "A"}, {"value": "B"}], "note": "secret"},
    }
    key = bytes(range(32))
    tree = claims.ClaimsTree.build(document, key)
    assert claims.recompute_root(document, salt_key=key) == tree.root
    derived, salts, hidden = claims.derive(document, key, ["/credentialSubject/result/1"])
    assert derived["credentialSubject"] == {"result": [None, {"value": "B"}]}
    assert len(hidden) == 2  # result/0/value and note
    assert claims.recompute_root(derived, salts=salts, hidden=hidden) == tree.root


json_documents = st.dictionaries(
    st.text(max_size=6) | st.sampled_from(["id", "type", "issuer", "credentialSubject",
                                           "validUntil", "achievement", "name"]),
    st.recursive(scalars, lambda children: st.lists(children, max_size=4)
                 | st.dictionaries(st.text(max_size=6) | st.sampled_from(
                     ["type", "achievement", "achievementType", "name", "id"]), children,
                     max_size=4), max_leaves=20),
    min_size=1, max_size=6,
)


@given(st.binary(min_size=32, max_size=32), json_documents)
def test_full_copy_root_equals_the_plain_definition(salt_key, document) -> None:
    """recompute_root's fused full-copy path (manifest learnt while hashing) against the
    definition: every leaf plus the manifest leaf, each salted with salt_for."""
    try:
        leaves = claims.iter_leaves(document)
        entries = [*leaves, (claims.MANIFEST_POINTER, claims.manifest(p for p, _ in leaves))]
        expected = merkle.root(
            [claims.leaf_digest(claims.salt_for(salt_key, p), p, v) for p, v in entries])
    except Exception:
        return
    assert claims.recompute_root(document, salt_key=salt_key) == expected
    assert claims.ClaimsTree.build(document, salt_key).root == expected


@given(st.binary(min_size=32, max_size=32), json_documents)
def test_fused_full_copy_digests_equal_the_definition(salt_key, document) -> None:
    """full_copy_digests against walk() and leaf_digest(salt_for(...)): the same digests
    in document order, the manifest's last, and the same answer on plainness."""
    try:
        leaves, plain = claims.walk(document)
        entries = [*leaves, (claims.MANIFEST_POINTER, claims.manifest(p for p, _ in leaves))]
        expected = [claims.leaf_digest(claims.salt_for(salt_key, p), p, v) for p, v in entries]
    except Exception as exc:  # both must refuse the same documents
        try:
            claims.full_copy_digests(document, salt_key)
        except Exception as fused_exc:
            assert type(fused_exc) is type(exc)
            return
        raise AssertionError("the fused path accepted what the definition refuses") from None
    assert claims.full_copy_digests(document, salt_key) == (expected, plain)


def test_nesting_is_bounded_at_every_kind_of_leaf() -> None:
    import pytest

    from verifier.errors import CredentialFormatError

    for leaf in ("s", None, True, 1, {}, []):
        ok: object = leaf
        for _ in range(claims.MAX_DEPTH):
            ok = [ok]
        assert len(claims.iter_leaves(ok)[0][0].split("/")) == claims.MAX_DEPTH + 1
        with pytest.raises(CredentialFormatError, match="nested deeper"):
            claims.iter_leaves({"a": ok})


@given(st.binary(min_size=32, max_size=32), json_documents, st.data())
def test_derived_copies_recompute_the_full_root(salt_key, document, data) -> None:
    """Whatever is revealed, a derived copy's salts and hidden digests give back the root
    of the full copy. (A copy reduced to {} is no credential: the mandatory members keep
    every real one non-empty, and an empty one fails integrity.)"""
    try:
        tree = claims.ClaimsTree.build(document, salt_key)
    except Exception:
        return
    pointers = [p for p in tree.pointers if p != claims.MANIFEST_POINTER]
    reveal = data.draw(st.lists(st.sampled_from(pointers), unique=True) if pointers
                       else st.just([]))
    derived, salts, hidden = claims.derive(document, salt_key, reveal)
    assume(derived)
    assert claims.recompute_root(derived, salts=salts, hidden=hidden) == tree.root
