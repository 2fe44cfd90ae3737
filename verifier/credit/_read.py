"""Strict reading of the credit bank's JSON documents (docs/creditbank.md §1.2).

Every function raises `CreditDataError` with one line naming the member (`where`).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, TypeVar

from .. import jsonio
from ..errors import CredentialFormatError
from .common import Names, Window
from .errors import CreditDataError
from .units import Sector, Unit, value_of

MAX_ID = 200  # characters in an id, a code or a version
MAX_NAME = 500  # characters in a name
MAX_VALUE = Fraction(10**9)
MAX_PLACES = 6  # decimal places of a value in a document
MAX_DOCUMENT_BYTES = 64 << 20  # JSON text of a document, as for trust files
_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
E = TypeVar("E", Unit, Sector)


def fail(message: str) -> CreditDataError:
    return CreditDataError(message)


def document(raw: Any, type_name: str, where: str) -> dict[str, Any]:
    """A document object, from parsed JSON or from JSON text (read strictly), whose `type`
    member is `type_name`."""
    if isinstance(raw, str | bytes):
        try:
            raw = jsonio.loads(raw, max_bytes=MAX_DOCUMENT_BYTES)
        except CredentialFormatError as exc:
            raise fail(f"{where}: {exc}") from None
    if not isinstance(raw, dict):
        raise fail(f"{where} must be a JSON object")
    if raw.get("type") != type_name:
        raise fail(f"{where}: type must be {type_name!r}")
    return raw


def members(raw: Any, where: str, required: tuple[str, ...],
            optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with every required member and no member outside the two lists."""
    if not isinstance(raw, dict):
        raise fail(f"{where} must be an object")
    unknown = sorted(set(raw) - set(required) - set(optional))
    if unknown:
        raise fail(f"{where}: unknown member {unknown[0]!r}")
    for name in required:
        if name not in raw:
            raise fail(f"{where}: {name} is required")
    return raw


def text(raw: Any, where: str, limit: int = MAX_ID) -> str:
    """A non-empty string of at most `limit` characters, without control characters and
    without surrounding whitespace."""
    if not isinstance(raw, str) or not raw:
        raise fail(f"{where} must be a non-empty string")
    if len(raw) > limit:
        raise fail(f"{where} is longer than {limit} characters")
    if raw != raw.strip():
        raise fail(f"{where} must not start or end with whitespace")
    if _CONTROL.search(raw):
        raise fail(f"{where} contains a control character")
    return raw


def did(raw: Any, where: str) -> str:
    value = text(raw, where, 2000)
    if not value.startswith("did:") or len(value) < 5:
        raise fail(f"{where} must be a DID (did:…)")
    return value


def names(raw: Any, where: str) -> Names:
    obj = members(raw, where, ("zh", "en"))
    return Names(text(obj["zh"], f"{where}.zh", MAX_NAME), text(obj["en"], f"{where}.en", MAX_NAME))


def day(raw: Any, where: str) -> date:
    if not isinstance(raw, str) or not _DAY.match(raw):
        raise fail(f"{where} must be a date, YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise fail(f"{where} is not a valid date") from None


def window(obj: dict[str, Any], where: str, *, open_ended: bool = True) -> Window:
    """validFrom (required) and validUntil (optional when open_ended), both included."""
    start = day(obj.get("validFrom"), f"{where}.validFrom")
    end = None
    if "validUntil" in obj or not open_ended:
        end = day(obj.get("validUntil"), f"{where}.validUntil")
        if end < start:
            raise fail(f"{where}.validUntil is before validFrom")
    return Window(start, end)


def amount(raw: Any, where: str, *, positive: bool = True) -> Fraction:
    """A value written as a JSON number or a decimal string ("4", "1.5"): at least zero
    (above zero when `positive`), at most 10^9, at most six decimal places."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise fail(f"{where} must be a number")
    try:
        exact = Decimal(repr(raw)) if isinstance(raw, float) else raw
        if isinstance(exact, Decimal) and not exact.is_finite():
            raise ValueError
        value = value_of(exact)
    except (ValueError, InvalidOperation):
        raise fail(f"{where} must be a decimal number of at least zero") from None
    if positive and value == 0:
        raise fail(f"{where} must be above zero")
    if value > MAX_VALUE:
        raise fail(f"{where} must be at most {MAX_VALUE}")
    if value * 10**MAX_PLACES != int(value * 10**MAX_PLACES):
        raise fail(f"{where} has more than {MAX_PLACES} decimal places")
    return value


def count(raw: Any, where: str, *, minimum: int = 0, maximum: int = 10**6) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= maximum:
        raise fail(f"{where} must be a whole number from {minimum} to {maximum}")
    return raw


def array(raw: Any, where: str, *, limit: int, empty: bool = False) -> list[Any]:
    if not isinstance(raw, list):
        raise fail(f"{where} must be an array")
    if not raw and not empty:
        raise fail(f"{where} must not be empty")
    if len(raw) > limit:
        raise fail(f"{where} has more than {limit} elements")
    return raw


def choice(raw: Any, kind: type[E], where: str) -> E:
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise fail(f"{where} must be one of {allowed}") from None
