"""Conversion rule sets in the registry (docs/creditbank.md §5): owned by the authority,
or by an institution for one of its programmes.

A rule set is kept by id and version (unique together), as the canonical JSON of
``RuleSet.to_json`` with its hash (``RuleSet.hash``). Drafts are editable; publishing
records the hash on chain (kind 3) and makes the version immutable; a published version
can be withdrawn. An institution sees and changes only its own rule sets (another's is
"not found"); the authority sees all and changes its own. Bad input changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier import timefmt
from verifier.credit import OwnerKind, RuleSet, parse_rule_set

from . import credit_registry, rule_table
from .context import Service
from .credit_registry import publication, publication_json, read
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .models import CreditRuleSet, Issuer, RegistryPublication


def _owner_check(session: Session, rules: RuleSet, issuer_id: int | None) -> None:
    """The authority writes the authority's rule sets; an institution its programmes'."""
    if issuer_id is None:
        if rules.owner.kind is not OwnerKind.AUTHORITY:
            raise InvalidInput("the authority's rule sets have owner.type authority (an "
                               "institution adds its programme's rule sets with its own key)")
        return
    issuer = session.get(Issuer, issuer_id)
    if issuer is None:
        raise Forbidden("this API key's issuer no longer exists")
    if rules.owner.kind is not OwnerKind.PROGRAMME or rules.owner.id != issuer.did:
        raise InvalidInput(f"an institution's rule set is owned by one of its programmes: "
                           f"owner.type programme and owner.id {issuer.did}")


def _row(session: Session, set_id: str, version: str, issuer_id: int | None, *,
         write: bool = False) -> CreditRuleSet:
    """A rule set the caller may see (``write``: may change). Another institution's is
    not found; the authority may read an institution's but change only its own."""
    row = session.scalars(select(CreditRuleSet).where(
        CreditRuleSet.set_id == set_id, CreditRuleSet.version == version)).first()
    if row is None or (issuer_id is not None and row.issuer_id != issuer_id):
        raise NotFound(f"no rule set {set_id} version {version}")
    if write and issuer_id is None and row.issuer_id is not None:
        raise Forbidden(f"rule set {set_id} version {version} belongs to an institution")
    return row


def rule_sets(svc: Service, issuer_id: int | None, state: str | None = None
              ) -> list[dict[str, Any]]:
    """The caller's rule sets (for the authority: all of them)."""
    query = select(CreditRuleSet)
    if issuer_id is not None:
        query = query.where(CreditRuleSet.issuer_id == issuer_id)
    if state is not None:
        query = query.where(CreditRuleSet.state == state)
    with svc.db.session() as session:
        return [rule_set_json(session, row) for row in session.scalars(query.order_by(
            CreditRuleSet.set_id, CreditRuleSet.created_at, CreditRuleSet.id))]


def published_rule_sets(svc: Service) -> list[dict[str, Any]]:
    return rule_sets(svc, None, "published")


def rule_set(svc: Service, set_id: str, version: str, issuer_id: int | None,
             *, published_only: bool = False) -> dict[str, Any]:
    with svc.db.session() as session:
        row = _row(session, set_id, version, issuer_id)
        if published_only and row.state != "published":
            raise NotFound(f"no published rule set {set_id} version {version}")
        return rule_set_json(session, row)


def create_rule_set(svc: Service, raw: Any, issuer_id: int | None) -> dict[str, Any]:
    """A new rule set version, as a draft."""
    rules: RuleSet = read(parse_rule_set, raw)
    now = timefmt.now()
    with svc.db.session() as session:
        _owner_check(session, rules, issuer_id)
        if session.scalars(select(CreditRuleSet.id).where(
                CreditRuleSet.set_id == rules.id,
                CreditRuleSet.version == rules.version)).first() is not None:
            raise Conflict(f"rule set {rules.id} version {rules.version} exists")
        row = CreditRuleSet(set_id=rules.id, version=rules.version, issuer_id=issuer_id,
                            programme=rules.programme.id if rules.programme else None,
                            document=rules.canonical().decode(), hash=rules.hash(),
                            state="draft", created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        return rule_set_json(session, row)


def update_rule_set(svc: Service, set_id: str, version: str, raw: Any,
                    issuer_id: int | None) -> dict[str, Any]:
    """Replace a draft's document (its id, version and owner stay)."""
    rules: RuleSet = read(parse_rule_set, raw)
    if (rules.id, rules.version) != (set_id, version):
        raise InvalidInput(f"the document is rule set {rules.id} version {rules.version}, "
                           f"not {set_id} version {version}")
    with svc.db.session() as session:
        row = _row(session, set_id, version, issuer_id, write=True)
        _owner_check(session, rules, issuer_id)
        if row.state != "draft":
            raise Conflict(f"rule set {set_id} version {version} is {row.state}: only a "
                           "draft can change")
        row.document, row.hash = rules.canonical().decode(), rules.hash()
        row.programme = rules.programme.id if rules.programme else None
        row.updated_at = timefmt.now()
        return rule_set_json(session, row)


def replace_rules(svc: Service, set_id: str, version: str, csv_text: str,
                  issuer_id: int | None) -> dict[str, Any]:
    """Replace a draft's rules with those of a CSV rule table (rule_table.COLUMNS); the
    whole rule set is then read as update_rule_set reads it (rules[0] is the first row)."""
    rules = rule_table.rules_from_csv(csv_text)
    with svc.db.session() as session:
        document = json.loads(_row(session, set_id, version, issuer_id, write=True).document)
    return update_rule_set(svc, set_id, version, {**document, "rules": rules}, issuer_id)


def publish_rule_set(svc: Service, set_id: str, version: str, issuer_id: int | None
                     ) -> dict[str, Any]:
    """Record a draft's hash on chain (kind 3); the version is immutable from then on."""
    with svc.db.session() as session:
        row = _row(session, set_id, version, issuer_id, write=True)
        if row.state != "draft":
            raise Conflict(f"rule set {set_id} version {version} is {row.state}, not a draft")
        document, digest = row.document, row.hash
    chain = credit_registry.record_on_chain(svc, digest, "rule_set", issuer_id)
    with svc.db.session() as session:
        row = _row(session, set_id, version, issuer_id, write=True)
        if row.state != "draft" or row.document != document:
            raise Conflict(f"rule set {set_id} version {version} changed meanwhile")
        published = publication(session, "rule_set", f"{set_id} {version}",
                                document.encode(), chain)
        row.state, row.publication_id, row.updated_at = "published", published.id, \
            timefmt.now()
        return rule_set_json(session, row)


def withdraw_rule_set(svc: Service, set_id: str, version: str, issuer_id: int | None
                      ) -> dict[str, Any]:
    """Withdraw a draft or a published version: no new decision applies it."""
    with svc.db.session() as session:
        row = _row(session, set_id, version, issuer_id, write=True)
        if row.state == "withdrawn":
            raise Conflict(f"rule set {set_id} version {version} is already withdrawn")
        published, digest = row.state == "published", row.hash
    if published:  # its withdrawal is recorded on chain too, by its publisher
        credit_registry.withdraw_on_chain(svc, digest, issuer_id)
    with svc.db.session() as session:
        row = _row(session, set_id, version, issuer_id, write=True)
        row.state, row.updated_at = "withdrawn", timefmt.now()
        return rule_set_json(session, row)


def rule_set_json(session: Session, row: CreditRuleSet) -> dict[str, Any]:
    published = session.get(RegistryPublication, row.publication_id) \
        if row.publication_id else None
    return {"id": row.set_id, "version": row.version, "state": row.state, "hash": row.hash,
            "owner": "authority" if row.issuer_id is None else "programme",
            "programme": row.programme, "document": json.loads(row.document),
            "createdAt": timefmt.format(row.created_at),
            "updatedAt": timefmt.format(row.updated_at),
            "publication": publication_json(published)}
