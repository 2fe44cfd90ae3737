"""What the service trusts when it verifies: its issuers, and the chain when it has one.

``trust_list`` names every issuer the service knows with its keys' validity windows (the
offline `issuer_trusted` check). ``chain_evidence`` is the registry's word on anchors and
status, fetched from the service's chain and checked like any offline bundle: the node's
latest header must hash right and carry a valid Clique seal (by the signers pinned in
``DATA_DIR/pin.json`` when the operator put one there), and every storage word is walked
from that header's state root; the node's own answers are never taken on trust.
``trust_bundle`` is the same evidence as a file for offline verifiers (docs/format.md §13).

Fetching costs a few round trips (a bundle export reads every registry event), so each is
kept for a short time per service: online evidence for ``EVIDENCE_SECONDS``, the exported
bundle for ``BUNDLE_SECONDS``, a failure for ``FAILURE_SECONDS`` (so a node that is down
is not asked again by every request).
"""

from __future__ import annotations

import json
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import select

from ledger.bundle import BundleExportError, export_bundle
from ledger.chain_config import ChainConfig
from verifier import TrustList, parse_trust_list
from verifier.evidence.bundle import ChainEvidence, RejectedEvidence, SignerPin, load_pin
from verifier.evidence.errors import EvidenceError
from verifier.evidence.online import HttpRpc, fetch_evidence

from .context import Service
from .data_dir import PIN_FILE
from .models import Issuer, RegistryPublication

EVIDENCE_SECONDS = 15.0
BUNDLE_SECONDS = 60.0
TRUST_LIST_SECONDS = 2.0
FAILURE_SECONDS = 5.0
RPC_TIMEOUT_SECONDS = 10.0
# the kinds of published document a trust bundle carries (verifier.published reads them)
CARRIED_KINDS = ("framework", "standards", "rule_set")

T = TypeVar("T")


class ChainUnavailable(Exception):
    """The service has a chain but could not export evidence from it; one line."""


@dataclass
class _Slot(Generic[T]):
    """One cached value (or failure) with its expiry; one fetch at a time."""

    key: object = None
    value: T | None = None
    failure: str | None = None
    expires: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: object, fetch: Callable[[], T], ttl: float,
            clock: Callable[[], float] = time.monotonic) -> T:
        if self._fresh(key, clock()):
            return self._answer()
        with self.lock:  # concurrent requests wait for one fetch instead of each fetching
            now = clock()
            if not self._fresh(key, now):
                try:
                    self.value, self.failure = fetch(), None
                    self.expires = now + ttl
                except ChainUnavailable as exc:
                    self.value, self.failure = None, str(exc)
                    self.expires = now + min(ttl, FAILURE_SECONDS)
                self.key = key
            return self._answer()

    def _fresh(self, key: object, now: float) -> bool:
        return self.key == key and now < self.expires

    def _answer(self) -> T:
        if self.failure is not None:
            raise ChainUnavailable(self.failure)
        return self.value  # type: ignore[return-value]

    def clear(self) -> None:
        self.expires = 0.0


@dataclass
class _Caches:
    trust: _Slot[TrustList] = field(default_factory=_Slot)
    evidence: _Slot[ChainEvidence] = field(default_factory=_Slot)
    bundle: _Slot[dict[str, Any]] = field(default_factory=_Slot)


_caches: dict[int, _Caches] = {}
_caches_lock = threading.Lock()


def _for(svc: Service) -> _Caches:
    caches = _caches.get(id(svc))
    if caches is None:
        with _caches_lock:
            caches = _caches.get(id(svc))
            if caches is None:
                caches = _caches[id(svc)] = _Caches()
                weakref.finalize(svc, _caches.pop, id(svc), None)
    return caches


def forget(svc: Service) -> None:
    """Drop what is cached for this service (after an issuer or the chain changed)."""
    caches = _for(svc)
    for slot in (caches.trust, caches.evidence, caches.bundle):
        slot.clear()


def forget_issuers(svc: Service) -> None:
    """Drop the cached trust list only (an issuer or key the cache may not have yet)."""
    _for(svc).trust.clear()


# ---- issuers -----------------------------------------------------------------------------


def trust_document(svc: Service) -> dict[str, object]:
    with svc.db.session() as session:
        issuers = session.scalars(select(Issuer).order_by(Issuer.id)).all()
    return {"type": "CredbankTrustList", "version": 1,
            "issuers": [svc.identities.get(i).trust_entry() for i in issuers]}


def trust_list(svc: Service) -> TrustList:
    """The issuers as a trust list, re-read at most every ``TRUST_LIST_SECONDS`` (a new
    issuer or key is trusted within that time; ``forget`` makes it at once)."""
    return _for(svc).trust.get("issuers", lambda: parse_trust_list(trust_document(svc)),
                               TRUST_LIST_SECONDS)


# ---- the chain ---------------------------------------------------------------------------


def _chain(svc: Service) -> ChainConfig | None:
    try:
        return svc.chain_config()
    except ValueError as exc:  # a chain.json that cannot be read
        raise ChainUnavailable(str(exc)) from None


def _pin(svc: Service) -> SignerPin | None:
    path = svc.settings.path(PIN_FILE)
    if not path.exists():
        return None
    try:
        return load_pin(path)
    except EvidenceError as exc:
        raise ChainUnavailable(f"{PIN_FILE}: {exc}") from None


def _names(svc: Service) -> dict[str, str]:
    with svc.db.session() as session:
        return dict(session.execute(select(Issuer.did, Issuer.name)).all())


def _public(message: str, rpc_url: str) -> str:
    """A chain error as answers may show it: the node's URL may carry an access token (in
    its user part, path or query), so only its scheme, host and port are named."""
    parts = urlsplit(rpc_url)
    host = parts.hostname or "the node"
    shown = f"{parts.scheme}://{host}:{parts.port}" if parts.port else f"{parts.scheme}://{host}"
    return message.replace(rpc_url, shown) if rpc_url else message


def chain_evidence(svc: Service) -> ChainEvidence | RejectedEvidence | None:
    """Evidence from the service's chain, or None when it runs without one.

    Evidence that cannot be fetched or does not verify comes back as RejectedEvidence, so
    every chain check of a credential says `error` with the reason (never a pass).
    """
    try:
        config = _chain(svc)
        if config is None:
            return None
        rpc_url, registry = config.rpc_url, config.registry

        def fetch() -> ChainEvidence:
            try:
                return fetch_evidence(HttpRpc(rpc_url, timeout=RPC_TIMEOUT_SECONDS), registry,
                                      pin=_pin(svc), names=_names(svc),
                                      authority=svc.settings.authority_name)
            except EvidenceError as exc:
                raise ChainUnavailable(_public(f"the service's chain: {exc}", rpc_url)) from None

        return _for(svc).evidence.get((rpc_url, registry), fetch, EVIDENCE_SECONDS)
    except ChainUnavailable as exc:
        return RejectedEvidence(str(exc))


def trust_bundle(svc: Service) -> dict[str, Any] | None:
    """A CredbankTrustBundle exported from the service's chain (None without a chain).

    Raises ChainUnavailable when the node cannot be read or its answers do not verify;
    ``export_bundle`` checks its own output before handing it out.
    """
    config = _chain(svc)
    if config is None:
        return None
    rpc_url, registry = config.rpc_url, config.registry
    # the registry's published documents (frameworks, catalogues, rule sets) travel with
    # it, so a decision citing a rule set is checked offline; a new one is a new bundle.
    # Points rules are published the same way but no offline check reads them: they stay
    # out (a bundle carries only the kinds a verifier reads)
    with svc.db.session() as session:
        published = tuple(session.execute(
            select(RegistryPublication.document_hash, RegistryPublication.document)
            .where(RegistryPublication.kind.in_(CARRIED_KINDS))
            .order_by(RegistryPublication.id)).all())

    def fetch() -> dict[str, Any]:
        try:
            return export_bundle(HttpRpc(rpc_url, timeout=RPC_TIMEOUT_SECONDS), registry,
                                 authority=svc.settings.authority_name,
                                 documents=[json.loads(d) for _, d in published])
        except (BundleExportError, EvidenceError) as exc:
            raise ChainUnavailable(_public(f"the service's chain: {exc}", rpc_url)) from None

    key = (rpc_url, registry, tuple(h for h, _ in published))
    return _for(svc).bundle.get(key, fetch, BUNDLE_SECONDS)
