"""A qualification framework: ordered levels with codes, names, and their alignment to
other frameworks such as the EQF (docs/creditbank.md §3)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import _read
from .common import Names, canonical_bytes, hex32
from .errors import CreditDataError, UnknownLevel

TYPE = "CredbankQualificationFramework"
MAX_LEVELS = 100


@dataclass(frozen=True)
class Level:
    code: str
    rank: int  # the order: a higher rank is a higher level
    name: Names
    alignments: tuple[tuple[str, str], ...] = ()  # (other framework, its level), sorted

    @property
    def aligned(self) -> Mapping[str, str]:
        return dict(self.alignments)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "rank": self.rank, "name": self.name.to_json()}
        if self.alignments:
            out["alignments"] = dict(self.alignments)
        return out


@dataclass(frozen=True)
class Framework:
    id: str
    version: str
    name: Names
    levels: tuple[Level, ...]  # by rank, lowest first

    def find(self, code: str) -> Level | None:
        for level in self.levels:
            if level.code == code:
                return level
        return None

    def level(self, code: str) -> Level:
        """The level with this code; an unknown code is an error."""
        found = self.find(code)
        if found is None:
            raise UnknownLevel(f"level {code!r} is not a level of framework {self.id}")
        return found

    def compare(self, a: str, b: str) -> int:
        """-1, 0 or 1 as level `a` is below, equal to or above level `b`."""
        ra, rb = self.level(a).rank, self.level(b).rank
        return (ra > rb) - (ra < rb)

    def at_least(self, code: str, minimum: str) -> bool:
        return self.compare(code, minimum) >= 0

    def aligned(self, code: str, other: str) -> str | None:
        """The level of another framework (e.g. "EQF") that this level aligns to."""
        return self.level(code).aligned.get(other)

    def to_json(self) -> dict[str, Any]:
        return {"type": TYPE, "id": self.id, "version": self.version,
                "name": self.name.to_json(), "levels": [lv.to_json() for lv in self.levels]}

    def canonical(self) -> bytes:
        return canonical_bytes(self.to_json())

    def hash(self) -> str:
        return hex32(self.canonical())


def parse_framework(raw: Any) -> Framework:
    """Read a framework document (parsed JSON or JSON text). Raises CreditDataError."""
    doc = _read.document(raw, TYPE, "framework")
    _read.members(doc, "framework", ("type", "id", "version", "name", "levels"))
    levels: list[Level] = []
    for i, item in enumerate(_read.array(doc["levels"], "framework.levels", limit=MAX_LEVELS)):
        where = f"framework.levels[{i}]"
        obj = _read.members(item, where, ("code", "rank", "name"), ("alignments",))
        alignments = obj.get("alignments", {})
        if not isinstance(alignments, dict) or len(alignments) > 50:
            raise CreditDataError(f"{where}.alignments must be an object of at most 50 members")
        pairs = tuple(sorted(
            (_read.text(other, f"{where}.alignments key"),
             _read.text(code, f"{where}.alignments.{other}"))
            for other, code in alignments.items()))
        levels.append(Level(_read.text(obj["code"], f"{where}.code"),
                            _read.count(obj["rank"], f"{where}.rank"),
                            _read.names(obj["name"], f"{where}.name"), pairs))
    for attribute in ("code", "rank"):
        seen: set[object] = set()
        for level in levels:
            value = getattr(level, attribute)
            if value in seen:
                raise CreditDataError(f"framework.levels: {attribute} {value!r} appears twice")
            seen.add(value)
    return Framework(_read.text(doc["id"], "framework.id"),
                     _read.text(doc["version"], "framework.version"),
                     _read.names(doc["name"], "framework.name"),
                     tuple(sorted(levels, key=lambda lv: lv.rank)))
