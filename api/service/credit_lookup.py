"""Reading the credit bank's registry inside a unit of work: the framework in force and
the outcome standards. Issuance (credit_checks) and the registry's operations
(credit_registry) share these."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier.credit import Framework, Standard, parse_framework, parse_standard

from .models import CreditFramework, CreditStandard


def active_framework(session: Session) -> Framework | None:
    """The framework in force, or None when the authority has published none (levels are
    then free text)."""
    row = session.scalars(select(CreditFramework).where(
        CreditFramework.state == "active")).first()
    return parse_framework(row.document) if row else None


def standards_in(session: Session, states: tuple[str, ...]) -> list[Standard]:
    rows = session.scalars(select(CreditStandard).where(CreditStandard.state.in_(states))
                           .order_by(CreditStandard.code, CreditStandard.version))
    return [parse_standard(json.loads(r.document)) for r in rows]



def published_versions(session: Session, code: str) -> list[Standard]:
    """The published versions of one standard."""
    rows = session.scalars(select(CreditStandard).where(
        CreditStandard.code == code, CreditStandard.state == "published"))
    return [parse_standard(json.loads(r.document)) for r in rows]
