"""Points rules in the registry (docs/points.md §1): the authority drafts a version, edits
the draft, and publishes it: the canonical hash goes on chain as registry document kind 4
(through :func:`api.service.credit_registry.record_on_chain`) and the version is immutable
from then on.

The rules in force at a moment are those of the published version whose window covers
that moment's calendar day (China Standard Time) and that was published before it; of
several, the one published last. So what applied to a check-in or a credential never
changes afterwards: a version published later does not reach back.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier import timefmt
from verifier.credit import decision_date
from verifier.credit.points import PointsRules, parse_points_rules

from . import credit_registry
from .context import Service
from .credit_registry import publication, publication_json, read
from .errors import Conflict, InvalidInput, NotFound
from .models import RegistryPublication
from .points_models import PointsRuleSet

KIND = "points_rules"  # credit_registry.KINDS: DocumentKind.POINTS_RULES


def _row(session: Session, rules_id: str, version: str) -> PointsRuleSet:
    row = session.scalars(select(PointsRuleSet).where(
        PointsRuleSet.rules_id == rules_id, PointsRuleSet.version == version)).first()
    if row is None:
        raise NotFound(f"no points rules {rules_id} version {version}")
    return row


def all_rules(svc: Service, state: str | None = None) -> list[dict[str, Any]]:
    query = select(PointsRuleSet)
    if state is not None:
        query = query.where(PointsRuleSet.state == state)
    with svc.db.session() as session:
        return [rules_json(session, row) for row in session.scalars(query.order_by(
            PointsRuleSet.rules_id, PointsRuleSet.created_at, PointsRuleSet.id))]


def rules(svc: Service, rules_id: str, version: str, *, published_only: bool = False
          ) -> dict[str, Any]:
    with svc.db.session() as session:
        row = _row(session, rules_id, version)
        if published_only and row.state != "published":
            raise NotFound(f"no published points rules {rules_id} version {version}")
        return rules_json(session, row)


def create_rules(svc: Service, raw: Any) -> dict[str, Any]:
    """A new version, as a draft."""
    document: PointsRules = read(parse_points_rules, raw)
    now = timefmt.now()
    with svc.db.session() as session:
        if session.scalars(select(PointsRuleSet.id).where(
                PointsRuleSet.rules_id == document.id,
                PointsRuleSet.version == document.version)).first() is not None:
            raise Conflict(f"points rules {document.id} version {document.version} exist")
        row = PointsRuleSet(rules_id=document.id, version=document.version,
                            document=document.canonical().decode(), hash=document.hash(),
                            state="draft", created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return rules_json(session, row)


def update_rules(svc: Service, rules_id: str, version: str, raw: Any) -> dict[str, Any]:
    """Replace a draft's document (its id and version stay)."""
    document: PointsRules = read(parse_points_rules, raw)
    if (document.id, document.version) != (rules_id, version):
        raise InvalidInput(f"the document is points rules {document.id} version "
                           f"{document.version}, not {rules_id} version {version}")
    with svc.db.session() as session:
        row = _row(session, rules_id, version)
        if row.state != "draft":
            raise Conflict(f"points rules {rules_id} version {version} are published: "
                           "only a draft can change")
        row.document, row.hash = document.canonical().decode(), document.hash()
        row.updated_at = timefmt.now()
        return rules_json(session, row)


def publish_rules(svc: Service, rules_id: str, version: str, *, now: datetime | None = None
                  ) -> dict[str, Any]:
    """Record a draft's hash on chain (kind 4); the version is immutable from then on.
    ``now``: the moment it counts as published (default the present; the demo's history
    passes an earlier one, as it does for its check-ins)."""
    with svc.db.session() as session:
        row = _row(session, rules_id, version)
        if row.state != "draft":
            raise Conflict(f"points rules {rules_id} version {version} are published already")
        document, digest = row.document, row.hash
    chain = credit_registry.record_on_chain(svc, digest, KIND)
    with svc.db.session() as session:
        row = _row(session, rules_id, version)
        if row.state != "draft" or row.document != document:
            raise Conflict(f"points rules {rules_id} version {version} changed meanwhile")
        published = publication(session, KIND, f"{rules_id} {version}", document.encode(),
                                chain)
        now = now or timefmt.now()
        row.state, row.publication_id, row.updated_at, row.published_at = \
            "published", published.id, now, now
        return rules_json(session, row)


def in_force(session: Session, moment: datetime, *, published_by: datetime | None = None
             ) -> tuple[PointsRuleSet, PointsRules] | None:
    """The published rules that apply to ``moment``: covering its day and published by
    ``published_by`` (default: by ``moment`` itself); of several, the latest published."""
    day = decision_date(moment)
    cutoff = published_by or moment
    rows = session.scalars(select(PointsRuleSet).where(
        PointsRuleSet.state == "published", PointsRuleSet.published_at <= cutoff)
        .order_by(PointsRuleSet.published_at.desc(), PointsRuleSet.id.desc()))
    for row in rows:
        document = _parsed(row)
        if document.in_force(day):
            return row, document
    return None


_PARSED: dict[str, PointsRules] = {}  # published versions by hash: they never change


def _parsed(row: PointsRuleSet) -> PointsRules:
    found = _PARSED.get(row.hash)
    if found is None:
        found = parse_points_rules(row.document)
        if found.hash() == row.hash and len(_PARSED) < 1000:
            _PARSED[row.hash] = found
    return found


def cited(row: PointsRuleSet) -> dict[str, str]:
    return {"id": row.rules_id, "version": row.version, "hash": row.hash}


def rules_json(session: Session, row: PointsRuleSet) -> dict[str, Any]:
    published = session.get(RegistryPublication, row.publication_id) \
        if row.publication_id else None
    return {"id": row.rules_id, "version": row.version, "state": row.state, "hash": row.hash,
            "document": json.loads(row.document),
            "createdAt": timefmt.format(row.created_at),
            "updatedAt": timefmt.format(row.updated_at),
            "publishedAt": timefmt.format(row.published_at) if row.published_at else None,
            "publication": publication_json(published)}
