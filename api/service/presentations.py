"""Job-seeking verification (求职认证): an employer's request, a learner's consent and
presentation, and its checks on arrival and on every later reading (docs/presentations.md).

A request is made by a registered employer (API key) or by a page visitor, whose name is
self-declared and who reads the answers with a manage token (kept as its hash). It holds
requirements (``verifier.requirements``), whether the holder's name is asked, an expiry, a
random challenge and the employer's identity as domain. The learner answers by choosing
credentials per requirement; the service derives copies disclosing exactly the fields each
requirement needs (and the name only when asked and consented), wraps them in a W3C
Verifiable Presentation and signs it with the learner's holder key for that domain
(:func:`holder_key`). Every answer is checked as it arrives (``verifier.presentation``,
each credential through :func:`api.service.checking.judge`) and again whenever the
employer reads it. A learner sees every answer made and may withdraw one: the employer then
gets 410 and the presentation itself is erased.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from verifier import CredentialError, Status, derive_copy, keys, timefmt
from verifier import presentation as vp
from verifier.claims import iter_leaves, under
from verifier.requirements import (
    Requirement,
    matches,
    name_pointer,
    parse_requirements,
    pointers,
)

from . import checking, credit_lookup, security, sharing
from .context import Service
from .employer_models import Presentation, PresentationRequest
from .errors import Conflict, Forbidden, Gone, InvalidInput, NotFound, TooLarge
from .models import Credential, Employer, Learner

MAX_HOURS = 24 * 90
ACCEPTABLE = ("issuer", "status")
MAX_PRESENTATION_BYTES = 2_000_000
_HOLDER_KEY_LABEL = b"credbank/holder-key/v1\x00"
# the checks that bind a presentation to its request and its holder: an answer failing one
# is refused, never stored
BINDING = ("presentation.form", "presentation.proof", "presentation.challenge",
           "presentation.domain")


# ---- the holder key ---------------------------------------------------------------------

def holder_key(svc: Service, learner: Learner, domain: str) -> keys.SigningKey:
    """The learner's Ed25519 holder key towards one employer: its seed is HMAC-SHA256 of
    the server secret over the learner's key and the domain, so no private key is stored
    and two employers see two unrelated ``did:key`` holders (nothing to correlate)."""
    message = _HOLDER_KEY_LABEL + learner.learner_key.encode() + b"\x00" + domain.encode()
    return keys.SigningKey.from_seed(hmac.new(svc.secret, message, hashlib.sha256).digest())


# ---- requests ----------------------------------------------------------------------------

def link(svc: Service, request_id: str) -> str:
    return f"{svc.settings.public_url.rstrip('/')}/present/{request_id}"


def employer_domain(svc: Service, employer: Employer) -> str:
    return f"{svc.settings.public_url.rstrip('/')}/v1/employers/{employer.slug}"


def create_request(svc: Service, *, requirements: Any, title: str = "", ask_name: bool,
                   expires_in_hours: int, accept: Sequence[str] = (),
                   employer_id: int | None = None, visitor_name: str | None = None
                   ) -> tuple[PresentationRequest, str | None]:
    """A new request by a registered employer or, with ``visitor_name``, a page visitor;
    with the visitor's manage token (shown once) as second member."""
    try:
        parsed = parse_requirements(requirements)
    except CredentialError as exc:
        raise InvalidInput(str(exc)) from None
    if not 1 <= expires_in_hours <= MAX_HOURS:
        raise InvalidInput(f"expiresInHours must be 1 to {MAX_HOURS}")
    if set(accept) - set(ACCEPTABLE):
        raise InvalidInput("accept may name only issuer and status")
    if (employer_id is None) == (visitor_name is None):
        raise InvalidInput("a request is by a registered employer or by a visitor")
    if visitor_name is not None and not 1 <= len(visitor_name.strip()) <= 200:
        raise InvalidInput("the visitor's name must be 1 to 200 characters")
    token = security.new_token() if visitor_name is not None else None
    request_id = secrets.token_urlsafe(16)
    now = timefmt.now()
    with svc.db.session() as session:
        if employer_id is not None:
            employer = session.get(Employer, employer_id)
            if employer is None or employer.retired_at is not None:
                raise NotFound("no such employer")
            domain = employer_domain(svc, employer)
        else:
            domain = link(svc, request_id)
        row = PresentationRequest(
            id=request_id, employer_id=employer_id,
            visitor_name=visitor_name.strip() if visitor_name is not None else None,
            manage_token_hash=security.token_hash(token) if token else None,
            title=title.strip()[:200], requirements=[r.to_json() for r in parsed],
            ask_name=ask_name, accept=sorted(set(accept)),
            challenge=secrets.token_urlsafe(24), domain=domain, created_at=now,
            expires_at=now + timedelta(hours=expires_in_hours))
        session.add(row)
        session.flush()
        session.refresh(row)
        return row, token


def requirements_of(row: PresentationRequest) -> tuple[Requirement, ...]:
    return parse_requirements(row.requirements)


def find_request(session: Session, request_id: str) -> PresentationRequest:
    row = session.get(PresentationRequest, request_id) if len(request_id) <= 32 else None
    if row is None:
        raise NotFound("no such request")
    return row


def open_request(session: Session, request_id: str) -> PresentationRequest:
    """A request that can still be answered."""
    row = find_request(session, request_id)
    if row.expires_at <= timefmt.now():
        raise Gone("this request has expired", "expired")
    if row.employer is not None and row.employer.retired_at is not None:
        raise Gone("this employer is no longer registered", "retired")
    return row


def public_request(svc: Service, request_id: str) -> PresentationRequest:
    with svc.db.session() as session:
        return open_request(session, request_id)


def employer_request(svc: Service, employer_id: int | None, request_id: str
                     ) -> PresentationRequest:
    """One of the employer's own requests (another's answers 404, like none)."""
    with svc.db.session() as session:
        row = find_request(session, request_id)
    if employer_id is None or row.employer_id != employer_id:
        raise NotFound("no such request")
    return row


def managed_request(svc: Service, token: str) -> PresentationRequest:
    """The visitor's request its manage token opens."""
    with svc.db.session() as session:
        row = session.scalars(select(PresentationRequest).where(
            PresentationRequest.manage_token_hash == security.token_hash(token))).first()
    if row is None:
        raise NotFound("no such request")
    return row


def employer_requests(svc: Service, employer_id: int) -> list[PresentationRequest]:
    with svc.db.session() as session:
        return list(session.scalars(
            select(PresentationRequest).where(PresentationRequest.employer_id == employer_id)
            .order_by(PresentationRequest.created_at.desc(), PresentationRequest.id)))


def request_json(svc: Service, row: PresentationRequest) -> dict[str, Any]:
    """What anyone with the link sees: who asks (registered or self-declared), what for,
    and exactly which fields each requirement needs disclosed."""
    if row.employer is not None:
        employer = {"name": row.employer.name, "registered": True, "id": row.employer.slug}
    else:
        employer = {"name": row.visitor_name, "registered": False, "id": None}
    return {"id": row.id, "link": link(svc, row.id), "employer": employer, "title": row.title,
            "requirements": [{**r.to_json(), "disclose": list(pointers(r))}
                             for r in requirements_of(row)],
            "askName": row.ask_name, "accept": list(row.accept), "challenge": row.challenge,
            "domain": row.domain, "createdAt": timefmt.format(row.created_at),
            "expiresAt": timefmt.format(row.expires_at),
            "expired": row.expires_at <= timefmt.now()}


# ---- the learner's side ------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    credential: Credential
    issuer_name: str
    suggested: bool  # it satisfies (or counts towards) the requirement
    why_not: str


def suggestions(svc: Service, learner_id: int | None, row: PresentationRequest
                ) -> dict[str, list[Candidate]]:
    """For each requirement, the learner's active credentials, suggested ones first."""
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        owned = sharing.own_credentials(session, learner)
        framework = credit_lookup.active_framework(session)
    out: dict[str, list[Candidate]] = {}
    for requirement in requirements_of(row):
        found = []
        for credential, issuer in owned:
            if credential.status != sharing.COUNTED_STATUS:
                continue
            ok, why = matches(requirement, sharing.full_copy(credential), framework)
            found.append(Candidate(credential, issuer.name, ok, why))
        out[requirement.id] = sorted(found, key=lambda c: not c.suggested)
    return out


def own_answer(svc: Service, learner_id: int | None, request_id: str) -> Presentation | None:
    with svc.db.session() as session:
        return session.scalars(select(Presentation).where(
            Presentation.request_id == request_id,
            Presentation.learner_id == learner_id)).first()


def _reveal(full: dict[str, Any], wanted: set[str]) -> list[str]:
    """The wanted pointers this credential has (a pointer must name a leaf of it)."""
    leaves = [p for p, _ in iter_leaves({k: v for k, v in full.items() if k != "proof"})]
    return sorted(p for p in wanted if any(under(leaf, p) for leaf in leaves))


def present(svc: Service, learner_id: int | None, request_id: str,
            choices: Mapping[str, Sequence[str]], reveal_name: bool) -> Presentation:
    """The learner consents: a presentation of the chosen credentials (``choices``: for
    each requirement id, credential ids), each disclosing exactly what the requirements it
    was chosen for need, and the name only when the request asks and the learner agrees."""
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        row = open_request(session, request_id)
        known = {r.id: r for r in requirements_of(row)}
        unknown = sorted(set(choices) - set(known))
        if unknown:
            raise InvalidInput(f"no requirement {unknown[0]} in this request")
        wanted: dict[str, set[str]] = {}
        for requirement_id, chosen in choices.items():
            for credential_id in chosen:
                wanted.setdefault(credential_id, set()).update(pointers(known[requirement_id]))
        if not wanted:
            raise InvalidInput("choose at least one credential")
        if len(wanted) > vp.MAX_CREDENTIALS:
            raise TooLarge(f"at most {vp.MAX_CREDENTIALS} credentials in one presentation")
        copies = []
        for credential_id, fields in wanted.items():
            credential = sharing.own_credential(session, learner, credential_id)
            full = sharing.full_copy(credential)
            name = name_pointer(full) if row.ask_name and reveal_name else None
            copies.append(derive_copy(full, _reveal(full, fields | ({name} if name else set()))))
        key = holder_key(svc, learner, row.domain)
    document = vp.make(copies, key, challenge=row.challenge, domain=row.domain,
                       created=timefmt.format(timefmt.now()),
                       presentation_id=f"urn:uuid:{uuid.uuid4()}")
    return accept_presentation(svc, learner_id, request_id, document,
                               name_revealed=bool(row.ask_name and reveal_name))


def _credential_check(svc: Service, accept: Sequence[str]) -> vp.CredentialCheck:
    def judge_one(document: dict[str, Any]) -> vp.CredentialOutcome:
        judged = checking.judge(svc, document, frozenset(accept))
        explained = judged.explanation
        detail = judged.result.check(explained.failed).detail if explained.failed else ""
        if judged.scope_problem:
            detail = judged.scope_problem
        return vp.CredentialOutcome(str(document.get("id")), explained.verified,
                                    explained.reason, detail, judged.result.checks)

    return judge_one


def check(svc: Service, row: PresentationRequest, document: Any) -> vp.PresentationReport:
    """The named checks of a presentation against its request, as of now."""
    with svc.db.session() as session:
        framework = credit_lookup.active_framework(session)
    return vp.check(document, challenge=row.challenge, domain=row.domain,
                    check_credential=_credential_check(svc, row.accept),
                    requirements=requirements_of(row), framework=framework)


def accept_presentation(svc: Service, learner_id: int | None, request_id: str,
                        document: Any, *, name_revealed: bool | None = None) -> Presentation:
    """A presentation arriving for a request, verified on arrival. One bound to another
    request, not signed by this learner's holder key for this employer, or malformed is
    refused with the failing check named; one whose credentials or requirements fail is
    kept with that verdict, for the employer to see."""
    if len(json.dumps(document, ensure_ascii=False)) > MAX_PRESENTATION_BYTES:
        raise TooLarge("the presentation is larger than 2 MB")
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        row = open_request(session, request_id)
        holder = holder_key(svc, learner, row.domain).did
    report = check(svc, row, document)
    form = report.check("presentation.form")
    if form.status is not Status.PASSED:
        raise InvalidInput(f"presentation.form: {form.detail}")
    if document.get("holder") != holder:
        raise Forbidden("the presentation's holder is not this learner")
    for check_id in BINDING:
        result = report.check(check_id)
        if result.status is not Status.PASSED:
            raise InvalidInput(f"{check_id}: {result.detail}")
    credential_ids = [str(c.get("id")) for c in document["verifiableCredential"]]
    revealed = bool(report.names) if name_revealed is None else name_revealed and \
        bool(report.names)
    return _record(svc, Presentation(
        id=str(uuid.uuid4()), request_id=request_id, learner_id=learner.id,
        state="presented", document=json.dumps(document, ensure_ascii=False),
        credential_ids=credential_ids, name_revealed=revealed,
        verified_on_arrival=report.verified,
        result_on_arrival=json.dumps(report.to_json(), ensure_ascii=False),
        created_at=timefmt.now()))


_ANSWERED = "this request was already answered from this learning account"


def _record(svc: Service, answer: Presentation) -> Presentation:
    """Store one answer; a second from the same account is refused (the unique constraint
    settles two arriving at once)."""
    try:
        with svc.db.session() as session:
            if session.scalars(select(Presentation.id).where(
                    Presentation.request_id == answer.request_id,
                    Presentation.learner_id == answer.learner_id)).first() is not None:
                raise Conflict(_ANSWERED)
            session.add(answer)
    except IntegrityError:
        raise Conflict(_ANSWERED) from None
    return answer


def decline(svc: Service, learner_id: int | None, request_id: str) -> Presentation:
    """The learner declines: recorded, nothing disclosed."""
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        find_request(session, request_id)
    return _record(svc, Presentation(id=str(uuid.uuid4()), request_id=request_id,
                                     learner_id=learner.id, state="declined", document=None,
                                     credential_ids=[], name_revealed=False,
                                     created_at=timefmt.now()))


def learner_presentations(svc: Service, learner_id: int | None
                          ) -> list[tuple[Presentation, PresentationRequest]]:
    """Every answer the learner made, newest first, with its request."""
    with svc.db.session() as session:
        learner = sharing.learner_of(session, learner_id)
        return [(p, r) for p, r in session.execute(
            select(Presentation, PresentationRequest).join(PresentationRequest)
            .where(Presentation.learner_id == learner.id)
            .order_by(Presentation.created_at.desc(), Presentation.id)).all()]


def learner_presentation(svc: Service, learner_id: int | None, presentation_id: str
                         ) -> tuple[Presentation, PresentationRequest]:
    with svc.db.session() as session:
        found = session.execute(
            select(Presentation, PresentationRequest).join(PresentationRequest)
            .where(Presentation.id == presentation_id,
                   Presentation.learner_id == learner_id)).first()
    if found is None:  # the same answer whether it does not exist or is someone else's
        raise NotFound("no such presentation")
    return found[0], found[1]


def withdraw(svc: Service, learner_id: int | None, presentation_id: str) -> Presentation:
    """Withdraw a standing presentation: the document is erased and the employer gets 410
    from then on; the withdrawal itself is kept (again is no change)."""
    with svc.db.session() as session:
        row = session.get(Presentation, presentation_id) if len(presentation_id) <= 36 \
            else None
        if row is None or row.learner_id != learner_id:
            raise NotFound("no such presentation")
        if row.state == "declined":
            raise Conflict("a declined request has nothing to withdraw")
        if row.state == "presented":
            row.state, row.document, row.withdrawn_at = "withdrawn", None, timefmt.now()
        return row


# ---- the employer's side -----------------------------------------------------------------

@dataclass(frozen=True)
class Response:
    """One answer to a request as the employer sees it: the presentation's checks as of
    now (None when declined or withdrawn) and its verdict on arrival."""

    presentation: Presentation
    report: vp.PresentationReport | None

    def to_json(self) -> dict[str, Any]:
        row = self.presentation
        out: dict[str, Any] = {
            "id": row.id, "state": row.state, "presentedAt": timefmt.format(row.created_at),
            "withdrawnAt": timefmt.format(row.withdrawn_at) if row.withdrawn_at else None,
            "verifiedOnArrival": row.verified_on_arrival}
        if self.report is not None:
            out["result"] = self.report.to_json()
        return out


def _responses(svc: Service, row: PresentationRequest, verify: bool) -> list[Response]:
    with svc.db.session() as session:
        answers = list(session.scalars(select(Presentation).where(
            Presentation.request_id == row.id).order_by(Presentation.created_at,
                                                        Presentation.id)))
    return [Response(a, check(svc, row, json.loads(a.document))
                     if verify and a.state == "presented" and a.document else None)
            for a in answers]


def responses(svc: Service, employer_id: int, request_id: str) -> list[Response]:
    """Every answer to one of the employer's requests, each presentation checked now."""
    return _responses(svc, employer_request(svc, employer_id, request_id), True)


def request_responses(svc: Service, row: PresentationRequest, verify: bool = True
                      ) -> list[Response]:
    """The answers to a request the caller already holds (a visitor's, by manage token)."""
    return _responses(svc, row, verify)


def response(svc: Service, row: PresentationRequest, presentation_id: str) -> Response:
    """One answer, checked now; a withdrawn one is gone (410), a declined one has no
    presentation (409)."""
    with svc.db.session() as session:
        answer = session.get(Presentation, presentation_id) if len(presentation_id) <= 36 \
            else None
    if answer is None or answer.request_id != row.id:
        raise NotFound("no such presentation")
    if answer.state == "withdrawn":
        raise Gone("the learner withdrew this presentation", "withdrawn")
    if answer.state == "declined" or answer.document is None:
        raise Conflict("the learner declined this request")
    return Response(answer, check(svc, row, json.loads(answer.document)))


def presentation_document(svc: Service, row: PresentationRequest, presentation_id: str
                          ) -> dict[str, Any]:
    """The Verifiable Presentation itself, to check offline (credbank-verify)."""
    with svc.db.session() as session:
        answer = session.get(Presentation, presentation_id) if len(presentation_id) <= 36 \
            else None
    if answer is None or answer.request_id != row.id:
        raise NotFound("no such presentation")
    if answer.state == "withdrawn":
        raise Gone("the learner withdrew this presentation", "withdrawn")
    if answer.document is None:
        raise Conflict("the learner declined this request")
    return json.loads(answer.document)
