"""The anchoring worker: pending credentials become batches, batches become anchors.

Each issuer's pending, unbatched credentials are taken oldest first; a batch closes when
it holds ``batch_size`` credentials or its oldest is ``batch_age_seconds`` old. Three
steps, each its own unit of work:

1. **prepare** (one DB transaction): compute the batch root over the credentials' claims
   roots (docs/format.md §7.3), insert the ``anchor_batches`` row as ``prepared`` and set
   each credential's ``batch_id``;
2. **send**: ask the registry whether the root is anchored; if not, ``anchor(root, count)``
   with the issuer's anchoring account;
3. **record** (one DB transaction): write each credential's anchor (batch root, Merkle
   path, chain members of §7.3) into its stored document, mark it ``anchored``, and the
   batch too.

Why every accepted credential ends anchored exactly once, whatever crashes when:

- A credential is committed ``pending`` before the API answers, and only step 1 gives it
  a batch, atomically with the batch row; step 1 takes only credentials without a batch,
  so no credential is ever in two batches.
- A batch is ``prepared`` from step 1 until step 3 commits, and prepared batches are
  finished before any new one is formed (after a restart too), so none is forgotten.
- The registry refuses a second ``anchor`` of a root, and step 2 first looks the root up
  and, if it is there, recovers the transaction from the ``BatchAnchored`` log instead of
  sending. A crash between sending and step 3 therefore costs no second anchor; a
  transaction lost with a crashed node is simply sent again.
- Step 3 changes nothing unless the batch is still ``prepared``, so two workers (two
  service processes on PostgreSQL) cannot record one batch twice.

When the chain cannot be reached the worker backs off and retries; nothing is dropped.
An issuer without a chain connection keeps its credentials pending (logged once).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from ledger import AlreadyRecorded, AnchorResult, ChainError, RegistryClient
from ledger.anchoring import existing_anchor
from ledger.errors import InputError
from ledger.governance import issuer_client
from ledger.issuance import IssuerError, IssuerIdentity
from ledger.issuance.signing import attach_anchor
from verifier import merkle, timefmt
from verifier.proofs import ledger_proof

from .context import Service
from .models import AnchorBatch, Credential, Issuer

log = logging.getLogger("credbank.worker")

# How long a transaction may take to be mined before the worker gives up waiting and
# looks again on its next round (the root lookup then finds it, or it is sent anew).
RECEIPT_TIMEOUT_S = 20.0
_IN_CHUNK = 500  # ids per IN (...) list, well under every database's parameter limit

_SENDING: dict[int, threading.Lock] = {}
_SENDING_GUARD = threading.Lock()


def sending_for(issuer_id: int) -> threading.Lock:
    """Held while this process sends with an issuer's account (the worker's anchors, the
    API's status changes), so two clients never pick the same nonce."""
    with _SENDING_GUARD:
        return _SENDING.setdefault(issuer_id, threading.Lock())


@dataclass(frozen=True)
class BatchOutcome:
    batch_id: int
    root: str
    count: int
    transaction_hash: str
    block_number: int
    resumed: bool  # found on chain already: no transaction was sent this time


def batch_tree(claims_roots: Sequence[str]) -> merkle.MerkleTree:
    """The batch tree over hex claims roots (docs/format.md §7.3)."""
    return merkle.MerkleTree(
        merkle.leaf_hash(ledger_proof.unhex32(r, "claimsRoot")) for r in claims_roots)


class Anchorer:
    """One round of anchoring work at a time; the thread of
    :func:`api.service.background.anchoring_loop` drives it.

    ``client_for`` gives the registry client acting as an issuer's anchoring account
    (tests may substitute one); by default :func:`ledger.governance.issuer_client`.
    """

    def __init__(
        self, svc: Service,
        client_for: Callable[[IssuerIdentity], RegistryClient] | None = None,
    ) -> None:
        self.svc = svc
        self._client_for = client_for or _default_client
        self._clients: dict[int, RegistryClient] = {}
        self._unconnected: set[int] = set()

    # -- one round ----------------------------------------------------------------------

    def run_once(self, *, force: bool = False) -> list[BatchOutcome]:
        """Finish prepared batches, then form and anchor new ones. ``force`` closes a batch
        whatever its age.

        Issuers are independent: a chain error for one (unreachable, or the registry
        refusing it, say because the authority suspended it) stops that issuer's work for
        this round only; the others' batches are anchored and recorded, and then the first
        error is raised so that the caller backs off.
        """
        done: list[BatchOutcome] = []
        errors: list[Exception] = []
        blocked: set[int] = set()

        def attempt(issuer_id: int, work: Callable[[], None]) -> None:
            try:
                work()
            except ChainError as exc:
                blocked.add(issuer_id)
                errors.append(exc)

        def finish(batch_id: int) -> None:
            outcome = self.finish(batch_id)
            if outcome is not None:
                done.append(outcome)

        for batch_id, issuer_id in self._prepared():
            if issuer_id not in blocked:
                attempt(issuer_id, lambda b=batch_id: finish(b))

        def form_batches(issuer_id: int) -> None:
            while (batch_id := self.prepare(issuer_id, force=force)) is not None:
                finish(batch_id)

        for issuer_id in self._issuers_with_pending():
            if issuer_id not in blocked:
                attempt(issuer_id, lambda i=issuer_id: form_batches(i))
        if errors:
            raise errors[0]
        return done

    def _prepared(self) -> list[tuple[int, int]]:
        """(batch id, issuer id) of every prepared batch, oldest first."""
        with self.svc.db.session() as session:
            return [(b, i) for b, i in session.execute(
                select(AnchorBatch.id, AnchorBatch.issuer_id)
                .where(AnchorBatch.state == "prepared").order_by(AnchorBatch.id))]

    def _issuers_with_pending(self) -> list[int]:
        with self.svc.db.session() as session:
            found = session.scalars(
                select(Credential.issuer_id).where(Credential.state == "pending",
                                                   Credential.batch_id.is_(None))
                .distinct()).all()
        ready = []
        for issuer_id in sorted(found):
            if self._identity(issuer_id) is not None:
                ready.append(issuer_id)
        return ready

    # -- step 1: prepare ----------------------------------------------------------------

    def prepare(self, issuer_id: int, *, force: bool = False) -> int | None:
        """Close one batch of this issuer's pending credentials, if one is due; its id."""
        settings = self.svc.settings
        now = timefmt.now()
        with self.svc.db.session() as session:
            rows = session.execute(
                select(Credential.id, Credential.claims_root, Credential.issued_at)
                .where(Credential.issuer_id == issuer_id, Credential.state == "pending",
                       Credential.batch_id.is_(None))
                .order_by(Credential.issued_at, Credential.status_index)
                .limit(settings.batch_size)
                # a second service process on PostgreSQL skips rows this one is batching
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return None
            oldest = rows[0].issued_at
            full = len(rows) >= settings.batch_size
            old = now - oldest >= timedelta(seconds=settings.batch_age_seconds)
            if not (full or old or force):
                return None
            root = ledger_proof.hex32(batch_tree([r.claims_root for r in rows]).root)
            batch = AnchorBatch(issuer_id=issuer_id, root=root, count=len(rows),
                                state="prepared", created_at=now)
            session.add(batch)
            session.flush()
            ids = [r.id for r in rows]
            for start in range(0, len(ids), _IN_CHUNK):
                session.execute(
                    update(Credential)
                    .where(Credential.id.in_(ids[start:start + _IN_CHUNK]),
                           Credential.batch_id.is_(None))
                    .values(batch_id=batch.id))
            log.info("batch %s prepared: %d credential(s) of issuer %d", root, len(rows),
                     issuer_id)
            return batch.id

    # -- steps 2 and 3: send, record -----------------------------------------------------

    def finish(self, batch_id: int) -> BatchOutcome | None:
        """Anchor a prepared batch (or find it anchored) and record it; None if the
        issuer has no chain yet. Raises ChainError when the chain cannot be reached."""
        with self.svc.db.session() as session:
            batch = session.get(AnchorBatch, batch_id)
            if batch is None or batch.state != "prepared":
                return None
            root_hex, count, issuer_id = batch.root, batch.count, batch.issuer_id
            members = session.execute(
                select(Credential.id, Credential.claims_root)
                .where(Credential.batch_id == batch_id)).all()
        if len(members) != count:
            raise RuntimeError(f"batch {root_hex} lists {count} credentials but "
                               f"{len(members)} carry it")
        tree = batch_tree([m.claims_root for m in members])
        root = ledger_proof.unhex32(root_hex, "batchRoot")
        if tree.root != root:
            raise RuntimeError(f"batch {root_hex} no longer hashes to its root")
        identity = self._identity(issuer_id)
        if identity is None:
            return None
        try:
            with sending_for(issuer_id):
                client = self._client(issuer_id, identity)
                result, resumed = _anchor_once(client, root, count, identity.did)
        except ChainError:
            # A fresh client next time: its nonce counter may name a transaction the
            # node lost in a crash.
            self._clients.pop(issuer_id, None)
            raise
        self._record(batch_id, tree, members, result)
        log.info("batch %s anchored in block %d (%s)%s", root_hex, result.block_number,
                 result.transaction_hash, " — found on chain" if resumed else "")
        return BatchOutcome(batch_id, root_hex, count, result.transaction_hash,
                            result.block_number, resumed)

    def _record(self, batch_id: int, tree: merkle.MerkleTree, members: Sequence[Any],
                result: AnchorResult) -> None:
        chain = result.anchor_members()
        now = timefmt.now()
        with self.svc.db.session() as session:
            claimed = session.execute(
                update(AnchorBatch)
                .where(AnchorBatch.id == batch_id, AnchorBatch.state == "prepared")
                .values(state="anchored", transaction_hash=result.transaction_hash,
                        block_number=result.block_number, anchored_at=now))
            if claimed.rowcount != 1:
                return  # another worker recorded it first
            ids = [m.id for m in members]
            for start in range(0, len(ids), _IN_CHUNK):
                rows = session.scalars(select(Credential).where(
                    Credential.id.in_(ids[start:start + _IN_CHUNK]))).all()
                for row in rows:
                    path = tree.proof(merkle.leaf_hash(
                        ledger_proof.unhex32(row.claims_root, "claimsRoot")))
                    document = attach_anchor(json.loads(row.document), result.batch_root,
                                             path, chain)
                    row.document = json.dumps(document, ensure_ascii=False,
                                              separators=(",", ":"))
                    row.state = "anchored"
                    row.anchored_at = now

    # -- issuers and their clients ------------------------------------------------------

    def _identity(self, issuer_id: int) -> IssuerIdentity | None:
        with self.svc.db.session() as session:
            issuer = session.get(Issuer, issuer_id)
        if issuer is None:
            return None
        try:
            identity = self.svc.identities.get(issuer)
            if not identity.chain:
                # connected since it was loaded? read its directory again
                self.svc.identities.forget(issuer_id)
                identity = self.svc.identities.get(issuer)
        except IssuerError as exc:
            self._note_unconnected(issuer_id, f"issuer {issuer.slug} cannot be loaded: {exc}")
            return None
        if not identity.chain:
            self._note_unconnected(
                issuer_id, f"issuer {issuer.slug} has no chain connection; its credentials "
                "stay pending (run: credbank issuer connect / accredit)")
            return None
        self._unconnected.discard(issuer_id)
        return identity

    def _note_unconnected(self, issuer_id: int, message: str) -> None:
        if issuer_id not in self._unconnected:
            self._unconnected.add(issuer_id)
            log.warning("%s", message)

    def _client(self, issuer_id: int, identity: IssuerIdentity) -> RegistryClient:
        client = self._clients.get(issuer_id)
        if client is None:
            client = self._clients[issuer_id] = self._client_for(identity)
        return client


def _default_client(identity: IssuerIdentity) -> RegistryClient:
    try:
        client = issuer_client(identity)
    except InputError as exc:  # a key file or chain file problem: not the chain's fault
        raise ChainError(str(exc)) from None
    client.receipt_timeout = RECEIPT_TIMEOUT_S
    return client


def _anchor_once(client: RegistryClient, root: bytes, count: int,
                 issuer_did: str) -> tuple[AnchorResult, bool]:
    """The anchor of ``root``: found on chain, else sent now. The registry's refusal of a
    second anchor of one root is the idempotency key."""
    existing = existing_anchor(client, root, issuer_did)
    if existing is not None:
        return existing, True
    try:
        return client.anchor(root, count), False
    except AlreadyRecorded:
        # Mined meanwhile (a transaction of ours still in the pool from before a crash).
        found = existing_anchor(client, root, issuer_did)
        if found is None:
            raise
        return found, True
