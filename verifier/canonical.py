"""RFC 8785 JSON Canonicalization Scheme (JCS).

The reference is the `rfc8785` library. Canonicalizing a whole credential with it is the
slowest step of verification, so the common case takes a fast path through the C JSON
encoder, which produces the same bytes whenever:

* every float is integral and within 2**53 - 1 (written as an integer, RFC 8785 §3.2.2.3) or
  is non-integral and lies in [1e-4, 1e16), where Python's shortest repr and
  ECMAScript's Number.toString use the same digits and no exponent;
* no member name contains a code point above U+D7FF, so sorting by code point equals
  sorting by UTF-16 code units (RFC 8785 §3.2.3);
* integers are within the I-JSON range (±(2**53 - 1)).

Values that need no copy (no floats, safe integers, member names up to U+D7FF) are written
by orjson with sorted keys, whose output for them is the same bytes (strings escaped as
RFC 8785 §3.2.2.2 asks, names sorted by code point) in a fraction of the time. Anything else
is handed to `rfc8785`. tests/verifier/test_canonical.py checks every path against the
published JCS test data and against each other.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

from .errors import CanonicalizationError

_MAX_SAFE_INT = 2**53 - 1  # I-JSON, RFC 7493 §2.2; rfc8785 uses the same bound
_encoder = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
)
_SORTED = orjson.OPT_SORT_KEYS


class _NeedsReference(Exception):
    pass


def _normalize(value: Any) -> Any:
    """Copy with integral floats made ints; raise _NeedsReference outside the fast path."""
    if isinstance(value, str) or value is None or value is True or value is False:
        return value
    if isinstance(value, int):
        if -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            return value
        raise _NeedsReference
    if isinstance(value, float):
        if value.is_integer():
            if abs(value) <= _MAX_SAFE_INT:
                return int(value)
            raise _NeedsReference
        if 1e-4 <= abs(value) < 1e16:
            return value
        raise _NeedsReference
    if isinstance(value, dict):
        out = {}
        for key, member in value.items():
            if not isinstance(key, str) or (key and max(key) > "\ud7ff"):
                raise _NeedsReference
            out[key] = _normalize(member)
        return out
    if isinstance(value, list | tuple):
        return [_normalize(item) for item in value]
    raise CanonicalizationError(f"{type(value).__name__} is not a JSON value")


def _plain(value: Any) -> bool:
    """True when the C encoder's output is already canonical, with no copy needed."""
    stack = [value]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is dict:
            for key in node:
                if not key.isascii() and max(key) > "\ud7ff":
                    return False
            stack.extend(node.values())
        elif kind is list:
            stack.extend(node)
        elif kind is int:
            if not -_MAX_SAFE_INT <= node <= _MAX_SAFE_INT:
                return False
        elif kind is not str and node is not None and kind is not bool:
            return False  # floats, tuples, subclasses: take the normalizing path
    return True


def encode_plain(value: Any) -> bytes:
    """Canonical bytes of a value already known to be plain (see claims.walk)."""
    try:
        return orjson.dumps(value, option=_SORTED)
    except orjson.JSONEncodeError:  # a lone surrogate, or nesting past orjson's limit
        return _dumps_copied(value)


def reference_dumps(value: Any) -> bytes:
    """Canonical bytes from the reference implementation only."""
    try:
        return rfc8785.dumps(value)
    except (RecursionError, rfc8785.CanonicalizationError, UnicodeError, TypeError,
            ValueError) as exc:
        raise CanonicalizationError(f"no canonical JSON form: {exc}") from None


def dumps(value: Any) -> bytes:
    """RFC 8785 canonical UTF-8 bytes of a JSON value."""
    if _plain(value):
        return encode_plain(value)
    return _dumps_copied(value)


def _dumps_copied(value: Any) -> bytes:
    """dumps() through a normalized copy and the standard library's encoder."""
    try:
        normalized = _normalize(value)
    except _NeedsReference:
        return reference_dumps(value)
    except RecursionError:
        raise CanonicalizationError("value nested too deeply") from None
    try:
        return _encoder.encode(normalized).encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalizationError("string is not valid Unicode (lone surrogate)") from None
