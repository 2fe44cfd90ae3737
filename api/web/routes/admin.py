"""The credit-bank authority (governor API keys): issuers, API keys, learning accounts."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field, StringConstraints

from api.service import accounts, governing, scopes, security
from api.service.context import Service
from api.service.errors import InvalidInput
from api.service.models import ApiKey, Issuer
from api.web.auth import Governor, ServiceDep
from api.web.schemas import Problem, answers
from verifier import CredentialError, timefmt

router = APIRouter(prefix="/v1/admin", tags=["authority"])


_NO_ISSUER = "no issuer with this slug"
_CHAIN_409 = "the registry refused (its custom error is named); nothing changed"
_CHAIN_503 = "no chain, no usable governor key, or the chain unreachable; nothing changed"

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
    role: Literal["institution", "governor", "operator", "employer"]
    issuer: Slug | None = Field(None, description="the issuer an institution key acts for")
    venue: Slug | None = Field(None, description="the venue an operator key acts for")
    employer: Slug | None = Field(None, description="the employer an employer key acts for")
    label: Annotated[str, StringConstraints(max_length=200)] = ""


class KeyOut(BaseModel):
    keyId: str
    role: str
    issuer: str | None
    venue: str | None
    employer: str | None
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


@router.post("/issuers", status_code=201, response_model=IssuerOut,
             summary="Create an institution's issuing identity (keys stay on the server)",
             responses={409: {"model": Problem, "description": "the slug or DID is taken"}})
def create_issuer(body: NewIssuer, _: Governor, svc: ServiceDep) -> IssuerOut:
    return _issuer_out(svc, accounts.register_issuer(svc, body.slug, body.name, body.did))


@router.get("/issuers", response_model=list[IssuerOut], summary="Every issuer")
def list_issuers(_: Governor, svc: ServiceDep) -> list[IssuerOut]:
    return [_issuer_out(svc, i) for i in accounts.issuers(svc)]


def _key_out(key: ApiKey, slug: str | None) -> dict[str, object]:
    fmt = timefmt.format
    return {"keyId": key.key_id, "role": key.role, "issuer": slug,
            "venue": key.venue.slug if key.venue else None,
            "employer": key.employer.slug if key.employer else None, "label": key.label,
            "createdAt": fmt(key.created_at),
            "revokedAt": fmt(key.revoked_at) if key.revoked_at else None,
            "lastUsedAt": fmt(key.last_used_at) if key.last_used_at else None}


@router.post("/api-keys", status_code=201, response_model=KeyCreated,
             summary="Create an API key for an institution, a venue operator, an employer or "
            "another governor",
             responses=answers(e404=_NO_ISSUER))
def new_key(body: NewKey, _: Governor, svc: ServiceDep) -> KeyCreated:
    token = accounts.create_api_key(svc, body.role, body.issuer, body.label,
                                    venue_slug=body.venue, employer_slug=body.employer)
    key_id = security.split_api_key(token)[0]  # type: ignore[index]
    [(key, slug)] = accounts.api_keys(svc, key_id)
    return KeyCreated(**_key_out(key, slug), apiKey=token)


@router.get("/api-keys", response_model=list[KeyOut], summary="Every API key (no secrets)")
def list_keys(_: Governor, svc: ServiceDep) -> list[KeyOut]:
    return [KeyOut(**_key_out(key, slug)) for key, slug in accounts.api_keys(svc)]


@router.delete("/api-keys/{key_id}", response_model=KeyOut, summary="Revoke an API key",
               responses=answers(e404="no such API key",
                                  e409="the key making the call cannot revoke itself"))
def revoke_key(key_id: str, who: Governor, svc: ServiceDep) -> KeyOut:
    key, slug = accounts.revoke_api_key(svc, key_id, who.api_key_id)
    return KeyOut(**_key_out(key, slug))


@router.post("/learners", status_code=201, response_model=LearnerOut,
             summary="Open a learning account (after the authority checked the identity)",
             responses={409: {"model": Problem,
                              "description": "an account with this login or identity exists"}})
def new_learner(body: NewLearner, _: Governor, svc: ServiceDep) -> LearnerOut:
    learner = accounts.open_learner_account(svc, body.login, body.identityNumber, body.password,
                                   body.displayName)
    return LearnerOut(id=learner.id, login=learner.login, displayName=learner.display_name)


class PasswordResetOut(BaseModel):
    login: str
    password: str = Field(description="the new password, shown once; only its hash is kept")
    sessionsEnded: int = Field(description="the learner's sessions ended by the reset")


@router.post("/learners/{login}/password", response_model=PasswordResetOut,
             summary="Give a learner a new password (generated, shown once); their sessions "
                     "end",
             responses=answers(e404="no learning account with this login"))
def reset_learner_password(login: Annotated[str, Path(max_length=64)], _: Governor,
                           svc: ServiceDep) -> PasswordResetOut:
    done = accounts.reset_password(svc, login)
    return PasswordResetOut(login=done.login, password=done.password,
                            sessionsEnded=done.sessions_ended)


# ---- the chain: accreditation, keys, issuer status (api.service.governing) ----------------



class AccreditBody(BaseModel):
    validFrom: str | None = Field(None, description="RFC 3339; default: the issuer's creation")
    validUntil: str | None = Field(None, description="RFC 3339, exclusive; default: open-ended")


class IssuerOnChain(BaseModel):
    slug: str
    did: str
    chainId: int
    registry: str
    status: Literal["none", "active", "suspended", "retired"]
    validFrom: str | None
    validUntil: str | None
    statusSince: str | None
    anchoringAccount: str | None
    keys: list[dict[str, object]]
    steps: list[str] = Field(default_factory=list, description="what this call sent")
    transactionHash: str | None = None
    blockNumber: int | None = None


class ServiceChain(BaseModel):
    chainId: int
    registry: str
    governor: str | None = Field(description="the service's governor account, if it holds one")
    isGovernor: bool


def _seconds_of(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    try:
        return int(timefmt.parse(value, field).timestamp())
    except CredentialError as exc:
        raise InvalidInput(str(exc)) from None


def _out(state: governing.IssuerState) -> IssuerOnChain:
    return IssuerOnChain(**asdict(state))


@router.get("/chain", response_model=ServiceChain, summary="The chain the service governs on",
            responses=answers(e503="no chain, or the chain unreachable"))
def service_chain(_: Governor, svc: ServiceDep) -> ServiceChain:
    return ServiceChain(**asdict(governing.service_chain(svc)))


@router.get("/issuers/{slug}/chain", response_model=IssuerOnChain,
            summary="The issuer's record on chain: status, window, keys, anchoring account",
            responses=answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503))
def issuer_chain(slug: str, _: Governor, svc: ServiceDep) -> IssuerOnChain:
    return _out(governing.read_issuer(svc, slug))


@router.post("/issuers/{slug}/accredit", response_model=IssuerOnChain,
             summary="Accredit an issuer on chain: its anchoring account, window and key",
             responses=answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503))
def accredit(slug: str, _: Governor, svc: ServiceDep,
             body: AccreditBody | None = None) -> IssuerOnChain:
    body = body or AccreditBody()
    start = _seconds_of(body.validFrom, "validFrom")
    end = _seconds_of(body.validUntil, "validUntil")
    if start is not None and end is not None and end <= start:
        raise InvalidInput("validUntil must be after validFrom")
    return _out(governing.accredit(svc, slug, start, end))


@router.post("/issuers/{slug}/rotate-key", response_model=IssuerOnChain,
             summary="Give an issuer a new signing key, registered on chain as a rotation",
             responses=answers(e404=_NO_ISSUER, e409="not accredited on the service's "
                                "chain, or " + _CHAIN_409, e503=_CHAIN_503))
def rotate_issuer_key(slug: str, _: Governor, svc: ServiceDep) -> IssuerOnChain:
    return _out(governing.rotate_key(svc, slug))


def _status_route(action: governing.IssuerAction, summary: str) -> None:
    def change(slug: str, _: Governor, svc: ServiceDep) -> IssuerOnChain:
        return _out(governing.change_status(svc, slug, action))

    change.__name__ = f"{action}_issuer"
    router.post(f"/issuers/{{slug}}/{action}", response_model=IssuerOnChain, summary=summary,
                responses=answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503),
                )(change)


_status_route("suspend", "Suspend an issuer: it anchors nothing until reinstated")
_status_route("reinstate", "Reinstate a suspended issuer")
_status_route("retire", "Retire an issuer for good: it anchors nothing more")


# ---- accreditation scope -------------------------------------------------------------------

class ScopeBody(BaseModel):
    sectors: list[Literal["degree", "vocational", "non_degree", "community_elderly",
                          "venue"]] = Field(min_length=1, max_length=5)
    maxLevel: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        None, description="a level code of the active framework; null: no level limit")


class ScopeOnChain(BaseModel):
    set: bool
    sectors: list[str]
    maxLevelRank: int = Field(description="0: no level limit")
    since: int = Field(description="when the scope last changed (Unix seconds)")


class ScopeOut(BaseModel):
    slug: str
    did: str
    sectors: list[str] | None = Field(description="null: no scope (every sector and level)")
    maxLevel: str | None
    maxLevelRank: int | None
    chain: ScopeOnChain | None = Field(description="the registry's record; null without a "
                                                   "chain")
    transactionHash: str | None = None
    blockNumber: int | None = None


@router.get("/issuers/{slug}/scope", response_model=ScopeOut,
            summary="An issuer's accreditation scope, as the service and the chain hold it",
            responses=answers(e404=_NO_ISSUER, e503=_CHAIN_503))
def issuer_scope(slug: str, _: Governor, svc: ServiceDep) -> ScopeOut:
    return ScopeOut(**asdict(scopes.read(svc, slug)))


@router.put("/issuers/{slug}/scope", response_model=ScopeOut,
            summary="Limit an issuer to sectors and levels up to one, on chain",
            responses=answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503,
                              e422="a level that is not one of the active framework"))
def set_issuer_scope(slug: str, body: ScopeBody, _: Governor, svc: ServiceDep) -> ScopeOut:
    return ScopeOut(**asdict(scopes.set_scope(svc, slug, list(body.sectors), body.maxLevel)))


@router.delete("/issuers/{slug}/scope", response_model=ScopeOut,
               summary="Lift an issuer's accreditation scope, on chain",
               responses=answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503))
def clear_issuer_scope(slug: str, _: Governor, svc: ServiceDep) -> ScopeOut:
    return ScopeOut(**asdict(scopes.clear_scope(svc, slug)))
