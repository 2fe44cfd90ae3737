"""The job-seeking verification part of `credbank up --demo`: a registered demo employer
with an API key, and one verification request the demo learners can answer (the
electrician's certificate at framework level 3 or above, 6 credits in 电气). Its key is
returned to be printed once; only its hash is stored."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from api.service import employers, presentations
from api.service.accounts import create_api_key
from api.service.context import Service
from api.service.employer_models import PresentationRequest
from api.service.models import Employer

EMPLOYER = ("demo-employer", "申城电力维修有限公司 Shencheng Power Maintenance Co.")
REQUIREMENTS = [
    {"id": "electrician", "kind": "achievement", "name": "电工"},
    {"id": "credits", "kind": "credits", "field": "电气", "unit": "credit", "min": 6},
]
OPEN_HOURS = 24 * 90


@dataclass(frozen=True)
class HiringDemo:
    employer: str
    request_id: str
    link: str
    key: str | None  # shown once, when the employer was registered by this run


def create_hiring_demo(svc: Service) -> HiringDemo:
    """The demo employer and its request; found again by later runs."""
    slug, name = EMPLOYER
    with svc.db.session() as session:
        employer = session.scalars(select(Employer).where(Employer.slug == slug)).first()
    key = None
    if employer is None:
        employer = employers.register(svc, slug, name)
        key = create_api_key(svc, "employer", None, "demo", employer_slug=slug)
    with svc.db.session() as session:
        request_id = session.scalars(select(PresentationRequest.id).where(
            PresentationRequest.employer_id == employer.id)).first()
    if request_id is None:
        request_id = presentations.create_request(
            svc, requirements=REQUIREMENTS, title="维修电工 Maintenance electrician",
            ask_name=True, expires_in_hours=OPEN_HOURS, employer_id=employer.id)[0].id
    return HiringDemo(slug, request_id, presentations.link(svc, request_id), key)


def hiring_lines(base: str, shown: HiringDemo) -> list[str]:
    lines = ["", f"Job-seeking verification (求职认证): {shown.employer}'s request, for a "
             "demo learner to answer (signed in):", f"  {shown.link}"]
    if shown.key is not None:
        lines += [f"  employer key (shown this once)  {shown.key}"]
    lines += ["The answers, each presentation checked now (EMP: the employer key):",
              f"  curl -s {base}/v1/employer/requests/{shown.request_id} "
              '-H "Authorization: Bearer $EMP"',
              f"A visitor's request, without a key: {base}/employer/requests/new"]
    return lines
