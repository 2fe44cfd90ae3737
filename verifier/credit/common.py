"""What the credit bank's documents share: bilingual names, validity windows of calendar
dates, the decision date, and the canonical form and hash (docs/creditbank.md §1)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .. import canonical, timefmt

# Dates in the credit bank's documents are calendar days in China Standard Time.
CHINA_STANDARD_TIME = timefmt.CHINA


@dataclass(frozen=True)
class Names:
    """A name in Chinese and in English."""

    zh: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Window:
    """Calendar days from `start` to `end`, both included; no end means open-ended."""

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError("a window cannot end before it starts")

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def overlaps(self, other: Window) -> bool:
        return (self.end is None or other.start <= self.end) and (
            other.end is None or self.start <= other.end)

    def to_json(self) -> dict[str, str]:
        out = {"validFrom": self.start.isoformat()}
        if self.end is not None:
            out["validUntil"] = self.end.isoformat()
        return out


def decision_date(moment: date | datetime) -> date:
    """The calendar day of a moment in China Standard Time; a date is taken as it is."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("a moment needs a time zone")
        return moment.astimezone(CHINA_STANDARD_TIME).date()
    if isinstance(moment, date):
        return moment
    raise TypeError(f"expected a date or datetime, not {type(moment).__name__}")


def canonical_bytes(document: Any) -> bytes:
    """RFC 8785 canonical JSON of a document as written back by its to_json()."""
    return canonical.dumps(document)


def hex32(data: bytes) -> str:
    """SHA-256 of the bytes as hex32: "0x" and 64 lowercase hex digits (docs/format.md)."""
    return "0x" + hashlib.sha256(data).hexdigest()
