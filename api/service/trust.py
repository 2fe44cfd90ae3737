"""What the service trusts when it verifies: its issuers, and the chain when it has one.

``trust_list`` names every issuer the service knows with its keys' validity windows (the
offline `issuer_trusted` check). ``chain_evidence`` is the registry's word on anchors and
status, fetched from the service's chain and checked like any offline bundle.
"""

from __future__ import annotations

from sqlalchemy import select

from verifier import TrustList, parse_trust_list
from verifier.evidence.bundle import ChainEvidence, RejectedEvidence

from .context import Service
from .models import Issuer


def trust_document(svc: Service) -> dict[str, object]:
    with svc.db.session() as session:
        issuers = session.scalars(select(Issuer).order_by(Issuer.id)).all()
    return {"type": "CredbankTrustList", "version": 1,
            "issuers": [svc.identities.get(i).trust_entry() for i in issuers]}


def trust_list(svc: Service) -> TrustList:
    return parse_trust_list(trust_document(svc))


def chain_evidence(svc: Service) -> ChainEvidence | RejectedEvidence | None:
    """Evidence from the service's chain, or None when it runs without one."""
    return None
