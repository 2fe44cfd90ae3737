"""Strict JSON reading: what the canonical form needs to be unambiguous.

Duplicate member names are rejected (RFC 8785 §3.1 / I-JSON, RFC 7493 §2.3): with them, two
parsers can see two different documents behind one signature. NaN and Infinity are not JSON.
Size is bounded so a hostile file cannot exhaust memory; the parser's own recursion guard
and the claims walk (claims.MAX_DEPTH) bound nesting.

Two parsers, one answer. The standard library's, with a hook on every object, is the
definition. orjson reads the common case several times faster, but keeps the last of
duplicate members silently, so its answer is taken only when a count shows it dropped
nothing (see _orjson_loads); for anything else, errors included, the standard library's
parser reads the text again and gives the answer and the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import orjson

from .errors import CredentialFormatError

MAX_CREDENTIAL_BYTES = 1 << 20  # 1 MiB: a credential is a few kilobytes


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise CredentialFormatError(f"duplicate JSON member name {key!r}")
            seen.add(key)
    return obj


def _reject_constant(name: str) -> Any:
    raise CredentialFormatError(f"{name} is not valid JSON")


MAX_NESTING = 64
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def _check_nesting(data: bytes) -> None:
    """Refuse deep nesting before the C parser recurses into it: its own guard follows the
    interpreter's recursion limit, which test tools and hosts may raise past what the C
    stack holds. Few brackets (the normal case) cannot nest deeply, so only then scan."""
    if data.count(b"[") + data.count(b"{") <= MAX_NESTING:
        return
    depth = deepest = 0
    for ch in _NOT_BRACKET.sub(b"", _STRING.sub(b"", data)):
        if ch in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_NESTING:
                    raise CredentialFormatError("JSON nested too deeply")
        else:
            depth -= 1


# Digits made zeros: nineteen zeros in a row mark a possible integer beyond 64 bits.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19


_UNREAD = object()


def _orjson_loads(data: bytes) -> Any:
    """orjson's reading of `data`, or _UNREAD when only the standard parser may answer.

    orjson keeps the last of duplicate members; a count finds them. Unless a colon is
    written as the escape \\u003a, every colon in the text is a member's name separator or
    a character of a string, one for one (no other escape or literal yields a colon), so the
    text has exactly as many colons as orjson's compact writing of what it read (which
    escapes no colon) unless members were dropped, each of which takes at least its own
    separator with it. orjson also reads integers beyond 64 bits as doubles, where
    the standard parser keeps them exact (and canonicalization then refuses them, §3.2 of
    docs/format.md); a text with nineteen digits in a row, in a string or not, is left to
    the standard parser.
    """
    if (b"\\u003a" in data or b"\\u003A" in data
            or _LONG_DIGITS in data.translate(_DIGITS_AS_ZERO)):
        return _UNREAD
    try:
        value = orjson.loads(data)
        if orjson.dumps(value).count(b":") != data.count(b":"):
            return _UNREAD  # duplicate members: the standard parser names one
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return _UNREAD  # the standard parser says why
    return value


def loads(text: str | bytes, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> Any:
    """Parse JSON strictly. Raises CredentialFormatError with a one-line reason."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    size = len(data)
    if size > max_bytes:
        raise CredentialFormatError(f"input is {size} bytes, larger than {max_bytes}")
    _check_nesting(data)
    value = _orjson_loads(data)
    if value is not _UNREAD:
        return value
    return standard_loads(text)


def standard_loads(text: str | bytes) -> Any:
    """The standard library's strict reading (the definition; loads() is usually faster)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CredentialFormatError(f"input is not UTF-8 ({exc.reason})") from None
    try:
        value = json.loads(
            text, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise CredentialFormatError(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise CredentialFormatError("JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise CredentialFormatError(f"unreadable JSON value: {exc}") from None
    return value


def read_bounded(path: str | Path, max_bytes: int) -> bytes:
    """A file's bytes, refusing one over ``max_bytes`` before reading it."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise CredentialFormatError(f"{p.name} is {size} bytes, larger than {max_bytes}")
        return p.read_bytes()
    except OSError as exc:
        raise CredentialFormatError(f"cannot read {p}: {exc.strerror}") from None


def load_path(path: str | Path, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> Any:
    """Read and strictly parse a JSON file, refusing oversize files before reading them."""
    return loads(read_bounded(path, max_bytes), max_bytes=max_bytes)
