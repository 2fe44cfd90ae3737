"""Employers the authority registers: created, listed, retired. A registered employer's API
keys have role ``employer`` (``accounts.create_api_key``); a retired employer's keys stop
working and its requests can no longer be answered."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from verifier import timefmt

from .context import Service
from .errors import Conflict, InvalidInput, NotFound
from .models import ApiKey, Employer

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def register(svc: Service, slug: str, name: str) -> Employer:
    if not SLUG.fullmatch(slug):
        raise InvalidInput("slug must be 2 to 63 lowercase letters, digits or hyphens")
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name must be 1 to 200 characters")
    with svc.db.session() as session:
        if session.scalars(select(Employer).where(Employer.slug == slug)).first():
            raise Conflict(f"an employer {slug} exists already")
        row = Employer(slug=slug, name=name, created_at=timefmt.now())
        session.add(row)
        session.flush()
        return row


def every(svc: Service) -> list[Employer]:
    with svc.db.session() as session:
        return list(session.scalars(select(Employer).order_by(Employer.id)))


def retire(svc: Service, slug: str) -> Employer:
    """Retire an employer (again is no change): its API keys are revoked with it."""
    with svc.db.session() as session:
        row = session.scalars(select(Employer).where(Employer.slug == slug)).first()
        if row is None:
            raise NotFound(f"no employer {slug}")
        if row.retired_at is None:
            now = timefmt.now()
            row.retired_at = now
            session.execute(update(ApiKey).where(ApiKey.employer_id == row.id,
                                                 ApiKey.revoked_at.is_(None))
                            .values(revoked_at=now))
        return row


def by_slug(svc: Service, slug: str) -> Employer:
    with svc.db.session() as session:
        row = session.scalars(select(Employer).where(Employer.slug == slug)).first()
    if row is None:
        raise NotFound(f"no employer {slug}")
    return row


def active(svc: Service, employer_id: int | None) -> Employer:
    """The caller's employer, refused once retired."""
    with svc.db.session() as session:
        row = session.get(Employer, employer_id) if employer_id is not None else None
    if row is None or row.retired_at is not None:
        raise NotFound("no such employer")
    return row
