"""The credit-bank authority (governor API keys): issuers, API keys, learning accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.service import security
from api.service.context import Service
from api.service.models import ApiKey, Issuer, Learner
from api.web.auth import Governor, ServiceDep
from api.web.routes.verify import Problem
from ledger import ChainError, RegistryClient, Web3RegistryClient
from ledger.chain_config import ChainConfig
from ledger.errors import InputError, RegistryRefused
from ledger.governance import (
    accredit_issuer,
    change_issuer_status,
    connect,
    connect_issuer,
    rotate_key,
)
from ledger.issuance import IssuerError, IssuerIdentity
from ledger.node import DataDir
from verifier import CredentialError, keys, timefmt

router = APIRouter(prefix="/v1/admin", tags=["authority"])


def _answers(**described: str) -> dict[int | str, dict[str, Any]]:
    """Documented error answers, e.g. ``_answers(e404="no such issuer")``."""
    return {int(code[1:]): {"model": Problem, "description": text}
            for code, text in described.items()}


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
             summary="Create an institution's issuing identity (keys stay on the server)",
             responses={409: {"model": Problem, "description": "the slug or DID is taken"}})
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
             summary="Create an API key for an institution or another governor",
             responses=_answers(e404=_NO_ISSUER))
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


@router.delete("/api-keys/{key_id}", response_model=KeyOut, summary="Revoke an API key",
               responses=_answers(e404="no such API key",
                                  e409="the key making the call cannot revoke itself"))
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
             summary="Open a learning account (after the authority checked the identity)",
             responses={409: {"model": Problem,
                              "description": "an account with this login or identity exists"}})
def new_learner(body: NewLearner, _: Governor, svc: ServiceDep) -> LearnerOut:
    learner = open_learner_account(svc, body.login, body.identityNumber, body.password,
                                   body.displayName)
    return LearnerOut(id=learner.id, login=learner.login, displayName=learner.display_name)


# ---- the chain: accreditation, keys, issuer status -----------------------------------------
#
# The service acts on chain as the governor whose key is DATA_DIR/governor.key (`credbank up`
# creates it; an operator may copy one there). Without a chain or that key these routes
# answer 503 and change nothing; a registry refusal is a 409 naming the custom error.

NODE_DIR = "node"  # DATA_DIR/node: the embedded node `credbank up` runs, when there is one


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


def _unix(seconds: int) -> str | None:
    return timefmt.format(datetime.fromtimestamp(seconds, UTC)) if seconds else None


def _seconds_of(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    try:
        return int(timefmt.parse(value, field).timestamp())
    except CredentialError as exc:
        raise HTTPException(422, str(exc)) from None


def _chain_refusal(exc: Exception) -> HTTPException:
    """A chain failure as an answer: the registry's refusal is a conflict with the chain's
    state (409); an unreachable or refusing node leaves the service unable to act (503)."""
    if isinstance(exc, (RegistryRefused, InputError, IssuerError)):
        return HTTPException(409, str(exc))
    return HTTPException(503, f"the chain: {exc}")


def _config(svc: Service) -> ChainConfig:
    try:
        config = svc.chain_config()
    except InputError as exc:
        raise HTTPException(503, str(exc)) from None
    if config is None:
        raise HTTPException(503, "the service has no chain (DATA_DIR/chain.json, or the "
                            "rpc_url and registry settings)")
    return config


def _governor(svc: Service) -> tuple[ChainConfig, Web3RegistryClient]:
    """The chain configuration (with its chain id) and the registry as the service's
    governor sees it."""
    config = _config(svc)
    key = svc.governor_key
    if key is None:
        raise HTTPException(503, "the service holds no governor key (DATA_DIR/governor.key); "
                            "use the credbank chain commands with a governor's key file")
    try:
        client = connect(config, key)
    except ChainError as exc:
        raise _chain_refusal(exc) from None
    except (InputError, OSError) as exc:  # an unreadable or open key file, another chain
        raise HTTPException(503, f"the service's governor key or chain: {exc}") from None
    return config.with_chain_id(client.chain_id), client


def _issuer_row(svc: Service, slug: str) -> Issuer:
    with svc.db.session() as session:
        issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None:
        raise HTTPException(404, f"no issuer {slug}")
    return issuer


def _admit_on_embedded_node(svc: Service, account: str) -> None:
    """Let the anchoring account transact on the embedded node of this data directory.
    (A Besu network permissions accounts its own way: that stays with its operators.)"""
    node = DataDir(svc.settings.path(NODE_DIR))
    if node.genesis_path.exists():
        node.change_allowlist(add=[bytes.fromhex(account[2:])])


def issuer_on_chain(client: RegistryClient, issuer: Issuer, identity: IssuerIdentity,
                    **extra: object) -> IssuerOnChain:
    fact = client.issuer(issuer.did)
    chain = identity.chain or {}
    same = chain.get("registry") == client.registry
    keys_on_chain = []
    for record in identity.key_records:
        public = keys.decode_public_key_multibase(record.public_key_multibase)
        key = client.issuer_key(issuer.did, public)
        keys_on_chain.append({"publicKeyMultibase": record.public_key_multibase,
                              "registered": key.registered,
                              "validFrom": _unix(key.valid_from) if key.registered else None,
                              "validUntil": _unix(key.valid_until) if key.registered else None})
    return IssuerOnChain(
        slug=issuer.slug, did=issuer.did, chainId=client.chain_id, registry=client.registry,
        status=fact.status.name.lower(),  # type: ignore[arg-type]
        validFrom=_unix(fact.valid_from), validUntil=_unix(fact.valid_until),
        statusSince=_unix(fact.status_since),
        anchoringAccount=chain.get("anchoringAccount") if same else None,
        keys=keys_on_chain, **extra)


def accredit_on_chain(svc: Service, slug: str, valid_from: int | None = None,
                      valid_until: int | None = None) -> IssuerOnChain:
    """Connect the issuer to the service's chain (its anchoring account, key file 0600 in
    its directory), admit the account on the embedded node if there is one, and accredit
    it with its current key. Repeating it finishes what a cut-short run left undone."""
    issuer = _issuer_row(svc, slug)
    config, client = _governor(svc)
    identity = svc.identities.get(issuer)
    try:
        account = connect_issuer(identity, config, None)
        _admit_on_embedded_node(svc, account)
        done = accredit_issuer(identity, client, config, valid_from=valid_from,
                               valid_until=valid_until)
        return issuer_on_chain(client, issuer, identity, steps=done["steps"])
    except (ChainError, InputError, IssuerError) as exc:
        raise _chain_refusal(exc) from None
    finally:
        svc.identities.forget(issuer.id)  # issue with the chain named from now on


@router.get("/chain", response_model=ServiceChain, summary="The chain the service governs on",
            responses=_answers(e503="no chain, or the chain unreachable"))
def service_chain(_: Governor, svc: ServiceDep) -> ServiceChain:
    config = _config(svc)
    try:
        client = connect(config, svc.governor_key)
    except ChainError as exc:
        raise _chain_refusal(exc) from None
    except (InputError, OSError) as exc:
        raise HTTPException(503, f"the service's governor key or chain: {exc}") from None
    governor = client.sender
    return ServiceChain(chainId=client.chain_id, registry=client.registry, governor=governor,
                        isGovernor=bool(governor) and client.is_governor(governor))


@router.get("/issuers/{slug}/chain", response_model=IssuerOnChain,
            summary="The issuer's record on chain: status, window, keys, anchoring account",
            responses=_answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503))
def issuer_chain(slug: str, _: Governor, svc: ServiceDep) -> IssuerOnChain:
    issuer = _issuer_row(svc, slug)
    config = _config(svc)
    try:
        client = connect(config, None)
        return issuer_on_chain(client, issuer, svc.identities.get(issuer))
    except (ChainError, InputError, IssuerError) as exc:
        raise _chain_refusal(exc) from None


@router.post("/issuers/{slug}/accredit", response_model=IssuerOnChain,
             summary="Accredit an issuer on chain: its anchoring account, window and key",
             responses=_answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503))
def accredit(slug: str, _: Governor, svc: ServiceDep,
             body: AccreditBody | None = None) -> IssuerOnChain:
    body = body or AccreditBody()
    start = _seconds_of(body.validFrom, "validFrom")
    end = _seconds_of(body.validUntil, "validUntil")
    if start is not None and end is not None and end <= start:
        raise HTTPException(422, "validUntil must be after validFrom")
    return accredit_on_chain(svc, slug, start, end)


@router.post("/issuers/{slug}/rotate-key", response_model=IssuerOnChain,
             summary="Give an issuer a new signing key, registered on chain as a rotation",
             responses=_answers(e404=_NO_ISSUER, e409="not accredited on the service's "
                                "chain, or " + _CHAIN_409, e503=_CHAIN_503))
def rotate_issuer_key(slug: str, _: Governor, svc: ServiceDep) -> IssuerOnChain:
    issuer = _issuer_row(svc, slug)
    config, client = _governor(svc)
    # The cached identity itself rotates, so requests signing now pick up the new key.
    identity = svc.identities.get(issuer)
    if not identity.chain or identity.chain.get("registry") != client.registry:
        raise HTTPException(409, f"issuer {slug} is not accredited on the service's chain "
                            f"(POST /v1/admin/issuers/{slug}/accredit)")
    if not client.issuer(issuer.did).accredited:
        raise HTTPException(409, f"issuer {slug} is not accredited on chain")
    try:
        rotate_key(identity, svc.governor_key)
        return issuer_on_chain(client, issuer, identity, steps=["key rotated"])
    except (ChainError, InputError, IssuerError) as exc:
        svc.identities.forget(issuer.id)
        raise _chain_refusal(exc) from None


def _status_route(action: Literal["suspend", "reinstate", "retire"], summary: str) -> None:
    def change(slug: str, _: Governor, svc: ServiceDep) -> IssuerOnChain:
        issuer = _issuer_row(svc, slug)
        _, client = _governor(svc)
        try:
            result = change_issuer_status(client, issuer.did, action)
            return issuer_on_chain(client, issuer, svc.identities.get(issuer),
                                   steps=[_DONE[action]],
                                   transactionHash=result.transaction_hash,
                                   blockNumber=result.block_number)
        except (ChainError, InputError, IssuerError) as exc:
            raise _chain_refusal(exc) from None

    change.__name__ = f"{action}_issuer"
    router.post(f"/issuers/{{slug}}/{action}", response_model=IssuerOnChain, summary=summary,
                responses=_answers(e404=_NO_ISSUER, e409=_CHAIN_409, e503=_CHAIN_503),
                )(change)


_DONE = {"suspend": "suspended", "reinstate": "reinstated", "retire": "retired"}
_status_route("suspend", "Suspend an issuer: it anchors nothing until reinstated")
_status_route("reinstate", "Reinstate a suspended issuer")
_status_route("retire", "Retire an issuer for good: it anchors nothing more")
