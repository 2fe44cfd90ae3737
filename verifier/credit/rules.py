"""Conversion rule sets (学分转换规则): which sources count, toward what, under which caps
(docs/creditbank.md §5).

A rule set is data. `parse_rule_set` reads it strictly; `RuleSet.to_json` writes it back
normalized, and `canonical()` (RFC 8785 of that) and `hash()` (SHA-256 of the canonical
bytes, hex32) let a decision cite exactly the rules in force. Evaluation is in evaluate.py.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any

from . import _read
from .common import Names, Window, canonical_bytes, hex32
from .errors import CreditDataError
from .units import Sector, Unit, value_text

TYPE = "CredbankRuleSet"
MAX_RULES = 1000
MAX_COURSES = 1000
MAX_ISSUERS = 1000
MAX_SCALE = 100
_AGE = re.compile(r"^P([1-9][0-9]{0,3})([YMD])$")
_SCORE = re.compile(r"^[0-9]+(\.[0-9]+)?$")


class Destination(StrEnum):
    PROGRAMME = "programme"  # the owner's programme: course credits and exemptions
    BANK = "bank"  # the learner's credit-bank total


class TargetKind(StrEnum):
    EXEMPTION = "exemption"  # 免修: a course of the programme need not be taken
    COURSE_CREDITS = "courseCredits"  # credits in a named course of the programme
    BANK_CREDITS = "bankCredits"  # credit-bank credits: value, unit and sector


class OwnerKind(StrEnum):
    AUTHORITY = "authority"
    PROGRAMME = "programme"


@dataclass(frozen=True)
class Owner:
    kind: OwnerKind
    id: str  # the authority's DID, or the institution's
    programme: str | None = None  # the programme's id, when an institution's programme owns it

    def to_json(self) -> dict[str, str]:
        out = {"type": self.kind.value, "id": self.id}
        if self.programme is not None:
            out["programme"] = self.programme
        return out


@dataclass(frozen=True)
class Course:
    code: str
    name: Names
    credits: Fraction  # in the programme's credits (unit credit, the programme's sector)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name.to_json(),
                "credits": value_text(self.credits)}


@dataclass(frozen=True)
class Caps:
    credits: Fraction | None = None  # credits recognised into the programme, exemptions included
    exemptions: int | None = None  # courses exempted

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.credits is not None:
            out["credits"] = value_text(self.credits)
        if self.exemptions is not None:
            out["exemptions"] = self.exemptions
        return out


@dataclass(frozen=True)
class Programme:
    id: str
    institution: str  # DID
    name: Names
    sector: Sector
    courses: tuple[Course, ...]  # by code
    caps: Caps = Caps()

    def course(self, code: str) -> Course:
        for course in self.courses:
            if course.code == code:
                return course
        raise KeyError(code)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "institution": self.institution,
                               "name": self.name.to_json(), "sector": self.sector.value,
                               "courses": [c.to_json() for c in self.courses]}
        if self.caps.to_json():
            out["caps"] = self.caps.to_json()
        return out


@dataclass(frozen=True)
class MinResult:
    """A numeric score of at least `score`, or a grade at or above `grade` on `scale`
    (listed from the lowest grade to the highest). Met when any of a source's result values
    meets it."""

    score: Fraction | None = None
    grade: str | None = None
    scale: tuple[str, ...] = ()

    def met_by(self, results: Iterable[str]) -> bool:
        for raw in results:
            value = raw.strip()
            if self.score is not None:
                if value.isascii() and _SCORE.match(value) and \
                        Fraction(Decimal(value)) >= self.score:
                    return True
            elif value in self.scale and \
                    self.scale.index(value) >= self.scale.index(self.grade or ""):
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        if self.score is not None:
            return {"score": value_text(self.score)}
        return {"grade": self.grade, "scale": list(self.scale)}


@dataclass(frozen=True)
class MaxAge:
    """How old a source may be at the decision date: n years, months or days (P5Y, P18M,
    P90D) after its issue date, that last day included."""

    amount: int
    unit: str  # "Y", "M" or "D"

    def last_day(self, issued: date) -> date:
        if self.unit == "D":
            return issued + timedelta(days=self.amount)
        months = issued.month - 1 + self.amount * (12 if self.unit == "Y" else 1)
        year, month = issued.year + months // 12, months % 12 + 1
        return date(year, month, min(issued.day, calendar.monthrange(year, month)[1]))

    def __str__(self) -> str:
        return f"P{self.amount}{self.unit}"


@dataclass(frozen=True)
class Match:
    """Which sources a rule is about (standard, achievement type, sector: every one given
    must match) and what they must meet (issuers, result, age)."""

    standard: str | None = None
    achievement_type: str | None = None
    sector: Sector | None = None
    issuers: tuple[str, ...] | None = None  # institution DIDs, sorted; None: any issuer
    min_result: MinResult | None = None
    max_age: MaxAge | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.standard is not None:
            out["standard"] = self.standard
        if self.achievement_type is not None:
            out["achievementType"] = self.achievement_type
        if self.sector is not None:
            out["sector"] = self.sector.value
        if self.issuers is not None:
            out["issuers"] = list(self.issuers)
        if self.min_result is not None:
            out["minResult"] = self.min_result.to_json()
        if self.max_age is not None:
            out["maxAge"] = str(self.max_age)
        return out


@dataclass(frozen=True)
class Rate:
    """Per source figure: every whole `each` of the source's value in unit `source_unit`
    gives `gives` (每满 each 计 gives)."""

    source_unit: Unit
    each: Fraction
    gives: Fraction

    def apply(self, value: Fraction) -> Fraction:
        return (value // self.each) * self.gives

    def to_json(self) -> dict[str, str]:
        return {"from": self.source_unit.value, "each": value_text(self.each),
                "gives": value_text(self.gives)}


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    course: str | None = None  # exemption, courseCredits
    value: Fraction | None = None  # a fixed value (courseCredits, bankCredits) ...
    rate: Rate | None = None  # ... or one from the source's figure
    unit: Unit | None = None  # bankCredits
    sector: Sector | None = None  # bankCredits

    @property
    def destination(self) -> Destination:
        return Destination.BANK if self.kind is TargetKind.BANK_CREDITS \
            else Destination.PROGRAMME

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind.value}
        if self.course is not None:
            out["course"] = self.course
        if self.unit is not None and self.sector is not None:
            out["unit"], out["sector"] = self.unit.value, self.sector.value
        if self.value is not None:
            out["value"] = value_text(self.value)
        if self.rate is not None:
            out["rate"] = self.rate.to_json()
        return out


@dataclass(frozen=True)
class Rule:
    id: str
    match: Match
    grant: Target
    name: Names | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            out["name"] = self.name.to_json()
        out["match"] = self.match.to_json()
        out["grant"] = self.grant.to_json()
        return out


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    owner: Owner
    window: Window
    rules: tuple[Rule, ...]  # in the order written: the first matching rule wins
    programme: Programme | None = None

    def in_force(self, day: date) -> bool:
        return self.window.covers(day)

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": TYPE, "id": self.id, "version": self.version,
                               "owner": self.owner.to_json(), **self.window.to_json()}
        if self.programme is not None:
            out["programme"] = self.programme.to_json()
        out["rules"] = [rule.to_json() for rule in self.rules]
        return out

    def canonical(self) -> bytes:
        """RFC 8785 bytes of the normalized rule set: the same for any member order,
        whitespace or number spelling of the document it was read from."""
        return canonical_bytes(self.to_json())

    def hash(self) -> str:
        return hex32(self.canonical())


# ---- reading ---------------------------------------------------------------------------

def parse_rule_set(raw: Any) -> RuleSet:
    """Read a rule set (parsed JSON or JSON text). Raises CreditDataError, one line."""
    doc = _read.document(raw, TYPE, "rule set")
    _read.members(doc, "rule set", ("type", "id", "version", "owner", "validFrom", "rules"),
                  ("validUntil", "programme"))
    owner = _owner(doc["owner"])
    programme = _programme(doc["programme"]) if "programme" in doc else None
    if owner.kind is OwnerKind.PROGRAMME and (
            programme is None or programme.id != owner.programme
            or programme.institution != owner.id):
        raise CreditDataError("rule set: an owning programme must be the rule set's programme")
    rules = tuple(_rule(item, f"rules[{i}]", programme) for i, item in
                  enumerate(_read.array(doc["rules"], "rule set.rules", limit=MAX_RULES)))
    ids = [rule.id for rule in rules]
    for i, rule_id in enumerate(ids):
        if rule_id in ids[:i]:
            raise CreditDataError(f"rules[{i}].id {rule_id!r} appears twice")
    if owner.kind is OwnerKind.PROGRAMME:
        for i, rule in enumerate(rules):
            if rule.grant.kind is TargetKind.BANK_CREDITS:
                raise CreditDataError(
                    f"rules[{i}].grant: only the authority's rule sets grant bank credits")
    return RuleSet(_read.text(doc["id"], "rule set.id", 2000),
                   _read.text(doc["version"], "rule set.version"), owner,
                   _read.window(doc, "rule set"), rules, programme)


def _owner(raw: Any) -> Owner:
    kind = _read.choice(_read.members(raw, "owner", ("type",), ("id", "programme"))["type"],
                        OwnerKind, "owner.type")
    if kind is OwnerKind.AUTHORITY:
        obj = _read.members(raw, "owner", ("type", "id"))
        return Owner(kind, _read.did(obj["id"], "owner.id"))
    obj = _read.members(raw, "owner", ("type", "id", "programme"))
    return Owner(kind, _read.did(obj["id"], "owner.id"),
                 _read.text(obj["programme"], "owner.programme"))


def _programme(raw: Any) -> Programme:
    obj = _read.members(raw, "programme", ("id", "institution", "name", "sector", "courses"),
                        ("caps",))
    courses = []
    for i, item in enumerate(_read.array(obj["courses"], "programme.courses",
                                         limit=MAX_COURSES)):
        where = f"programme.courses[{i}]"
        course = _read.members(item, where, ("code", "name", "credits"))
        courses.append(Course(_read.text(course["code"], f"{where}.code"),
                              _read.names(course["name"], f"{where}.name"),
                              _read.amount(course["credits"], f"{where}.credits")))
    codes = sorted(c.code for c in courses)
    for a, b in zip(codes, codes[1:], strict=False):
        if a == b:
            raise CreditDataError(f"programme.courses: course {a!r} appears twice")
    caps = _read.members(obj.get("caps", {}), "programme.caps", (), ("credits", "exemptions"))
    return Programme(
        _read.text(obj["id"], "programme.id"), _read.did(obj["institution"],
                                                         "programme.institution"),
        _read.names(obj["name"], "programme.name"),
        _read.choice(obj["sector"], Sector, "programme.sector"),
        tuple(sorted(courses, key=lambda c: c.code)),
        Caps(_read.amount(caps["credits"], "programme.caps.credits", positive=False)
             if "credits" in caps else None,
             _read.count(caps["exemptions"], "programme.caps.exemptions")
             if "exemptions" in caps else None))


def _rule(raw: Any, where: str, programme: Programme | None) -> Rule:
    obj = _read.members(raw, where, ("id", "match", "grant"), ("name",))
    return Rule(_read.text(obj["id"], f"{where}.id"), _match(obj["match"], f"{where}.match"),
                _target(obj["grant"], f"{where}.grant", programme),
                _read.names(obj["name"], f"{where}.name") if "name" in obj else None)


def _match(raw: Any, where: str) -> Match:
    obj = _read.members(raw, where, (), ("standard", "achievementType", "sector", "issuers",
                                         "minResult", "maxAge"))
    if not {"standard", "achievementType", "sector"} & set(obj):
        raise CreditDataError(f"{where}: name a standard, an achievementType or a sector")
    issuers = None
    if "issuers" in obj:
        listed = [_read.did(d, f"{where}.issuers[{i}]") for i, d in enumerate(
            _read.array(obj["issuers"], f"{where}.issuers", limit=MAX_ISSUERS))]
        if len(set(listed)) != len(listed):
            raise CreditDataError(f"{where}.issuers: an issuer appears twice")
        issuers = tuple(sorted(listed))
    max_age = None
    if "maxAge" in obj:
        found = _AGE.match(obj["maxAge"]) if isinstance(obj["maxAge"], str) else None
        if not found:
            raise CreditDataError(f"{where}.maxAge must be P<n>Y, P<n>M or P<n>D (n 1-9999)")
        max_age = MaxAge(int(found.group(1)), found.group(2))
    return Match(
        _read.text(obj["standard"], f"{where}.standard") if "standard" in obj else None,
        _read.text(obj["achievementType"], f"{where}.achievementType")
        if "achievementType" in obj else None,
        _read.choice(obj["sector"], Sector, f"{where}.sector") if "sector" in obj else None,
        issuers,
        _min_result(obj["minResult"], f"{where}.minResult") if "minResult" in obj else None,
        max_age)


def _min_result(raw: Any, where: str) -> MinResult:
    if isinstance(raw, dict) and "score" in raw:
        obj = _read.members(raw, where, ("score",))
        return MinResult(score=_read.amount(obj["score"], f"{where}.score", positive=False))
    obj = _read.members(raw, where, ("grade", "scale"))
    scale = tuple(_read.text(g, f"{where}.scale[{i}]") for i, g in
                  enumerate(_read.array(obj["scale"], f"{where}.scale", limit=MAX_SCALE)))
    if len(set(scale)) != len(scale):
        raise CreditDataError(f"{where}.scale: a grade appears twice")
    grade = _read.text(obj["grade"], f"{where}.grade")
    if grade not in scale:
        raise CreditDataError(f"{where}.grade {grade!r} is not on the scale")
    return MinResult(grade=grade, scale=scale)


def _target(raw: Any, where: str, programme: Programme | None) -> Target:
    kind = _read.choice(_read.members(raw, where, ("type",), ("course", "value", "rate",
                                                              "unit", "sector"))["type"],
                        TargetKind, f"{where}.type")
    if kind is TargetKind.EXEMPTION:
        obj = _read.members(raw, where, ("type", "course"))
        return Target(kind, course=_course(obj["course"], f"{where}.course", programme))
    if kind is TargetKind.COURSE_CREDITS:
        obj = _read.members(raw, where, ("type", "course"), ("value", "rate"))
        code = _course(obj["course"], f"{where}.course", programme)
        value, rate = _value_or_rate(obj, where)
        if value is not None and programme is not None and \
                value > programme.course(code).credits:
            raise CreditDataError(f"{where}.value is more than course {code}'s credits")
        return Target(kind, course=code, value=value, rate=rate)
    obj = _read.members(raw, where, ("type", "unit", "sector"), ("value", "rate"))
    value, rate = _value_or_rate(obj, where)
    return Target(kind, value=value, rate=rate,
                  unit=_read.choice(obj["unit"], Unit, f"{where}.unit"),
                  sector=_read.choice(obj["sector"], Sector, f"{where}.sector"))


def _course(raw: Any, where: str, programme: Programme | None) -> str:
    code = _read.text(raw, where)
    if programme is None:
        raise CreditDataError(f"{where}: the rule set has no programme")
    if code not in {c.code for c in programme.courses}:
        raise CreditDataError(f"{where}: {code!r} is not a course of the programme")
    return code


def _value_or_rate(obj: dict[str, Any], where: str) -> tuple[Fraction | None, Rate | None]:
    if ("value" in obj) == ("rate" in obj):
        raise CreditDataError(f"{where}: give either a value or a rate")
    if "value" in obj:
        return _read.amount(obj["value"], f"{where}.value"), None
    rate = _read.members(obj["rate"], f"{where}.rate", ("from", "each", "gives"))
    return None, Rate(_read.choice(rate["from"], Unit, f"{where}.rate.from"),
                      _read.amount(rate["each"], f"{where}.rate.each"),
                      _read.amount(rate["gives"], f"{where}.rate.gives"))
