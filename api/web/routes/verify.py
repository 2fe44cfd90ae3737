"""Verification for anyone, trust downloads for offline verifiers, and the W3C VC API.

* ``POST /v1/verify`` answers the verifier's named checks, exactly as
  ``credbank-verify --json`` prints them, judged against the service's issuers and (when it
  has a chain) proven chain evidence.
* ``GET /v1/trust-bundle`` and ``GET /v1/trust-list``: what ``credbank-verify --trust``
  takes, so an employer can check offline what this service would check online.
* ``POST /credentials/verify`` and ``POST /credentials/issue``: the W3C VC API's verifier
  and issuer routes (docs/api.md, "Verification").

Bodies are read with the verifier's strict JSON reader (duplicate member names and NaN are
refused), the same one the offline CLI uses, so the service and the CLI never see two
different documents behind one signature.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.service import checking, trust, vc_issuing
from api.service.errors import InvalidInput
from api.web.auth import Institution, ServiceDep
from api.web.schemas import Problem
from verifier import CredentialError, VerificationResult, jsonio, verdict
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


class Verification(BaseModel):
    verified: bool = Field(description="true when no check failed or errored")
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


@router.post(
    "/v1/verify", response_model=Verification,
    summary="Verify a credential: the verifier's named checks and the verdict",
    description="The body is the credential (full or selectively disclosed copy). The answer "
    "is what `credbank-verify --json` prints: every check `passed`, `failed`, `skipped` (with "
    "why) or `error`. A credential that does not verify is still a 200 with `verified: "
    "false`; a body that is not a credential at all is a 422.",
    openapi_extra=_json_body({"type": "object", "additionalProperties": True},
                             "an OpenBadgeCredential with its proofs"),
    responses={422: {"model": Problem, "description": "not JSON, or not a credential"},
               **_PROBLEMS},
)
async def verify_credential(request: Request, svc: ServiceDep) -> Verification:
    credential = await _read_json(request, 422)
    if not isinstance(credential, dict):
        raise HTTPException(422, "the body must be a JSON object: the credential")
    result = await run_in_threadpool(checking.check, svc, credential)
    problem = verdict.unreadable(result)
    if problem is not None:
        raise HTTPException(422, f"not a credential: {problem}")
    return Verification.model_validate(result.to_json())


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


def _vc_api_result(result: VerificationResult) -> VcApiResult:
    passed = [c.id for c in result.checks if c.status is Status.PASSED]
    warnings = [f"{c.id}: {c.detail}" for c in result.checks if c.status is Status.SKIPPED]
    errors = [f"{c.id}: {c.detail}" for c in result.checks
              if c.status in (Status.FAILED, Status.ERROR)]
    return VcApiResult(verified=result.verified, checks=passed, warnings=warnings,
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
    "credential verifies; 400 with the failing checks under `errors` when it does not, or "
    "when the request is malformed. Skipped checks are listed as warnings.",
    openapi_extra=_json_body(_VERIFY_REQUEST, "VC API VerifyCredentialRequest"),
    responses={400: {"model": VcApiProblem, "description": "not verified, or a bad request"},
               **_PROBLEMS},
)
async def vc_api_verify(request: Request, svc: ServiceDep) -> Any:
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
    result = await run_in_threadpool(checking.check, svc, body["verifiableCredential"])
    answer = _vc_api_result(result)
    if not result.verified:
        payload = answer.model_dump()
        payload["detail"] = "not verified: " + "; ".join(answer.errors)
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

