"""What an employer asks of a job seeker's credentials: a small JSON language, and judging it
(docs/presentations.md §2). Data plus pure functions, no I/O: the service and the offline
verifier judge a presentation the same way.

A requirement is one JSON object with an ``id`` (``[A-Za-z0-9_-]{1,32}``) and a ``kind``:

* ``achievement``: a named achievement, ``name`` (contained in the achievement's name)
  and/or ``humanCode`` (equal), optionally at ``minLevel`` or above;
* ``credits``: at least ``min`` credits of ``unit`` (``credit``, ``hour``, ``point``) in a
  ``field``, summed over the credentials whose ``fieldOfStudy`` or achievement name contains
  the field;
* ``accredited``: any credential from an accredited institution, optionally at
  ``minLevel`` or above.

Levels are the strings of ``achievement.level``. Given the qualification framework, two
levels that are both its codes compare by rank; otherwise two levels that are both
numbers compare as numbers; anything else is not comparable and the requirement is not met
by that credential (never guessed). Each kind names the JSON pointers it needs disclosed
(:func:`pointers`), and the holder's name lives at the ``name`` identifier
(:func:`name_pointer`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .credit.framework import Framework
from .errors import CredentialFormatError

KINDS = ("achievement", "credits", "accredited")
UNITS = ("credit", "hour", "point")
MAX_REQUIREMENTS = 10
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TEXT_MAX = 100

ACHIEVEMENT = "/credentialSubject/achievement"
NAME = f"{ACHIEVEMENT}/name"
HUMAN_CODE = f"{ACHIEVEMENT}/humanCode"
LEVEL = f"{ACHIEVEMENT}/level"
FIELD = f"{ACHIEVEMENT}/fieldOfStudy"
UNIT = f"{ACHIEVEMENT}/creditUnit"
CREDITS = "/credentialSubject/creditsEarned"
IDENTIFIERS = "/credentialSubject/identifier"


class RequirementError(CredentialFormatError):
    """A requirement that does not follow the language; the message names it."""


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: str
    name: str | None = None
    human_code: str | None = None
    field: str | None = None
    unit: str | None = None
    minimum: Decimal | None = None  # credits
    min_level: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        for key, value in (("name", self.name), ("humanCode", self.human_code),
                           ("field", self.field), ("unit", self.unit),
                           ("minLevel", self.min_level)):
            if value is not None:
                out[key] = value
        if self.minimum is not None:
            out["min"] = int(self.minimum) if self.minimum == self.minimum.to_integral() \
                else float(self.minimum)
        return out


def _text(raw: dict[str, Any], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > _TEXT_MAX:
        raise RequirementError(f"{where}: {key} must be a text of 1 to {_TEXT_MAX} characters")
    return value.strip()


_ALLOWED = {"achievement": {"name", "humanCode", "minLevel"},
            "credits": {"field", "unit", "min"},
            "accredited": {"minLevel"}}


def parse_requirement(raw: Any, position: int = 0) -> Requirement:
    where = f"requirement {position + 1}"
    if not isinstance(raw, dict):
        raise RequirementError(f"{where}: not an object")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise RequirementError(f"{where}: kind must be one of {', '.join(KINDS)}")
    rid = raw.get("id")
    if not isinstance(rid, str) or not _ID.fullmatch(rid):
        raise RequirementError(f"{where}: id must match [A-Za-z0-9_-]{{1,32}}")
    unknown = sorted(set(raw) - {"id", "kind"} - _ALLOWED[kind])
    if unknown:
        raise RequirementError(f"{where}: {kind} takes no {', '.join(unknown)}")
    level = _text(raw, "minLevel", where)
    if kind == "achievement":
        name, code = _text(raw, "name", where), _text(raw, "humanCode", where)
        if name is None and code is None:
            raise RequirementError(f"{where}: an achievement needs a name or a humanCode")
        return Requirement(rid, kind, name=name, human_code=code, min_level=level)
    if kind == "accredited":
        return Requirement(rid, kind, min_level=level)
    field_text = _text(raw, "field", where)
    if field_text is None:
        raise RequirementError(f"{where}: credits need a field")
    unit = raw.get("unit")
    if unit not in UNITS:
        raise RequirementError(f"{where}: unit must be one of {', '.join(UNITS)}")
    minimum = raw.get("min")
    if isinstance(minimum, bool) or not isinstance(minimum, int | float) or \
            not 0 < minimum <= 100_000:
        raise RequirementError(f"{where}: min must be a number above 0, at most 100000")
    return Requirement(rid, kind, field=field_text, unit=unit,
                       minimum=Decimal(str(minimum)))


def parse_requirements(raw: Any) -> tuple[Requirement, ...]:
    """A list of 1 to MAX_REQUIREMENTS requirements with distinct ids."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_REQUIREMENTS:
        raise RequirementError(f"requirements must be a list of 1 to {MAX_REQUIREMENTS}")
    parsed = tuple(parse_requirement(r, i) for i, r in enumerate(raw))
    if len({r.id for r in parsed}) != len(parsed):
        raise RequirementError("requirement ids must be distinct")
    return parsed


# ---- what each requirement needs disclosed -------------------------------------------------

def pointers(requirement: Requirement) -> tuple[str, ...]:
    """The JSON pointers a credential must disclose to be judged against ``requirement``
    (the achievement's name is mandatory in every copy, docs/format.md §6.3)."""
    if requirement.kind == "achievement":
        wanted = [NAME]
        if requirement.human_code is not None:
            wanted.append(HUMAN_CODE)
        if requirement.min_level is not None:
            wanted.append(LEVEL)
        return tuple(wanted)
    if requirement.kind == "credits":
        return (NAME, FIELD, UNIT, CREDITS)
    return (NAME, LEVEL) if requirement.min_level is not None else (NAME,)


def name_pointer(document: dict[str, Any]) -> str | None:
    """The pointer of the holder's name identifier (``identityType`` ``name``), if any."""
    subject = document.get("credentialSubject")
    identifiers = subject.get("identifier") if isinstance(subject, dict) else None
    for i, entry in enumerate(identifiers if isinstance(identifiers, list) else []):
        if isinstance(entry, dict) and entry.get("identityType") == "name" and \
                entry.get("hashed") is False:
            return f"{IDENTIFIERS}/{i}"
    return None


def holder_name(document: dict[str, Any]) -> str | None:
    """The holder's name as the credential discloses it, or None."""
    pointer = name_pointer(document)
    if pointer is None:
        return None
    entry = document["credentialSubject"]["identifier"][int(pointer.rsplit("/", 1)[1])]
    name = entry.get("identityHash")
    return name if isinstance(name, str) else None


# ---- judging --------------------------------------------------------------------------------

def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _get(document: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        if not isinstance(document, dict) or token not in document:
            return None
        document = document[token]
    return document


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def level_at_least(level: Any, minimum: str, framework: Framework | None) -> bool | None:
    """Whether ``level`` is ``minimum`` or above: by the framework's rank when both are its
    codes, else as numbers when both are numbers; None when they cannot be compared."""
    if not isinstance(level, str):
        return None
    if framework is not None and framework.find(level) and framework.find(minimum):
        return framework.at_least(level, minimum)
    a, b = _number(level), _number(minimum)
    if a is None or b is None:
        return None
    return a >= b


@dataclass(frozen=True)
class Evidence:
    credential: str  # the credential's id
    pointer: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        return {"credential": self.credential, "pointer": self.pointer, "value": self.value}


@dataclass(frozen=True)
class Judgement:
    requirement: Requirement
    met: bool
    detail: str
    evidence: tuple[Evidence, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"requirement": self.requirement.id, "kind": self.requirement.kind,
                "met": self.met, "detail": self.detail,
                "evidence": [e.to_json() for e in self.evidence]}


def _quote(document: dict[str, Any], pointer: str) -> Evidence:
    return Evidence(str(document.get("id")), pointer, _get(document, pointer))


def _level_ok(requirement: Requirement, document: dict[str, Any],
              framework: Framework | None) -> tuple[bool, str]:
    if requirement.min_level is None:
        return True, ""
    level = _get(document, LEVEL)
    judged = level_at_least(level, requirement.min_level, framework)
    if judged is None:
        return False, (f"level {level!r} cannot be compared with {requirement.min_level!r}"
                       if level is not None else "no level disclosed")
    return judged, "" if judged else f"level {level} is below {requirement.min_level}"


def matches(requirement: Requirement, document: dict[str, Any],
            framework: Framework | None = None) -> tuple[bool, str]:
    """Whether one credential satisfies an achievement or accredited requirement, or counts
    towards a credits requirement (its figure not yet summed); and why not."""
    name = _get(document, NAME)
    if requirement.kind == "achievement":
        if requirement.name is not None and not (
                isinstance(name, str) and _fold(requirement.name) in _fold(name)):
            return False, f"the achievement is not {requirement.name}"
        if requirement.human_code is not None and (
                _get(document, HUMAN_CODE) != requirement.human_code):
            return False, f"the code is not {requirement.human_code}"
        return _level_ok(requirement, document, framework)
    if requirement.kind == "accredited":
        return _level_ok(requirement, document, framework)
    assert requirement.field is not None
    wanted = _fold(requirement.field)
    subject = _get(document, FIELD)
    in_field = any(isinstance(t, str) and wanted in _fold(t) for t in (subject, name))
    if not in_field:
        return False, f"not in {requirement.field}"
    if _get(document, UNIT) != requirement.unit:
        return False, f"no figure in {requirement.unit}"
    figure = _get(document, CREDITS)
    if isinstance(figure, bool) or not isinstance(figure, int | float):
        return False, "no credits disclosed"
    return True, ""


def judge(requirement: Requirement, documents: Sequence[dict[str, Any]],
          trusted: Callable[[dict[str, Any]], bool],
          framework: Framework | None = None,
          accredited: Callable[[dict[str, Any]], bool] | None = None) -> Judgement:
    """Judge ``requirement`` over the disclosed ``documents``; only those ``trusted`` (their
    verdict as credentials: verified, with any gap the asker accepted) count, and for an
    ``accredited`` requirement only those whose issuer was shown accredited (an accepted
    "issuer unknown" gap is not accreditation)."""
    usable = [d for d in documents if trusted(d)]
    if requirement.kind == "accredited" and accredited is not None:
        usable = [d for d in usable if accredited(d)]
    if requirement.kind == "credits":
        total = Decimal(0)
        evidence: list[Evidence] = []
        for document in usable:
            ok, _ = matches(requirement, document, framework)
            if ok:
                total += Decimal(str(_get(document, CREDITS)))
                evidence += [_quote(document, p) for p in (NAME, FIELD, CREDITS)
                             if _get(document, p) is not None]
        assert requirement.minimum is not None
        met = total >= requirement.minimum
        return Judgement(requirement, met,
                         f"{_plain(total)} {requirement.unit} in {requirement.field} "
                         f"({'at least' if met else 'below'} {_plain(requirement.minimum)})",
                         tuple(evidence))
    reasons: list[str] = []
    for document in usable:
        ok, why = matches(requirement, document, framework)
        if ok:
            quoted = [p for p in pointers(requirement) if _get(document, p) is not None]
            return Judgement(requirement, True, f"met by {document.get('id')}",
                             tuple(_quote(document, p) for p in quoted))
        reasons.append(why)
    if not usable:
        return Judgement(requirement, False, "no verified credential was presented for it"
                         if requirement.kind != "accredited" else
                         "no verified credential from an accredited issuer was presented")
    return Judgement(requirement, False, "; ".join(dict.fromkeys(reasons)))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value != value.to_integral() else str(int(value))


def judge_all(requirements: Iterable[Requirement], documents: Sequence[dict[str, Any]],
              trusted: Callable[[dict[str, Any]], bool],
              framework: Framework | None = None,
              accredited: Callable[[dict[str, Any]], bool] | None = None
              ) -> tuple[Judgement, ...]:
    return tuple(judge(r, documents, trusted, framework, accredited) for r in requirements)
