"""Recognition decisions (学分认定/转换决定) as credentials: the member a decision credential
carries in its subject, how it is built from an evaluation, and how it is read back
(docs/creditbank.md §9).

A decision credential is an ordinary credbank credential (docs/format.md): same proofs,
anchoring and status. Its `credentialSubject.recognition` member cites each source
credential (id, claims root, issuer, and how its figure was read), the rule set (id,
version, hash), the decision time, and what the rule set gives toward one destination:
the grants, the sources refused with the rules' reasons, the totals, and for a programme
its caps and exemptions. That last part, `outcome_json`, is written from
`Evaluation.to_json()` alone, so a verifier recomputes it with `evaluate` and compares
canonical JSON (decision_check.py).

A reviewer who approves in part **excludes** sources before evaluation, each with a reason
in words; the grant is then exactly what the rule set gives the included sources, and the
excluded ones are cited (so it is known which credentials were refused) but not evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .. import timefmt
from ..errors import CredentialFormatError
from . import _read
from .common import decision_date
from .errors import CreditDataError
from .evaluate import Evaluation, ReasonCode
from .rules import Destination, RuleSet, TargetKind
from .sources import Source
from .units import Credits, Sector, Unit, value_of

MEMBER = "recognition"  # credentialSubject.<MEMBER>
TYPE = "CredbankRecognitionDecision"
ACHIEVEMENT_TYPE = "ext:CreditRecognition"
MAX_SOURCES = 1000
MAX_REASON = 500  # characters of a reviewer's reason for excluding a source
_HEX32 = re.compile(r"^0x[0-9a-f]{64}$")
# The members recomputed from the evaluation, compared as canonical JSON.
OUTCOME_MEMBERS = ("asOf", "ruleSet", "grants", "refused", "totals")
PROGRAMME_MEMBERS = ("caps", "exemptions")


@dataclass(frozen=True)
class DecisionDestination:
    """Where a decision grants: the credit bank, or one institution's programme."""

    kind: Destination
    institution: str | None = None  # the programme's institution DID
    programme: str | None = None  # the programme's id (its code in the rule set)

    def __post_init__(self) -> None:
        if (self.kind is Destination.PROGRAMME) != (
                self.institution is not None and self.programme is not None):
            raise ValueError("a programme destination names an institution and a programme; "
                             "the bank names neither")

    @classmethod
    def bank(cls) -> DecisionDestination:
        return cls(Destination.BANK)

    @classmethod
    def of_programme(cls, institution: str, programme: str) -> DecisionDestination:
        return cls(Destination.PROGRAMME, institution, programme)

    @classmethod
    def of_rule_set(cls, rule_set: RuleSet) -> DecisionDestination:
        """The programme a rule set converts into (it must have one)."""
        if rule_set.programme is None:
            raise ValueError("the rule set converts into no programme")
        return cls.of_programme(rule_set.programme.institution, rule_set.programme.id)

    def to_json(self) -> dict[str, str]:
        if self.kind is Destination.BANK:
            return {"type": Destination.BANK.value}
        assert self.institution is not None and self.programme is not None
        return {"type": Destination.PROGRAMME.value, "institution": self.institution,
                "programme": self.programme}


@dataclass(frozen=True)
class CitedSource:
    """A source credential as the decision cites it, and how its figure was read (the
    arguments `source_from_credential` was given: the standard it meets, the unit and the
    sector of its figure), so the reading is repeated exactly."""

    id: str
    claims_root: str  # hex32
    issuer: str  # institution DID (credentialStatus.statusIssuer)
    standard: str | None = None
    unit: Unit | None = None
    sector: Sector | None = None

    @classmethod
    def of(cls, source: Source) -> CitedSource:
        if source.claims_root is None:
            raise ValueError(f"source {source.credential_id} has no claims root")
        return cls(source.credential_id, source.claims_root, source.issuer, source.standard,
                   source.credits.unit if source.credits is not None else None, source.sector)

    def to_json(self) -> dict[str, str]:
        out = {"id": self.id, "claimsRoot": self.claims_root, "issuer": self.issuer}
        if self.standard is not None:
            out["standard"] = self.standard
        if self.unit is not None:
            out["creditUnit"] = self.unit.value
        if self.sector is not None:
            out["sector"] = self.sector.value
        return out


@dataclass(frozen=True)
class Exclusion:
    source: str  # a cited source's id
    reason: str  # the reviewer's reason, in words

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "reason": self.reason}


@dataclass(frozen=True)
class Recognition:
    """A decision member as read (parse_recognition)."""

    raw: dict[str, Any]
    destination: DecisionDestination
    decided: datetime
    as_of: date
    rule_set_id: str
    rule_set_version: str
    rule_set_hash: str
    sources: tuple[CitedSource, ...]
    excluded: tuple[Exclusion, ...]
    partial: bool

    @property
    def included(self) -> tuple[CitedSource, ...]:
        """The sources evaluated: every cited source the reviewer did not exclude."""
        out = {e.source for e in self.excluded}
        return tuple(s for s in self.sources if s.id not in out)

    def source(self, credential_id: str) -> CitedSource:
        for cited in self.sources:
            if cited.id == credential_id:
                return cited
        raise KeyError(credential_id)

    def granted(self) -> list[Credits]:
        """The figures the decision granted, one per grant (to add with Totals)."""
        return [Credits(value_of(g["credits"]["value"]), Unit(g["credits"]["unit"]),
                        Sector(g["credits"]["sector"])) for g in self.raw["grants"]]

    @property
    def toward_bank(self) -> bool:
        return self.destination.kind is Destination.BANK

    def outcome(self) -> dict[str, Any]:
        """The members recomputed from an evaluation, as written in the decision."""
        names = OUTCOME_MEMBERS + (PROGRAMME_MEMBERS if self.destination.kind
                                   is Destination.PROGRAMME else ())
        return {name: self.raw[name] for name in names}


# ---- building ---------------------------------------------------------------------------


def outcome_json(evaluation: Evaluation, destination: DecisionDestination) -> dict[str, Any]:
    """What the evaluation gives toward the destination, written from `to_json()`: the
    members a verifier recomputes (OUTCOME_MEMBERS, and for a programme its caps and
    exemptions)."""
    full = evaluation.to_json()
    side = destination.kind.value
    grants, refused = [], []
    for entry in full["sources"]:
        outcome = entry[side]
        if outcome["granted"] is not None:
            grants.append({"source": entry["credential"], **outcome["granted"]})
        else:
            refused.append({"source": entry["credential"], "reasons": outcome["reasons"]})
    out: dict[str, Any] = {"asOf": full["asOf"], "ruleSet": full["ruleSet"],
                           "grants": grants, "refused": refused,
                           "totals": full["totals"][side]}
    if destination.kind is Destination.PROGRAMME:
        out["caps"] = full["caps"]
        out["exemptions"] = full["exemptions"]
    return out


def decision_subject(evaluation: Evaluation, *, destination: DecisionDestination,
                     decided: datetime,
                     excluded: Iterable[tuple[Source, str]] = ()) -> dict[str, Any]:
    """The `recognition` member of a decision credential's subject.

    `evaluation` is `evaluate(rule_set, included, as_of=decided)` over the sources the
    reviewer included (each read with `source_from_credential` from a verified credential);
    `excluded` the sources the reviewer refused before evaluation, each with a reason in
    words. `decided` (an aware datetime) is the decision time; its day in China Standard
    Time must be the evaluation's. Raises ValueError when the evaluation cannot be cited
    exactly (a source given twice, a source without claims root) or grants nothing toward
    the destination: a decision approves something."""
    if decided.tzinfo is None or decided.utcoffset() is None:
        raise ValueError("the decision time needs a time zone")
    if decision_date(decided) != evaluation.as_of:
        raise ValueError("the evaluation was made for another day than the decision time's")
    included = [o.source for o in evaluation.outcomes]
    cited = [CitedSource.of(s) for s in included]
    exclusions = []
    for source, reason in excluded:
        cited.append(CitedSource.of(source))
        exclusions.append(Exclusion(source.credential_id, _read.text(
            reason, "the reason for excluding a source", MAX_REASON)))
    ids = [c.id for c in cited]
    if len(set(ids)) != len(ids):
        raise ValueError("a source credential is given twice (included or excluded)")
    outcome = outcome_json(evaluation, destination)
    if not outcome["grants"]:
        raise ValueError("the evaluation grants nothing toward the destination")
    member: dict[str, Any] = {
        "type": TYPE,
        "destination": destination.to_json(),
        "decided": timefmt.format(decided),
        "sources": [c.to_json() for c in sorted(cited, key=lambda c: c.id)],
        "excluded": [e.to_json() for e in sorted(exclusions, key=lambda e: e.source)],
        "partial": bool(exclusions),
        **outcome,
    }
    parse_recognition(member)  # what is written reads back
    return member


# ---- reading ----------------------------------------------------------------------------


def parse_recognition(raw: Any) -> Recognition:
    """Read a `recognition` member strictly. Raises CreditDataError naming the member.
    The recomputed members are checked for shape here, and for content by recomputing."""
    where = MEMBER
    obj = _read.members(raw, where, ("type", "destination", "decided", "sources", "excluded",
                                     "partial") + OUTCOME_MEMBERS, PROGRAMME_MEMBERS)
    if obj["type"] != TYPE:
        raise CreditDataError(f"{where}.type must be {TYPE!r}")
    destination = _destination(obj["destination"])
    try:
        decided = timefmt.parse(obj["decided"], f"{where}.decided")
    except CredentialFormatError as exc:
        raise CreditDataError(str(exc)) from None
    as_of = _read.day(obj["asOf"], f"{where}.asOf")
    if decision_date(decided) != as_of:
        raise CreditDataError(f"{where}.asOf must be the day of {where}.decided in China "
                              "Standard Time")
    rule_set = _read.members(obj["ruleSet"], f"{where}.ruleSet", ("id", "version", "hash"))
    rule_set_hash = _hex32(rule_set["hash"], f"{where}.ruleSet.hash")
    sources = tuple(_cited(item, f"{where}.sources[{i}]") for i, item in enumerate(
        _read.array(obj["sources"], f"{where}.sources", limit=MAX_SOURCES)))
    ids = [s.id for s in sources]
    if len(set(ids)) != len(ids):
        raise CreditDataError(f"{where}.sources: a source is cited twice")
    excluded = tuple(_exclusion(item, f"{where}.excluded[{i}]", ids) for i, item in enumerate(
        _read.array(obj["excluded"], f"{where}.excluded", limit=MAX_SOURCES, empty=True)))
    if len({e.source for e in excluded}) != len(excluded):
        raise CreditDataError(f"{where}.excluded: a source is excluded twice")
    if obj["partial"] is not bool(excluded):
        raise CreditDataError(f"{where}.partial must be true exactly when a source is "
                              "excluded")
    included = set(ids) - {e.source for e in excluded}
    if not included:
        raise CreditDataError(f"{where}: every source is excluded")
    is_programme = destination.kind is Destination.PROGRAMME
    if is_programme != all(name in obj for name in PROGRAMME_MEMBERS) or (
            not is_programme and any(name in obj for name in PROGRAMME_MEMBERS)):
        raise CreditDataError(f"{where}: caps and exemptions are written for a programme, "
                              "and only for one")
    _outcome_shape(obj, where, included, destination)
    return Recognition(raw, destination, decided, as_of,
                       _read.text(rule_set["id"], f"{where}.ruleSet.id", 2000),
                       _read.text(rule_set["version"], f"{where}.ruleSet.version"),
                       rule_set_hash, sources, excluded, obj["partial"])


def recognition_of(document: Mapping[str, Any]) -> Recognition:
    """The decision member of a credential document, which must be a decision credential
    (achievementType ext:CreditRecognition and a `recognition` member)."""
    subject = document.get("credentialSubject")
    if not isinstance(subject, dict) or MEMBER not in subject:
        raise CreditDataError(f"credentialSubject.{MEMBER} is missing: not a decision "
                              "credential")
    achievement = subject.get("achievement")
    if not isinstance(achievement, dict) or achievement.get("achievementType") != \
            ACHIEVEMENT_TYPE:
        raise CreditDataError(f"a decision credential's achievementType is {ACHIEVEMENT_TYPE}")
    return parse_recognition(subject[MEMBER])


def _hex32(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not _HEX32.match(raw):
        raise CreditDataError(f"{where} must be 0x and 64 lowercase hex digits")
    return raw


def _destination(raw: Any) -> DecisionDestination:
    where = f"{MEMBER}.destination"
    kind = _read.choice(_read.members(raw, where, ("type",), ("institution", "programme"))
                        ["type"], Destination, f"{where}.type")
    if kind is Destination.BANK:
        _read.members(raw, where, ("type",))
        return DecisionDestination.bank()
    obj = _read.members(raw, where, ("type", "institution", "programme"))
    return DecisionDestination.of_programme(_read.did(obj["institution"], f"{where}.institution"),
                                            _read.text(obj["programme"], f"{where}.programme"))


def _cited(raw: Any, where: str) -> CitedSource:
    obj = _read.members(raw, where, ("id", "claimsRoot", "issuer"),
                        ("standard", "creditUnit", "sector"))
    return CitedSource(
        _read.text(obj["id"], f"{where}.id", 2000),
        _hex32(obj["claimsRoot"], f"{where}.claimsRoot"),
        _read.did(obj["issuer"], f"{where}.issuer"),
        _read.text(obj["standard"], f"{where}.standard") if "standard" in obj else None,
        _read.choice(obj["creditUnit"], Unit, f"{where}.creditUnit")
        if "creditUnit" in obj else None,
        _read.choice(obj["sector"], Sector, f"{where}.sector") if "sector" in obj else None)


def _exclusion(raw: Any, where: str, cited: list[str]) -> Exclusion:
    obj = _read.members(raw, where, ("source", "reason"))
    source = _read.text(obj["source"], f"{where}.source", 2000)
    if source not in cited:
        raise CreditDataError(f"{where}.source is not a cited source")
    return Exclusion(source, _read.text(obj["reason"], f"{where}.reason", MAX_REASON))


def _outcome_shape(obj: dict[str, Any], where: str, included: set[str],
                   destination: DecisionDestination) -> None:
    """The recomputed members hold what a reader expects; their content is checked by
    recomputation, not here."""
    seen: list[str] = []
    for i, grant in enumerate(_read.array(obj["grants"], f"{where}.grants",
                                          limit=MAX_SOURCES)):
        at = f"{where}.grants[{i}]"
        item = _read.members(grant, at, ("source", "rule", "type", "credits"),
                             ("course", "requested", "cappedBy"))
        seen.append(_source_ref(item["source"], f"{at}.source", included))
        _read.text(item["rule"], f"{at}.rule")
        kind = _read.choice(item["type"], TargetKind, f"{at}.type")
        if (kind is TargetKind.BANK_CREDITS) != (destination.kind is Destination.BANK):
            raise CreditDataError(f"{at}.type {kind.value} does not grant toward the "
                                  f"{destination.kind.value}")
        _figure(item["credits"], f"{at}.credits")
    for i, refusal in enumerate(_read.array(obj["refused"], f"{where}.refused",
                                            limit=MAX_SOURCES, empty=True)):
        at = f"{where}.refused[{i}]"
        item = _read.members(refusal, at, ("source", "reasons"))
        seen.append(_source_ref(item["source"], f"{at}.source", included))
        for j, reason in enumerate(_read.array(item["reasons"], f"{at}.reasons", limit=10**4)):
            entry = _read.members(reason, f"{at}.reasons[{j}]", ("code",), ("rule", "cap"))
            _read.choice(entry["code"], ReasonCode, f"{at}.reasons[{j}].code")
    if sorted(seen) != sorted(included):
        raise CreditDataError(f"{where}: every included source is granted or refused, once")
    totals = _read.members(obj["totals"], f"{where}.totals", ("byUnit", "byUnitAndSector"))
    for name in ("byUnit", "byUnitAndSector"):
        _read.array(totals[name], f"{where}.totals.{name}", limit=100, empty=True)
    if destination.kind is Destination.PROGRAMME:
        _read.array(obj["caps"], f"{where}.caps", limit=2, empty=True)
        _read.array(obj["exemptions"], f"{where}.exemptions", limit=MAX_SOURCES, empty=True)


def _source_ref(raw: Any, where: str, included: set[str]) -> str:
    source = _read.text(raw, where, 2000)
    if source not in included:
        raise CreditDataError(f"{where} is not an included source")
    return source


def _figure(raw: Any, where: str) -> None:
    obj = _read.members(raw, where, ("value", "unit", "sector"))
    _read.amount(obj["value"], f"{where}.value", positive=False)
    _read.choice(obj["unit"], Unit, f"{where}.unit")
    _read.choice(obj["sector"], Sector, f"{where}.sector")
