"""The learner's attendance record (docs/format.md, "Attendance records"), built from the
anchored venue-days: for each entry its leaf data, salt and Merkle path; the manifests and
venue registers cited; the totals; and the trust bundle that proves the documents' words.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.bundle import BundleExportError, export_bundle
from verifier import attendance as fmt
from verifier import timefmt
from verifier.evidence.errors import EvidenceError
from verifier.evidence.online import HttpRpc

from .attendance_models import AttendanceDay, AttendanceEntry, VenueRegister
from .context import Service
from .errors import ChainUnavailable
from .governing import chain_config
from .models import Activity, CheckIn, Venue

RPC_TIMEOUT_SECONDS = 10.0


def trust_bundle(svc: Service, document_hashes: list[str]) -> dict[str, Any]:
    """A trust bundle proving the words of these documents, from the service's chain."""
    config = chain_config(svc)
    rpc_url, registry = config.rpc_url, config.registry
    try:
        return export_bundle(HttpRpc(rpc_url, timeout=RPC_TIMEOUT_SECONDS), registry,
                             authority=svc.settings.authority_name,
                             document_hashes=document_hashes, history=False)
    except (BundleExportError, EvidenceError) as exc:
        # the node's URL may carry an access token: never in an answer
        message = str(exc).replace(rpc_url, "the node")
        raise ChainUnavailable(f"the service's chain: {message}") from None


def _pending(session: Session, checkin_ids: list[str]) -> list[dict[str, Any]]:
    rows = session.execute(
        select(CheckIn, Activity.title, Venue.slug)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .join(Venue, Venue.id == CheckIn.venue_id)
        .where(CheckIn.id.in_(checkin_ids)).order_by(CheckIn.checked_in_at)).all()
    return [{"checkIn": c.id, "venue": slug, "day": c.day, "activity": title,
             "checkedInAt": timefmt.format(c.checked_in_at), "state": "pending"}
            for c, title, slug in rows]


def build_record(svc: Service, session: Session, learner_key: str,
                 checkin_ids: list[str]) -> dict[str, Any]:
    anchored = session.execute(
        select(AttendanceEntry, AttendanceDay)
        .join(AttendanceDay, AttendanceDay.id == AttendanceEntry.day_id)
        .where(AttendanceEntry.checkin_id.in_(checkin_ids),
               AttendanceDay.state == "anchored")).all() if checkin_ids else []
    days: dict[int, AttendanceDay] = {day.id: day for _, day in anchored}
    day_trees: dict[int, fmt.DayTree] = {}
    for day_id in days:
        day_trees[day_id] = fmt.DayTree.of(json.loads(text) for text in session.scalars(
            select(AttendanceEntry.entry).where(AttendanceEntry.day_id == day_id)))
    entries = []
    for held, day in sorted(anchored, key=lambda pair: (pair[1].day, pair[0].checkin_id)):
        data = json.loads(held.entry)
        entries.append({"entry": data, "salt": held.salt, "path": day_trees[day.id].path(data),
                        "dayHash": day.manifest_hash})
    registers = session.scalars(select(VenueRegister).where(
        VenueRegister.id.in_({d.register_id for d in days.values()}))).all() if days else []
    register_trees = {r.id: fmt.RegisterTree.of(json.loads(r.document)["venues"])
                      for r in registers}
    slugs = {venue_id: slug for venue_id, slug in session.execute(
        select(Venue.id, Venue.slug).where(Venue.id.in_({d.venue_id for d in days.values()})))}
    # each venue once per register version its days cite, with its path in that register
    shown = sorted({(d.register_id, slugs[d.venue_id]) for d in days.values()})
    done = {held.checkin_id for held, _ in anchored}
    out: dict[str, Any] = {
        "type": fmt.RECORD_TYPE, "version": fmt.VERSION, "learner": {"key": learner_key},
        "issuedAt": timefmt.format(timefmt.now()), "entries": entries,
        "days": [json.loads(d.manifest) for d in sorted(days.values(), key=lambda d: d.id)],
        "registers": [register_trees[r.id].manifest() for r in registers],
        "venues": [register_trees[r].proof(slug) for r, slug in shown],
        "totals": fmt.totals(e["entry"] for e in entries),
        "pending": _pending(session, [c for c in checkin_ids if c not in done]),
    }
    if entries:
        hashes = [d.manifest_hash for d in days.values()] + [r.document_hash
                                                             for r in registers]
        bundle = trust_bundle(svc, hashes)
        out["chain"] = {"chainId": bundle["chainId"], "registry": bundle["registry"]}
        out["evidence"] = bundle
    return out
