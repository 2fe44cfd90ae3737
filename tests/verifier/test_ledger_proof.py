"""The ledger proof's signing message: the written-out form against its JCS definition."""

from hypothesis import given
from hypothesis import strategies as st

from verifier.errors import CanonicalizationError
from verifier.proofs import ledger_proof


def test_signing_message_of_appendix_a() -> None:
    root = bytes.fromhex("02718eecfbc5aa233bad71e6499ba013cf557e7d46e650f59b74839e98f15045")
    vm = ("did:key:z6Mkm1XkhBBfjfdjHAt1yEQ8efcQSmsFTT7BaJ9GurXkuj8V"
          "#z6Mkm1XkhBBfjfdjHAt1yEQ8efcQSmsFTT7BaJ9GurXkuj8V")
    assert ledger_proof.signing_message(root, "2026-11-23T09:04:01Z", vm) == (
        '{"claimsRoot":"0x02718eecfbc5aa233bad71e6499ba013cf557e7d46e650f59b74839e98f15045",'
        '"created":"2026-11-23T09:04:01Z","domain":"credbank-ledger-proof-v1",'
        f'"verificationMethod":"{vm}"}}').encode()


@given(st.binary(min_size=32, max_size=32), st.text(), st.text())
def test_signing_message_is_its_canonical_form(root: bytes, created: str, vm: str) -> None:
    try:
        expected = ledger_proof.reference_signing_message(root, created, vm)
    except CanonicalizationError:
        try:
            ledger_proof.signing_message(root, created, vm)
        except CanonicalizationError:
            return
        raise AssertionError("fast path accepted what canonical form refuses") from None
    assert ledger_proof.signing_message(root, created, vm) == expected


def test_a_lone_surrogate_has_no_signing_message() -> None:
    import pytest

    with pytest.raises(CanonicalizationError):
        ledger_proof.signing_message(bytes(32), "\ud800", "did:key:z")


hex_like = st.text(alphabet="0123456789abcdefABCDEF x\t", min_size=60, max_size=68)


@given(hex_like | st.just("0x" + "ab" * 32) | st.builds(lambda s: "0x" + s, hex_like))
def test_hex32_has_one_spelling(text: str) -> None:
    import pytest

    from verifier.errors import CredentialFormatError

    if ledger_proof._HEX32.fullmatch(text):
        assert ledger_proof.unhex32(text, "x") == bytes.fromhex(text[2:])
    else:
        with pytest.raises(CredentialFormatError):
            ledger_proof.unhex32(text, "x")


@given(st.lists(hex_like | st.binary(min_size=32, max_size=32).map(lambda b: "0x" + b.hex())
                | st.builds(lambda s: "0x" + s, hex_like) | st.integers(), max_size=6))
def test_merkle_path_reads_as_each_hash_alone(texts: list) -> None:
    """The one-piece decoding of a Merkle path answers as unhex32 of each element."""
    import pytest

    from verifier.errors import CredentialFormatError

    try:
        expected = tuple(ledger_proof.unhex32(t, "x") for t in texts)
    except CredentialFormatError as exc:
        with pytest.raises(CredentialFormatError) as fast:
            ledger_proof._unhex32_list(texts, "x")
        assert str(fast.value) == str(exc)
        return
    assert ledger_proof._unhex32_list(texts, "x") == expected


BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
base64url_like = st.text(alphabet=BASE64URL + "+/= \n", min_size=42, max_size=44)


@given(st.lists(st.binary(min_size=32, max_size=32).map(ledger_proof.b64) | base64url_like
                | st.text(alphabet=BASE64URL, min_size=43, max_size=43)
                | st.binary(min_size=31, max_size=33).map(ledger_proof.b64) | st.none(),
                max_size=6))
def test_salts_and_digests_read_as_each_alone(texts: list) -> None:
    """The one-piece reading of a derived copy's salts and digests accepts exactly what
    unb64 of each accepts, with the same bytes."""
    from verifier.errors import CredentialFormatError

    try:
        expected = [ledger_proof.unb64(t, "x") for t in texts]
    except CredentialFormatError:
        assert ledger_proof._unb64_32_all(texts) is None
        return
    assert ledger_proof._unb64_32_all(texts) == expected


def test_a_spare_bit_set_is_refused_in_one_piece_too() -> None:
    good = ledger_proof.b64(bytes(range(32)))
    bad = good[:-1] + chr(ord(good[-1]) + 1)  # same 32 bytes, a spare bit set
    assert ledger_proof._unb64_32_all([good, good]) == [bytes(range(32))] * 2
    assert ledger_proof._unb64_32_all([good, bad]) is None
