"""Employers for service tests: a registered employer with an API key, and a bulk check
report of its own."""

from __future__ import annotations

from sqlalchemy import select

from api.service import bulk_check, bulk_sources
from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.models import Employer
from verifier import timefmt

from .conftest import bearer


def employer_key(service: Service, slug: str = "acme-hr") -> dict[str, str]:
    """Register the employer ``slug``; the headers of a new API key of its."""
    with service.db.session() as session:
        session.add(Employer(slug=slug, name=f"{slug} 人力资源", created_at=timefmt.now()))
    return bearer(create_api_key(service, "employer", None, "hr", employer_slug=slug))


def employer_id(service: Service, slug: str) -> int:
    with service.db.session() as session:
        return session.scalars(select(Employer.id).where(Employer.slug == slug)).one()


def report_of(service: Service, slug: str) -> str:
    """A finished bulk check report of the employer (one candidate, not a link); its id."""
    candidates = bulk_sources.links_csv(b"a,not a link\n")
    return bulk_check.run(service, employer_id(service, slug), candidates).id
