"""Typed credits: every figure has an exact value, a unit and a sector (docs/creditbank.md §2).

Values are `fractions.Fraction`, always a terminating decimal (they are read from decimal
text and only added, compared, trimmed and multiplied by whole numbers), and are written
back as decimal strings. Binary floats are refused: a sum of floats is not exact.

Figures of different units are never added: `Credits + Credits` and `Quantity + Quantity`
raise `UnitMismatch` for different units, and `Credits + Credits` raises `SectorMismatch`
for different sectors. `Totals` groups figures by (unit, sector) and by unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .errors import SectorMismatch, UnitMismatch


class Unit(StrEnum):
    """What a figure counts."""

    CREDIT = "credit"  # 学分
    HOUR = "hour"  # 学时
    POINT = "point"  # 积分

    @property
    def zh(self) -> str:
        return _UNIT_NAMES[self][0]

    @property
    def en(self) -> str:
        return _UNIT_NAMES[self][1]


class Sector(StrEnum):
    """Where the learning took place."""

    DEGREE = "degree"
    VOCATIONAL = "vocational"
    NON_DEGREE = "non_degree"
    COMMUNITY_ELDERLY = "community_elderly"
    VENUE = "venue"

    @property
    def zh(self) -> str:
        return _SECTOR_NAMES[self][0]

    @property
    def en(self) -> str:
        return _SECTOR_NAMES[self][1]


_UNIT_NAMES = {
    Unit.CREDIT: ("学分", "credit"),
    Unit.HOUR: ("学时", "hour"),
    Unit.POINT: ("积分", "point"),
}
_SECTOR_NAMES = {
    Sector.DEGREE: ("学历教育", "degree education"),
    Sector.VOCATIONAL: ("职业培训", "vocational training"),
    Sector.NON_DEGREE: ("非学历培训", "non-degree training"),
    Sector.COMMUNITY_ELDERLY: ("社区与老年教育", "community and elderly education"),
    Sector.VENUE: ("场馆学习", "venue-based learning"),
}
_UNIT_ORDER = {unit: i for i, unit in enumerate(Unit)}
_SECTOR_ORDER = {sector: i for i, sector in enumerate(Sector)}
_DECIMAL_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def value_of(raw: Fraction | Decimal | int | str) -> Fraction:
    """An exact, non-negative, terminating decimal value. Strings are plain decimals
    ("4", "1.5"); floats, booleans, negative and non-terminating values are refused."""
    if isinstance(raw, bool) or isinstance(raw, float):
        raise TypeError("a credit value is exact: give a str, int, Decimal or Fraction")
    if isinstance(raw, str):
        if not raw.isascii() or not _DECIMAL_TEXT.match(raw):
            raise ValueError(f"{raw!r} is not a plain decimal number")
        value = Fraction(Decimal(raw))
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValueError("a credit value is finite")
        value = Fraction(raw)
    elif isinstance(raw, int | Fraction):
        value = Fraction(raw)
    else:
        raise TypeError(f"{type(raw).__name__} is not a credit value")
    if value < 0:
        raise ValueError("a credit value is not negative")
    if not _terminates(value.denominator):
        raise ValueError(f"{value} is not a terminating decimal")
    return value


def _terminates(denominator: int) -> bool:
    for prime in (2, 5):
        while denominator % prime == 0:
            denominator //= prime
    return denominator == 1


def value_text(value: Fraction) -> str:
    """The decimal text of a value: no exponent, no sign, no trailing zeros ("4", "1.5")."""
    places = 0
    scaled = value
    while scaled.denominator != 1:
        scaled *= 10
        places += 1
        if places > 1000:
            raise ValueError(f"{value} is not a terminating decimal")
    digits = str(scaled.numerator).rjust(places + 1, "0")
    if not places:
        return digits
    return f"{digits[:-places]}.{digits[-places:]}"


@dataclass(frozen=True)
class Quantity:
    """A value in a unit, of any sector: what a per-unit total is."""

    value: Fraction
    unit: Unit

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", value_of(self.value))
        object.__setattr__(self, "unit", Unit(self.unit))

    def __add__(self, other: object) -> Quantity:
        if not isinstance(other, Quantity):
            return NotImplemented
        if other.unit is not self.unit:
            raise UnitMismatch(f"cannot add {other.unit.value}s to {self.unit.value}s")
        return Quantity(self.value + other.value, self.unit)

    def __str__(self) -> str:
        return f"{value_text(self.value)} {self.unit.value}"

    def to_json(self) -> dict[str, str]:
        return {"value": value_text(self.value), "unit": self.unit.value}


@dataclass(frozen=True)
class Credits:
    """A credit figure: value, unit and sector, e.g. 4 credits of vocational training."""

    value: Fraction
    unit: Unit
    sector: Sector

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", value_of(self.value))
        object.__setattr__(self, "unit", Unit(self.unit))
        object.__setattr__(self, "sector", Sector(self.sector))

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.value, self.unit)

    def with_value(self, value: Fraction) -> Credits:
        return Credits(value, self.unit, self.sector)

    def __add__(self, other: object) -> Credits:
        if not isinstance(other, Credits):
            return NotImplemented
        if other.unit is not self.unit:
            raise UnitMismatch(f"cannot add {other.unit.value}s to {self.unit.value}s")
        if other.sector is not self.sector:
            raise SectorMismatch(
                f"cannot add {other.sector.value} figures to {self.sector.value} figures")
        return Credits(self.value + other.value, self.unit, self.sector)

    def __str__(self) -> str:
        return f"{value_text(self.value)} {self.unit.value} ({self.sector.value})"

    def to_json(self) -> dict[str, str]:
        return {"value": value_text(self.value), "unit": self.unit.value,
                "sector": self.sector.value}


def sort_key(unit: Unit, sector: Sector | None = None) -> tuple[int, int]:
    return (_UNIT_ORDER[unit], -1 if sector is None else _SECTOR_ORDER[sector])


@dataclass(frozen=True)
class Totals:
    """Figures summed by (unit, sector), in the order of the Unit and Sector enums. Only
    figures of one unit and one sector are ever added together; `by_unit` then sums the
    sectors of each unit."""

    figures: tuple[Credits, ...] = ()

    def __post_init__(self) -> None:
        sums: dict[tuple[Unit, Sector], Credits] = {}
        for figure in self.figures:
            if not isinstance(figure, Credits):
                raise TypeError(f"{type(figure).__name__} is not a credit figure")
            key = (figure.unit, figure.sector)
            sums[key] = sums[key] + figure if key in sums else figure
        object.__setattr__(self, "figures", tuple(
            sums[key] for key in sorted(sums, key=lambda k: sort_key(*k))))

    @classmethod
    def of(cls, figures: Iterable[Credits]) -> Totals:
        return cls(tuple(figures))

    def __add__(self, other: object) -> Totals:
        if not isinstance(other, Totals):
            return NotImplemented
        return Totals.of(self.figures + other.figures)

    def by_unit_sector(self) -> Mapping[tuple[Unit, Sector], Credits]:
        return {(f.unit, f.sector): f for f in self.figures}

    def by_unit(self) -> Mapping[Unit, Quantity]:
        sums: dict[Unit, Quantity] = {}
        for figure in self.figures:
            quantity = figure.quantity
            sums[figure.unit] = sums[figure.unit] + quantity if figure.unit in sums \
                else quantity
        return sums

    def value(self, unit: Unit, sector: Sector | None = None) -> Fraction:
        """The total of one unit (and one sector, when given); zero when there is none."""
        return sum((f.value for f in self.figures
                    if f.unit is unit and (sector is None or f.sector is sector)), Fraction(0))

    def to_json(self) -> dict[str, Any]:
        return {"byUnit": [q.to_json() for q in self.by_unit().values()],
                "byUnitAndSector": [f.to_json() for f in self.figures]}
