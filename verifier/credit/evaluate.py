"""Evaluation: which sources count, toward the programme and toward the credit bank, under
one rule set on one day (docs/creditbank.md §6). A pure, deterministic function.

Order. Sources are taken by `Source.order_key` (issued, then credential id, then content),
so the answer does not depend on the order they are given in. For each source and each
destination (the programme, the bank) the rules are tried in the order the rule set lists
them; the first rule that matches the source and can still grant something grants, and
the source counts no more toward that destination. Rules that were tried and could not
grant are reported with their reasons.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .common import decision_date
from .rules import Destination, Rule, RuleSet, Target, TargetKind
from .sources import Source
from .units import Credits, Totals, Unit, value_text


class ReasonCode(StrEnum):
    RULE_SET_NOT_IN_FORCE = "rule_set_not_in_force"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    DUPLICATE = "duplicate"
    NO_RULE = "no_rule"
    ISSUER_NOT_LISTED = "issuer_not_listed"
    RESULT_TOO_LOW = "result_too_low"
    TOO_OLD = "too_old"
    CREDITS_UNKNOWN = "credits_unknown"
    CREDITS_UNIT = "credits_unit"
    BELOW_RATE = "below_rate"
    COURSE_TAKEN = "course_taken"
    CAPPED = "capped"

    @property
    def zh(self) -> str:
        return REASON_TEXT[self][0]

    @property
    def en(self) -> str:
        return REASON_TEXT[self][1]


REASON_TEXT: Mapping[ReasonCode, tuple[str, str]] = {
    ReasonCode.RULE_SET_NOT_IN_FORCE: ("决定日期不在规则有效期内",
                                       "the rule set is not in force on the decision date"),
    ReasonCode.NOT_YET_VALID: ("证书尚未生效", "the credential is not yet valid"),
    ReasonCode.EXPIRED: ("证书已过期", "the credential has expired"),
    ReasonCode.DUPLICATE: ("同一证书已计入", "the same credential is already counted"),
    ReasonCode.NO_RULE: ("没有适用的规则", "no rule is about this source"),
    ReasonCode.ISSUER_NOT_LISTED: ("发证机构不在规则所列范围内",
                                   "the issuer is not one the rule lists"),
    ReasonCode.RESULT_TOO_LOW: ("成绩未达到要求", "no result reaches the rule's minimum"),
    ReasonCode.TOO_OLD: ("超过规则允许的年限", "the source is older than the rule allows"),
    ReasonCode.CREDITS_UNKNOWN: ("学分值或其单位、领域未知",
                                 "the source's figure, or its unit or sector, is unknown"),
    ReasonCode.CREDITS_UNIT: ("学分单位与规则不符",
                              "the source's figure is in another unit than the rule converts"),
    ReasonCode.BELOW_RATE: ("不足一个折算单位", "the figure is less than one step of the rate"),
    ReasonCode.COURSE_TAKEN: ("该课程已由其他成果认定",
                              "the course is already granted from another source"),
    ReasonCode.CAPPED: ("已达上限", "a cap of the programme is used up"),
}


@dataclass(frozen=True)
class Reason:
    code: ReasonCode
    rule: str | None = None  # the rule it concerns; None for the source as a whole
    cap: str | None = None  # the cap, for CAPPED: "credits" or "exemptions"

    def to_json(self) -> dict[str, str]:
        out = {"code": self.code.value}
        if self.rule is not None:
            out["rule"] = self.rule
        if self.cap is not None:
            out["cap"] = self.cap
        return out


@dataclass(frozen=True)
class Grant:
    """What one rule grants for one source. For an exemption, `credits` are the course's."""

    rule: str
    kind: TargetKind
    credits: Credits
    requested: Credits  # before caps
    course: str | None = None
    capped_by: tuple[str, ...] = ()  # "course" (the course's credits), "credits"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "type": self.kind.value}
        if self.course is not None:
            out["course"] = self.course
        out["credits"] = self.credits.to_json()
        if self.capped_by:
            out["requested"] = self.requested.to_json()
            out["cappedBy"] = list(self.capped_by)
        return out


@dataclass(frozen=True)
class Outcome:
    """A source toward one destination: the grant, if any, and the reasons of every rule
    tried that did not grant (or of the source as a whole)."""

    grant: Grant | None
    reasons: tuple[Reason, ...] = ()

    @property
    def counted(self) -> bool:
        return self.grant is not None

    def to_json(self) -> dict[str, Any]:
        return {"granted": self.grant.to_json() if self.grant else None,
                "reasons": [r.to_json() for r in self.reasons]}


@dataclass(frozen=True)
class SourceOutcome:
    source: Source
    programme: Outcome
    bank: Outcome

    def toward(self, destination: Destination) -> Outcome:
        return self.programme if destination is Destination.PROGRAMME else self.bank


@dataclass(frozen=True)
class CapUse:
    cap: str  # "credits" or "exemptions"
    limit: Fraction
    used: Fraction

    def to_json(self) -> dict[str, str]:
        return {"cap": self.cap, "limit": value_text(self.limit), "used": value_text(self.used)}


@dataclass(frozen=True)
class Evaluation:
    rule_set_id: str
    rule_set_version: str
    rule_set_hash: str
    as_of: date
    in_force: bool
    outcomes: tuple[SourceOutcome, ...]  # in evaluation order
    caps: tuple[CapUse, ...]
    rule_ids: tuple[str, ...]  # the rule set's rules, in order

    def grants(self, destination: Destination | None = None
               ) -> tuple[tuple[Source, Grant], ...]:
        return tuple((o.source, outcome.grant) for o in self.outcomes
                     for d, outcome in ((Destination.PROGRAMME, o.programme),
                                        (Destination.BANK, o.bank))
                     if outcome.grant is not None and destination in (None, d))

    def by_rule(self) -> Mapping[str, tuple[tuple[Source, Grant], ...]]:
        """Per rule, in the rule set's order: the sources it converted and what it granted."""
        return {rule_id: tuple((s, g) for s, g in self.grants() if g.rule == rule_id)
                for rule_id in self.rule_ids}

    @property
    def programme_totals(self) -> Totals:
        """Credits recognised into the programme, exempted courses' credits included."""
        return Totals.of(g.credits for _, g in self.grants(Destination.PROGRAMME))

    @property
    def bank_totals(self) -> Totals:
        return Totals.of(g.credits for _, g in self.grants(Destination.BANK))

    @property
    def exemptions(self) -> tuple[str, ...]:
        return tuple(sorted(g.course for _, g in self.grants(Destination.PROGRAMME)
                            if g.kind is TargetKind.EXEMPTION and g.course))

    def to_json(self) -> dict[str, Any]:
        return {
            "ruleSet": {"id": self.rule_set_id, "version": self.rule_set_version,
                        "hash": self.rule_set_hash},
            "asOf": self.as_of.isoformat(),
            "inForce": self.in_force,
            "sources": [{"credential": o.source.credential_id,
                         "programme": o.programme.to_json(), "bank": o.bank.to_json()}
                        for o in self.outcomes],
            "rules": [{"rule": rule_id, "converts": [s.credential_id for s, _ in grants],
                       "granted": Totals.of(g.credits for _, g in grants).to_json()}
                      for rule_id, grants in self.by_rule().items()],
            "caps": [c.to_json() for c in self.caps],
            "exemptions": list(self.exemptions),
            "totals": {"programme": self.programme_totals.to_json(),
                       "bank": self.bank_totals.to_json()},
        }


class _Programme:
    """What the programme has given so far in one evaluation."""

    def __init__(self, rule_set: RuleSet) -> None:
        self.programme = rule_set.programme
        self.credits = Fraction(0)
        self.exemptions = 0
        self.courses: set[str] = set()

    def take(self, rule: Rule, requested: Credits, reasons: list[Reason]) -> Grant | None:
        """The grant of a programme rule after the course and the caps, or None (with the
        reason) when it can grant nothing."""
        assert self.programme is not None and rule.grant.course is not None
        course = self.programme.course(rule.grant.course)
        caps = self.programme.caps
        if course.code in self.courses:
            reasons.append(Reason(ReasonCode.COURSE_TAKEN, rule.id))
            return None
        if rule.grant.kind is TargetKind.EXEMPTION:
            if caps.exemptions is not None and self.exemptions >= caps.exemptions:
                reasons.append(Reason(ReasonCode.CAPPED, rule.id, "exemptions"))
                return None
            if caps.credits is not None and self.credits + course.credits > caps.credits:
                reasons.append(Reason(ReasonCode.CAPPED, rule.id, "credits"))
                return None
            self.exemptions += 1
            value, capped = course.credits, []
        else:
            value, capped = requested.value, []
            if value > course.credits:
                value = course.credits
                capped.append("course")
            if caps.credits is not None:
                room = caps.credits - self.credits
                if room <= 0:
                    reasons.append(Reason(ReasonCode.CAPPED, rule.id, "credits"))
                    return None
                if value > room:
                    value = room
                    capped.append("credits")
        self.credits += value
        self.courses.add(course.code)
        return Grant(rule.id, rule.grant.kind, requested.with_value(value), requested,
                     course.code, tuple(capped))

    def cap_uses(self) -> tuple[CapUse, ...]:
        if self.programme is None:
            return ()
        caps, out = self.programme.caps, []
        if caps.credits is not None:
            out.append(CapUse("credits", caps.credits, self.credits))
        if caps.exemptions is not None:
            out.append(CapUse("exemptions", Fraction(caps.exemptions),
                              Fraction(self.exemptions)))
        return tuple(out)


def _selects(rule: Rule, source: Source) -> bool:
    match = rule.match
    return ((match.standard is None or match.standard == source.standard)
            and (match.achievement_type is None
                 or match.achievement_type == source.achievement_type)
            and (match.sector is None or match.sector is source.sector))


def _unmet(rule: Rule, source: Source, day: date) -> list[Reason]:
    match, out = rule.match, []
    if match.issuers is not None and source.issuer not in match.issuers:
        out.append(Reason(ReasonCode.ISSUER_NOT_LISTED, rule.id))
    if match.min_result is not None and not match.min_result.met_by(source.results):
        out.append(Reason(ReasonCode.RESULT_TOO_LOW, rule.id))
    if match.max_age is not None and day > match.max_age.last_day(source.issued):
        out.append(Reason(ReasonCode.TOO_OLD, rule.id))
    return out


def _requested(rule: Rule, source: Source, rule_set: RuleSet) -> Credits | Reason:
    """What the rule would grant before caps, or why it grants nothing."""
    target: Target = rule.grant
    if target.kind is TargetKind.EXEMPTION:
        assert rule_set.programme is not None and target.course is not None
        return Credits(rule_set.programme.course(target.course).credits, Unit.CREDIT,
                       rule_set.programme.sector)
    if target.rate is not None:
        if source.credits is None:
            return Reason(ReasonCode.CREDITS_UNKNOWN, rule.id)
        if source.credits.unit is not target.rate.source_unit:
            return Reason(ReasonCode.CREDITS_UNIT, rule.id)
        value = target.rate.apply(source.credits.value)
        if value == 0:
            return Reason(ReasonCode.BELOW_RATE, rule.id)
    else:
        assert target.value is not None
        value = target.value
    if target.kind is TargetKind.BANK_CREDITS:
        assert target.unit is not None and target.sector is not None
        return Credits(value, target.unit, target.sector)
    assert rule_set.programme is not None
    return Credits(value, Unit.CREDIT, rule_set.programme.sector)


def _toward(destination: Destination, source: Source, rule_set: RuleSet, day: date,
            programme: _Programme) -> Outcome:
    reasons: list[Reason] = []
    selected = False
    for rule in rule_set.rules:
        if rule.grant.destination is not destination or not _selects(rule, source):
            continue
        selected = True
        unmet = _unmet(rule, source, day)
        if unmet:
            reasons.extend(unmet)
            continue
        requested = _requested(rule, source, rule_set)
        if isinstance(requested, Reason):
            reasons.append(requested)
            continue
        if destination is Destination.BANK:
            return Outcome(Grant(rule.id, rule.grant.kind, requested, requested), tuple(reasons))
        grant = programme.take(rule, requested, reasons)
        if grant is not None:
            return Outcome(grant, tuple(reasons))
    if not selected:
        reasons.append(Reason(ReasonCode.NO_RULE))
    return Outcome(None, tuple(reasons))


def evaluate(rule_set: RuleSet, sources: Iterable[Source], *,
             as_of: date | datetime) -> Evaluation:
    """Which of `sources` count under `rule_set` on the decision day `as_of` (a date, or
    an aware datetime taken as its day in China Standard Time), and what they are granted.
    A source counts at most once toward the programme and once toward the bank."""
    day = decision_date(as_of)
    in_force = rule_set.in_force(day)
    programme = _Programme(rule_set)
    seen: set[str] = set()
    outcomes = []
    for source in sorted(sources, key=Source.order_key):
        gate = None
        if not in_force:
            gate = Reason(ReasonCode.RULE_SET_NOT_IN_FORCE)
        elif source.credential_id in seen:
            gate = Reason(ReasonCode.DUPLICATE)
        elif source.issued > day:
            gate = Reason(ReasonCode.NOT_YET_VALID)
        elif source.valid_until is not None and source.valid_until < day:
            gate = Reason(ReasonCode.EXPIRED)
        seen.add(source.credential_id)
        if gate is not None:
            refused = Outcome(None, (gate,))
            outcomes.append(SourceOutcome(source, refused, refused))
            continue
        outcomes.append(SourceOutcome(
            source, _toward(Destination.PROGRAMME, source, rule_set, day, programme),
            _toward(Destination.BANK, source, rule_set, day, programme)))
    return Evaluation(rule_set.id, rule_set.version, rule_set.hash(), day, in_force,
                      tuple(outcomes), programme.cap_uses(),
                      tuple(rule.id for rule in rule_set.rules))
