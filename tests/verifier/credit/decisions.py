"""Real signed credentials for the decision tests: the worked example's two sources and a
decision credential citing them (docs/creditbank.md §7, §9)."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from ledger.issuance import IssuerIdentity, LearningRecord, issue_one
from ledger.issuance.signing import single_batch
from verifier.credit import (
    RuleSet,
    Sector,
    Source,
    Unit,
    evaluate,
    parse_rule_set,
    source_from_credential,
)
from verifier.credit.decision import ACHIEVEMENT_TYPE, DecisionDestination, decision_subject

from .examples import (
    AUTHORITY,
    ELDERLY_UNIVERSITY,
    ELECTRICIAN_4,
    OPEN_UNIVERSITY,
    RULE_SET,
    VOCATIONAL_CENTRE,
)

CST = timezone(timedelta(hours=8))
SET_UP = datetime(2026, 1, 1, tzinfo=CST)  # when every issuer was created
DECIDED = datetime(2027, 3, 1, 10, 0, tzinfo=CST)
LEARNER = {"id": "310101199001011234", "name": "张伟", "did": "did:example:learner-zhang"}

ELECTRICIAN_RECORD: dict[str, Any] = {
    "learner": LEARNER,
    "achievement": {"type": "Certificate",
                    "name": {"zh": "电工（四级）", "en": "Electrician, level 4"},
                    "description": {"zh": "电工职业技能等级证书", "en": "Electrician skill level"},
                    "level": "3"},
    "creditsEarned": 4,
    "results": [{"value": "合格"}],
    "validFrom": "2026-06-20T09:00:00+08:00",
}
COMMUNITY_RECORD: dict[str, Any] = {
    "learner": LEARNER,
    "achievement": {"type": "Course", "name": {"zh": "智能手机应用", "en": "Using smartphones"},
                    "description": {"zh": "社区课程", "en": "A community course"}},
    "creditsEarned": 24,
    "results": [{"value": "结业"}],
    "validFrom": "2026-12-10T09:00:00+08:00",
}


def issue(issuer: IssuerIdentity, record: dict[str, Any], *, index: int = 0,
          at: datetime = SET_UP, status_registry: str | None = None,
          anchor: dict[str, Any] | None = None) -> dict[str, Any]:
    """A signed credential in a batch of its own; `anchor` adds the chain's members to the
    ledger proof's anchor (chainId, registry, ...), as anchoring does."""
    unanchored, root = issue_one(LearningRecord.from_json(copy.deepcopy(record)), issuer,
                                 status_index=index, now=at, status_registry=status_registry)
    credential = single_batch(unanchored, root)
    for proof in credential["proof"]:
        if proof["type"] == "CredbankLedgerProof" and anchor:
            proof["anchor"].update(anchor)
    return credential


@dataclass
class Issuers:
    vocational: IssuerIdentity
    elderly: IssuerIdentity
    university: IssuerIdentity
    authority: IssuerIdentity

    @classmethod
    def create(cls, directory: Path) -> Issuers:
        return cls(*(IssuerIdentity.create(directory / name, title, did=did, now=SET_UP)
                     for name, title, did in (
                         ("vocational", "职业技能鉴定中心", VOCATIONAL_CENTRE),
                         ("elderly", "老年大学", ELDERLY_UNIVERSITY),
                         ("university", "开放大学", OPEN_UNIVERSITY),
                         ("authority", "学分银行", AUTHORITY))))

    def all(self) -> tuple[IssuerIdentity, ...]:
        return (self.vocational, self.elderly, self.university, self.authority)


def rules() -> RuleSet:
    return parse_rule_set(copy.deepcopy(RULE_SET))


def read_sources(electrician: dict[str, Any], community: dict[str, Any]) -> list[Source]:
    """The sources as a reviewer reads them: the certificate meets the electrician standard
    (4 credits, vocational); the community course counts hours of its sector."""
    return [source_from_credential(electrician, standard=ELECTRICIAN_4, unit=Unit.CREDIT,
                                   sector=Sector.VOCATIONAL),
            source_from_credential(community, unit=Unit.HOUR, sector=Sector.COMMUNITY_ELDERLY)]


def decision_record(member: dict[str, Any]) -> dict[str, Any]:
    return {"learner": LEARNER,
            "achievement": {"type": ACHIEVEMENT_TYPE,
                            "name": {"zh": "学分认定决定", "en": "Credit recognition decision"},
                            "description": {"zh": "按转换规则认定的学分与免修",
                                            "en": "Credits and exemptions recognised under a "
                                                  "rule set"}},
            "recognition": member}


def decide(issuer: IssuerIdentity, sources: list[Source], *,
           destination: DecisionDestination | None = None,
           excluded: tuple[tuple[Source, str], ...] = (),
           member: dict[str, Any] | None = None, index: int = 0,
           **chain: Any) -> dict[str, Any]:
    """A signed decision credential over the included sources, by `issuer`."""
    if member is None:
        rule_set = rules()
        member = decision_subject(
            evaluate(rule_set, sources, as_of=DECIDED),
            destination=destination or DecisionDestination.of_rule_set(rule_set),
            decided=DECIDED, excluded=excluded)
    return issue(issuer, decision_record(member), index=index, at=DECIDED, **chain)
