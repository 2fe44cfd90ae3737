"""The authorization matrix's part for job-seeking verification: employers A and B as
callers, their requests and a learner's answers in the world, and the routes' rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.service.accounts import create_api_key
from api.service.context import Service

from .conftest import bearer


def hiring_world(service: Service, credential_a: str
                 ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Employers A and B (and a spare one to retire), three requests of A's and a
    visitor's; learner A's answers to one of A's and to the visitor's."""
    from api.service import employers, presentations
    from api.service.models import Learner

    headers = {}
    for caller, slug in (("employer", "employer-a"), ("employer_b", "employer-b")):
        employers.register(service, slug, slug)
        headers[caller] = bearer(create_api_key(service, "employer", None, employer_slug=slug))
    employers.register(service, "employer-spare", "spare")
    employer_a = employers.every(service)[0].id
    asked = {"requirements": [{"id": "r", "kind": "credits", "field": "计算机",
                               "unit": "credit", "min": 1}],
             "ask_name": True, "expires_in_hours": 24, "accept": ["status"]}
    out = {}
    for use in ("answered", "open", "decline"):
        out[use] = presentations.create_request(service, employer_id=employer_a, **asked)[0].id
    visitor, token = presentations.create_request(service, visitor_name="访客", **asked)
    with service.db.session() as session:
        learner_a = session.scalars(select(Learner).where(Learner.login == "zhangwei")).one().id
    out["presentation"] = presentations.present(service, learner_a, out["answered"],
                                                {"r": [credential_a]}, True).id
    out["visitor_presentation"] = presentations.present(service, learner_a, visitor.id,
                                                        {"r": [credential_a]}, False).id
    out["token"] = str(token)
    return out, headers


_EMPLOYER_REQUEST = {"requirements": [{"id": "r", "kind": "accredited"}],
                     "accept": ["status"]}


def _hired(world: Any, key: str) -> str:
    assert world.hiring is not None
    return world.hiring[key]


def _response_path(world: Any, suffix: str = "") -> str:
    return (f"/v1/employer/requests/{_hired(world, 'answered')}/responses/"
            f"{_hired(world, 'presentation')}{suffix}")


def presenting_routes(Route: Any) -> dict[tuple[str, str], Any]:  # noqa: N803
    """The matrix rows of job-seeking verification (test_authz.Route is passed in)."""
    return {
        ("POST", "/v1/admin/employers"): Route(
            "governor", body=lambda w: {"slug": f"employer-{w.counter()}", "name": "某公司"}),
        ("GET", "/v1/admin/employers"): Route("governor"),
        ("POST", "/v1/admin/employers/{slug}/retire"): Route(
            "governor", path=lambda w: "/v1/admin/employers/employer-spare/retire"),
        ("POST", "/v1/employer/requests"): Route("employer", body=lambda w: _EMPLOYER_REQUEST),
        ("GET", "/v1/employer/requests"): Route("employer"),
        ("GET", "/v1/employer/requests/{request_id}"): Route(
            "employer", owned=True,
            path=lambda w: f"/v1/employer/requests/{_hired(w, 'answered')}"),
        ("GET", "/v1/employer/requests/{request_id}/responses/{presentation_id}"): Route(
            "employer", owned=True, path=_response_path),
        ("GET", "/v1/employer/requests/{request_id}/responses/{presentation_id}/presentation"):
            Route("employer", owned=True, path=lambda w: _response_path(w, "/presentation")),
        # a bulk report over the answers to A's request: employer B gets 404
        ("POST", "/v1/employer/requests/{request_id}/bulk-check"): Route(
            "employer", owned=True,
            path=lambda w: f"/v1/employer/requests/{_hired(w, 'answered')}/bulk-check"),
        ("POST", "/v1/requests"): Route(
            "public", body=lambda w: {**_EMPLOYER_REQUEST, "visitorName": "访客"}),
        ("GET", "/v1/requests/manage/{token}"): Route(
            "public", path=lambda w: f"/v1/requests/manage/{_hired(w, 'token')}"),
        ("GET", "/v1/requests/manage/{token}/responses/{presentation_id}/presentation"): Route(
            "public", path=lambda w: f"/v1/requests/manage/{_hired(w, 'token')}/responses/"
            f"{_hired(w, 'visitor_presentation')}/presentation"),
        ("GET", "/v1/employers/{slug}"): Route("public",
                                                path=lambda w: "/v1/employers/employer-a"),
        ("POST", "/v1/exchanges/{request_id}"): Route(
            "public", body=lambda w: {}, path=lambda w: f"/v1/exchanges/{_hired(w, 'open')}"),
        ("GET", "/v1/learner/requests/{request_id}"): Route(
            "learner", path=lambda w: f"/v1/learner/requests/{_hired(w, 'open')}"),
        # learner B names learner A's credential: not in B's account, so 404
        ("POST", "/v1/learner/requests/{request_id}/presentation"): Route(
            "learner", owned=True,
            path=lambda w: f"/v1/learner/requests/{_hired(w, 'open')}/presentation",
            body=lambda w: {"choices": {"r": [w.credential_a]}, "revealName": False}),
        ("POST", "/v1/learner/requests/{request_id}/decline"): Route(
            "learner", path=lambda w: f"/v1/learner/requests/{_hired(w, 'decline')}/decline"),
        ("GET", "/v1/learner/presentations"): Route("learner"),
        ("GET", "/v1/learner/presentations/{presentation_id}"): Route(
            "learner", owned=True,
            path=lambda w: f"/v1/learner/presentations/{_hired(w, 'presentation')}"),
        ("POST", "/v1/learner/presentations/{presentation_id}/withdraw"): Route(
            "learner", owned=True,
            path=lambda w: f"/v1/learner/presentations/{_hired(w, 'presentation')}/withdraw"),
    }
