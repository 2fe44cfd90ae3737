"""Verification for anyone, trust downloads for offline verifiers, and the W3C VC API.

* ``POST /v1/verify`` answers the verifier's named checks, exactly as
  ``credbank-verify --json`` prints them, judged against the service's issuers and (when it
  has a chain) proven chain evidence, with the verdict failing closed
  (``api.service.checking.judge``): its reason, headline, what was not checked and, for a
  credential the service revoked or suspended, the recorded change.
* ``GET /v1/trust-bundle`` and ``GET /v1/trust-list``: what ``credbank-verify --trust``
  takes, so an employer can check offline what this service would check online.
* ``POST /credentials/verify`` and ``POST /credentials/issue``: the W3C VC API's verifier
  and issuer routes (docs/api.md, "Verification").

Bodies are read with the verifier's strict JSON reader (duplicate member names and NaN are
refused), the same one the offline CLI uses, so the service and the CLI never see two
different documents behind one signature.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.service import archives, checking, trust, vc_issuing
from api.service.errors import InvalidInput
from api.web.auth import Institution, ServiceDep
from api.web.schemas import Problem
from verifier import CredentialError, jsonio, timefmt, verdict
from verifier.model import Status

router = APIRouter(tags=["verification"])

MAX_CREDENTIAL_BYTES = jsonio.MAX_CREDENTIAL_BYTES
TRUST_CACHE_SECONDS = 60


# ---- shapes ------------------------------------------------------------------------------


class CheckOut(BaseModel):
    id: str = Field(description="format, integrity, disclosure, issuer_signature, "
                    "issuer_trusted, batch_inclusion, anchored, not_revoked, not_suspended, "
                    "not_expired")
    status: Literal["passed", "failed", "skipped", "error"]
    detail: str


Reason = Literal[tuple(verdict.HEADLINES)]  # type: ignore[valid-type]
Gap = Literal["issuer", "status"]


class Headline(BaseModel):
    zh: str
    en: str


class RecordedStatusChange(BaseModel):
    """The service's own record of the revocation or suspension the verdict names."""

    action: Literal["revoked", "suspended"]
    at: str = Field(description="when the service recorded the change (dateTime, UTC)")
    reason: int = Field(description="reason code (docs/contracts.md)")
    reasonWords: Headline = Field(description="the reason code in words")
    transactionHash: str | None = Field(
        description="the transaction that made it; null when the chain already showed it")
    blockNumber: int | None = Field(
        description="the block that took it; null when not recorded (changes made before "
                    "the service kept blocks, or when the chain already showed it)")


class Verification(BaseModel):
    verified: bool = Field(
        description="true only when every check passed, or was skipped for a gap the request "
        "accepted (`accept`); fails closed")
    reason: Reason = Field(  # type: ignore[valid-type]
        description="why: `verified`, or the first thing wrong (docs/format.md §9.2)")
    headline: Headline = Field(description="the verdict in words, Chinese and English")
    notChecked: list[Gap] = Field(
        description="what was not checked: `issuer` (no trust source), `status` (no chain "
        "evidence); accepted ones when verified")
    statusChange: RecordedStatusChange | None = Field(
        default=None, description="for a credential this service revoked or suspended")
    scopeProblem: str | None = Field(
        default=None, description="reason `out_of_scope`: why the credential lies outside "
        "its issuer's accreditation scope as the chain evidence proves it")
    checks: list[CheckOut]


class VcApiResult(BaseModel):
    """W3C VC API verification result: checks passed, warnings, errors."""

    verified: bool
    checks: list[str] = Field(description="ids of the checks that passed")
    warnings: list[str] = Field(description="checks not made, each `id: why`")
    errors: list[str] = Field(description="checks failed or in error, each `id: why`")


class VcApiProblem(VcApiResult):
    detail: str


class Issued(BaseModel):
    verifiableCredential: dict[str, Any]


def _json_body(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": schema}}}}


_PROBLEMS: dict[int | str, dict[str, Any]] = {
    413: {"model": Problem, "description": "body larger than the service accepts"},
    429: {"model": Problem, "description": "too many requests from this address "
          "(Retry-After says when to come back)"},
}


# ---- reading bodies ----------------------------------------------------------------------


async def _read_json(request: Request, status: int) -> Any:
    body = await request.body()
    if len(body) > MAX_CREDENTIAL_BYTES:
        raise HTTPException(413, f"a credential is at most {MAX_CREDENTIAL_BYTES} bytes")
    if not body:
        raise HTTPException(status, "the body must be a JSON object")
    try:
        return jsonio.loads(body)
    except CredentialError as exc:
        raise HTTPException(status, f"body: {exc}") from None


# ---- POST /v1/verify ---------------------------------------------------------------------


AcceptQuery = Annotated[list[Gap] | None, Query(
    description="gaps the caller accepts unchecked: `status` (the service runs without a "
    "chain: anchoring, revocation and suspension are not checked), `issuer`. Repeat for "
    "both. Without it a credential with a gap is not verified.")]


def _headline(judged: checking.Judged) -> Headline:
    words = verdict.HEADLINES[judged.explanation.reason]
    change = judged.status_change
    if change is None:
        return Headline(**words)
    date = timefmt.format(change.at)
    return Headline(zh=verdict.dated_headline(change.action, "zh", date, change.reason),
                    en=verdict.dated_headline(change.action, "en", date, change.reason))


def _change_out(change: checking.RecordedChange | None) -> RecordedStatusChange | None:
    if change is None:
        return None
    return RecordedStatusChange(
        action=change.action, at=timefmt.format(change.at), reason=change.reason,
        reasonWords=Headline(zh=verdict.reason_words(change.reason, "zh"),
                             en=verdict.reason_words(change.reason, "en")),
        transactionHash=change.transaction_hash, blockNumber=change.block_number)


@router.post(
    "/v1/verify", response_model=Verification,
    summary="Verify a credential: the verifier's named checks and the verdict",
    description="The body is the credential (full or selectively disclosed copy). The answer "
    "is what `credbank-verify --json` prints: the verdict (`verified`, failing closed, its "
    "`reason` and what was `notChecked`) and every check `passed`, `failed`, `skipped` "
    "(with why) or `error`, with the verdict in words (`headline`) and, for a credential "
    "this service revoked or suspended, its `statusChange`. A credential that does not "
    "verify is still a 200 with `verified: false`; a body that is not a credential at all "
    "is a 422.",
    openapi_extra=_json_body({"type": "object", "additionalProperties": True},
                             "an OpenBadgeCredential with its proofs"),
    responses={422: {"model": Problem, "description": "not JSON, or not a credential"},
               **_PROBLEMS},
)
async def verify_credential(request: Request, svc: ServiceDep,
                            accept: AcceptQuery = None) -> Verification:
    credential = await _read_json(request, 422)
    if not isinstance(credential, dict):
        raise HTTPException(422, "the body must be a JSON object: the credential")
    judged = await run_in_threadpool(checking.judge, svc, credential, frozenset(accept or ()))
    problem = verdict.unreadable(judged.result)
    if problem is not None:
        raise HTTPException(422, f"not a credential: {problem}")
    explained = judged.explanation
    return Verification(
        verified=explained.verified, reason=explained.reason, headline=_headline(judged),
        notChecked=list(explained.unchecked), statusChange=_change_out(judged.status_change),
        scopeProblem=judged.scope_problem if explained.reason == "out_of_scope" else None,
        checks=[CheckOut.model_validate(c.to_json()) for c in judged.result.checks])


class ArchiveCredential(BaseModel):
    id: str
    verified: bool
    reason: Reason
    checks: list[CheckOut]


class ArchiveVerification(BaseModel):
    verified: bool = Field(description="every archive check passed and every credential "
                           "in it verified (gaps accepted with `accept` only)")
    checks: list[CheckOut] = Field(description="archive_form, archive_signature, "
                                   "archive_issuer, archive_credentials, archive_totals")
    credentials: list[ArchiveCredential]


@router.post(
    "/v1/verify/archive", response_model=ArchiveVerification,
    summary="Verify a learning archive and every credential it holds",
    description="The body is a learning archive (a ClrCredential the credit bank signed). "
    "The archive's own checks come first; then each credential it holds is judged as "
    "`POST /v1/verify` judges one.",
    openapi_extra=_json_body({"type": "object", "additionalProperties": True},
                             "a ClrCredential with its proof"),
    responses={422: {"model": Problem, "description": "not JSON, or not an archive"},
               **_PROBLEMS},
)
async def verify_archive(request: Request, svc: ServiceDep,
                         accept: AcceptQuery = None) -> ArchiveVerification:
    document = await _read_json(request, 422)
    if not isinstance(document, dict) or not archives.archive.is_archive(document):
        raise HTTPException(422, "the body must be a learning archive (a ClrCredential)")
    report = await run_in_threadpool(archives.check, svc, document)
    form = report.checks[0]
    if form.status is not Status.PASSED:
        raise HTTPException(422, f"not an archive: {form.detail}")
    gaps = frozenset(accept or ())
    held = []
    for credential_id, result in report.credentials:
        explained = verdict.explain(result, accept=gaps)
        held.append(ArchiveCredential(
            id=credential_id, verified=explained.verified, reason=explained.reason,
            checks=[CheckOut.model_validate(c.to_json()) for c in result.checks]))
    own = [c for c in report.checks if c.id != "archive_credentials"]
    issuer_gap = "issuer" in gaps and all(
        c.status is Status.PASSED or (c.id == "archive_issuer" and c.status is Status.SKIPPED)
        for c in own)
    verified = (all(c.status is Status.PASSED for c in own) or issuer_gap) and all(
        c.verified for c in held)
    return ArchiveVerification(
        verified=verified, credentials=held,
        checks=[CheckOut.model_validate(c.to_json()) for c in report.checks])


# ---- trust downloads ---------------------------------------------------------------------


def _cached_json(document: Any, seconds: int = TRUST_CACHE_SECONDS) -> JSONResponse:
    return JSONResponse(document, headers={"Cache-Control": f"public, max-age={seconds}"})


_TRUST_LIST_SCHEMA = {"type": "object", "required": ["type", "version", "issuers"],
                      "properties": {"type": {"const": "CredbankTrustList"},
                                     "version": {"type": "integer"},
                                     "issuers": {"type": "array", "items": {"type": "object"}}}}
_BUNDLE_SCHEMA = {"type": "object", "required": ["type", "version"],
                  "properties": {"type": {"enum": ["CredbankTrustBundle", "CredbankTrustList"]},
                                 "version": {"type": "integer"}}}


@router.get(
    "/v1/trust-list", summary="The issuers this service knows, as a trust list",
    description="For `credbank-verify --trust`: every issuer and its keys' validity windows.",
    responses={200: {"content": {"application/json": {"schema": _TRUST_LIST_SCHEMA}},
                     "description": "a CredbankTrustList"}, 429: _PROBLEMS[429]},
)
def trust_list_document(svc: ServiceDep) -> JSONResponse:
    return _cached_json(trust.trust_document(svc))


@router.get(
    "/v1/trust-bundle", summary="Everything an offline verifier needs (docs/format.md §13)",
    description="With a chain: a CredbankTrustBundle (sealed checkpoint header, signer set, "
    "storage proofs of every issuer, key, batch root and status word), exported at most once "
    "a minute. Pin the signer set separately (`credbank trust pin`), not from this download. "
    "Without a chain: the trust list.",
    responses={200: {"content": {"application/json": {"schema": _BUNDLE_SCHEMA}},
                     "description": "a CredbankTrustBundle (or CredbankTrustList)"},
               503: {"model": Problem, "description": "the chain could not be read"},
               429: _PROBLEMS[429]},
)
def trust_bundle_document(svc: ServiceDep) -> JSONResponse:
    try:
        bundle = trust.trust_bundle(svc)
    except trust.ChainUnavailable as exc:
        raise HTTPException(503, f"no trust bundle now: {exc}") from None
    return _cached_json(bundle if bundle is not None else trust.trust_document(svc))


# ---- W3C VC API: verify --------------------------------------------------------------------


def _vc_api_result(judged: checking.Judged) -> VcApiResult:
    """The verdict in the VC API's shape: checks passed, accepted gaps as warnings, and as
    errors every check failed or in error and every gap not accepted."""
    result, explained = judged.result, judged.explanation
    accepted = frozenset().union(*(verdict.ACCEPTABLE[g] for g in explained.not_checked))
    passed = [c.id for c in result.checks if c.status is Status.PASSED]
    warnings = [f"{c.id}: {c.detail} (not checked; accepted)" for c in result.checks
                if c.status is Status.SKIPPED and c.id in accepted]
    errors = [f"{c.id}: {c.detail}" for c in result.checks
              if c.status in (Status.FAILED, Status.ERROR)]
    errors += [f"{c.id}: not checked: {c.detail}" for c in result.checks
               if c.status is Status.SKIPPED and c.id not in accepted]
    if not explained.verified and not errors:
        scope = f" ({judged.scope_problem})" if explained.reason == "out_of_scope" else ""
        errors.append(f"{explained.reason}: {_headline(judged).en}{scope}")
    return VcApiResult(verified=explained.verified, checks=passed, warnings=warnings,
                       errors=errors)


def _vc_api_problem(reason: str) -> JSONResponse:
    body = VcApiProblem(verified=False, checks=[], warnings=[], errors=[reason], detail=reason)
    return JSONResponse(body.model_dump(), status_code=400)


def _only_empty_options(request_body: dict[str, Any], allowed: set[str]) -> str | None:
    unknown = sorted(set(request_body) - allowed - {"options"})
    if unknown:
        return f"unknown member {unknown[0]!r}"
    options = request_body.get("options", {})
    if not isinstance(options, dict):
        return "options must be an object"
    if options:
        return f"options.{sorted(options)[0]} is not supported by this service"
    return None


_VERIFY_REQUEST = {
    "type": "object", "required": ["verifiableCredential"],
    "properties": {"verifiableCredential": {"type": "object"},
                   "options": {"type": "object", "maxProperties": 0}},
    "additionalProperties": False,
}


@router.post(
    "/credentials/verify", response_model=VcApiResult, tags=["W3C VC API"],
    summary="W3C VC API: verify a credential",
    description="`{\"verifiableCredential\": {...}, \"options\": {}}`. 200 when the "
    "credential verifies (failing closed, as `POST /v1/verify`); 400 with the failing checks "
    "under `errors` when it does not, or when the request is malformed. A check not made is "
    "an error unless its gap is accepted (`accept`), then a warning.",
    openapi_extra=_json_body(_VERIFY_REQUEST, "VC API VerifyCredentialRequest"),
    responses={400: {"model": VcApiProblem, "description": "not verified, or a bad request"},
               **_PROBLEMS},
)
async def vc_api_verify(request: Request, svc: ServiceDep, accept: AcceptQuery = None) -> Any:
    try:
        body = await _read_json(request, 400)
    except HTTPException as exc:
        if exc.status_code != 400:
            raise
        return _vc_api_problem(str(exc.detail))
    if not isinstance(body, dict) or not isinstance(body.get("verifiableCredential"), dict):
        return _vc_api_problem("the body needs verifiableCredential, a JSON object")
    problem = _only_empty_options(body, {"verifiableCredential"})
    if problem:
        return _vc_api_problem(problem)
    judged = await run_in_threadpool(checking.judge, svc, body["verifiableCredential"],
                                     frozenset(accept or ()))
    answer = _vc_api_result(judged)
    if not answer.verified:
        payload = answer.model_dump()
        payload["detail"] = (f"not verified: {_headline(judged).en}: "
                             + "; ".join(answer.errors))
        return JSONResponse(payload, status_code=400)
    return answer


# ---- W3C VC API: issue -------------------------------------------------------------------


_ISSUE_REQUEST = {
    "type": "object", "required": ["credential"],
    "properties": {"credential": {"type": "object", "description": "an unsigned "
                                  "OpenBadgeCredential, or a credbank learning record"},
                   "options": {"type": "object", "maxProperties": 0}},
    "additionalProperties": False,
}


@router.post(
    "/credentials/issue", status_code=201, response_model=Issued, tags=["W3C VC API"],
    summary="W3C VC API: issue a credential (institution API key)",
    description="`{\"credential\": {...}, \"options\": {}}` where the credential is an unsigned "
    "OpenBadgeCredential (the learner's identifier unhashed in credentialSubject.identifier, "
    "`\"hashed\": false`) or the service's learning record. Answers the signed credential; "
    "it is accepted now and anchored by the worker (GET /v1/credentials/{id} then shows the "
    "anchored copy). Members the service cannot carry are refused, never dropped.",
    openapi_extra=_json_body(_ISSUE_REQUEST, "VC API IssueCredentialRequest"),
    responses={400: {"model": Problem, "description": "cannot issue this credential"},
               401: {"model": Problem, "description": "no or unknown API key"},
               403: {"model": Problem, "description": "not an institution's API key"},
               413: _PROBLEMS[413]},
)
async def vc_api_issue(request: Request, who: Institution, svc: ServiceDep,
                       response: Response) -> Issued:
    body = await _read_json(request, 400)
    if not isinstance(body, dict) or not isinstance(body.get("credential"), dict):
        raise HTTPException(400, "the body needs credential, a JSON object")
    problem = _only_empty_options(body, {"credential"})
    if problem:
        raise HTTPException(400, problem)
    assert who.issuer_id is not None
    try:
        document = await run_in_threadpool(vc_issuing.issue, svc, who.issuer_id,
                                           body["credential"])
    except InvalidInput as exc:  # the VC API answers 400 for what cannot be issued
        raise HTTPException(400, str(exc)) from None
    response.headers["Location"] = f"/v1/credentials/{document['id']}"
    return Issued(verifiableCredential=document)

