"""Outcome standards (学习成果认证标准): what a certified outcome is worth, at which level,
in which sector, from when to when (docs/creditbank.md §4).

The authority keeps them as a JSON catalogue or imports them as CSV (`CSV_COLUMNS`).
`Standard.check` compares what a credential claims with the standard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from . import _read
from .common import Names, Window, canonical_bytes, hex32
from .errors import CreditDataError
from .framework import Framework
from .units import Credits, Sector, Unit, value_of, value_text

TYPE = "CredbankOutcomeStandards"
MAX_STANDARDS = 100_000
CSV_COLUMNS = ("code", "version", "title_zh", "title_en", "sector", "level", "credits", "unit",
               "valid_from", "valid_until")
_CSV_OPTIONAL = frozenset({"valid_until"})
_CSV_NAMES = (("title.zh", "title_zh"), ("title.en", "title_en"), ("validFrom", "valid_from"),
              ("validUntil", "valid_until"))
_MEMBERS = ("code", "version", "title", "sector", "level", "credits", "unit", "validFrom")


class Mismatch(NamedTuple):
    """One way a claim differs from a standard."""

    code: str  # not_in_force, level_missing, level_differs, credits_missing,
    #           unit_differs, sector_differs, credits_differ
    detail: str


@dataclass(frozen=True)
class Standard:
    code: str
    version: str
    title: Names
    level: str  # a level code of the qualification framework
    credits: Credits  # the value, unit and sector of the outcome
    window: Window

    @property
    def sector(self) -> Sector:
        return self.credits.sector

    def in_force(self, day: date) -> bool:
        return self.window.covers(day)

    def check(self, *, credits: Credits | Fraction | Decimal | int | str | None,
              level: str | None, on: date) -> tuple[Mismatch, ...]:
        """How a claim (a credit figure, typed or a bare value in this standard's unit, and a
        level code) differs from this standard on a day; empty when it agrees."""
        out: list[Mismatch] = []
        if not self.in_force(on):
            out.append(Mismatch("not_in_force",
                                f"standard {self.code} {self.version} is not in force on {on}"))
        if level is None:
            out.append(Mismatch("level_missing", "no level is claimed"))
        elif level.strip() != self.level:
            out.append(Mismatch("level_differs",
                                f"level {level.strip()!r} claimed, {self.level!r} standard"))
        if credits is None:
            out.append(Mismatch("credits_missing", "no credits are claimed"))
            return tuple(out)
        if isinstance(credits, Credits):
            if credits.unit is not self.credits.unit:
                out.append(Mismatch("unit_differs", f"{credits.unit.value}s claimed, "
                                    f"{self.credits.unit.value}s standard"))
            if credits.sector is not self.credits.sector:
                out.append(Mismatch("sector_differs", f"{credits.sector.value} claimed, "
                                    f"{self.credits.sector.value} standard"))
            value = credits.value
        else:
            value = value_of(credits)
        if value != self.credits.value:
            out.append(Mismatch("credits_differ", f"{value_text(value)} claimed, "
                                f"{value_text(self.credits.value)} standard"))
        return tuple(out)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "version": self.version, "title": self.title.to_json(),
                "sector": self.sector.value, "level": self.level,
                "credits": value_text(self.credits.value), "unit": self.credits.unit.value,
                **self.window.to_json()}

    def csv_row(self) -> dict[str, str]:
        return {"code": self.code, "version": self.version, "title_zh": self.title.zh,
                "title_en": self.title.en, "sector": self.sector.value, "level": self.level,
                "credits": value_text(self.credits.value), "unit": self.credits.unit.value,
                "valid_from": self.window.start.isoformat(),
                "valid_until": self.window.end.isoformat() if self.window.end else ""}


@dataclass(frozen=True)
class StandardCatalog:
    standards: tuple[Standard, ...]  # by code, then by start of validity
    framework: str | None = None  # the id of the framework their levels belong to

    def find(self, code: str, on: date) -> Standard | None:
        """The version of a standard in force on a day (versions of a code never overlap)."""
        for standard in self.standards:
            if standard.code == code and standard.in_force(on):
                return standard
        return None

    def get(self, code: str, version: str) -> Standard:
        for standard in self.standards:
            if standard.code == code and standard.version == version:
                return standard
        raise CreditDataError(f"no standard {code} version {version}")

    def versions(self, code: str) -> tuple[Standard, ...]:
        return tuple(s for s in self.standards if s.code == code)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": TYPE}
        if self.framework is not None:
            out["framework"] = self.framework
        out["standards"] = [s.to_json() for s in self.standards]
        return out

    def to_csv(self) -> str:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(s.csv_row() for s in self.standards)
        return buffer.getvalue()

    def canonical(self) -> bytes:
        return canonical_bytes(self.to_json())

    def hash(self) -> str:
        return hex32(self.canonical())


def parse_standard(raw: Any, where: str = "standard", *,
                   framework: Framework | None = None) -> Standard:
    obj = _read.members(raw, where, _MEMBERS, ("validUntil",))
    level = _read.text(obj["level"], f"{where}.level")
    if framework is not None:
        framework.level(level)  # an unknown level is an error
    sector = _read.choice(obj["sector"], Sector, f"{where}.sector")
    unit = _read.choice(obj["unit"], Unit, f"{where}.unit")
    return Standard(
        code=_read.text(obj["code"], f"{where}.code"),
        version=_read.text(obj["version"], f"{where}.version"),
        title=_read.names(obj["title"], f"{where}.title"),
        level=level,
        credits=Credits(_read.amount(obj["credits"], f"{where}.credits"), unit, sector),
        window=_read.window(obj, where),
    )


def parse_standards(raw: Any, *, framework: Framework | None = None) -> StandardCatalog:
    """Read a catalogue of standards (parsed JSON or JSON text): {"type":
    "CredbankOutcomeStandards", "framework": <id, optional>, "standards": [...]}."""
    doc = _read.document(raw, TYPE, "standards")
    _read.members(doc, "standards", ("type", "standards"), ("framework",))
    named = _read.text(doc["framework"], "standards.framework") if "framework" in doc else None
    if framework is not None and named is not None and named != framework.id:
        raise CreditDataError(f"standards: for framework {named}, not {framework.id}")
    items = _read.array(doc["standards"], "standards.standards", limit=MAX_STANDARDS)
    return _catalog((parse_standard(item, f"standards[{i}]", framework=framework)
                     for i, item in enumerate(items)),
                    named or (framework.id if framework else None))


def standards_from_csv(content: str, *, framework: Framework | None = None
                       ) -> StandardCatalog:
    """Read standards from CSV text: UTF-8 (a leading byte-order mark is ignored), a
    header row naming the columns of CSV_COLUMNS (valid_until may be left out), one
    standard a row; cells are trimmed, and an empty valid_until means open-ended."""
    reader = csv.DictReader(io.StringIO(content.removeprefix("\ufeff"), newline=""))
    try:
        header = reader.fieldnames or []
        unknown = [c for c in header if c not in CSV_COLUMNS]
        if unknown:
            raise CreditDataError(f"standards CSV: unknown column {unknown[0]!r}")
        if len(set(header)) != len(header):
            raise CreditDataError("standards CSV: a column appears twice")
        missing = [c for c in CSV_COLUMNS if c not in header and c not in _CSV_OPTIONAL]
        if missing:
            raise CreditDataError(f"standards CSV: column {missing[0]!r} is missing")
        rows = []
        for row in reader:
            if len(rows) >= MAX_STANDARDS:
                raise CreditDataError(f"standards CSV: more than {MAX_STANDARDS} rows")
            rows.append(_from_row(row, f"standards CSV row {reader.line_num}", framework))
    except csv.Error as exc:
        raise CreditDataError(f"standards CSV: {exc}") from None
    return _catalog(rows, framework.id if framework else None)


def _from_row(row: Mapping[str | None, Any], where: str, framework: Framework | None
              ) -> Standard:
    if None in row:
        raise CreditDataError(f"{where}: more cells than columns")
    cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
    obj: dict[str, Any] = {
        "code": cells["code"], "version": cells["version"],
        "title": {"zh": cells["title_zh"], "en": cells["title_en"]},
        "sector": cells["sector"], "level": cells["level"], "credits": cells["credits"],
        "unit": cells["unit"], "validFrom": cells["valid_from"],
    }
    if cells.get("valid_until"):
        obj["validUntil"] = cells["valid_until"]
    try:
        return parse_standard(obj, where, framework=framework)
    except CreditDataError as exc:  # name the columns, not the JSON members
        message = str(exc)
        for member, column in _CSV_NAMES:
            message = message.replace(member, column)
        raise type(exc)(message.replace(f"{where}.", f"{where}: ")) from None


def _catalog(standards: Iterable[Standard], framework: str | None) -> StandardCatalog:
    ordered = sorted(standards, key=lambda s: (s.code, s.window.start, s.version))
    for i, standard in enumerate(ordered):
        for other in ordered[i + 1:]:
            if other.code != standard.code:
                break
            if other.version == standard.version:
                raise CreditDataError(
                    f"standards: {standard.code} version {standard.version} appears twice")
            if other.window.overlaps(standard.window):
                raise CreditDataError(f"standards: versions {standard.version} and "
                                      f"{other.version} of {standard.code} overlap in time")
    return StandardCatalog(tuple(ordered), framework)
