"""Anchored attendance (docs/format.md, "Attendance records"): the entry a check-in becomes,
the venue-day's Merkle tree and manifest, the authority's venue register, and the learner's
attendance record that carries them with the chain evidence. Nothing here does I/O.

Each check-in of a venue's day is one leaf, ``merkle.leaf_hash(JCS(entry))``; the entry
names the learner only by a salted commitment, so the published tree says nothing about
who attended. The day's manifest (venue, day, part, count, root, the register it cites) is
published on chain by the authority as a document of kind ``ATTENDANCE_DAY``; the register
as one of kind ``VENUE_REGISTER``. The checks are in ``verifier.attendance_check``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import canonical, merkle
from .errors import CredentialFormatError

ENTRY_TYPE = "CredbankAttendanceEntry"
DAY_TYPE = "CredbankAttendanceDay"
REGISTER_TYPE = "CredbankVenueRegister"
RECORD_TYPE = "CredbankAttendanceRecord"
VERSION = 1
MAX_ENTRIES = 5000  # one record; a learner's lifetime of check-ins fits many times over
MAX_VENUES = 10_000

DAY = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
HEX32 = re.compile(r"0x[0-9a-f]{64}")
HOURS = re.compile(r"(0|[1-9]\d{0,3})(\.\d{1,2})?")
SLUG = re.compile(r"\S{1,64}")  # a venue's slug as the service keeps it


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise CredentialFormatError(reason)


def document_hash(document: Any) -> str:
    """SHA-256 of the RFC 8785 form, as ``0x`` and 64 lowercase hex digits: the hash a
    manifest or register is published under."""
    return "0x" + hashlib.sha256(canonical.dumps(document)).hexdigest()


def hours_text(value: float | Decimal | str) -> str:
    """Hours as a decimal string of at most two places, no trailing zeros (``"1.5"``)."""
    try:
        exact = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise CredentialFormatError(f"not a number of hours: {value!r}") from None
    _require(exact >= 0, "hours cannot be negative")
    text = format(exact.normalize(), "f")
    _require(bool(HOURS.fullmatch(text)), f"hours out of range: {text}")
    return text


# ---- the leaf --------------------------------------------------------------------------------


def commitment(learner_key: str, salt: bytes) -> str:
    """The learner as an entry names them: SHA-256(salt ‖ UTF-8 learner key), hex32. The
    salt is random per entry and only the learner's record reveals it."""
    _require(len(salt) == 32, "a salt is 32 bytes")
    return "0x" + hashlib.sha256(salt + learner_key.encode("utf-8")).hexdigest()


def entry(*, checkin_id: str, venue: str, day: str, activity: Mapping[str, Any],
          checked_in_at: str, checked_out_at: str | None, method: str,
          learner: str) -> dict[str, Any]:
    """One check-in as its leaf data. ``activity``: id, kind, title, sector, hours (a decimal
    string) and needsCheckOut; ``learner`` the commitment."""
    out: dict[str, Any] = {
        "type": ENTRY_TYPE, "checkIn": checkin_id, "venue": venue, "day": day,
        "activity": {"id": activity["id"], "kind": activity["kind"],
                     "title": activity["title"], "sector": activity["sector"],
                     "hours": hours_text(activity["hours"]),
                     "needsCheckOut": bool(activity["needsCheckOut"])},
        "checkedInAt": checked_in_at, "method": method, "learner": learner}
    if checked_out_at is not None:
        out["checkedOutAt"] = checked_out_at
    return out


def leaf(entry_data: Mapping[str, Any]) -> bytes:
    """The entry's leaf in its venue-day's tree (verifier.merkle, sorted pairs)."""
    return merkle.leaf_hash(canonical.dumps(entry_data))


def counted_hours(entry_data: Mapping[str, Any]) -> Decimal:
    """What an entry counts for: its activity's hours, none when the activity measures
    attendance by a check-out and the entry has none."""
    activity = entry_data["activity"]
    if activity["needsCheckOut"] and "checkedOutAt" not in entry_data:
        return Decimal(0)
    return Decimal(activity["hours"])


def totals(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Entries, venue-days and hours by sector (decimal strings), from the entries alone."""
    count = 0
    days: set[tuple[str, str]] = set()
    by_sector: dict[str, Decimal] = {}
    for data in entries:
        count += 1
        days.add((data["venue"], data["day"]))
        sector = data["activity"]["sector"]
        by_sector[sector] = by_sector.get(sector, Decimal(0)) + counted_hours(data)
    hours = {s: format(h.normalize(), "f") if h else "0" for s, h in sorted(by_sector.items())}
    total = sum(by_sector.values(), Decimal(0))
    return {"entries": count, "venueDays": len(days), "hoursBySector": hours,
            "hours": format(total.normalize(), "f") if total else "0"}


# ---- the day and the register ----------------------------------------------------------------


@dataclass(frozen=True)
class DayTree:
    """A venue-day's entries built into their tree."""

    entries: tuple[dict[str, Any], ...]
    tree: merkle.MerkleTree

    @classmethod
    def of(cls, entries: Iterable[dict[str, Any]]) -> DayTree:
        held = tuple(entries)
        leaves = [leaf(e) for e in held]
        _require(len(set(leaves)) == len(leaves), "two entries of a day are the same")
        return cls(held, merkle.MerkleTree(leaves))

    @property
    def root(self) -> str:
        return "0x" + self.tree.root.hex()

    def path(self, entry_data: Mapping[str, Any]) -> list[str]:
        return ["0x" + h.hex() for h in self.tree.proof(leaf(entry_data))]


def manifest(*, venue: str, day: str, part: int, tree: DayTree, register: str,
             closed_at: str) -> dict[str, Any]:
    """The venue-day's manifest: what the authority publishes (its hash) on chain. A day
    anchored again for check-ins that arrived later is a new ``part``."""
    return {"type": DAY_TYPE, "version": VERSION, "venue": venue, "day": day, "part": part,
            "count": len(tree.entries), "root": tree.root, "register": register,
            "closedAt": closed_at}


def venue_item(venue: Mapping[str, Any]) -> dict[str, Any]:
    """A venue as the register lists it: slug, name, kind, ``since`` (first day registered)
    and, once retired, ``retired`` (first day no longer registered)."""
    item = {"slug": venue["slug"], "name": venue["name"], "kind": venue["kind"],
            "since": venue["since"]}
    if venue.get("retired"):
        item["retired"] = venue["retired"]
    return item


def registered_on(item: Mapping[str, Any], day: str) -> bool:
    """Whether the venue of a register item was registered on ``day``."""
    retired = item.get("retired")
    return item["since"] <= day and (retired is None or day < retired)


@dataclass(frozen=True)
class RegisterTree:
    """The authority's venue register as a Merkle tree of its items (each venue once, by
    slug), so a record carries only the venues it needs, each with its path."""

    items: dict[str, dict[str, Any]]
    tree: merkle.MerkleTree

    @classmethod
    def of(cls, venues: Iterable[Mapping[str, Any]]) -> RegisterTree:
        items = {v["slug"]: venue_item(v) for v in venues}
        _require(bool(items), "a venue register lists at least one venue")
        return cls(items, merkle.MerkleTree(leaf(i) for i in items.values()))

    def manifest(self) -> dict[str, Any]:
        """What the authority publishes (its hash, document kind 7)."""
        return {"type": REGISTER_TYPE, "version": VERSION, "count": len(self.items),
                "root": "0x" + self.tree.root.hex()}

    def proof(self, slug: str) -> dict[str, Any]:
        """A venue's item and its path to the register's root, under the register's hash."""
        item = self.items[slug]
        return {"register": document_hash(self.manifest()), "venue": item,
                "path": ["0x" + h.hex() for h in self.tree.proof(leaf(item))]}
