"""The credit bank's registry, kept by the authority: the qualification framework (one
active version at a time) and the outcome standards (docs/creditbank.md §3, §4).

Documents are read by the pure core (verifier.credit) and stored as canonical JSON. A
draft can be edited; publishing records the document's hash on chain
(:func:`record_on_chain`, kinds 1 framework, 2 standards catalogue, 3 rule set; 4 points
rules, api/service/points_rules.py) and makes
it immutable. Every operation checks before it writes and writes in one transaction:
bad input changes nothing. Rule sets are in :mod:`api.service.rule_sets`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger import ChainError
from ledger.errors import InputError
from ledger.governance import issuer_client
from ledger.issuance import IssuerError
from verifier import timefmt
from verifier.credit import (
    CreditDataError,
    Framework,
    Standard,
    StandardCatalog,
    parse_framework,
    parse_standard,
    parse_standards,
    standards_from_csv,
)
from verifier.credit.common import canonical_bytes, hex32
from verifier.registry_layout import DocumentKind

from .context import Service
from .credit_lookup import active_framework, standards_in
from .errors import ChainUnavailable, Conflict, InvalidInput, NotFound, chain_failure
from .governing import governor_client
from .models import CreditFramework, CreditStandard, Issuer, RegistryPublication

KINDS = {"framework": DocumentKind.FRAMEWORK, "standards": DocumentKind.STANDARDS_CATALOGUE,
         "rule_set": DocumentKind.RULE_SET, "points_rules": DocumentKind.POINTS_RULES}


# ---- publishing on chain -----------------------------------------------------------------

@dataclass(frozen=True)
class OnChain:
    transaction_hash: str
    block_number: int


def _chain_client(svc: Service, issuer_id: int | None) -> Any:
    """The registry as the authority (the service's governor key) or as an institution
    (its anchoring account) sees it."""
    if issuer_id is None:
        return governor_client(svc)[1]
    with svc.db.session() as session:
        issuer = session.get(Issuer, issuer_id)
    if issuer is None:
        raise NotFound("this API key's issuer no longer exists")
    try:
        identity = svc.identities.get(issuer)
        if not identity.chain:
            raise ChainUnavailable(f"issuer {issuer.slug} is not connected to a chain; "
                                   "publishing needs one")
        return issuer_client(identity)
    except (ChainError, InputError, IssuerError, OSError) as exc:
        raise chain_failure(exc) from None


def record_on_chain(svc: Service, document_hash: str, kind: str,
                    issuer_id: int | None = None) -> OnChain:
    """Record a document's hash on chain as published (``publish_document``): by the
    authority with the service's governor key, or by an institution (``issuer_id``) with
    its anchoring account. The one place the registry publishes on chain."""
    client = _chain_client(svc, issuer_id)
    try:
        result = client.publish_document(bytes.fromhex(document_hash.removeprefix("0x")),
                                         KINDS[kind])
    except (ChainError, InputError, OSError) as exc:
        raise chain_failure(exc) from None
    return OnChain(result.transaction_hash, result.block_number)


def withdraw_on_chain(svc: Service, document_hash: str, issuer_id: int | None = None
                      ) -> OnChain:
    """Record a published document's withdrawal on chain (``withdraw_document``)."""
    client = _chain_client(svc, issuer_id)
    try:
        result = client.withdraw_document(bytes.fromhex(document_hash.removeprefix("0x")))
    except (ChainError, InputError, OSError) as exc:
        raise chain_failure(exc) from None
    return OnChain(result.transaction_hash, result.block_number)


def publication(session: Session, kind: str, subject: str, canonical: bytes,
                chain: OnChain) -> RegistryPublication:
    row = RegistryPublication(kind=kind, subject=subject, document_hash=hex32(canonical),
                              document=canonical.decode(), transaction_hash=chain.transaction_hash,
                              block_number=chain.block_number, published_at=timefmt.now())
    session.add(row)
    session.flush()
    return row


def publication_json(row: RegistryPublication | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"kind": row.kind, "subject": row.subject, "documentHash": row.document_hash,
            "transactionHash": row.transaction_hash, "blockNumber": row.block_number,
            "publishedAt": timefmt.format(row.published_at)}


def read(parse: Callable[..., Any], raw: Any, **options: Any) -> Any:
    """A document read by the core; its refusal is the caller's bad input (422)."""
    try:
        return parse(raw, **options)
    except CreditDataError as exc:
        raise InvalidInput(str(exc)) from None


# ---- the qualification framework --------------------------------------------------------

def _framework_row(session: Session, framework_id: str, version: str) -> CreditFramework:
    row = session.scalars(select(CreditFramework).where(
        CreditFramework.framework_id == framework_id,
        CreditFramework.version == version)).first()
    if row is None:
        raise NotFound(f"no framework {framework_id} version {version}")
    return row


def frameworks(svc: Service) -> list[dict[str, Any]]:
    with svc.db.session() as session:
        return [framework_json(session, row) for row in session.scalars(
            select(CreditFramework).order_by(CreditFramework.framework_id,
                                             CreditFramework.created_at, CreditFramework.id))]


def framework(svc: Service, framework_id: str, version: str) -> dict[str, Any]:
    with svc.db.session() as session:
        return framework_json(session, _framework_row(session, framework_id, version))


def current_framework(svc: Service) -> dict[str, Any]:
    """The active framework; NotFound when the authority has published none."""
    with svc.db.session() as session:
        row = session.scalars(select(CreditFramework).where(
            CreditFramework.state == "active")).first()
        if row is None:
            raise NotFound("no qualification framework is in force")
        return framework_json(session, row)


def create_framework(svc: Service, raw: Any) -> dict[str, Any]:
    """A new framework version, as a draft."""
    document: Framework = read(parse_framework, raw)
    now = timefmt.now()
    with svc.db.session() as session:
        if session.scalars(select(CreditFramework.id).where(
                CreditFramework.framework_id == document.id,
                CreditFramework.version == document.version)).first() is not None:
            raise Conflict(f"framework {document.id} version {document.version} exists")
        row = CreditFramework(framework_id=document.id, version=document.version,
                              document=document.canonical().decode(), hash=document.hash(),
                              state="draft", created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return framework_json(session, row)


def update_framework(svc: Service, framework_id: str, version: str, raw: Any
                     ) -> dict[str, Any]:
    """Replace a draft's document (its id and version stay)."""
    document: Framework = read(parse_framework, raw)
    if (document.id, document.version) != (framework_id, version):
        raise InvalidInput(f"the document is framework {document.id} version "
                           f"{document.version}, not {framework_id} version {version}")
    with svc.db.session() as session:
        row = _framework_row(session, framework_id, version)
        if row.state != "draft":
            raise Conflict(f"framework {framework_id} version {version} is {row.state}: "
                           "only a draft can change")
        row.document, row.hash = document.canonical().decode(), document.hash()
        row.updated_at = timefmt.now()
        return framework_json(session, row)


def publish_framework(svc: Service, framework_id: str, version: str) -> dict[str, Any]:
    """Make a draft the active framework: its hash goes on chain (kind 1), and the version
    active before is superseded."""
    with svc.db.session() as session:
        row = _framework_row(session, framework_id, version)
        if row.state != "draft":
            raise Conflict(f"framework {framework_id} version {version} is {row.state}, "
                           "not a draft")
        _check_standards_fit(session, parse_framework(row.document))
        document, digest = row.document, row.hash
    chain = record_on_chain(svc, digest, "framework")
    with svc.db.session() as session:
        row = _framework_row(session, framework_id, version)
        if row.state != "draft" or row.document != document:
            raise Conflict(f"framework {framework_id} version {version} changed meanwhile")
        for other in session.scalars(select(CreditFramework).where(
                CreditFramework.state == "active")):
            other.state, other.updated_at = "superseded", timefmt.now()
        row.state, row.updated_at = "active", timefmt.now()
        row.publication_id = publication(session, "framework", f"{framework_id} {version}",
                                         document.encode(), chain).id
        return framework_json(session, row)


def _check_standards_fit(session: Session, document: Framework) -> None:
    """A framework whose levels would orphan a published standard is refused."""
    for standard in standards_in(session, ("published",)):
        if document.find(standard.level) is None:
            raise Conflict(f"standard {standard.code} {standard.version} is at level "
                           f"{standard.level!r}, which framework {document.id} "
                           f"{document.version} lacks")


def withdraw_framework(svc: Service, framework_id: str, version: str) -> dict[str, Any]:
    """Withdraw a draft or the active framework (then no framework is in force)."""
    with svc.db.session() as session:
        row = _framework_row(session, framework_id, version)
        if row.state not in ("draft", "active"):
            raise Conflict(f"framework {framework_id} version {version} is already "
                           f"{row.state}")
        published, digest = row.state == "active", row.hash
    if published:  # its withdrawal is recorded on chain too
        withdraw_on_chain(svc, digest)
    with svc.db.session() as session:
        row = _framework_row(session, framework_id, version)
        row.state, row.updated_at = "withdrawn", timefmt.now()
        return framework_json(session, row)


def framework_json(session: Session, row: CreditFramework) -> dict[str, Any]:
    published = session.get(RegistryPublication, row.publication_id) \
        if row.publication_id else None
    return {"id": row.framework_id, "version": row.version, "state": row.state,
            "hash": row.hash, "document": json.loads(row.document),
            "createdAt": timefmt.format(row.created_at),
            "updatedAt": timefmt.format(row.updated_at),
            "publication": publication_json(published)}


# ---- outcome standards -----------------------------------------------------------------

def _standard_row(session: Session, code: str, version: str) -> CreditStandard:
    row = session.scalars(select(CreditStandard).where(
        CreditStandard.code == code, CreditStandard.version == version)).first()
    if row is None:
        raise NotFound(f"no standard {code} version {version}")
    return row


def standards(svc: Service, state: str | None = None, code: str | None = None
              ) -> list[CreditStandard]:
    query = select(CreditStandard)
    if state is not None:
        query = query.where(CreditStandard.state == state)
    if code is not None:
        query = query.where(CreditStandard.code == code)
    with svc.db.session() as session:
        return list(session.scalars(query.order_by(CreditStandard.code,
                                                   CreditStandard.version)))


def standard(svc: Service, code: str, version: str) -> CreditStandard:
    with svc.db.session() as session:
        return _standard_row(session, code, version)


def catalogue(svc: Service) -> dict[str, Any]:
    """The published standards as a catalogue document (CredbankOutcomeStandards)."""
    with svc.db.session() as session:
        return published_catalog(session).to_json()


def published_catalog(session: Session) -> StandardCatalog:
    framework_now = active_framework(session)
    return _catalog(standards_in(session, ("published",)),
                    framework_now.id if framework_now else None)


def _catalog(items: list[Standard], framework_id: str | None) -> StandardCatalog:
    if not items:
        return StandardCatalog((), framework_id)
    doc = {"type": "CredbankOutcomeStandards", "standards": [s.to_json() for s in items]}
    if framework_id is not None:
        doc["framework"] = framework_id
    return read(parse_standards, doc)  # also refuses versions of a code that overlap


def import_standards(svc: Service, raw: Any | None = None, *, csv_text: str | None = None
                     ) -> list[CreditStandard]:
    """Add standards as drafts, from a JSON catalogue or CSV text (CSV_COLUMNS). Their
    levels must be levels of the active framework, when there is one; a code and version
    already kept, or versions of a code that overlap in time, refuse the whole import."""
    now = timefmt.now()
    with svc.db.session() as session:
        framework_now = active_framework(session)
        if csv_text is not None:
            catalog = read(standards_from_csv, csv_text, framework=framework_now)
        else:
            catalog = read(parse_standards, raw, framework=framework_now)
        if not catalog.standards:
            raise InvalidInput("no standards to import")
        kept = standards_in(session, ("draft", "published"))
        for item in catalog.standards:
            if session.scalars(select(CreditStandard.id).where(
                    CreditStandard.code == item.code,
                    CreditStandard.version == item.version)).first() is not None:
                raise Conflict(f"standard {item.code} version {item.version} exists")
        _catalog(kept + list(catalog.standards), None)
        rows = [CreditStandard(code=item.code, version=item.version,
                               document=canonical_bytes(item.to_json()).decode(),
                               state="draft", created_at=now, updated_at=now)
                for item in catalog.standards]
        session.add_all(rows)
        return rows


def update_standard(svc: Service, code: str, version: str, raw: Any) -> CreditStandard:
    """Replace a draft standard (its code and version stay)."""
    with svc.db.session() as session:
        framework_now = active_framework(session)
        item: Standard = read(parse_standard, raw, framework=framework_now)
        if (item.code, item.version) != (code, version):
            raise InvalidInput(f"the document is standard {item.code} version "
                               f"{item.version}, not {code} version {version}")
        row = _standard_row(session, code, version)
        if row.state != "draft":
            raise Conflict(f"standard {code} version {version} is {row.state}: only a draft "
                           "can change")
        others = [s for s in standards_in(session, ("draft", "published"))
                  if (s.code, s.version) != (code, version)]
        _catalog([*others, item], None)
        row.document, row.updated_at = canonical_bytes(item.to_json()).decode(), timefmt.now()
        return row


def withdraw_standard(svc: Service, code: str, version: str) -> CreditStandard:
    """A withdrawn standard is cited by no new credential; the catalogue published next
    leaves it out."""
    with svc.db.session() as session:
        row = _standard_row(session, code, version)
        if row.state == "withdrawn":
            raise Conflict(f"standard {code} version {version} is already withdrawn")
        row.state, row.updated_at = "withdrawn", timefmt.now()
        return row


def publish_standards(svc: Service) -> RegistryPublication:
    """Publish the catalogue (every published standard and every draft): its hash goes on
    chain (kind 2) and the drafts become published. Refused when it would not change."""
    with svc.db.session() as session:
        framework_now = active_framework(session)
        drafts = session.scalars(select(CreditStandard.id).where(
            CreditStandard.state == "draft")).all()
        items = standards_in(session, ("draft", "published"))
        if framework_now is not None:
            for item in items:
                if framework_now.find(item.level) is None:
                    raise Conflict(f"standard {item.code} {item.version}: level "
                                   f"{item.level!r} is not in framework {framework_now.id}")
        catalog = _catalog(items, framework_now.id if framework_now else None)
        last = session.scalars(select(RegistryPublication).where(
            RegistryPublication.kind == "standards")
            .order_by(RegistryPublication.id.desc()).limit(1)).first()
        if last is not None and last.document_hash == catalog.hash():
            raise Conflict("the catalogue is already published as it stands")
        if last is None and not items:
            raise Conflict("there are no standards to publish")
    chain = record_on_chain(svc, catalog.hash(), "standards")
    with svc.db.session() as session:
        now = timefmt.now()
        kept = session.scalars(select(CreditStandard).where(
            CreditStandard.state.in_(("draft", "published")))).all()
        if sorted(r.id for r in kept if r.state == "draft") != sorted(drafts) or \
                _catalog(standards_in(session, ("draft", "published")),
                         catalog.framework).hash() != catalog.hash():
            raise Conflict("the standards changed meanwhile; publish again")
        row = publication(session, "standards", f"{len(catalog.standards)} standards",
                          catalog.canonical(), chain)
        for item in kept:
            if item.state == "draft":
                item.state, item.updated_at, item.publication_id = "published", now, row.id
        return row


def standard_json(row: CreditStandard) -> dict[str, Any]:
    return {**json.loads(row.document), "state": row.state,
            "createdAt": timefmt.format(row.created_at),
            "updatedAt": timefmt.format(row.updated_at)}
