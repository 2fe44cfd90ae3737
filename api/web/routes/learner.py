"""Learners: sign in, their learning account (学习账户) and their share links; and the public
side of a share link (its derived copy and QR codes).

Every learner route answers only for the signed-in learner's own credentials and links;
someone else's answer 404, exactly like ones that do not exist.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints, model_validator

from api.service import archives, certificate, sharing
from api.service.context import Service
from api.service.errors import Gone as GoneError
from api.service.errors import ServiceError
from api.service.models import Credential, Issuer, ShareLink
from api.service.sessions import LearnerAuthenticator, end_session, sign_in
from api.web import errors
from api.web.auth import (
    SESSION_COOKIE,
    Credentials,
    LearnerCaller,
    ServiceDep,
    authenticator,
    clear_session_cookie,
    set_session_cookie,
)
from api.web.schemas import Problem
from verifier import timefmt

router = APIRouter(prefix="/v1/learner", tags=["learner"])
public_router = APIRouter(tags=["public"])


# ---- session ------------------------------------------------------------------------------

class SignIn(BaseModel):
    login: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class SessionOut(BaseModel):
    token: str = Field(description="send as a bearer token; also set as an HttpOnly cookie")
    expiresAt: str


@router.post("/session", response_model=SessionOut, summary="Sign in to a learning account",
             responses={401: {"model": Problem, "description": "wrong login or password"}})
def create_session(body: SignIn, svc: ServiceDep, response: Response,
                   auth: Annotated[LearnerAuthenticator, Depends(authenticator)]) -> SessionOut:
    started = sign_in(svc, auth, body.login, body.password)
    if started is None:
        raise HTTPException(401, "wrong login or password")
    token, expires = started
    set_session_cookie(response, svc, token)
    return SessionOut(token=token, expiresAt=expires)


@router.delete("/session", status_code=204, summary="Sign out (ends this session)")
def delete_session(request: Request, who: LearnerCaller, svc: ServiceDep,
                   credentials: Credentials) -> Response:
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    end_session(svc, token)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


# ---- learning account ---------------------------------------------------------------------

class OwnCredential(BaseModel):
    id: str
    issuer: str
    issuerName: str
    state: str
    status: str
    achievementType: str
    achievementName: str
    fieldOfStudy: str | None
    creditsEarned: float | None
    issuedAt: str
    anchoredAt: str | None


def own_summary(row: Credential, issuer: Issuer) -> OwnCredential:
    fmt = timefmt.format
    return OwnCredential(
        id=row.id, issuer=issuer.did, issuerName=issuer.name, state=row.state,
        status=row.status, achievementType=row.achievement_type,
        achievementName=row.achievement_name, fieldOfStudy=row.field_of_study,
        creditsEarned=row.credits, issuedAt=fmt(row.issued_at),
        anchoredAt=fmt(row.anchored_at) if row.anchored_at else None)


@router.get("/credentials", response_model=list[OwnCredential],
            summary="Every credential issued to this learner, by any institution")
def list_own(who: LearnerCaller, svc: ServiceDep) -> list[OwnCredential]:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        rows = sharing.own_credentials(session, learner)
        return [own_summary(row, issuer) for row, issuer in rows]


@router.get("/credentials/{credential_id}",
            summary="The learner's full copy of one credential (a file for offline checks)",
            response_description="the full signed credential")
def get_own(credential_id: str, who: LearnerCaller, svc: ServiceDep) -> Response:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        row = sharing.own_credential(session, learner, credential_id)
        document = row.document
    return Response(document, media_type="application/json",
                    headers={"Content-Disposition": download_name(credential_id)})


Language = Annotated[Literal["zh", "en"], Query(description="the certificate's language")]
_CERTIFICATE = {
    200: {"content": {"application/pdf": {}},
          "description": "an A4 certificate; the credential is embedded as credential.json"},
    503: {"model": Problem, "description": "the server has no Chinese font for certificates"},
}


def certificate_pdf(made: certificate.Certificate) -> Response:
    return Response(made.pdf, media_type=certificate.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{made.filename}"',
                             "Cache-Control": "no-store"})


@router.get("/credentials/{credential_id}/certificate.pdf",
            summary="The learner's own credential as a printable certificate (PDF, full copy)",
            response_class=Response, responses=_CERTIFICATE)
def get_own_certificate(credential_id: str, who: LearnerCaller, svc: ServiceDep,
                        lang: Language = "zh") -> Response:
    return certificate_pdf(certificate.own_certificate(svc, who.learner_id, credential_id, lang))


ChosenCredentials = Annotated[list[str] | None, Query(
    alias="credential", max_length=100,
    description="the ids of the credentials to put in the archive (repeat the parameter); "
    "without it, every anchored credential in force")]
RevealName = Annotated[bool, Query(alias="revealName",
                                   description="disclose the learner's name in the archive")]
_ARCHIVE = {
    409: {"model": Problem, "description": "a chosen credential is not anchored yet or not "
          "in force"},
    404: {"model": Problem, "description": "a chosen credential is not in this account"},
    422: {"model": Problem, "description": "a credential named twice, or more than 100"},
    503: {"model": Problem, "description": "this service has no credit bank issuer (or, for "
          "the PDF, no Chinese font)"},
}


@router.get("/archive", summary="The learning archive: chosen credentials in one document "
            "the credit bank signs (CLR 2.0-shaped, JSON)", response_class=Response,
            responses={200: {"content": {"application/json": {}},
                             "description": "a ClrCredential signed by the credit bank"},
                       **_ARCHIVE})
def get_archive(who: LearnerCaller, svc: ServiceDep, credential: ChosenCredentials = None,
                reveal_name: RevealName = True) -> Response:
    made = archives.export(svc, who.learner_id, credential or [], reveal_name=reveal_name)
    return Response(made.text, media_type="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="{made.filename_stem}.json"',
                             "Cache-Control": "no-store"})


@router.get("/archive.pdf", summary="The learning archive as a printable A4 PDF that carries "
            "it", response_class=Response,
            responses={200: {"content": {"application/pdf": {}},
                             "description": "the archive, embedded as credential.json"},
                       **_ARCHIVE})
def get_archive_pdf(who: LearnerCaller, svc: ServiceDep, credential: ChosenCredentials = None,
                    reveal_name: RevealName = True, lang: Language = "zh") -> Response:
    pdf, name = archives.export_pdf(svc, who.learner_id, credential or [], lang,
                                    reveal_name=reveal_name)
    return Response(pdf, media_type=certificate.MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store"})


def download_name(credential_id: str) -> str:
    stem = credential_id.rsplit(":", 1)[-1]
    safe = "".join(c for c in stem if c.isalnum() or c == "-")[:64] or "credential"
    return f'attachment; filename="credential-{safe}.json"'


UnitCode = Literal["credit", "hour", "point"]
SectorCode = Literal["degree", "vocational", "non_degree", "community_elderly", "venue"]


class UnitTotal(BaseModel):
    value: str = Field(description="exact decimal text, e.g. \"4\" or \"1.5\"")
    unit: UnitCode


class UnitSectorTotal(UnitTotal):
    sector: SectorCode


class CreditTotals(BaseModel):
    byUnit: list[UnitTotal] = Field(description="one total per unit; units are never added")
    byUnitAndSector: list[UnitSectorTotal]


class UntypedFigure(BaseModel):
    credential: str
    achievementName: str
    fieldOfStudy: str | None
    credits: float


class Summary(BaseModel):
    totals: CreditTotals = Field(description="typed figures of active credentials")
    recognised: CreditTotals = Field(
        description="what recognition decisions in force granted toward the credit bank; "
        "kept apart from `totals` (a recognised credit restates an outcome)")
    untypedCredits: list[UntypedFigure] = Field(
        description="figures without a unit (older credentials): shown, never added")
    countsByType: dict[str, int]
    countsByStatus: dict[str, int]
    pending: int = Field(description="active credentials not yet anchored (counted)")
    total: int


@router.get("/summary", response_model=Summary,
            summary="Credit totals by unit and by unit and sector, and counts by type "
                    "(active credentials)")
def summary(who: LearnerCaller, svc: ServiceDep) -> Summary:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        return Summary(**sharing.account_summary(sharing.own_credentials(session, learner)))


# ---- share links --------------------------------------------------------------------------

Pointer = Annotated[str, StringConstraints(max_length=512)]


class NewLink(BaseModel):
    credentialId: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    reveal: Annotated[list[Pointer], Field(max_length=500)] = []
    expiresInDays: Annotated[int, Field(ge=1, le=sharing.MAX_LINK_DAYS - 1)] | None = None
    expiresAt: AwareDatetime | None = None
    maxViews: Annotated[int, Field(ge=1, le=sharing.MAX_VIEWS)] | None = None
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    revealName: bool = Field(True, description="reveal the learner's name (when the "
                             "credential has one) besides `reveal`; false leaves it hidden")

    @model_validator(mode="after")
    def _one_expiry(self) -> NewLink:
        if self.expiresInDays is not None and self.expiresAt is not None:
            raise ValueError("give expiresInDays or expiresAt, not both")
        if self.expiresInDays is None and self.expiresAt is None:
            raise ValueError("give expiresInDays or expiresAt")
        return self

    def expiry(self) -> datetime:
        if self.expiresAt is not None:
            return self.expiresAt
        return timefmt.now() + timedelta(days=self.expiresInDays or 0)


class LinkCreated(BaseModel):
    id: int
    url: str = Field(description="shown once: only the token's hash is kept")
    qrPng: str
    qrSvg: str
    expiresAt: str


class LinkOut(BaseModel):
    id: int
    credentialId: str
    achievementName: str
    label: str
    reveal: list[str]
    createdAt: str
    expiresAt: str
    maxViews: int | None
    views: int
    lastOpenedAt: str | None
    revokedAt: str | None
    state: str = Field(description="active | expired | revoked | used_up")


class LinkViews(BaseModel):
    id: int
    views: int
    openedAt: list[str]


def link_out(link: ShareLink, credential: Credential, last_opened: Any) -> LinkOut:
    fmt = timefmt.format
    return LinkOut(
        id=link.id, credentialId=link.credential_id, achievementName=credential.achievement_name,
        label=link.label, reveal=list(link.reveal), createdAt=fmt(link.created_at),
        expiresAt=fmt(link.expires_at), maxViews=link.max_views, views=link.views,
        lastOpenedAt=fmt(_aware(last_opened)) if last_opened else None,
        revokedAt=fmt(link.revoked_at) if link.revoked_at else None,
        state=sharing.link_state(link))


def _aware(value: Any) -> datetime:
    """A MAX() over a UTC column comes back naive from SQLite (and as text from some
    drivers); the column only ever holds UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def created(svc: Service, new: sharing.NewLink) -> LinkCreated:
    url = sharing.link_url(svc, new.token)
    return LinkCreated(id=new.link.id, url=url, qrPng=f"{url}/qr.png", qrSvg=f"{url}/qr.svg",
                       expiresAt=timefmt.format(new.link.expires_at))


@router.post("/links", status_code=201, response_model=LinkCreated,
             summary="Share one credential: a link (and QR code) revealing the chosen fields",
             responses={404: {"model": Problem,
                              "description": "no such credential in this learning account"}})
def create_link(body: NewLink, who: LearnerCaller, svc: ServiceDep) -> LinkCreated:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        new = sharing.create_link(session, learner, body.credentialId, body.reveal,
                                  expires_at=body.expiry(), max_views=body.maxViews,
                                  label=body.label, reveal_name=body.revealName)
    return created(svc, new)


@router.get("/links", response_model=list[LinkOut],
            summary="This learner's share links: state, views, when last opened")
def list_links(who: LearnerCaller, svc: ServiceDep) -> list[LinkOut]:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        return [link_out(*row) for row in sharing.own_links(session, learner)]


def _link_with_context(session: Any, learner: Any, link: ShareLink) -> LinkOut:
    for row in sharing.own_links(session, learner):
        if row[0].id == link.id:
            return link_out(*row)
    raise HTTPException(404, "no such share link in this learning account")


@router.delete("/links/{link_id}", response_model=LinkOut,
               summary="Revoke a share link (it answers 410 from now on)")
def revoke_link(link_id: int, who: LearnerCaller, svc: ServiceDep) -> LinkOut:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        link = sharing.revoke_link(session, learner, link_id)
        session.flush()
        return _link_with_context(session, learner, link)


@router.get("/links/{link_id}/views", response_model=LinkViews,
            summary="When a share link was opened")
def link_views(link_id: int, who: LearnerCaller, svc: ServiceDep) -> LinkViews:
    with svc.db.session() as session:
        learner = sharing.learner_of(session, who.learner_id)
        link = sharing.own_link(session, learner, link_id)
        times = sharing.link_views(session, link)
        return LinkViews(id=link.id, views=link.views,
                         openedAt=[timefmt.format(t) for t in times])


# ---- the public side of a link ------------------------------------------------------------
#
# Registered before the HTML page's /s/{token}, whose parameter would also match
# "<token>.json".

class Gone(BaseModel):
    detail: str
    state: str = Field(description="expired | revoked | used_up")


Token = Annotated[str, Path(pattern=sharing.TOKEN_PATTERN, description="the link's token")]
_GONE = {410: {"model": Gone, "description": "the link was revoked, expired or used up"}}


def gone(exc: ServiceError) -> JSONResponse:
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, GoneError):
        body["state"] = exc.state
    return JSONResponse(body, status_code=errors.status_of(exc),
                        headers={"Cache-Control": "no-store"})


@public_router.get("/s/{token}.json", summary="A share link's derived copy (counts a view)",
                   response_description="the selectively disclosed credential",
                   responses=_GONE)
def shared_copy(token: Token, svc: ServiceDep) -> Response:
    try:
        opened = sharing.open_shared(svc, token)
    except ServiceError as exc:
        return gone(exc)
    return Response(sharing.shared_json(opened.copy), media_type="application/json",
                    headers={"Cache-Control": "no-store",
                             "Content-Disposition": download_name(opened.credential.id).replace(
                                 "attachment", "inline")})


@public_router.get("/s/{token}/certificate.pdf",
                   summary="A share link's derived copy as a printable certificate (PDF; "
                           "counts a view)",
                   response_class=Response, responses={**_CERTIFICATE, **_GONE})
def shared_certificate(token: Token, svc: ServiceDep, lang: Language = "zh") -> Response:
    try:
        made = certificate.shared_certificate(svc, token, lang)
    except ServiceError as exc:
        return gone(exc)
    return certificate_pdf(made)


def _qr_target(svc: Service, token: str) -> str:
    with svc.db.session() as session:
        sharing.peek_link(session, token)
    return sharing.link_url(svc, token)


def _qr(svc: Service, token: str, draw: Any, media_type: str) -> Response:
    try:
        url = _qr_target(svc, token)
    except ServiceError as exc:
        return gone(exc)
    return Response(draw(url), media_type=media_type, headers={"Cache-Control": "no-store"})


@public_router.get("/s/{token}/qr.png", summary="The link as a QR code (PNG)",
                   responses={200: {"content": {"image/png": {}}}, **_GONE})
def qr_png(token: Token, svc: ServiceDep) -> Response:
    return _qr(svc, token, sharing.qr_png, "image/png")


@public_router.get("/s/{token}/qr.svg", summary="The link as a QR code (SVG)",
                   responses={200: {"content": {"image/svg+xml": {}}}, **_GONE})
def qr_svg(token: Token, svc: ServiceDep) -> Response:
    return _qr(svc, token, sharing.qr_svg, "image/svg+xml")


# ---- the learner's password ----------------------------------------------------------------

class PasswordChange(BaseModel):
    currentPassword: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    newPassword: Annotated[str, StringConstraints(min_length=8, max_length=200)]


class PasswordChanged(BaseModel):
    sessionsEnded: int = Field(description="the learner's other sessions, ended")


@router.post("/password", response_model=PasswordChanged,
             summary="Change this learner's password (the current one is needed); every "
                     "other session of the learner ends",
             responses={403: {"model": Problem, "description": "the current password is wrong"},
                        422: {"model": Problem, "description": "the new password is too short "
                              "or too long"}})
def change_password(body: PasswordChange, request: Request, who: LearnerCaller,
                    svc: ServiceDep, credentials: Credentials) -> PasswordChanged:
    from api.service import accounts  # here, so this block stands alone in the module

    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    ended = accounts.change_password(svc, who.learner_id, body.currentPassword,
                                     body.newPassword, keep_session=token)
    return PasswordChanged(sessionsEnded=ended)
