"""Job-seeking verification for visitors, wallets and learners.

* ``/v1/requests``: a page visitor's verification request (no key: the name is
  self-declared) and its answers, read with the manage token shown once;
* ``/v1/exchanges/{id}``: the W3C VC API exchange of a request: an empty body answers the
  ``VerifiablePresentationRequest`` (QueryByExample, challenge, domain); a body with a
  ``verifiablePresentation`` is the signed-in learner's answer, verified on arrival;
* ``/v1/learner/requests/{id}`` and ``/v1/learner/presentations``: the learner's side:
  a request with suggested credentials, consent (the service makes and signs the
  presentation), declining, every answer made, and withdrawal.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from api.service import presentations
from api.service.employer_models import Presentation, PresentationRequest
from api.web.auth import Credentials, LearnerCaller, ServiceDep, caller
from api.web.schemas import answers
from verifier import timefmt

public_router = APIRouter(tags=["public"])
learner_router = APIRouter(prefix="/v1/learner", tags=["learner"])

RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
PresentationId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{20,128}$")]
_GONE = "the request expired, or the learner withdrew the presentation"


class VisitorRequest(BaseModel):
    visitorName: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                  max_length=200)] = Field(
        description="who asks, as they name themselves (not checked by anyone)")
    title: Annotated[str, StringConstraints(max_length=200)] = ""
    requirements: list[dict[str, Any]] = Field(min_length=1, max_length=10)
    askName: bool = False
    expiresInHours: int = Field(72, ge=1, le=presentations.MAX_HOURS)
    accept: list[Literal["issuer", "status"]] = Field([], max_length=2)


@public_router.post("/v1/requests", status_code=201,
                    summary="A visitor's verification request (self-declared name)",
                    responses=answers(e422="a requirement does not follow the language"))
def create_visitor_request(body: VisitorRequest, svc: ServiceDep) -> JSONResponse:
    row, token = presentations.create_request(
        svc, requirements=body.requirements, title=body.title, ask_name=body.askName,
        expires_in_hours=body.expiresInHours, accept=body.accept,
        visitor_name=body.visitorName)
    base = svc.settings.public_url.rstrip("/")
    return JSONResponse({**presentations.request_json(svc, row), "manageToken": token,
                         "manageUrl": f"{base}/employer/r/{token}"}, status_code=201)


@public_router.get("/v1/requests/manage/{token}",
                   summary="A visitor's request and its answers, each checked now")
def get_visitor_request(token: Token, svc: ServiceDep) -> dict[str, Any]:
    row = presentations.managed_request(svc, token)
    return {**presentations.request_json(svc, row),
            "responses": [r.to_json() for r in presentations.request_responses(svc, row)]}


@public_router.get("/v1/requests/manage/{token}/responses/{presentation_id}/presentation",
                   summary="The Verifiable Presentation of one answer to a visitor's request",
                   responses=answers(e409="the learner declined", e410=_GONE))
def get_visitor_presentation(token: Token, presentation_id: PresentationId,
                             svc: ServiceDep) -> JSONResponse:
    row = presentations.managed_request(svc, token)
    return JSONResponse(presentations.presentation_document(svc, row, presentation_id),
                        headers={"Content-Disposition":
                                 f'attachment; filename="presentation-{presentation_id}.json"'})


# ---- the VC API exchange -----------------------------------------------------------------

def presentation_request(svc: Any, row: PresentationRequest) -> dict[str, Any]:
    """The request as a VC API ``VerifiablePresentationRequest`` (a QueryByExample per
    requirement, with the fields it needs disclosed; the challenge and domain)."""
    view = presentations.request_json(svc, row)
    queries = [{"type": "QueryByExample", "credentialQuery": {
        "reason": f"{r['kind']} requirement {r['id']}",
        "example": {"@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential", "OpenBadgeCredential"],
                    "credbank:requirement": {k: v for k, v in r.items() if k != "disclose"},
                    "credbank:disclose": r["disclose"]}}} for r in view["requirements"]]
    return {"verifiablePresentationRequest": {
        "query": queries, "challenge": row.challenge, "domain": row.domain,
        "interact": {"service": [{"type": "UnmediatedHttpPresentationService2021",
                                  "serviceEndpoint": f"{svc.settings.public_url.rstrip('/')}"
                                  f"/v1/exchanges/{row.id}"}]}},
            "request": view}


class ExchangeBody(BaseModel):
    verifiablePresentation: dict[str, Any] | None = Field(
        None, description="the signed-in learner's answer; absent to ask what is requested")


@public_router.post("/v1/exchanges/{request_id}",
                    summary="VC API exchange: the presentation request, or a learner's answer",
                    responses=answers(e403="answering needs the learner's own session and "
                                      "holder key", e410=_GONE,
                                      e422="a check binding the presentation to this request "
                                      "failed (named)"))
def exchange(request_id: RequestId, request: Request, svc: ServiceDep,
             credentials: Credentials,
             body: Annotated[ExchangeBody | None, Body()] = None) -> JSONResponse:
    row = presentations.public_request(svc, request_id)
    if body is None or body.verifiablePresentation is None:
        return JSONResponse(presentation_request(svc, row))
    # an answer is the signed-in learner's own: their session, their holder key
    who = caller(request, svc, credentials)
    if who.role != "learner":
        raise HTTPException(403, "answering a request needs a learner's session")
    answer = presentations.accept_presentation(svc, who.learner_id, request_id,
                                               body.verifiablePresentation)
    return JSONResponse(answer_json(answer, row), status_code=201)


# ---- the learner's side ------------------------------------------------------------------

def answer_json(answer: Presentation, row: PresentationRequest) -> dict[str, Any]:
    employer = row.employer.name if row.employer is not None else row.visitor_name
    result = json.loads(answer.result_on_arrival) if answer.result_on_arrival else None
    return {"id": answer.id, "request": row.id, "employer": employer,
            "registeredEmployer": row.employer is not None, "title": row.title,
            "state": answer.state, "credentials": list(answer.credential_ids),
            "nameRevealed": answer.name_revealed, "presentedAt": when(answer.created_at),
            "withdrawnAt": when(answer.withdrawn_at),
            "verifiedOnArrival": answer.verified_on_arrival, "resultOnArrival": result}


def when(moment: Any) -> str | None:
    return timefmt.format(moment) if moment else None


@learner_router.get("/requests/{request_id}",
                    summary="A request to answer, with the learner's matching credentials",
                    responses=answers(e410="the request expired"))
def get_request(request_id: RequestId, who: LearnerCaller, svc: ServiceDep) -> dict[str, Any]:
    row = presentations.public_request(svc, request_id)
    suggested = presentations.suggestions(svc, who.learner_id, row)
    answered = presentations.own_answer(svc, who.learner_id, request_id)
    return {**presentations.request_json(svc, row),
            "answered": answer_json(answered, row) if answered else None,
            "candidates": {rid: [{"credential": c.credential.id,
                                  "achievementName": c.credential.achievement_name,
                                  "issuerName": c.issuer_name, "suggested": c.suggested,
                                  "whyNot": c.why_not or None} for c in found]
                           for rid, found in suggested.items()}}


class Consent(BaseModel):
    choices: dict[Annotated[str, StringConstraints(max_length=32)],
                  Annotated[list[Annotated[str, StringConstraints(max_length=64)]],
                            Field(max_length=20)]] = Field(
        max_length=10, description="for each requirement id, the credential ids chosen")
    revealName: bool = Field(False, description="consent to reveal the name (when asked)")


@learner_router.post("/requests/{request_id}/presentation", status_code=201,
                     summary="Consent: present the chosen credentials to the request",
                     responses=answers(e409="already answered", e410="the request expired"))
def consent(request_id: RequestId, body: Consent, who: LearnerCaller,
            svc: ServiceDep) -> dict[str, Any]:
    answer = presentations.present(svc, who.learner_id, request_id, body.choices,
                                   body.revealName)
    _, row = presentations.learner_presentation(svc, who.learner_id, answer.id)
    return answer_json(answer, row)


@learner_router.post("/requests/{request_id}/decline", status_code=201,
                     summary="Decline a request (recorded; nothing disclosed)",
                     responses=answers(e409="already answered"))
def decline(request_id: RequestId, who: LearnerCaller, svc: ServiceDep) -> dict[str, Any]:
    answer = presentations.decline(svc, who.learner_id, request_id)
    _, row = presentations.learner_presentation(svc, who.learner_id, answer.id)
    return answer_json(answer, row)


@learner_router.get("/presentations", summary="Every answer the learner made")
def list_presentations(who: LearnerCaller, svc: ServiceDep) -> list[dict[str, Any]]:
    return [answer_json(a, r) for a, r in presentations.learner_presentations(
        svc, who.learner_id)]


@learner_router.get("/presentations/{presentation_id}",
                    summary="One answer, with the presentation as sent (until withdrawn)")
def get_presentation(presentation_id: PresentationId, who: LearnerCaller,
                     svc: ServiceDep) -> dict[str, Any]:
    answer, row = presentations.learner_presentation(svc, who.learner_id, presentation_id)
    document = json.loads(answer.document) if answer.document else None
    return {**answer_json(answer, row), "presentation": document}


@learner_router.post("/presentations/{presentation_id}/withdraw",
                     summary="Withdraw a presentation: the employer can no longer fetch it",
                     responses=answers(e409="a declined request has nothing to withdraw"))
def withdraw(presentation_id: PresentationId, who: LearnerCaller,
             svc: ServiceDep) -> dict[str, Any]:
    presentations.withdraw(svc, who.learner_id, presentation_id)
    answer, row = presentations.learner_presentation(svc, who.learner_id, presentation_id)
    return answer_json(answer, row)
