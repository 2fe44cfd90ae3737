"""Who may call what: every route of the OpenAPI document, as every kind of caller.

The routes are collected from ``app.openapi()``, so a new route is covered the day it is
added: the test fails naming any route this matrix does not classify. Each route has an
audience (anyone, the authority, institutions, learners, employers) and, when it acts on one
tenant's resource, an owner. The expected answers:

* anonymous: 401 on every route that is not public;
* a caller of another role: 403;
* the same role but another tenant (institution B on A's credential, learner B on A's
  link): 404, exactly as for something that does not exist;
* the audience (and the owner): 2xx; anyone on a public route: 2xx (or the one answer
  everyone gets, when the world lacks what the route needs).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.models import Credential
from api.service.settings import Settings
from ledger.issuance.signing import single_batch

from . import authz_checkin
from . import registry_fixtures as reg
from .attendance_fixtures import checkin_of
from .authz_credit import applications_world, registry_world
from .authz_learning import learning_routes, points_world
from .authz_presenting import hiring_world, presenting_routes
from .conftest import LEARNER_ID, Tenant, bearer, record
from .employer_fixtures import report_of

OTHER_LEARNER_ID = "310101198505054321"
PASSWORD = "correct horse battery"
CALLERS = ("anonymous", "learner", "learner_b", "institution", "institution_b", "governor",
           "operator", "operator_b", "employer", "employer_b")


@dataclass
class World:
    """Two tenants of each kind and what each owns; A's things are the ones asked for."""

    headers: dict[str, dict[str, str]]
    credential_a: str  # issued by institution A to learner A
    anchored_a: dict[str, Any]  # that credential as a batch of one (verifies without a chain)
    link_a: int
    share_token_a: str
    spare_key_id: str
    spare_learner: str  # an account whose password the authority may reset
    job_a: str
    archive_a: dict[str, Any]  # learner A's learning archive
    applications: dict[str, str]  # learner A's recognition applications, by use
    counter: Callable[[], int]
    dids: dict[str, str] | None = None  # the institutions' DIDs, by caller
    caller: str = ""  # who calls now: a body may depend on it
    deposit_a: str = ""  # learner A's deposit awaiting review (the learner's routes)
    deposit_review: str = ""  # another of A's, with a scan (the authority's routes)
    checkin_a: str = ""  # learner A's check-in at a venue (not anchored: no chain)
    points: dict[str, int] | None = None  # a points entry to reverse, a threshold to retire
    checkin: dict[str, Any] | None = None  # venues, activities, codes (authz_checkin)
    hiring: dict[str, str] | None = None  # employer A's requests and learner A's answers
    bulk_a: str = ""  # employer A's bulk check report


class Files(list):
    """A multipart body: (field, (file name, bytes)) pairs."""


@dataclass(frozen=True)
class Route:
    # "public", "governor", "institution", "learner", "operator", "employer", or "a|b"
    audience: str
    owned: bool = False  # acts on tenant A's resource: the other tenant gets 404
    path: Callable[[World], str] | None = None  # the concrete path, when it has parameters
    body: Callable[[World], Any] | None = None  # a JSON body the audience may send
    granted: str = "2xx"  # what the audience gets ("503": the world has no chain to act on)


_BULK = "/v1/employer/bulk-checks"
_FW = "urn:example:qf"
RULE_TABLE = b"id,standard,grant,course\r\nr1,6-31-01-03-4,exemption,EA105\r\n"


def _unique(world: World, stem: str) -> str:
    return f"{stem}-{world.counter()}"


# (METHOD, OpenAPI path) → how to call it. Keep in step with the app: the test fails for
# any route missing here, and for any listed route the app no longer has.
ROUTES: dict[tuple[str, str], Route] = {
    # institutions
    ("POST", "/v1/credentials"): Route("institution", body=lambda w: record()),
    ("GET", "/v1/credentials"): Route("institution"),
    ("GET", "/v1/credentials/{credential_id}"): Route(
        "institution", owned=True, path=lambda w: f"/v1/credentials/{w.credential_a}"),
    ("POST", "/v1/jobs"): Route("institution", body=lambda w: [record(), record()]),
    ("GET", "/v1/jobs"): Route("institution"),
    ("GET", "/v1/jobs/{job_id}"): Route("institution", owned=True,
                                        path=lambda w: f"/v1/jobs/{w.job_a}"),
    ("GET", "/v1/jobs/{job_id}/credentials"): Route(
        "institution", owned=True, path=lambda w: f"/v1/jobs/{w.job_a}/credentials"),
    ("POST", "/credentials/issue"): Route("institution",
                                          body=lambda w: {"credential": record()}),
    # the authority
    ("POST", "/v1/admin/issuers"): Route(
        "governor", body=lambda w: {"slug": _unique(w, "issuer"), "name": "新机构"}),
    ("GET", "/v1/admin/issuers"): Route("governor"),
    ("POST", "/v1/admin/api-keys"): Route(
        "governor", body=lambda w: {"role": "institution", "issuer": "open-university"}),
    ("GET", "/v1/admin/api-keys"): Route("governor"),
    ("DELETE", "/v1/admin/api-keys/{key_id}"): Route(
        "governor", path=lambda w: f"/v1/admin/api-keys/{w.spare_key_id}"),
    ("POST", "/v1/admin/learners"): Route(
        "governor", body=lambda w: {"login": _unique(w, "learner"), "password": PASSWORD,
                                    "identityNumber": f"ID{w.counter():08d}"}),
    ("POST", "/v1/admin/learners/{login}/password"): Route(
        "governor", path=lambda w: f"/v1/admin/learners/{w.spare_learner}/password"),
    # learners
    ("POST", "/v1/learner/session"): Route(
        "public", body=lambda w: {"login": "zhangwei", "password": PASSWORD}),
    ("DELETE", "/v1/learner/session"): Route("learner"),
    ("GET", "/v1/learner/credentials"): Route("learner"),
    ("GET", "/v1/learner/credentials/{credential_id}"): Route(
        "learner", owned=True, path=lambda w: f"/v1/learner/credentials/{w.credential_a}"),
    ("GET", "/v1/learner/credentials/{credential_id}/certificate.pdf"): Route(
        "learner", owned=True,
        path=lambda w: f"/v1/learner/credentials/{w.credential_a}/certificate.pdf"),
    ("GET", "/v1/learner/summary"): Route("learner"),
    **{("GET", f"/v1/learner/{name}"): Route(
        "learner", owned=True,
        path=lambda w, n=name: f"/v1/learner/{n}?credential={w.credential_a}")
       for name in ("archive", "archive.pdf")},
    # the same password again: the sessions the matrix calls with stay signed in
    ("POST", "/v1/learner/password"): Route(
        "learner", body=lambda w: {"currentPassword": PASSWORD, "newPassword": PASSWORD}),
    ("POST", "/v1/learner/links"): Route(
        "learner", owned=True,
        body=lambda w: {"credentialId": w.credential_a, "expiresInDays": 7}),
    ("GET", "/v1/learner/links"): Route("learner"),
    ("DELETE", "/v1/learner/links/{link_id}"): Route(
        "learner", owned=True, path=lambda w: f"/v1/learner/links/{w.link_a}"),
    ("GET", "/v1/learner/links/{link_id}/views"): Route(
        "learner", owned=True, path=lambda w: f"/v1/learner/links/{w.link_a}/views"),
    ("GET", "/v1/admin/chain"): Route("governor", granted="503"),
    **{("POST", f"/v1/admin/issuers/{{slug}}/{action}"): Route(
        "governor", granted="503",
        path=lambda w, a=action: f"/v1/admin/issuers/open-university/{a}")
       for action in ("accredit", "rotate-key", "suspend", "reinstate", "retire")},
    ("GET", "/v1/admin/issuers/{slug}/chain"): Route(
        "governor", granted="503", path=lambda w: "/v1/admin/issuers/open-university/chain"),
    # status changes and anchor batches: the world has no chain, so the owner's change is
    # 503 (reinstating an active credential is 409 first), and it anchored no batch
    **{("POST", f"/v1/credentials/{{credential_id}}/{action}"): Route(
        "institution", owned=True, granted=code, body=lambda w: {"reason": 1},
        path=lambda w, a=action: f"/v1/credentials/{w.credential_a}/{a}")
       for action, code in (("revoke", "503"), ("suspend", "503"), ("reinstate", "409"))},
    ("GET", "/v1/credentials/{credential_id}/status-changes"): Route(
        "institution", owned=True,
        path=lambda w: f"/v1/credentials/{w.credential_a}/status-changes"),
    ("GET", "/v1/batches"): Route("institution"),
    ("GET", "/v1/batches/{root}"): Route(
        "institution", owned=True, granted="404", path=lambda w: f"/v1/batches/0x{'ab' * 32}"),
    ("POST", "/v1/batches/{root}/revoke"): Route(
        "institution", owned=True, granted="404", body=lambda w: {"reason": 1},
        path=lambda w: f"/v1/batches/0x{'ab' * 32}/revoke"),
    # the credit bank's registry: the authority's (a draft framework 2025, draft standards,
    # a draft authority rule set; publishing needs a chain the world does not have)
    ("GET", "/v1/admin/frameworks"): Route("governor"),
    ("POST", "/v1/admin/frameworks"): Route(
        "governor", body=lambda w: reg.framework(_unique(w, "v"))),
    ("GET", "/v1/admin/frameworks/{framework_id}/{version}"): Route(
        "governor", path=lambda w: f"/v1/admin/frameworks/{_FW}/2025"),
    ("PUT", "/v1/admin/frameworks/{framework_id}/{version}"): Route(
        "governor", path=lambda w: f"/v1/admin/frameworks/{_FW}/2025",
        body=lambda w: reg.framework("2025")),
    ("POST", "/v1/admin/frameworks/{framework_id}/{version}/publish"): Route(
        "governor", granted="503", path=lambda w: f"/v1/admin/frameworks/{_FW}/2025/publish"),
    ("POST", "/v1/admin/frameworks/{framework_id}/{version}/withdraw"): Route(
        "governor", path=lambda w: f"/v1/admin/frameworks/{_FW}/2025/withdraw"),
    ("GET", "/v1/admin/standards"): Route("governor"),
    ("POST", "/v1/admin/standards"): Route(
        "governor", body=lambda w: reg.standards(_unique(w, "S"))),
    ("POST", "/v1/admin/standards/csv"): Route(
        "governor", body=lambda w: reg.STANDARDS_CSV.replace(
            "6-31-01-03", _unique(w, "csv")).encode()),
    ("POST", "/v1/admin/standards/publish"): Route("governor", granted="503"),
    ("GET", "/v1/admin/standards/{code}/{version}"): Route(
        "governor", path=lambda w: "/v1/admin/standards/S-world/2024"),
    ("PUT", "/v1/admin/standards/{code}/{version}"): Route(
        "governor", path=lambda w: "/v1/admin/standards/S-world/2024",
        body=lambda w: reg.standards("S-world")["standards"][0]),
    ("POST", "/v1/admin/standards/{code}/{version}/withdraw"): Route(
        "governor", path=lambda w: "/v1/admin/standards/S-world/2024/withdraw"),
    ("GET", "/v1/admin/rule-sets"): Route("governor"),
    ("POST", "/v1/admin/rule-sets"): Route(
        "governor", body=lambda w: reg.rule_set(_unique(w, "rules"))),
    ("GET", "/v1/admin/rule-sets/{set_id}/{version}"): Route(
        "governor", path=lambda w: "/v1/admin/rule-sets/rules-authority/1"),
    ("PUT", "/v1/admin/rule-sets/{set_id}/{version}"): Route(
        "governor", path=lambda w: "/v1/admin/rule-sets/rules-authority/1",
        body=lambda w: reg.rule_set()),
    ("POST", "/v1/admin/rule-sets/{set_id}/{version}/publish"): Route(
        "governor", granted="503", path=lambda w: "/v1/admin/rule-sets/rules-authority/1/publish"),
    ("PUT", "/v1/admin/rule-sets/{set_id}/{version}/rules.csv"): Route(
        "governor", path=lambda w: "/v1/admin/rule-sets/rules-authority/1/rules.csv",
        body=lambda w: RULE_TABLE),
    ("POST", "/v1/admin/rule-sets/{set_id}/{version}/withdraw"): Route(
        "governor", path=lambda w: "/v1/admin/rule-sets/rules-authority/1/withdraw"),
    # institutions' programme rule sets (A's draft)
    ("GET", "/v1/rule-sets"): Route("institution"),
    ("POST", "/v1/rule-sets"): Route(
        "institution", body=lambda w: reg.programme_rule_set(
            (w.dids or {}).get(w.caller, "did:web:nobody.example"), _unique(w, "ou-rules"))),
    ("GET", "/v1/rule-sets/{set_id}/{version}"): Route(
        "institution", owned=True, path=lambda w: "/v1/rule-sets/rules-programme/1"),
    ("PUT", "/v1/rule-sets/{set_id}/{version}"): Route(
        "institution", owned=True, path=lambda w: "/v1/rule-sets/rules-programme/1",
        body=lambda w: reg.programme_rule_set((w.dids or {})["institution"])),
    ("POST", "/v1/rule-sets/{set_id}/{version}/publish"): Route(
        "institution", owned=True, granted="503",
        path=lambda w: "/v1/rule-sets/rules-programme/1/publish"),
    ("PUT", "/v1/rule-sets/{set_id}/{version}/rules.csv"): Route(
        "institution", owned=True, path=lambda w: "/v1/rule-sets/rules-programme/1/rules.csv",
        body=lambda w: RULE_TABLE),
    ("POST", "/v1/rule-sets/{set_id}/{version}/withdraw"): Route(
        "institution", owned=True, path=lambda w: "/v1/rule-sets/rules-programme/1/withdraw"),
    # recognition: the world has a published rule set (no chain: sources do not verify, so
    # a dry run answers and an application is refused) and applications decided by
    # institution A (its programme) and by the authority (the credit bank)
    ("POST", "/v1/learner/recognition/dry-run"): Route(
        "learner", owned=True, body=lambda w: _recognition_ask(w)),
    ("POST", "/v1/learner/recognition/applications"): Route(
        "learner", owned=True, granted="409", body=lambda w: _recognition_ask(w)),
    ("GET", "/v1/learner/recognition/applications"): Route("learner"),
    ("GET", "/v1/learner/recognition/applications/{application_id}"): Route(
        "learner", owned=True,
        path=lambda w: f"/v1/learner/recognition/applications/{w.applications['view']}"),
    ("POST", "/v1/learner/recognition/applications/{application_id}/withdraw"): Route(
        "learner", owned=True,
        path=lambda w: f"/v1/learner/recognition/applications/{w.applications['withdraw']}"
        "/withdraw"),
    ("GET", "/v1/recognition/applications"): Route("institution"),
    ("GET", "/v1/recognition/applications/{application_id}"): Route(
        "institution", owned=True,
        path=lambda w: f"/v1/recognition/applications/{w.applications['view']}"),
    ("POST", "/v1/recognition/applications/{application_id}/decision"): Route(
        "institution", owned=True, body=lambda w: {"decision": "refuse", "reason": "测试"},
        path=lambda w: f"/v1/recognition/applications/{w.applications['view']}/decision"),
    ("GET", "/v1/admin/recognition/applications"): Route("governor"),
    ("GET", "/v1/admin/recognition/applications/{application_id}"): Route(
        "governor", path=lambda w: f"/v1/admin/recognition/applications/"
        f"{w.applications['bank']}"),
    ("POST", "/v1/admin/recognition/applications/{application_id}/decision"): Route(
        "governor", body=lambda w: {"decision": "refuse", "reason": "测试"},
        path=lambda w: f"/v1/admin/recognition/applications/{w.applications['bank']}"
        "/decision"),
    # anyone
    ("GET", "/v1/registry/framework"): Route("public"),
    ("GET", "/v1/registry/standards"): Route("public"),
    ("GET", "/v1/registry/rule-sets"): Route("public"),
    ("GET", "/s/{token}.json"): Route("public", path=lambda w: f"/s/{w.share_token_a}.json"),
    ("GET", "/s/{token}/qr.png"): Route("public",
                                        path=lambda w: f"/s/{w.share_token_a}/qr.png"),
    ("GET", "/s/{token}/qr.svg"): Route("public",
                                        path=lambda w: f"/s/{w.share_token_a}/qr.svg"),
    ("GET", "/s/{token}/certificate.pdf"): Route(
        "public", path=lambda w: f"/s/{w.share_token_a}/certificate.pdf"),
    ("POST", "/v1/verify"): Route("public", body=lambda w: w.anchored_a),
    ("POST", "/v1/verify/archive"): Route("public", body=lambda w: w.archive_a),
    ("GET", "/v1/trust-list"): Route("public"),
    ("GET", "/v1/trust-bundle"): Route("public"),
    # no chain here: the status gap is accepted, so the credential verifies (a 200)
    ("POST", "/credentials/verify"): Route(
        "public", body=lambda w: {"verifiableCredential": w.anchored_a},
        path=lambda w: "/credentials/verify?accept=status"),
}
_SCAN = {"mediaType": "image/png", "data": "iVBORw0KGgoAAAAA"}
_CERTIFICATE = {"kind": "certificate", "certificateNumber": "S1", "issuerName": "某鉴定中心",
                "title": "电工", "issuedOn": "2025-11-02", "scan": _SCAN}
ROUTES.update({  # deposits (成果存入)
    ("POST", "/v1/learner/deposits"): Route("learner", body=lambda w: _CERTIFICATE),
    ("GET", "/v1/learner/deposits"): Route("learner"),
    ("GET", "/v1/learner/deposits/{deposit_id}"): Route(
        "learner", owned=True, path=lambda w: f"/v1/learner/deposits/{w.deposit_a}"),
    ("POST", "/v1/learner/deposits/{deposit_id}/withdraw"): Route(
        "learner", owned=True, path=lambda w: f"/v1/learner/deposits/{w.deposit_a}/withdraw"),
    ("GET", "/v1/admin/deposits"): Route("governor"),
    ("GET", "/v1/admin/deposits/{deposit_id}"): Route(
        "governor", path=lambda w: f"/v1/admin/deposits/{w.deposit_review}"),
    ("GET", "/v1/admin/deposits/{deposit_id}/scan"): Route(
        "governor", path=lambda w: f"/v1/admin/deposits/{w.deposit_review}/scan"),
    ("POST", "/v1/admin/deposits/{deposit_id}/decision"): Route(
        "governor", path=lambda w: f"/v1/admin/deposits/{w.deposit_review}/decision",
        body=lambda w: {"decision": "refuse", "reason": "扫描件不清晰"}),
})
ROUTES.update({  # citizens' sign-in: this world has no city sign-in configured, so 404 for
    # anyone (tests/service/test_oidc.py signs in against a real provider)
    ("GET", "/v1/learner/oidc/start"): Route("public", granted="404"),
    ("GET", "/v1/learner/oidc/callback"): Route(
        "public", granted="404", path=lambda w: "/v1/learner/oidc/callback?state=s&code=c"),
})
ROUTES.update({  # accreditation scope: read without a chain; setting it needs one
    ("GET", "/v1/admin/issuers/{slug}/scope"): Route(
        "governor", path=lambda w: "/v1/admin/issuers/open-university/scope"),
    ("PUT", "/v1/admin/issuers/{slug}/scope"): Route(
        "governor", granted="503", path=lambda w: "/v1/admin/issuers/open-university/scope",
        body=lambda w: {"sectors": ["degree"]}),
    ("DELETE", "/v1/admin/issuers/{slug}/scope"): Route(
        "governor", granted="503", path=lambda w: "/v1/admin/issuers/open-university/scope"),
    # employers: bulk checks (A's report)
    ("POST", _BULK): Route("employer", body=lambda w: Files([("links", ("l.csv", b"a,b\n"))])),
    ("GET", _BULK): Route("employer"),
    **{(method, f"{_BULK}/{{report_id}}{tail}"): Route(
        "employer", owned=True, path=lambda w, tail=tail: f"{_BULK}/{w.bulk_a}{tail}")
       for method, tail in (("GET", ""), ("GET", "/report.csv"), ("GET", "/report.pdf"),
                            ("DELETE", ""))},
})

ROUTES.update(presenting_routes(Route))
ROUTES.update(learning_routes(Route, _unique))

ROUTES.update({key: Route(**row) for key, row in authz_checkin.ROUTES.items()})
_ROLE_OF = {c: c.removesuffix("_b") for c in CALLERS if c != "anonymous"}


def expected(route: Route, caller: str) -> str:
    """'2xx', or the exact status code, for this caller on this route."""
    if route.audience == "public":
        return route.granted
    if caller == "anonymous":
        return "401"
    if _ROLE_OF[caller] not in route.audience.split("|"):
        return "403"
    if route.owned and caller.endswith("_b"):
        return "404"
    return route.granted


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    return {(method.upper(), path)
            for path, operations in client.app.openapi()["paths"].items()
            for method in operations}


def test_every_route_is_in_the_matrix(client: TestClient):
    routes = app_routes(client)
    unclassified = sorted(routes - set(ROUTES))
    assert not unclassified, f"classify these routes in test_authz.ROUTES: {unclassified}"
    gone = sorted(set(ROUTES) - routes)
    assert not gone, f"routes in the matrix the app no longer has: {gone}"


def _sign_in(client: TestClient, login: str) -> dict[str, str]:
    answer = client.post("/v1/learner/session", json={"login": login, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return bearer(answer.json()["token"])


@pytest.fixture
def service(tmp_path: Path, database_url: str) -> Iterator[Service]:
    """The matrix calls every public route once per caller, more than one address's
    allowance per minute (test_limits checks the limit itself)."""
    svc = Service.open(Settings(data_dir=tmp_path / "data", database_url=database_url,
                                run_worker=False, public_rate_per_minute=1_000_000))
    yield svc
    svc.close()


@pytest.fixture
def world(client: TestClient, service: Service, university: Tenant, college: Tenant,
          governor: dict[str, str]) -> World:
    open_learner_account(service, "zhangwei", LEARNER_ID, PASSWORD, "张伟")
    open_learner_account(service, "lisi", OTHER_LEARNER_ID, PASSWORD, "李四")
    open_learner_account(service, "wangfang", "310101197707077777", PASSWORD, "王芳")
    credential_a = client.post("/v1/credentials", json=record(),
                               headers=university.headers).json()["id"]
    client.post("/v1/credentials", json=record(OTHER_LEARNER_ID), headers=college.headers)
    document = client.get(f"/v1/credentials/{credential_a}",
                          headers=university.headers).json()["credential"]
    with service.db.session() as session:
        row = session.scalars(select(Credential).where(Credential.id == credential_a)).one()
        # anchored as a batch of one, so the learner may share it and it verifies
        row.state = "anchored"
        row.anchored_at = row.issued_at
        anchored = single_batch(document, bytes.fromhex(row.claims_root.removeprefix("0x")))
        row.document = json.dumps(anchored, ensure_ascii=False)
    learner_a, learner_b = _sign_in(client, "zhangwei"), _sign_in(client, "lisi")
    service.settings.credit_bank = "vocational-centre"  # signs learning archives
    archive = client.get("/v1/learner/archive", headers=learner_a)
    assert archive.status_code == 200, archive.text
    link = client.post("/v1/learner/links", headers=learner_a,
                       json={"credentialId": credential_a, "expiresInDays": 7})
    assert link.status_code == 201, link.text
    spare = create_api_key(service, "institution", "vocational-centre", "spare")
    job = client.post("/v1/jobs", json=[record()], headers=university.headers)
    assert job.status_code == 202, job.text
    registry_world(service, university.did)
    numbers = itertools.count()
    deposits = [client.post("/v1/learner/deposits", json=_CERTIFICATE, headers=learner_a)
                for _ in range(2)]
    assert all(d.status_code == 201 for d in deposits), deposits[0].text
    operators, checkin = authz_checkin.setup(service)
    hiring, employer_headers = hiring_world(service, credential_a)
    return World(
        headers={"anonymous": {}, "learner": learner_a, "learner_b": learner_b,
                 "institution": university.headers, "institution_b": college.headers,
                 "governor": governor, **operators, **employer_headers},
        hiring=hiring,
        bulk_a=report_of(service, "employer-a"),
        credential_a=credential_a, anchored_a=anchored, link_a=link.json()["id"],
        share_token_a=link.json()["url"].rsplit("/", 1)[1],
        spare_key_id=spare.split("_")[1], spare_learner="wangfang", job_a=job.json()["id"],
        archive_a=archive.json(), counter=lambda: next(numbers),
        applications=applications_world(service, university.did, RULE_SET_ID),
        dids={"institution": university.did, "institution_b": college.did},
        deposit_a=deposits[0].json()["id"], deposit_review=deposits[1].json()["id"],
        checkin_a=checkin_of(service, "zhangwei"),
        points=points_world(service, credential_a), checkin=checkin)


RULE_SET_ID = "urn:example:authz-rules"


def _recognition_ask(world: World) -> dict[str, Any]:
    # learner B names learner A's credential: not in B's account, so 404
    return {"ruleSet": {"id": RULE_SET_ID, "version": "1"}, "destination": "programme",
            "credentials": [world.credential_a]}


def _order(key: tuple[str, str]) -> tuple[int, str, str]:
    # Destructive calls last, signing out the very last: the owner's call really happens.
    method, path = key
    rank = 2 if path == "/v1/learner/session" and method == "DELETE" else (
        1 if method == "DELETE" else 0)
    return rank, path, method


def test_each_caller_gets_what_its_role_and_tenant_allow(client: TestClient, world: World):
    mismatches = []
    for key in sorted(set(ROUTES) & app_routes(client), key=_order):
        method, template = key
        route = ROUTES[key]
        path = route.path(world) if route.path else template
        # refused callers first, the audience's owner last, so nothing it changes (a
        # revoked link, an ended session) hides what the others would have got
        for caller in sorted(CALLERS, key=lambda c: expected(route, c) == "2xx"):
            world.caller = caller
            body = route.body(world) if route.body else None
            client.cookies.clear()  # sign-in set a session cookie; callers use headers only
            sent = {"content": body} if isinstance(body, bytes) else (
                {"files": list(body)} if isinstance(body, Files) else {"json": body})
            answer = client.request(method, path, headers=world.headers[caller], **sent)
            want = expected(route, caller)
            got = answer.status_code
            ok = 200 <= got < 300 if want == "2xx" else got == int(want)
            if not ok:
                mismatches.append(f"{method} {template} as {caller}: {got}, want {want} "
                                  f"({answer.text[:120]})")
            elif want != "2xx":
                assert answer.json().get("detail"), f"{method} {template}: no reason given"
    assert not mismatches, "\n".join(mismatches)


def test_a_revoked_api_key_is_refused_everywhere(client: TestClient, service: Service,
                                                 university: Tenant, governor: dict[str, str]):
    token = create_api_key(service, "institution", university.slug)
    assert client.get("/v1/credentials", headers=bearer(token)).status_code == 200
    key_id = token.split("_")[1]
    assert client.delete(f"/v1/admin/api-keys/{key_id}", headers=governor).status_code == 200
    answer = client.get("/v1/credentials", headers=bearer(token))
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]


@pytest.mark.parametrize("token", ["cb_0123456789abcdef_nope", "cb_short", "not-a-key",
                                   "cb_" + "a" * 16 + "_" + "b" * 300])
def test_forged_tokens_are_401(client: TestClient, token: str):
    answer = client.get("/v1/credentials", headers=bearer(token))
    assert answer.status_code == 401
    assert token not in answer.text
