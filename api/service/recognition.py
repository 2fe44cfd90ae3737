"""Recognition applications (学分认定申请) and their decisions (docs/creditbank.md §9.6).

A learner picks credentials, a published rule set and a destination (the credit bank, or
the rule set's programme), sees a dry run, and applies. The authority decides for the
credit bank, the programme's institution for a programme. An approval (whole, or in part
by excluding sources with a reason) is a decision credential (verifier.credit.decision)
issued to the learning account and anchored like any other. Every source must verify,
with its status, when the learner applies and when the decider approves. A source counts
once toward each destination (``recognition_uses``, under a unique key); reusing it is
refused (409) naming the decision.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ledger.issuance import LearningRecord
from verifier import timefmt
from verifier.credit import RuleSet, Source, evaluate, parse_rule_set, source_from_credential
from verifier.credit.decision import (
    ACHIEVEMENT_TYPE,
    DecisionDestination,
    decision_subject,
    outcome_json,
)
from verifier.credit.rules import Destination

from . import checking, issuing, sharing
from .accounts import credit_bank
from .context import Service
from .errors import Conflict, InvalidInput, NotFound
from .models import (
    Credential,
    CreditRuleSet,
    Issuer,
    Learner,
    RecognitionApplication,
    RecognitionSource,
    RecognitionUse,
)

MAX_SOURCES = 50
MAX_TEXT = 500
STATES = ("submitted", "approved", "refused", "withdrawn")


# ---- the target: a published rule set and a destination ----------------------------------

@dataclass(frozen=True)
class Target:
    row: CreditRuleSet
    rules: RuleSet
    destination: DecisionDestination
    decider: Issuer  # the institution that issues the decision credential
    authority_decides: bool  # the authority reviews (the credit bank), else the institution

    @property
    def name(self) -> str:
        return destination_name(self.destination)

    @property
    def key(self) -> str:
        return hashlib.sha256(self.name.encode("utf-8")).hexdigest()


def destination_name(destination: DecisionDestination) -> str:
    """``bank``, or ``programme DID CODE``: what an application is for."""
    if destination.kind is Destination.BANK:
        return "bank"
    return f"programme {destination.institution} {destination.programme}"


def _target(session: Session, svc: Service, set_id: str, version: str,
            destination: str) -> Target:
    row = session.scalars(select(CreditRuleSet).where(
        CreditRuleSet.set_id == set_id, CreditRuleSet.version == version,
        CreditRuleSet.state == "published")).first()
    if row is None:
        raise NotFound(f"no published rule set {set_id} version {version}")
    rules = parse_rule_set(row.document)
    if destination == "bank":
        bank = credit_bank(session, svc)
        if rules.owner.id != bank.did:
            # the decision is the credit bank's, and cites a rule set the bank owns
            raise Conflict(f"rule set {set_id} version {version} is owned by {rules.owner.id}, "
                           f"not by the credit bank ({bank.did}): it converts into no credit "
                           "bank credits here")
        return Target(row, rules, DecisionDestination.bank(), bank, True)
    if destination != "programme":
        raise InvalidInput("destination must be bank or programme")
    if rules.programme is None:
        raise InvalidInput(f"rule set {set_id} version {version} converts into no programme")
    target = DecisionDestination.of_rule_set(rules)
    decider = session.scalars(select(Issuer).where(
        Issuer.did == rules.programme.institution)).first()
    if decider is None:
        raise Conflict(f"the programme's institution {rules.programme.institution} does not "
                       "issue through this service")
    return Target(row, rules, target, decider, False)


# ---- sources -----------------------------------------------------------------------------
#
# SQLite takes its write lock when a session begins, and checking a credential opens
# sessions of its own: so each operation reads what it needs in one session, checks the
# sources with none open, and writes in another, checking again there what may have changed
# meanwhile (a decision counting a source, the application's state).

@dataclass(frozen=True)
class Checked:
    row: Credential  # loaded in a closed session: its columns only
    issuer_name: str
    document: dict[str, Any]
    judged: checking.Judged
    counted_by: str | None  # the decision credential that already counted it here

    @property
    def verified(self) -> bool:
        return self.judged.explanation.verified

    def to_json(self) -> dict[str, Any]:
        return {"credential": self.row.id, "issuer": self.issuer_name,
                "achievementName": self.row.achievement_name,
                "verified": self.verified, "reason": self.judged.explanation.reason,
                "status": self.row.status, "countedBy": self.counted_by}


def _own_sources(session: Session, learner: Learner, ids: list[str]) -> list[Credential]:
    if not 1 <= len(ids) <= MAX_SOURCES:
        raise InvalidInput(f"credentials: name 1 to {MAX_SOURCES} credentials")
    if len(set(ids)) != len(ids):
        raise InvalidInput("credentials: each credential once")
    return [sharing.own_credential(session, learner, i) for i in ids]


def _counted(session: Session, ids: list[str], key: str) -> dict[str, str]:
    """Of these credentials, those a decision counted toward the destination: id → the
    decision credential."""
    return dict(session.execute(select(
        RecognitionUse.credential_id, RecognitionUse.decision_credential_id).where(
        RecognitionUse.credential_id.in_(ids),
        RecognitionUse.destination_key == key)).all())


def _read(session: Session, rows: list[Credential]) -> list[tuple[Credential, str]]:
    return [(row, row.issuer.name) for row in rows]


def _check(svc: Service, read: list[tuple[Credential, str]], counted: dict[str, str]
           ) -> list[Checked]:
    """Verify each source (no session may be open: see above)."""
    out = []
    for row, issuer_name in read:
        document = sharing.full_copy(row)
        out.append(Checked(row, issuer_name, document,
                           checking.judge(svc, document, held=row), counted.get(row.id)))
    return out


def _source(checked: Checked) -> Source:
    return source_from_credential(checked.document)


def _evaluate(target: Target, sources: list[Source], at: datetime) -> dict[str, Any]:
    return outcome_json(evaluate(target.rules, sources, as_of=at), target.destination)


def _refuse_unusable(checked: list[Checked]) -> None:
    for c in checked:
        if c.counted_by is not None:
            raise Conflict(f"credential {c.row.id} already counts toward this destination "
                           f"through decision {c.counted_by}")
        if not c.verified:
            raise Conflict(f"credential {c.row.id} does not verify "
                           f"({c.judged.explanation.reason}): it cannot be recognised")


def _gather(svc: Service, learner_id: int | None, request: Request
            ) -> tuple[Learner, Target, list[Checked]]:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        target = _target(session, svc, request.set_id, request.version, request.destination)
        read = _read(session, _own_sources(session, learner, request.credentials))
        counted = _counted(session, request.credentials, target.key)
    return learner, target, _check(svc, read, counted)


# ---- the learner's side ------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    set_id: str
    version: str
    destination: str
    credentials: list[str]
    note: str = ""


def dry_run(svc: Service, learner_id: int | None, request: Request) -> dict[str, Any]:
    """What the rule set would grant now: each source's verification and whether it was
    counted toward this destination already, and the evaluation of the rest."""
    now = timefmt.now()
    _learner, target, checked = _gather(svc, learner_id, request)
    usable = [c for c in checked if c.verified and c.counted_by is None]
    return {"ruleSet": _rule_set_json(target.row), "destination": target.name,
            "asOf": timefmt.format(now), "sources": [c.to_json() for c in checked],
            "evaluation": _evaluate(target, [_source(c) for c in usable], now)}


def submit(svc: Service, learner_id: int | None, request: Request) -> dict[str, Any]:
    """Apply. Refused (409) when a source does not verify, was counted toward this
    destination already (naming the decision), or nothing would be granted."""
    if len(request.note) > MAX_TEXT:
        raise InvalidInput(f"note: at most {MAX_TEXT} characters")
    now = timefmt.now()
    learner, target, checked = _gather(svc, learner_id, request)
    _refuse_unusable(checked)
    outcome = _evaluate(target, [_source(c) for c in checked], now)
    if not outcome["grants"]:
        raise Conflict("the rule set grants nothing for these credentials toward this "
                       "destination (see the dry run for why)")
    with svc.db.session() as session:
        for credential_id, by in _counted(session, request.credentials, target.key).items():
            raise Conflict(f"credential {credential_id} already counts toward this "
                           f"destination through decision {by}")
        application = RecognitionApplication(
            id=str(uuid.uuid4()), learner_id=learner.id, rule_set_id=target.row.id,
            destination=target.name, decider_issuer_id=target.decider.id,
            authority_decides=target.authority_decides, state="submitted",
            note=request.note, submitted_at=now, dry_run=outcome)
        session.add(application)
        session.add_all(RecognitionSource(application_id=application.id,
                                          credential_id=c.row.id, position=n)
                        for n, c in enumerate(checked))
        session.flush()
        return application_json(session, application)


def learner_applications(svc: Service, learner_id: int | None) -> list[dict[str, Any]]:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        rows = session.scalars(select(RecognitionApplication).where(
            RecognitionApplication.learner_id == learner.id)
            .order_by(RecognitionApplication.submitted_at.desc(), RecognitionApplication.id))
        return [application_json(session, a) for a in rows]


def learner_application(svc: Service, learner_id: int | None, application_id: str
                        ) -> dict[str, Any]:
    with svc.db.session() as session:
        return application_json(session, _learners(session, learner_id, application_id))


def withdraw(svc: Service, learner_id: int | None, application_id: str) -> dict[str, Any]:
    with svc.db.session() as session:
        application = _learners(session, learner_id, application_id, lock=True)
        if application.state != "submitted":
            raise Conflict(f"the application is {application.state}: only one awaiting a "
                           "decision can be withdrawn")
        application.state, application.decided_at = "withdrawn", timefmt.now()
        return application_json(session, application)


def _learners(session: Session, learner_id: int | None, application_id: str, *,
              lock: bool = False) -> RecognitionApplication:
    learner = sharing.learner_of(session, learner_id)
    query = select(RecognitionApplication).where(
        RecognitionApplication.id == application_id,
        RecognitionApplication.learner_id == learner.id)
    application = session.scalars(query.with_for_update() if lock else query).first()
    if application is None:
        raise NotFound("no such application in this learning account")
    return application


# ---- the decider's side ------------------------------------------------------------------

def _deciders(session: Session, issuer_id: int | None, application_id: str, *,
              lock: bool = False) -> RecognitionApplication:
    """An application this caller decides: the authority (``issuer_id`` None) the credit
    bank's, an institution its programmes'; any other is not found."""
    query = select(RecognitionApplication).where(RecognitionApplication.id == application_id)
    application = session.scalars(query.with_for_update() if lock else query).first()
    if application is None or not _decides(application, issuer_id):
        raise NotFound("no such application for you to decide")
    return application


def _decides(application: RecognitionApplication, issuer_id: int | None) -> bool:
    if issuer_id is None:
        return application.authority_decides
    return not application.authority_decides and application.decider_issuer_id == issuer_id


def _verified_now(svc: Service, views: list[dict[str, Any]],
                  rows: dict[str, tuple[Credential, str]]) -> list[dict[str, Any]]:
    """Each source of each application verified again now (no session open)."""
    judged = {i: _check(svc, [read], {})[0] for i, read in rows.items()}
    for view in views:
        for source in view["sources"]:
            checked = judged[source["credential"]]
            source["verified"] = checked.verified
            source["reason"] = checked.judged.explanation.reason
    return views


def _with_rows(session: Session, applications: list[RecognitionApplication]
               ) -> tuple[list[dict[str, Any]], dict[str, tuple[Credential, str]]]:
    views = [application_json(session, a) for a in applications]
    ids = {s["credential"] for v in views for s in v["sources"]}
    rows = session.scalars(select(Credential).where(Credential.id.in_(ids))).all()
    return views, {r.id: (r, r.issuer.name) for r in rows}


def queue(svc: Service, issuer_id: int | None, state: str | None = "submitted"
          ) -> list[dict[str, Any]]:
    """The applications this caller decides (oldest first), each source re-verified now."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}")
    with svc.db.session() as session:
        query = select(RecognitionApplication)
        if issuer_id is None:
            query = query.where(RecognitionApplication.authority_decides.is_(True))
        else:
            query = query.where(RecognitionApplication.authority_decides.is_(False),
                                RecognitionApplication.decider_issuer_id == issuer_id)
        if state is not None:
            query = query.where(RecognitionApplication.state == state)
        views, rows = _with_rows(session, list(session.scalars(query.order_by(
            RecognitionApplication.submitted_at, RecognitionApplication.id).limit(200))))
    return _verified_now(svc, views, rows)


def for_decider(svc: Service, issuer_id: int | None, application_id: str) -> dict[str, Any]:
    with svc.db.session() as session:
        views, rows = _with_rows(session, [_deciders(session, issuer_id, application_id)])
    return _verified_now(svc, views, rows)[0]


@dataclass(frozen=True)
class Decision:
    approve: bool
    reason: str = ""
    excluded: dict[str, str] | None = None  # credential id -> the reason, in words


def decide(svc: Service, issuer_id: int | None, application_id: str, decision: Decision
           ) -> dict[str, Any]:
    """Approve (whole, or in part by excluding sources) or refuse. An approval re-verifies
    every included source, evaluates them now, and issues the decision credential; the
    sources granted something count toward the destination from then on."""
    if len(decision.reason) > MAX_TEXT:
        raise InvalidInput(f"reason: at most {MAX_TEXT} characters")
    if not decision.approve and not decision.reason.strip():
        raise InvalidInput("reason: a refusal says why")
    now = timefmt.now()
    if not decision.approve:
        with svc.db.session() as session:
            application = _deciders(session, issuer_id, application_id, lock=True)
            _awaiting(application)
            application.state, application.decided_at = "refused", now
            application.decision_reason = decision.reason
            return application_json(session, application)
    with svc.db.session() as session:
        application = _deciders(session, issuer_id, application_id)
        _awaiting(application)
        target, learner, read, counted, excluded = _approval_inputs(svc, session, application,
                                                                   decision)
    checked = _check(svc, read, counted)
    included = [c for c in checked if c.row.id not in excluded]
    _refuse_unusable(included)
    evaluation = evaluate(target.rules, [_source(c) for c in included], as_of=now)
    try:
        member = decision_subject(
            evaluation, destination=target.destination, decided=now,
            excluded=[(_source(c), excluded[c.row.id]) for c in checked
                      if c.row.id in excluded])
    except ValueError as exc:  # nothing granted now
        raise Conflict(f"the rule set grants nothing now: {exc}") from None
    record = _decision_record(target, learner, member)
    identity = svc.identities.get(target.decider)
    granted = {g["source"] for g in member["grants"]}
    try:
        with svc.db.session() as session:
            application = _deciders(session, issuer_id, application_id, lock=True)
            _awaiting(application)
            credential = issuing.accept(session, target.decider, identity, record,
                                        svc.secret, learner_key=learner.learner_key, now=now)
            session.add_all(RecognitionUse(
                credential_id=c.row.id, destination_key=target.key,
                application_id=application.id, decision_credential_id=credential.id)
                for c in included if c.row.id in granted)
            application.state, application.decided_at = "approved", now
            application.decision_reason = decision.reason
            application.decision_credential_id = credential.id
            application.excluded = excluded
            session.flush()
            return application_json(session, application)
    except IntegrityError:  # a decision counted one of the sources meanwhile
        raise Conflict("a source was counted toward this destination by another decision "
                       "meanwhile; review the application again") from None


def _awaiting(application: RecognitionApplication) -> None:
    if application.state != "submitted":
        raise Conflict(f"the application is {application.state} already")


def _approval_inputs(svc: Service, session: Session, application: RecognitionApplication,
                     decision: Decision) -> tuple[Target, Learner, list[tuple[Credential, str]],
                                                  dict[str, str], dict[str, str]]:
    row = session.get_one(CreditRuleSet, application.rule_set_id)
    if row.state != "published":
        raise Conflict(f"rule set {row.set_id} version {row.version} is {row.state}: "
                       "decide under a rule set in force")
    learner = session.get_one(Learner, application.learner_id)
    target = _target(session, svc, row.set_id, row.version,
                     "bank" if application.destination == "bank" else "programme")
    ids = [s.credential_id for s in application.sources]
    excluded = dict(decision.excluded or {})
    unknown = sorted(set(excluded) - set(ids))
    if unknown:
        raise InvalidInput(f"exclude: {unknown[0]} is not a source of this application")
    if len(excluded) == len(ids):
        raise InvalidInput("exclude: an approval keeps at least one source")
    rows = session.scalars(select(Credential).where(Credential.id.in_(ids))).all()
    by_id = {r.id: r for r in rows}
    read = _read(session, [by_id[i] for i in ids])
    return target, learner, read, _counted(session, ids, target.key), excluded


def _decision_record(target: Target, learner: Learner, member: dict[str, Any]
                     ) -> LearningRecord:
    """The decision credential's record: to the learning account (named by its number),
    carrying the decision member."""
    row = target.row
    return LearningRecord.from_json({
        "learner": {"id": learner.login, "idType": "accountId",
                    "name": learner.display_name or None},
        "achievement": {
            "type": ACHIEVEMENT_TYPE,
            "name": {"zh": "学分认定决定", "en": "Credit recognition decision"},
            "description": {
                "zh": f"依据学分转换规则 {row.set_id}（{row.version}）认定的学习成果。",
                "en": f"Learning outcomes recognised under rule set {row.set_id} "
                      f"({row.version})."}},
        "recognition": member})


# ---- views -------------------------------------------------------------------------------

def _rule_set_json(row: CreditRuleSet) -> dict[str, Any]:
    return {"id": row.set_id, "version": row.version, "hash": row.hash}


def application_json(session: Session, application: RecognitionApplication
                     ) -> dict[str, Any]:
    """An application as its learner and its decider see it (the review queue adds each
    source's verification now: _verified_now)."""
    row = session.get_one(CreditRuleSet, application.rule_set_id)
    sources = []
    for source in application.sources:
        credential = session.get_one(Credential, source.credential_id)
        sources.append({"credential": credential.id,
                        "achievementName": credential.achievement_name,
                        "issuer": credential.issuer.name, "status": credential.status})
    revoked = [s["credential"] for s in sources if s["status"] == "revoked"]
    decision = session.get(Credential, application.decision_credential_id) \
        if application.decision_credential_id else None
    return {
        "id": application.id, "state": application.state,
        "ruleSet": _rule_set_json(row), "destination": application.destination,
        "note": application.note, "submittedAt": timefmt.format(application.submitted_at),
        "decidedAt": timefmt.format(application.decided_at) if application.decided_at
        else None,
        "reason": application.decision_reason, "excluded": application.excluded or {},
        "sources": sources, "sourcesRevoked": revoked,
        "dryRun": application.dry_run,
        "decision": None if decision is None else {
            "credential": decision.id, "state": decision.state, "status": decision.status,
            "sourceRevoked": bool(revoked)},
    }


