"""The credit-bank authority (governor API keys): issuers, API keys, learning accounts."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ledger.issuance import IssuerError, IssuerIdentity
from verifier import timefmt

from .. import security
from ..auth import Governor, ServiceDep
from ..context import Service
from ..models import ApiKey, Issuer, Learner

router = APIRouter(prefix="/v1/admin", tags=["authority"])

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class NewIssuer(BaseModel):
    slug: Slug
    name: Name
    did: Annotated[str, StringConstraints(pattern=r"^did:[a-z0-9]+:\S{1,200}$")] | None = None


class IssuerOut(BaseModel):
    id: int
    slug: str
    did: str
    name: str
    chain: dict[str, object] | None


class NewKey(BaseModel):
    role: Literal["institution", "governor"]
    issuer: Slug | None = Field(None, description="the issuer an institution key acts for")
    label: Annotated[str, StringConstraints(max_length=200)] = ""


class KeyOut(BaseModel):
    keyId: str
    role: str
    issuer: str | None
    label: str
    createdAt: str
    revokedAt: str | None
    lastUsedAt: str | None


class KeyCreated(KeyOut):
    apiKey: str = Field(description="shown once; only its hash is kept")


class NewLearner(BaseModel):
    login: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{3,64}$")]
    identityNumber: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4,
                                                     max_length=64)]
    displayName: Annotated[str, StringConstraints(max_length=200)] = ""
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)]


class LearnerOut(BaseModel):
    id: int
    login: str
    displayName: str


def _issuer_out(svc: Service, issuer: Issuer) -> IssuerOut:
    return IssuerOut(id=issuer.id, slug=issuer.slug, did=issuer.did, name=issuer.name,
                     chain=svc.identities.get(issuer).chain)


def register_issuer(svc: Service, slug: str, name: str, did: str | None = None) -> Issuer:
    """Create the issuing identity in the data directory and its database row."""
    with svc.db.session() as session:
        if session.scalars(select(Issuer).where(Issuer.slug == slug)).first():
            raise HTTPException(409, f"issuer {slug} already exists")
        directory = svc.settings.path("issuers", slug)
        try:
            identity = IssuerIdentity.create(directory, name, did=did)
        except IssuerError as exc:
            raise HTTPException(409, str(exc)) from None
        issuer = Issuer(slug=slug, did=identity.did, name=identity.name,
                        directory=str(directory.resolve()), created_at=timefmt.now())
        session.add(issuer)
    return issuer


@router.post("/issuers", status_code=201, response_model=IssuerOut,
             summary="Create an institution's issuing identity (keys stay on the server)")
def create_issuer(body: NewIssuer, _: Governor, svc: ServiceDep) -> IssuerOut:
    return _issuer_out(svc, register_issuer(svc, body.slug, body.name, body.did))


@router.get("/issuers", response_model=list[IssuerOut], summary="Every issuer")
def list_issuers(_: Governor, svc: ServiceDep) -> list[IssuerOut]:
    with svc.db.session() as session:
        issuers = session.scalars(select(Issuer).order_by(Issuer.id)).all()
    return [_issuer_out(svc, i) for i in issuers]


def _key_out(key: ApiKey, slug: str | None) -> dict[str, object]:
    fmt = timefmt.format
    return {"keyId": key.key_id, "role": key.role, "issuer": slug, "label": key.label,
            "createdAt": fmt(key.created_at),
            "revokedAt": fmt(key.revoked_at) if key.revoked_at else None,
            "lastUsedAt": fmt(key.last_used_at) if key.last_used_at else None}


def create_api_key(svc: Service, role: str, issuer_slug: str | None, label: str = "") -> str:
    """A new API key (the token, shown once); its hash is stored."""
    with svc.db.session() as session:
        issuer_id = None
        if role == "institution":
            if not issuer_slug:
                raise HTTPException(422, "an institution key needs an issuer")
            issuer = session.scalars(select(Issuer).where(Issuer.slug == issuer_slug)).first()
            if issuer is None:
                raise HTTPException(404, f"no issuer {issuer_slug}")
            issuer_id = issuer.id
        elif issuer_slug:
            raise HTTPException(422, "a governor key is not bound to an issuer")
        new = security.new_api_key()
        session.add(ApiKey(key_id=new.key_id, secret_hash=new.secret_hash, role=role,
                           issuer_id=issuer_id, label=label, created_at=timefmt.now()))
    return new.token


@router.post("/api-keys", status_code=201, response_model=KeyCreated,
             summary="Create an API key for an institution or another governor")
def new_key(body: NewKey, _: Governor, svc: ServiceDep) -> KeyCreated:
    token = create_api_key(svc, body.role, body.issuer, body.label)
    key_id = security.split_api_key(token)[0]  # type: ignore[index]
    with svc.db.session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.key_id == key_id)).one()
        return KeyCreated(**_key_out(key, body.issuer), apiKey=token)


@router.get("/api-keys", response_model=list[KeyOut], summary="Every API key (no secrets)")
def list_keys(_: Governor, svc: ServiceDep) -> list[KeyOut]:
    with svc.db.session() as session:
        rows = session.execute(
            select(ApiKey, Issuer.slug).outerjoin(Issuer).order_by(ApiKey.id)).all()
        return [KeyOut(**_key_out(key, slug)) for key, slug in rows]


@router.delete("/api-keys/{key_id}", response_model=KeyOut, summary="Revoke an API key")
def revoke_key(key_id: str, who: Governor, svc: ServiceDep) -> KeyOut:
    if not re.fullmatch(r"[0-9a-f]{16}", key_id):
        raise HTTPException(404, "no such API key")
    with svc.db.session() as session:
        found = session.execute(select(ApiKey, Issuer.slug).outerjoin(Issuer)
                                .where(ApiKey.key_id == key_id)).first()
        if found is None:
            raise HTTPException(404, "no such API key")
        key, slug = found
        if key.id == who.api_key_id:
            raise HTTPException(409, "a governor cannot revoke the key it is calling with")
        if key.revoked_at is None:
            key.revoked_at = timefmt.now()
        return KeyOut(**_key_out(key, slug))


def open_learner_account(svc: Service, login: str, identity_number: str, password: str,
                         display_name: str = "") -> Learner:
    learner = Learner(
        learner_key=security.learner_key(svc.secret, identity_number), login=login,
        display_name=display_name, password_hash=security.hash_password(password),
        created_at=timefmt.now())
    try:
        with svc.db.session() as session:
            session.add(learner)
    except IntegrityError:
        raise HTTPException(409, "a learning account with this login or identity exists") from None
    return learner


@router.post("/learners", status_code=201, response_model=LearnerOut,
             summary="Open a learning account (after the authority checked the identity)")
def new_learner(body: NewLearner, _: Governor, svc: ServiceDep) -> LearnerOut:
    learner = open_learner_account(svc, body.login, body.identityNumber, body.password,
                                   body.displayName)
    return LearnerOut(id=learner.id, login=learner.login, displayName=learner.display_name)
