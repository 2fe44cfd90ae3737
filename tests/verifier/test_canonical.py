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


# -- the fast reader against the standard one -------------------------------------------------

json_texts_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False, allow_infinity=False)
    | st.integers() | st.integers(min_value=-(2**65), max_value=2**65)
    | st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(":\"\\/\n{}[],")),
    lambda children: st.lists(children, max_size=4)
    | st.lists(st.tuples(st.sampled_from(["a", "b", "a:b", ":", "é"]) | st.text(max_size=4),
                         children), max_size=4).map(lambda pairs: _Members(pairs)),
    max_leaves=25,
)


class _Members(list):
    """An object written member by member, so a name may repeat."""


def _write(value, escaped: bool, space: str) -> str:
    """JSON text of value; with `escaped`, non-ASCII characters and colons in strings are
    written as \\u escapes."""
    if isinstance(value, _Members):
        members = [f"{_write(k, escaped, space)}:{space}{_write(v, escaped, space)}"
                   for k, v in value]
        return "{" + f",{space}".join(members) + "}"
    if isinstance(value, list):
        return "[" + f",{space}".join(_write(v, escaped, space) for v in value) + "]"
    text = json.dumps(value, ensure_ascii=escaped)
    return text.replace(":", "\\u003a") if escaped and isinstance(value, str) else text


@settings(max_examples=500)
@given(json_texts_values, st.booleans(), st.sampled_from(["", " ", "\n  "]))
def test_fast_reader_agrees_with_the_standard_parser(value, escaped, space) -> None:
    """jsonio.loads (orjson, with its duplicate count) gives what the standard library's
    strict reading gives, or refuses with the same reason: duplicates, long integers,
    colons in names and strings (escaped or not), escapes and whitespace included."""
    text = _write(value, escaped, space).encode()
    try:
        expected = jsonio.standard_loads(text)
    except CredentialFormatError as exc:
        with pytest.raises(CredentialFormatError) as fast:
            jsonio.loads(text, max_bytes=len(text))
        assert str(fast.value) == str(exc)
        return
    assert _same(jsonio.loads(text, max_bytes=len(text)), expected)


def _same(a, b) -> bool:
    """Equal with types (1 and 1.0 and True differ here) and float signs."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b and str(a) == str(b)
    return a == b


def test_duplicate_members_are_found_whatever_colons_surround_them() -> None:
    for text in ('{"a:b": "c:d", "a:b": 1}', '{"x": {"a": ":"}, "x": {"a": ":"}}',
                 '[{"k": "::"}, {"k": 1, "k": "::"}]',
                 # an escaped colon would make up for the dropped member's separator
                 '{"a": 1, "a": 2, "b": "\\u003a"}', '{"a": 1, "a": 2, "b\\u003A": 0}'):
        with pytest.raises(CredentialFormatError, match="duplicate"):
            jsonio.loads(text)
    assert jsonio.loads('{"a:b": "c:d", "e": ":"}') == {"a:b": "c:d", "e": ":"}
    for big in (2**64, -(2**63) - 1, 2**64 - 1, 10**30):  # exact, as the standard parser reads
        value = jsonio.loads(f'{{"n": {big}, "s": "x"}}')["n"]
        assert type(value) is int and value == big
