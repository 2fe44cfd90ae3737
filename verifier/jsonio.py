"""Strict JSON reading: what the canonical form needs to be unambiguous.

Duplicate member names are rejected (RFC 8785 §3.1 / I-JSON, RFC 7493 §2.3): with them, two
parsers can see two different documents behind one signature. NaN and Infinity are not JSON.
Size is bounded so a hostile file cannot exhaust memory; the parser's own recursion guard
and the claims walk (claims.MAX_DEPTH) bound nesting.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


def loads(text: str | bytes, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> Any:
    """Parse JSON strictly. Raises CredentialFormatError with a one-line reason."""
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise CredentialFormatError(f"input is {size} bytes, larger than {max_bytes}")
    _check_nesting(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
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


def load_path(path: str | Path, *, max_bytes: int = MAX_CREDENTIAL_BYTES) -> Any:
    """Read and strictly parse a JSON file, refusing oversize files before reading them."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise CredentialFormatError(f"{p.name} is {size} bytes, larger than {max_bytes}")
        data = p.read_bytes()
    except OSError as exc:
        raise CredentialFormatError(f"cannot read {p}: {exc.strerror}") from None
    return loads(data, max_bytes=max_bytes)
