"""RFC 8785: the published JCS test data, and the fast path against the reference."""

import json
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.vectors import vector_dir
from verifier import canonical, jsonio
from verifier.errors import CanonicalizationError, CredentialFormatError

JCS = vector_dir("jcs")
CASES = sorted(p.stem for p in (JCS / "testdata" / "input").glob("*.json"))


def test_all_published_cases_are_present() -> None:
    assert {"arrays", "french", "structures", "unicode", "values", "weird"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_published_input_output_pairs(case: str) -> None:
    value = json.loads((JCS / "testdata" / "input" / f"{case}.json").read_text("utf-8"))
    expected = (JCS / "testdata" / "output" / f"{case}.json").read_bytes()
    expected_hex = (JCS / "testdata" / "outhex" / f"{case}.txt").read_text().split()
    assert canonical.dumps(value) == expected
    assert canonical.dumps(value) == bytes(int(h, 16) for h in expected_hex)


def test_es6_number_serialization_file() -> None:
    lines = (JCS / "es6numbers" / "es6testfile10k.txt").read_text().splitlines()
    assert len(lines) == 10_000
    for line in lines:
        ieee_hex, expected = line.split(",")
        (number,) = struct.unpack(">d", bytes.fromhex(ieee_hex.rjust(16, "0")))
        assert canonical.dumps(number).decode() == expected, ieee_hex


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=8), children, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_fast_path_equals_reference(value) -> None:
    try:
        reference = canonical.reference_dumps(value)
    except CanonicalizationError:
        with pytest.raises(CanonicalizationError):
            canonical.dumps(value)
        return
    assert canonical.dumps(value) == reference


@given(json_values)
def test_canonical_form_ignores_member_order_and_whitespace(value) -> None:
    try:
        expected = canonical.dumps(value)
    except CanonicalizationError:
        return
    pretty = json.dumps(value, indent=3, ensure_ascii=True)
    assert canonical.dumps(json.loads(pretty)) == expected


def test_values_without_canonical_form_are_refused() -> None:
    for bad in (2**60, "\ud800", {"a": float("nan")}):
        with pytest.raises(CanonicalizationError):
            canonical.dumps(bad)


@pytest.mark.parametrize(
    "text, reason",
    [
        ('{"a": 1, "a": 2}', "duplicate"),
        ('{"a": NaN}', "NaN"),
        ('{"a": ', "malformed"),
        ("[" * 100_000 + "]" * 100_000, "nested"),
        (b'"\xff"', "UTF-8"),
    ],
)
def test_strict_parser_refuses(text, reason) -> None:
    with pytest.raises(CredentialFormatError, match=reason):
        jsonio.loads(text)


def test_strict_parser_refuses_oversize_input() -> None:
    with pytest.raises(CredentialFormatError, match="larger than"):
        jsonio.loads(" " * 100, max_bytes=10)


@settings(max_examples=300)
@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_walk_knows_when_the_document_is_plain(document) -> None:
    from verifier import claims

    _, plain = claims.walk(document)
    if plain:
        assert canonical.encode_plain(document) == canonical.dumps(document)
