"""Learning points rules (积分规则): what attendance and credentials are worth in points
(docs/points.md).

A points rule set is data. `parse_points_rules` reads it strictly; `PointsRules.to_json`
writes it back normalized (rates sorted), and `canonical()` (RFC 8785) and `hash()`
(SHA-256 of the canonical bytes, hex32) let every ledger entry cite exactly the rules it
was computed under. The arithmetic is exact (fractions) and every figure it produces is
rounded down to hundredths, so a total recomputed anywhere from the entries' figures is the
same to the last digit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

from . import _read
from .common import Window, canonical_bytes, hex32
from .errors import CreditDataError
from .units import Sector, Unit, value_text

TYPE = "CredbankPointsRules"
MAX_RATES = 200
HUNDREDTH = Fraction(1, 100)


def floor_hundredths(value: Fraction) -> Fraction:
    """Rounded down to a multiple of 0.01 (what points and counted hours are kept to)."""
    return Fraction(math.floor(value * 100), 100)


@dataclass(frozen=True)
class AttendanceRate:
    """Points per hour of attendance at an activity of `sector` (and of `activity_kind`,
    when given: the kind-specific rate wins over the sector's)."""

    sector: Sector
    points_per_hour: Fraction
    activity_kind: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"sector": self.sector.value}
        if self.activity_kind is not None:
            out["activityKind"] = self.activity_kind
        out["pointsPerHour"] = value_text(self.points_per_hour)
        return out


@dataclass(frozen=True)
class CredentialRate:
    """Points per unit (credit, hour or point) of a credential's typed figure in `sector`."""

    sector: Sector
    unit: Unit
    points_per_unit: Fraction

    def to_json(self) -> dict[str, str]:
        return {"sector": self.sector.value, "unit": self.unit.value,
                "pointsPerUnit": value_text(self.points_per_unit)}


def _sector_order(sector: Sector) -> int:
    return list(Sector).index(sector)


@dataclass(frozen=True)
class PointsRules:
    id: str
    version: str
    window: Window  # calendar days (China Standard Time) the rules apply to
    attendance: tuple[AttendanceRate, ...]
    credentials: tuple[CredentialRate, ...]
    # at most this many attendance points per learner per calendar day; None: no cap
    daily_cap: Fraction | None = None

    def in_force(self, day: date) -> bool:
        return self.window.covers(day)

    def attendance_rate(self, sector: Sector, activity_kind: str) -> AttendanceRate | None:
        general = None
        for rate in self.attendance:
            if rate.sector is sector:
                if rate.activity_kind == activity_kind:
                    return rate
                if rate.activity_kind is None:
                    general = rate
        return general

    def credential_rate(self, sector: Sector, unit: Unit) -> CredentialRate | None:
        for rate in self.credentials:
            if rate.sector is sector and rate.unit is unit:
                return rate
        return None

    def attendance_points(self, sector: Sector, activity_kind: str, hours: Fraction,
                          earned_today: Fraction = Fraction(0)) -> Fraction | None:
        """Points for `hours` of attendance: hours × the rate, rounded down to hundredths,
        then held to what the daily cap leaves after `earned_today` (the learner's
        attendance points of that day so far). None: the rules give no rate here."""
        rate = self.attendance_rate(sector, activity_kind)
        if rate is None:
            return None
        points = floor_hundredths(hours * rate.points_per_hour)
        if self.daily_cap is not None:
            points = max(Fraction(0), min(points, self.daily_cap - earned_today))
        return points

    def credential_points(self, sector: Sector, unit: Unit, value: Fraction
                          ) -> Fraction | None:
        """Points for a credential's figure: value × the rate, rounded down to hundredths.
        None: the rules give no rate for this unit and sector."""
        rate = self.credential_rate(sector, unit)
        if rate is None:
            return None
        return floor_hundredths(value * rate.points_per_unit)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": TYPE, "id": self.id, "version": self.version,
                               **self.window.to_json()}
        out["attendance"] = [rate.to_json() for rate in self.attendance]
        out["credentials"] = [rate.to_json() for rate in self.credentials]
        if self.daily_cap is not None:
            out["dailyCap"] = value_text(self.daily_cap)
        return out

    def canonical(self) -> bytes:
        """RFC 8785 bytes of the normalized rules: the same for any member order, rate
        order, whitespace or number spelling of the document they were read from."""
        return canonical_bytes(self.to_json())

    def hash(self) -> str:
        return hex32(self.canonical())


def counted_hours(activity_hours: Fraction, needs_checkout: bool, checked_in: datetime,
                  checked_out: datetime | None) -> Fraction | None:
    """The hours a check-in counts for. An activity without check-out counts its own hours.
    One with check-out counts the measured duration (check-out minus check-in) rounded
    down to hundredths of an hour and capped at the activity's hours; before its check-out
    (or with a check-out not after the check-in) it counts nothing yet (None)."""
    if not needs_checkout:
        return activity_hours
    if checked_out is None or checked_out <= checked_in:
        return None
    seconds = Fraction(int((checked_out - checked_in).total_seconds()))
    return min(floor_hundredths(seconds / 3600), activity_hours)


# ---- reading ---------------------------------------------------------------------------

def _hundredths(raw: Any, where: str) -> Fraction:
    value = _read.amount(raw, where)
    if value % HUNDREDTH:
        raise CreditDataError(f"{where} has more than 2 decimal places")
    return value


def parse_points_rules(raw: Any) -> PointsRules:
    """Read a points rule set (parsed JSON or JSON text). Raises CreditDataError, one line."""
    doc = _read.document(raw, TYPE, "points rules")
    _read.members(doc, "points rules", ("type", "id", "version", "validFrom", "attendance",
                                        "credentials"), ("validUntil", "dailyCap"))
    attendance = []
    for i, item in enumerate(_read.array(doc["attendance"], "points rules.attendance",
                                         limit=MAX_RATES, empty=True)):
        where = f"attendance[{i}]"
        obj = _read.members(item, where, ("sector", "pointsPerHour"), ("activityKind",))
        attendance.append(AttendanceRate(
            _read.choice(obj["sector"], Sector, f"{where}.sector"),
            _hundredths(obj["pointsPerHour"], f"{where}.pointsPerHour"),
            _read.text(obj["activityKind"], f"{where}.activityKind", 32)
            if "activityKind" in obj else None))
    credentials = []
    for i, item in enumerate(_read.array(doc["credentials"], "points rules.credentials",
                                         limit=MAX_RATES, empty=True)):
        where = f"credentials[{i}]"
        obj = _read.members(item, where, ("sector", "unit", "pointsPerUnit"))
        credentials.append(CredentialRate(
            _read.choice(obj["sector"], Sector, f"{where}.sector"),
            _read.choice(obj["unit"], Unit, f"{where}.unit"),
            _hundredths(obj["pointsPerUnit"], f"{where}.pointsPerUnit")))
    if not attendance and not credentials:
        raise CreditDataError("points rules: give at least one attendance or credential rate")
    attendance.sort(key=lambda r: (_sector_order(r.sector), r.activity_kind or ""))
    credentials.sort(key=lambda r: (_sector_order(r.sector), list(Unit).index(r.unit)))
    for a, b in zip(attendance, attendance[1:], strict=False):
        if (a.sector, a.activity_kind) == (b.sector, b.activity_kind):
            raise CreditDataError(f"attendance: sector {a.sector.value}"
                                  + (f" kind {a.activity_kind}" if a.activity_kind else "")
                                  + " has two rates")
    for c, d in zip(credentials, credentials[1:], strict=False):
        if (c.sector, c.unit) == (d.sector, d.unit):
            raise CreditDataError(f"credentials: sector {c.sector.value} unit {c.unit.value} "
                                  "has two rates")
    return PointsRules(
        _read.text(doc["id"], "points rules.id"), _read.text(doc["version"],
                                                             "points rules.version"),
        _read.window(doc, "points rules"), tuple(attendance), tuple(credentials),
        _hundredths(doc["dailyCap"], "points rules.dailyCap") if "dailyCap" in doc else None)
