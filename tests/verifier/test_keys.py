"""did:key and base58btc, against the base58 library and the W3C key vector."""

import base58
import pytest
from hypothesis import given
from hypothesis import strategies as st

from verifier import keys
from verifier.errors import KeyFormatError


@given(st.binary(max_size=80))
def test_base58_matches_the_reference_library(data: bytes) -> None:
    encoded = keys.base58_encode(data)
    assert encoded == base58.b58encode(data).decode()
    assert keys.base58_decode(encoded) == data


@given(st.text(alphabet="123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", max_size=90))
def test_base58_decoding_matches_the_reference_library(text: str) -> None:
    assert keys.base58_decode(text) == base58.b58decode(text)


def test_w3c_vector_key_round_trips() -> None:
    multibase = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    public_key = keys.decode_public_key_multibase(multibase)
    assert keys.public_key_multibase(public_key) == multibase
    assert keys.public_key_from_did_key(f"did:key:{multibase}#{multibase}") == public_key


@pytest.mark.parametrize("bad", ["z0OIl", "abc", "z" + "1" * 300, 7, None])
def test_malformed_multibase_is_refused(bad) -> None:
    with pytest.raises(KeyFormatError):
        keys.multibase_decode(bad)


def test_did_key_with_a_foreign_fragment_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="fragment"):
        keys.public_key_from_did_key(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#other")


@given(st.text(max_size=40))
def test_base58_decoding_refuses_what_the_reference_refuses(text: str) -> None:
    if text != text.strip():  # the library strips surrounding whitespace; we refuse it
        with pytest.raises(KeyFormatError):
            keys.base58_decode(text)
        return
    try:
        expected = base58.b58decode(text)
    except ValueError:
        with pytest.raises(KeyFormatError):
            keys.base58_decode(text)
        return
    assert keys.base58_decode(text) == expected
