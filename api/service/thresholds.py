"""Points thresholds (docs/points.md §4): totals the authority rewards with a credential.

A threshold is a sector, a measure (``hours`` of attendance and hour-credentials, or
``points``), an amount and the achievement to award. :func:`settle` (run by the
background loop) finds the learners whose total in the sector has reached the amount and
issues each the award: a credential of the credit bank's own issuing identity
(``accounts.credit_bank``), to the learning account, with typed credits (the amount, unit
``hour`` or ``point``, the sector), so it counts in the credit bank's totals like any
other. Once per learner per threshold (a unique key), whatever later reversals do to the
total. Only a learner with a learning account is awarded (the credential names the
account); one whose points come from credentials alone is awarded once the account opens.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from ledger.errors import InputError
from ledger.issuance import LearningRecord
from verifier import timefmt
from verifier.credit import Sector, Unit, decision_date, value_of

from . import credit_checks, issuing, points
from .accounts import credit_bank
from .context import Service
from .errors import Conflict, InvalidInput, NotFound
from .models import Issuer, Learner
from .points import decimal_text, micro
from .points_models import MICRO, PointsAward, PointsEntry, PointsThreshold

log = logging.getLogger("credbank.points")

MEASURES = {"hours": Unit.HOUR, "points": Unit.POINT}
MAX_AMOUNT = Decimal(10**6)
MAX_THRESHOLDS = 200
AWARD_TYPE = "Award"


@dataclass(frozen=True)
class NewThreshold:
    sector: str
    measure: str
    amount: str
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str
    level: str | None = None
    standard: str | None = None


def _amount(raw: str) -> int:
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise InvalidInput("amount: a decimal number, e.g. 30 or 12.5") from None
    if not value.is_finite() or not 0 < value <= MAX_AMOUNT or value != value.quantize(
            Decimal("0.01")):
        raise InvalidInput(f"amount: above 0, at most {MAX_AMOUNT}, at most 2 decimal places")
    return micro(value_of(value))


def create(svc: Service, new: NewThreshold) -> dict[str, Any]:
    if new.sector not in Sector._value2member_map_:
        raise InvalidInput(f"sector must be one of {', '.join(s.value for s in Sector)}")
    if new.measure not in MEASURES:
        raise InvalidInput("measure must be hours or points")
    amount = _amount(new.amount)
    for field in ("name_zh", "name_en", "description_zh", "description_en"):
        if not getattr(new, field).strip():
            raise InvalidInput(f"{field}: must not be empty")
    now = timefmt.now()
    row = PointsThreshold(
        sector=new.sector, measure=new.measure, amount_micro=amount,
        name_zh=new.name_zh.strip(), name_en=new.name_en.strip(),
        description_zh=new.description_zh.strip(),
        description_en=new.description_en.strip(), level=new.level,
        standard=new.standard, created_at=now)
    with svc.db.session() as session:
        active = session.scalar(select(func.count(PointsThreshold.id)).where(
            PointsThreshold.retired_at.is_(None)))
        if active >= MAX_THRESHOLDS:
            raise Conflict(f"at most {MAX_THRESHOLDS} thresholds in force; retire one first")
        _check_award(svc, session, row, now)
        session.add(row)
        session.flush()
        return threshold_json(row, 0)


def _check_award(svc: Service, session: Any, threshold: PointsThreshold, now: datetime
                 ) -> None:
    """Refuse now what the award would be refused later: a record the registry's checks
    (level, standard) or, with a credit bank configured, its scope would not take."""
    try:
        record = award_record(threshold, Learner(login="check", learner_key="",
                                                 display_name=""))
        standard = credit_checks.check_record(session, record, decision_date(now))
        if svc.settings.credit_bank is not None:
            bank = session.scalars(select(Issuer).where(
                Issuer.slug == svc.settings.credit_bank)).first()
            problem = bank and credit_checks.scope_problem(
                bank, record, standard, credit_checks.Registry.load(session).framework)
            if problem:
                raise InputError(problem)
    except InputError as exc:
        raise InvalidInput(f"the award could not be issued: {exc}") from None


def thresholds(svc: Service) -> list[dict[str, Any]]:
    with svc.db.session() as session:
        awarded = dict(session.execute(select(PointsAward.threshold_id,
                                              func.count(PointsAward.id))
                                       .group_by(PointsAward.threshold_id)).all())
        return [threshold_json(row, awarded.get(row.id, 0)) for row in
                session.scalars(select(PointsThreshold).order_by(PointsThreshold.id))]


def retire(svc: Service, threshold_id: int) -> dict[str, Any]:
    """No award from it any more (those issued stay)."""
    with svc.db.session() as session:
        row = session.get(PointsThreshold, threshold_id)
        if row is None:
            raise NotFound(f"no threshold {threshold_id}")
        if row.retired_at is not None:
            raise Conflict(f"threshold {threshold_id} is retired already")
        row.retired_at = timefmt.now()
        awarded = session.scalar(select(func.count(PointsAward.id)).where(
            PointsAward.threshold_id == row.id))
        return threshold_json(row, awarded or 0)


def threshold_json(row: PointsThreshold, awarded: int) -> dict[str, Any]:
    return {"id": row.id, "sector": row.sector, "measure": row.measure,
            "amount": decimal_text(row.amount_micro),
            "name": {"zh": row.name_zh, "en": row.name_en},
            "description": {"zh": row.description_zh, "en": row.description_en},
            "level": row.level, "standard": row.standard,
            "createdAt": timefmt.format(row.created_at),
            "retiredAt": timefmt.format(row.retired_at) if row.retired_at else None,
            "awarded": awarded}


# ---- settling ----------------------------------------------------------------------------

def _due(session: Any, threshold: PointsThreshold) -> list[Learner]:
    """Learners with an account whose total has reached the threshold, not yet awarded."""
    measure = PointsEntry.points_micro if threshold.measure == "points" \
        else PointsEntry.quantity_micro
    query = select(PointsEntry.learner_key).where(PointsEntry.sector == threshold.sector)
    if threshold.measure == "hours":
        query = query.where(PointsEntry.unit == Unit.HOUR.value)
    reached = query.group_by(PointsEntry.learner_key).having(
        func.sum(measure) >= threshold.amount_micro).subquery()
    return list(session.scalars(select(Learner).where(
        Learner.learner_key.in_(select(reached.c.learner_key)),
        ~select(PointsAward.id).where(PointsAward.threshold_id == threshold.id,
                                      PointsAward.learner_key == Learner.learner_key)
        .exists()).order_by(Learner.id).limit(100)))


def award_record(threshold: PointsThreshold, learner: Learner) -> LearningRecord:
    achievement: dict[str, Any] = {
        "type": AWARD_TYPE, "name": {"zh": threshold.name_zh, "en": threshold.name_en},
        "description": {"zh": threshold.description_zh, "en": threshold.description_en},
        "code": f"points-threshold-{threshold.id}"}
    if threshold.level:
        achievement["level"] = threshold.level
    record: dict[str, Any] = {
        "learner": {"id": learner.login, "idType": "accountId",
                    "name": learner.display_name or None},
        "achievement": achievement,
        "creditsEarned": float(Decimal(threshold.amount_micro) / MICRO),
        "creditUnit": MEASURES[threshold.measure].value, "sector": threshold.sector}
    if threshold.standard:
        record["standard"] = threshold.standard
    return LearningRecord.from_json(record)


def settle(svc: Service) -> int:
    """Issue every award due now; returns how many. A refusal of the record (the credit
    bank's scope or the registry's checks) is the authority's to fix: it is raised, as
    InvalidInput, and nothing of it is written."""
    with svc.db.session() as session:
        pending = [(t, _due(session, t)) for t in session.scalars(select(PointsThreshold).where(
            PointsThreshold.retired_at.is_(None)).order_by(PointsThreshold.id))]
        pending = [(t, due) for t, due in pending if due]
        if not pending:
            return 0
        bank = credit_bank(session, svc)
    identity = svc.identities.get(bank)
    issued = 0
    for threshold, learners in pending:
        for learner in learners:
            try:
                with svc.db.session() as session:
                    credential = issuing.accept(session, bank, identity,
                                                award_record(threshold, learner), svc.secret,
                                                learner_key=learner.learner_key)
                    session.flush()
                    session.add(PointsAward(threshold_id=threshold.id,
                                            learner_key=learner.learner_key,
                                            credential_id=credential.id, at=timefmt.now()))
                    session.flush()
            except IntegrityError:  # awarded meanwhile by another process
                continue
            except InputError as exc:
                raise InvalidInput(f"threshold {threshold.id}: the award cannot be issued: "
                                   f"{exc}") from None
            issued += 1
            log.info("threshold %s awarded to learner %s", threshold.id, learner.id)
    return issued


# ---- the background loop's round ----------------------------------------------------------

MARGIN = timedelta(minutes=10)  # for a transaction that committed long after its moment
FULL_PASS = timedelta(hours=1)


class Settler:
    """A round of the background ``points`` loop: credit credentials and reverse revoked
    ones' entries (points.settle_credentials), then issue the awards due (settle).

    After a full round, a round looks only at credentials issued and status changes
    recorded since the last one started (less MARGIN), and settles awards only when an
    entry or a threshold was added since none were due; every FULL_PASS it looks at
    everything again (an account opened since, say, for points from credentials alone)."""

    def __init__(self, svc: Service) -> None:
        self.svc = svc
        self._since: datetime | None = None  # when the last completed round started
        self._full_at: datetime | None = None
        self._settled: tuple[int, int] | None = None  # newest entry and threshold then

    def run_once(self) -> int:
        started = timefmt.now()
        full = self._full_at is None or started - self._full_at >= FULL_PASS
        since = None if full or self._since is None else self._since - MARGIN
        written = points.settle_credentials(self.svc, since=since)
        with self.svc.db.session() as session:
            newest = (session.scalar(select(func.max(PointsEntry.id))) or 0,
                      session.scalar(select(func.max(PointsThreshold.id))) or 0)
        awarded = 0
        if full or newest != self._settled:
            awarded = settle(self.svc)
            if not awarded:  # none due at this point: nothing to do until something new
                self._settled = newest
        self._since = started
        if full:
            self._full_at = started
        return written + awarded
