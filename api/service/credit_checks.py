"""What issuance checks against the credit bank's registry (docs/creditbank.md §6.2).

With an active qualification framework, a record's level must be one of its levels and a
credit figure must be typed (a unit and a sector, its own or its cited standard's).
Without one, levels stay free text and an untyped figure is accepted, as before the
registry existed. A cited outcome standard must be published and in force on the day the
credential becomes valid, and the record must agree with it: level, value, unit, sector.
The issuer's accreditation scope, as the service holds it (api/service/scopes.py), limits
the sector and level (``scope_problem``). Refusals are ``ledger.errors.InputError`` (what
every issuing path already maps: 422 for one credential, a failed row for a job)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from ledger.errors import InputError
from ledger.issuance import LearningRecord
from verifier.credit import Credits, Framework, Mismatch, Standard, value_of
from verifier.registry_layout import ScopeFact
from verifier.scope import check_scope

from .credit_lookup import active_framework, published_versions
from .models import Issuer


class Registry:
    """What issuance checks against, read once for a request or a batch: the active
    framework, and each cited standard's published versions when first asked for."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.framework: Framework | None = active_framework(session)
        self._versions: dict[str, list[Standard]] = {}

    @classmethod
    def load(cls, session: Session) -> Registry:
        return cls(session)

    def standard(self, code: str, day: date) -> Standard | None:
        if code not in self._versions:
            self._versions[code] = published_versions(self._session, code)
        for found in self._versions[code]:
            if found.in_force(day):
                return found
        return None


def check_record(session: Session, record: LearningRecord, day: date,
                 registry: Registry | None = None) -> Standard | None:
    """The standard the record cites, as in force on ``day``; raises InputError naming
    what does not fit."""
    registry = registry or Registry.load(session)
    framework = registry.framework
    level = record.achievement.level
    if framework is not None:
        if level is not None and framework.find(level) is None:
            raise InputError(f"level {level!r} is not a level of framework {framework.id} "
                             f"{framework.version}")
        if record.creditsEarned is not None and record.creditUnit is None \
                and record.standard is None:
            raise InputError("creditsEarned needs creditUnit and sector (or a cited "
                             "standard that gives them)")
    if record.standard is None:
        return None
    standard = registry.standard(record.standard, day)
    if standard is None:
        raise InputError(f"standard {record.standard!r} is not a published standard in "
                         f"force on {day}")
    mismatches = [m for m in standard.check(credits=_claimed(record), level=level, on=day)
                  if not m.code.endswith("_missing")]
    if record.creditsEarned is None and record.sector is not None \
            and record.sector is not standard.sector:
        mismatches.append(Mismatch("sector_differs", f"{record.sector.value} claimed, "
                                   f"{standard.sector.value} standard"))
    if mismatches:
        raise InputError(f"the record does not agree with standard {standard.code} "
                         f"{standard.version}: " + "; ".join(m.detail for m in mismatches))
    return standard


def _claimed(record: LearningRecord) -> Credits | Decimal | None:
    if record.creditsEarned is None:
        return None
    value = Decimal(repr(record.creditsEarned))
    if record.creditUnit is None or record.sector is None:
        return value  # a bare value, in the standard's unit
    try:
        return Credits(value_of(value), record.creditUnit, record.sector)
    except ValueError as exc:
        raise InputError(f"creditsEarned: {exc}") from None


def scope_problem(issuer: Issuer, record: LearningRecord, standard: Standard | None,
                  framework: Framework | None) -> str | None:
    """Why a credential of ``record`` would lie outside the issuer's scope (as the service
    holds it), or None. The sector is the record's or its cited standard's; the level the
    record's, ranked in the active framework."""
    if issuer.scope_sectors is None:
        return None
    sector = record.sector.value if record.sector is not None else \
        standard.sector.value if standard is not None else None
    achievement = {k: v for k, v in (("sector", sector), ("level", record.achievement.level))
                   if v is not None}
    scope = ScopeFact(set=True, sectors=frozenset(issuer.scope_sectors),
                      max_level_rank=issuer.scope_max_level_rank or 0, since=0)
    problem = check_scope({"credentialSubject": {"achievement": achievement}}, scope,
                          framework)
    return f"issuer {issuer.slug}: {problem}" if problem else None
