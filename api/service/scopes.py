"""Issuers' accreditation scope: the sectors and levels an issuer may issue in.

The authority sets a scope on chain through the service's governor key
(``set_accreditation_scope``: sectors, and a level limit as a rank of the active
qualification framework) and the service keeps a copy in the issuer's row, so issuance
checks it without a chain call (``credit_checks.scope_problem``, from ``issuing.accept``: single
credentials, VC API issuance and job rows alike). Verifiers judge the scope from chain
evidence (``verifier.scope``; the service's verdict in ``checking.judge``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ledger import ChainError, governance
from ledger.errors import InputError
from ledger.issuance import IssuerError
from verifier.registry_layout import SECTORS, ScopeFact

from .context import Service
from .credit_lookup import active_framework
from .errors import ChainUnavailable, InvalidInput, NotFound, chain_failure
from .governing import chain_config, governor_client
from .models import Issuer


@dataclass
class Scope:
    slug: str
    did: str
    sectors: list[str] | None  # None: no scope (every sector, every level)
    maxLevel: str | None
    maxLevelRank: int | None
    chain: dict[str, Any] | None  # the registry's ScopeFact, when the service has a chain
    transactionHash: str | None = None
    blockNumber: int | None = None


def _issuer(svc: Service, slug: str) -> Issuer:
    with svc.db.session() as session:
        issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).first()
    if issuer is None:
        raise NotFound(f"no issuer {slug}")
    return issuer


def _fact_json(fact: ScopeFact) -> dict[str, Any]:
    return {"set": fact.set, "sectors": [s for s in SECTORS if s in fact.sectors],
            "maxLevelRank": fact.max_level_rank, "since": fact.since}


def _out(issuer: Issuer, chain: dict[str, Any] | None, **extra: Any) -> Scope:
    return Scope(slug=issuer.slug, did=issuer.did, sectors=issuer.scope_sectors,
                 maxLevel=issuer.scope_max_level, maxLevelRank=issuer.scope_max_level_rank,
                 chain=chain, **extra)


def read(svc: Service, slug: str) -> Scope:
    """The scope the service holds and, when it has a chain, the registry's."""
    issuer = _issuer(svc, slug)
    try:
        config = chain_config(svc)
    except ChainUnavailable:
        return _out(issuer, None)
    try:
        fact = governance.connect(config, None).accreditation_scope(issuer.did)
    except (ChainError, InputError) as exc:
        raise chain_failure(exc) from None
    return _out(issuer, _fact_json(fact))


def _check_sectors(sectors: list[str]) -> list[str]:
    if not sectors:
        raise InvalidInput("sectors: at least one sector")
    unknown = [s for s in sectors if s not in SECTORS]
    if unknown:
        raise InvalidInput(f"sectors: {', '.join(unknown)} not a sector ({', '.join(SECTORS)})")
    return [s for s in SECTORS if s in set(sectors)]


def set_scope(svc: Service, slug: str, sectors: list[str], max_level: str | None) -> Scope:
    """Limit the issuer to ``sectors`` and levels up to ``max_level`` (a level code of the
    active framework; None: no level limit), on chain and in the service."""
    issuer = _issuer(svc, slug)
    chosen = _check_sectors(sectors)
    rank = None
    if max_level is not None:
        with svc.db.session() as session:
            framework = active_framework(session)
        if framework is None:
            raise InvalidInput("maxLevel: no qualification framework is in force to rank it")
        level = framework.find(max_level)
        if level is None:
            raise InvalidInput(f"maxLevel: {max_level!r} is not a level of framework "
                               f"{framework.id} {framework.version}")
        rank = level.rank
    _, client = governor_client(svc)
    try:
        sent = client.set_accreditation_scope(issuer.did, chosen, rank)
        fact = client.accreditation_scope(issuer.did)
    except (ChainError, InputError, IssuerError) as exc:
        raise chain_failure(exc) from None
    with svc.db.session() as session:
        row = session.get(Issuer, issuer.id)
        assert row is not None
        row.scope_sectors, row.scope_max_level, row.scope_max_level_rank = \
            chosen, max_level, rank
        session.flush()
        return _out(row, _fact_json(fact), transactionHash=sent.transaction_hash,
                    blockNumber=sent.block_number)


def clear_scope(svc: Service, slug: str) -> Scope:
    """Lift the issuer's scope, on chain and in the service."""
    issuer = _issuer(svc, slug)
    _, client = governor_client(svc)
    try:
        sent = client.clear_accreditation_scope(issuer.did)
        fact = client.accreditation_scope(issuer.did)
    except (ChainError, InputError, IssuerError) as exc:
        raise chain_failure(exc) from None
    with svc.db.session() as session:
        row = session.get(Issuer, issuer.id)
        assert row is not None
        row.scope_sectors = row.scope_max_level = row.scope_max_level_rank = None
        session.flush()
        return _out(row, _fact_json(fact), transactionHash=sent.transaction_hash,
                    blockNumber=sent.block_number)
