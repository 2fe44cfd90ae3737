"""The credit bank's part of the authorization matrix's world (test_authz): its registry
and learners' applications, written directly (the world has no chain)."""

from __future__ import annotations

from sqlalchemy import select

from api.service import credit_registry, rule_sets
from api.service.context import Service
from api.service.models import (
    CreditFramework,
    CreditRuleSet,
    Issuer,
    Learner,
    RecognitionApplication,
)
from verifier import timefmt
from verifier.credit import parse_rule_set

from . import registry_fixtures as reg


def registry_world(service: Service, did_a: str) -> None:
    """An active framework 2024 (set active here: the world has no chain to publish on),
    a draft framework 2025, a draft standard, and a draft rule set of the authority's and
    of institution A's programme."""
    credit_registry.create_framework(service, reg.framework("2024"))
    with service.db.session() as session:
        session.scalars(select(CreditFramework)).one().state = "active"
        issuer_a = session.scalars(select(Issuer).where(Issuer.did == did_a)).one().id
    credit_registry.create_framework(service, reg.framework("2025"))
    credit_registry.import_standards(service, reg.standards("S-world"))
    rule_sets.create_rule_set(service, reg.rule_set(), None)
    rule_sets.create_rule_set(service, reg.programme_rule_set(did_a), issuer_a)


def applications_world(service: Service, university_did: str, rule_set_id: str
                       ) -> dict[str, str]:
    """A published rule set of institution A's programme and three applications of
    learner A, written directly (publishing and applying need a chain)."""
    rules = parse_rule_set(reg.programme_rule_set(university_did, rule_set_id, "1"))
    now = timefmt.now()
    out = {}
    with service.db.session() as session:
        issuer = session.scalars(select(Issuer).where(Issuer.did == university_did)).one()
        learner = session.scalars(select(Learner).where(Learner.login == "zhangwei")).one()
        row = CreditRuleSet(set_id=rules.id, version=rules.version, issuer_id=issuer.id,
                            programme=rules.programme.id, document=rules.canonical().decode(),
                            hash=rules.hash(), state="published", created_at=now,
                            updated_at=now)
        session.add(row)
        session.flush()
        for use, authority in (("view", False), ("withdraw", False), ("bank", True)):
            out[use] = f"00000000-0000-4000-8000-00000000000{len(out)}"
            session.add(RecognitionApplication(
                id=out[use], learner_id=learner.id, rule_set_id=row.id,
                destination="bank" if authority else "programme", decider_issuer_id=issuer.id,
                authority_decides=authority, state="submitted", note="", dry_run={},
                submitted_at=now))
    return out
