"""A learner's learning archive (终身学习档案): credentials of the learning account in one
document the credit bank signs (verifier.archive, docs/format.md "The learning archive").

The credit bank is the issuer named by the ``credit_bank`` setting: its current key signs
the archive. Each credential goes in as a derived copy that discloses everything except
the salted hash of the learner's identity number, which no copy leaving the service
reveals (sharing.refuse_secrets); the learner's name is disclosed unless the learner says
not to. An archive is made on request and not stored.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from verifier import CredentialError, archive, derive_copy, jsonio, timefmt
from verifier.claims import under

from . import sharing
from .accounts import credit_bank
from .context import Service
from .errors import Conflict, InvalidInput, NotFound, TooLarge, Unavailable
from .models import Credential

NAME = "终身学习档案 Lifelong Learning Archive"


def archive_copy(row: Credential, *, reveal_name: bool) -> dict[str, Any]:
    """The copy of ``row`` an archive holds: every claim but salted identity hashes, and the
    learner's name only when ``reveal_name``."""
    document = sharing.full_copy(row)
    hidden = sharing.secret_pointers(document)
    if not reveal_name:
        hidden += sharing.name_pointers(document)
    reveal = [p for p in sharing.disclosable(document)
              if not any(under(h, p) or under(p, h) for h in hidden)]
    reveal += [p for p in sharing.name_pointers(document) if reveal_name]
    try:
        return derive_copy(document, sorted(set(reveal)))
    except CredentialError as exc:  # the service's own full copy: a fault, not input
        raise Unavailable(f"credential {row.id} cannot be copied: {exc}") from None


def _choose(session: Session, learner_key: str, wanted: list[str]) -> list[Credential]:
    if len(set(wanted)) != len(wanted):
        raise InvalidInput("credentials: each credential once")
    if len(wanted) > archive.MAX_CREDENTIALS:
        raise InvalidInput(f"credentials: an archive holds at most {archive.MAX_CREDENTIALS}")
    if not wanted:  # every credential that counts, oldest first
        rows = session.scalars(
            select(Credential).where(Credential.learner_key == learner_key,
                                     Credential.status == sharing.COUNTED_STATUS,
                                     Credential.state == "anchored")
            .order_by(Credential.issued_at, Credential.id).limit(archive.MAX_CREDENTIALS)
        ).all()
        if not rows:
            raise Conflict("this learning account has no anchored credential in force yet")
        return list(rows)
    rows = []
    for credential_id in wanted:
        row = session.scalars(select(Credential).where(
            Credential.id == credential_id, Credential.learner_key == learner_key)).first()
        if row is None:
            # the same answer whether it does not exist or is someone else's
            raise NotFound(f"no credential {credential_id} in this learning account")
        if row.status != sharing.COUNTED_STATUS:
            raise Conflict(f"credential {credential_id} is {row.status}: an archive holds "
                           "credentials in force only")
        if row.state != "anchored":
            raise Conflict(f"credential {credential_id} is not anchored yet: try again in a "
                           "moment")
        rows.append(row)
    return rows


@dataclass(frozen=True)
class Archive:
    document: dict[str, Any]
    text: bytes  # the JSON a download serves, and a PDF embeds

    @property
    def filename_stem(self) -> str:
        return "archive-" + self.document["id"].rsplit(":", 1)[-1]


def export(svc: Service, learner_id: int | None, credential_ids: list[str], *,
           reveal_name: bool = True, now: datetime | None = None) -> Archive:
    """The signed archive of the learner's chosen credentials (all that count, when none
    are named)."""
    moment = now or timefmt.now()
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        bank = credit_bank(session, svc)
        rows = _choose(session, learner.learner_key, credential_ids)
        copies = [archive_copy(row, reveal_name=reveal_name) for row in rows]
        first = sharing.full_copy(rows[0])
    identity = svc.identities.get(bank)
    key = identity.signing_key(moment)
    names = sharing.name_identifiers(first)
    document = archive.build(
        archive_id=f"urn:uuid:{uuid.uuid4()}", institution_did=bank.did,
        institution_name=bank.name, signing_did=key.did, name=NAME,
        identifiers=names if reveal_name else [], credentials=copies, issued_at=moment)
    signed = archive.sign(document, key, timefmt.format(moment))
    text = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(text) > jsonio.MAX_CREDENTIAL_BYTES:
        raise TooLarge(f"the archive would take {len(text)} bytes, more than a verifier "
                       f"reads ({jsonio.MAX_CREDENTIAL_BYTES}): choose fewer credentials")
    return Archive(signed, text)


def export_pdf(svc: Service, learner_id: int | None, credential_ids: list[str], lang: str, *,
               reveal_name: bool = True) -> tuple[bytes, str]:
    """The archive as an A4 PDF in ``lang`` carrying its JSON; (pdf, file name)."""
    from . import archive_pdf
    from .certificate import check_language
    from .fonts import fonts

    check_language(lang)
    fonts()  # Unavailable before anything is signed
    made = export(svc, learner_id, credential_ids, reveal_name=reveal_name)
    name = f"{made.filename_stem}-{lang}.pdf"
    verify_url = svc.settings.public_url.rstrip("/") + "/verify"
    return archive_pdf.render(made.text, lang, verify_url=verify_url, file_name=name), name


def check(svc: Service, document: dict[str, Any]) -> archive.ArchiveReport:
    """Check an archive as the verify answers check a credential: the service's issuers
    and, when it has a chain, proven chain evidence."""
    from .trust import chain_evidence, trust_list

    return archive.check(document, trust=trust_list(svc), evidence=chain_evidence(svc))
