"""Employers: the authority's registry of them (``/v1/admin/employers``), and a registered
employer's verification requests and their answers (``/v1/employer/requests``; employer API
keys). An employer sees only its own requests; another's answer 404, like none."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from api.service import employers, presentations
from api.service.models import Employer as EmployerRow
from api.web.auth import Employer, Governor, ServiceDep
from api.web.schemas import answers
from verifier import timefmt

admin_router = APIRouter(prefix="/v1/admin", tags=["authority"])
router = APIRouter(prefix="/v1/employer", tags=["employer"])
public_router = APIRouter(tags=["public"])

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
RequestId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
PresentationId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$")]
_GONE = "the learner withdrew this presentation"
_DECLINED = "the learner declined this request: there is no presentation"


class NewEmployer(BaseModel):
    slug: Slug
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class EmployerOut(BaseModel):
    id: str = Field(description="the slug")
    name: str
    createdAt: str
    retiredAt: str | None


def _employer_out(row: EmployerRow) -> EmployerOut:
    return EmployerOut(id=row.slug, name=row.name, createdAt=timefmt.format(row.created_at),
                       retiredAt=timefmt.format(row.retired_at) if row.retired_at else None)


@admin_router.post("/employers", status_code=201, response_model=EmployerOut,
                   summary="Register an employer (give it keys with POST /v1/admin/api-keys)",
                   responses=answers(e409="an employer with this slug exists"))
def create_employer(body: NewEmployer, _: Governor, svc: ServiceDep) -> EmployerOut:
    return _employer_out(employers.register(svc, body.slug, body.name))


@admin_router.get("/employers", response_model=list[EmployerOut], summary="Every employer")
def list_employers(_: Governor, svc: ServiceDep) -> list[EmployerOut]:
    return [_employer_out(e) for e in employers.every(svc)]


@admin_router.post("/employers/{slug}/retire", response_model=EmployerOut,
                   summary="Retire an employer: its keys are revoked, its requests closed")
def retire_employer(slug: Annotated[str, Path(max_length=64)], _: Governor,
                    svc: ServiceDep) -> EmployerOut:
    return _employer_out(employers.retire(svc, slug))


@public_router.get("/v1/employers/{slug}", response_model=EmployerOut,
                   summary="A registered employer: what a request's domain names",
                   responses=answers(e404="no employer with this slug"))
def get_employer(slug: Annotated[str, Path(max_length=64)], svc: ServiceDep) -> EmployerOut:
    return _employer_out(employers.by_slug(svc, slug))


class NewRequest(BaseModel):
    title: Annotated[str, StringConstraints(max_length=200)] = ""
    requirements: list[dict[str, Any]] = Field(
        min_length=1, max_length=10,
        description="the requirements language (docs/presentations.md §2)")
    askName: bool = Field(False, description="ask for the holder's name")
    expiresInHours: int = Field(72, ge=1, le=presentations.MAX_HOURS)
    accept: list[Literal["issuer", "status"]] = Field(
        [], max_length=2, description="gaps accepted in each credential's verdict")


@router.post("/requests", status_code=201, summary="Create a verification request",
             responses=answers(e422="a requirement does not follow the language"))
def create_request(body: NewRequest, who: Employer, svc: ServiceDep) -> JSONResponse:
    row, _ = presentations.create_request(
        svc, requirements=body.requirements, title=body.title, ask_name=body.askName,
        expires_in_hours=body.expiresInHours, accept=body.accept,
        employer_id=employers.active(svc, who.employer_id).id)
    return JSONResponse(presentations.request_json(svc, row), status_code=201)


@router.get("/requests", summary="The employer's requests, newest first")
def list_requests(who: Employer, svc: ServiceDep) -> list[dict[str, Any]]:
    employer = employers.active(svc, who.employer_id)
    return [presentations.request_json(svc, r)
            for r in presentations.employer_requests(svc, employer.id)]


@router.get("/requests/{request_id}",
            summary="One request and every answer to it, each presentation checked now")
def get_request(request_id: RequestId, who: Employer, svc: ServiceDep) -> dict[str, Any]:
    employer = employers.active(svc, who.employer_id)
    row = presentations.employer_request(svc, employer.id, request_id)
    return {**presentations.request_json(svc, row),
            "responses": [r.to_json() for r in presentations.responses(svc, employer.id,
                                                                        request_id)]}


@router.get("/requests/{request_id}/responses/{presentation_id}",
            summary="One answer, its presentation checked now",
            responses=answers(e409=_DECLINED, e410=_GONE))
def get_response(request_id: RequestId, presentation_id: PresentationId, who: Employer,
                 svc: ServiceDep) -> dict[str, Any]:
    employer = employers.active(svc, who.employer_id)
    row = presentations.employer_request(svc, employer.id, request_id)
    return presentations.response(svc, row, presentation_id).to_json()


@router.get("/requests/{request_id}/responses/{presentation_id}/presentation",
            summary="The Verifiable Presentation (check it offline with credbank-verify)",
            responses=answers(e409=_DECLINED, e410=_GONE))
def get_presentation(request_id: RequestId, presentation_id: PresentationId, who: Employer,
                     svc: ServiceDep) -> JSONResponse:
    employer = employers.active(svc, who.employer_id)
    row = presentations.employer_request(svc, employer.id, request_id)
    return JSONResponse(presentations.presentation_document(svc, row, presentation_id),
                        headers={"Content-Disposition":
                                 f'attachment; filename="presentation-{presentation_id}.json"'})
