"""Property-based tests of every operation in the OpenAPI document (schemathesis 4).

Requests are generated from the document itself, sent to the ASGI app in process, and each
answer must not be a 5xx and must conform to what the document says: a documented status
code, the documented content type, and a body matching the documented schema. Each
operation is called as its audience (an institution's or governor's API key, a learner's
session; test_authz.ROUTES says which), so generated requests get past authorization
and reach the handlers. Examples are bounded per operation to keep the run short.

What a case starts from (a tenant, a signed-in learner, an issued credential) is built once
per database; each case runs on its own copy of it, so cases stay independent.
"""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.service import venues
from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.data_dir import CHAIN_FILE, GOVERNOR_KEY
from api.service.employers import register as register_employer
from api.service.oidc_client import RelyingParty, RelyingPartyConfig
from api.service.settings import Settings
from api.web.app import create_app
from tests.ledger.chains import start_embedded_node

from .chain_fixtures import deploy_registry
from .conftest import DATABASES, LEARNER_ID, bearer, make_tenant
from .postgres import PostgresServer
from .test_authz import PASSWORD, ROUTES

MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@dataclass(frozen=True)
class SharedChain:
    chain_file: Path
    governor_key: Path


@pytest.fixture(scope="module")
def shared_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedChain]:
    """One embedded node and registry for the module; each test's service is pointed at it
    (chain.json and the governor's key), so the chain routes do real work, not 503."""
    base = tmp_path_factory.mktemp("schemathesis-chain")
    node, server = start_embedded_node(base / "node")
    try:
        (base / "data").mkdir()
        chain_file, governor_key = deploy_registry(server.url, base / "node", base / "data")
        yield SharedChain(chain_file, governor_key)
    finally:
        server.stop()
        node.close()


def _settings(data_dir: Path, database_url: str) -> Settings:
    # Public routes are rate-limited; generated requests must not be throttled into 429s.
    return Settings(data_dir=data_dir, database_url=database_url, run_worker=False,
                    public_rate_per_minute=1_000_000, credit_bank="open-university")


@dataclass(frozen=True)
class World:
    """What every case starts from, built once per database for the module: a tenant with
    its issuer keys, a learner signed in, an issued credential, a venue and an employer, and
    a key for each audience. Each case gets a fresh copy (:func:`service`), so cases stay
    independent of each other."""

    data_dir: Path  # where each case's data directory lives (issuers' rows point into it)
    pristine: Path  # the data directory as the world left it
    database: str  # the world's database: a file (SQLite) or a template (PostgreSQL)
    server: PostgresServer | None  # PostgreSQL's, or None for SQLite
    headers: dict[str, dict[str, str]]
    openapi: dict[str, Any]  # the document, generated once: it is the same for every app


def _build_world(service: Service) -> tuple[dict[str, dict[str, str]], dict[str, Any]]:
    app = create_app(service=service)
    university = make_tenant(service, "open-university", "上海开放大学")
    open_learner_account(service, "zhangwei", LEARNER_ID, PASSWORD, "张伟")
    with TestClient(app) as http:
        session = http.post("/v1/learner/session",
                            json={"login": "zhangwei", "password": PASSWORD})
        assert session.status_code == 200, session.text
        issued = http.post("/v1/credentials", json={
            "learner": {"id": LEARNER_ID}, "achievement": {
                "type": "Course", "name": "数据结构", "description": "课程"}},
            headers=university.headers)
        assert issued.status_code == 201, issued.text
        document = http.get("/openapi.json").json()
    venues.register_venue(service, "xuhui-school", "徐汇社区学校", "community_school")
    operator = bearer(create_api_key(service, "operator", None, "schemathesis",
                                     venue_slug="xuhui-school"))
    register_employer(service, "employer-a", "某公司")
    headers = {"institution": university.headers,
               "governor": bearer(create_api_key(service, "governor", None, "schemathesis")),
               "learner": bearer(session.json()["token"]), "public": {},
               "operator": operator, "operator|governor": operator,
               "employer": bearer(create_api_key(service, "employer", None,
                                                 employer_slug="employer-a"))}
    return headers, document


@pytest.fixture(scope="module", params=DATABASES)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          shared_chain: SharedChain) -> Iterator[World]:
    base = tmp_path_factory.mktemp(f"schemathesis-{request.param}")
    server: PostgresServer | None = None
    if request.param == "sqlite":
        name = str(base / "world.db")
        url = f"sqlite:///{name}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = server.new_database()
        url = server.url(name)
    try:
        settings = _settings(base / "data", url)
        settings.data_dir.mkdir(parents=True)
        shutil.copy(shared_chain.chain_file, settings.path(CHAIN_FILE))
        shutil.copy(shared_chain.governor_key, settings.path(GOVERNOR_KEY))
        os.chmod(settings.path(GOVERNOR_KEY), 0o600)
        svc = Service.open(settings)
        try:
            headers, document = _build_world(svc)
        finally:
            svc.close()
        shutil.copytree(settings.data_dir, base / "pristine")
        yield World(settings.data_dir, base / "pristine", name, server, headers, document)
    finally:
        if server is not None:
            server.drop_database(name)


@pytest.fixture
def service(world: World, tmp_path: Path) -> Iterator[Service]:
    """A service on a fresh copy of the world: its data directory restored in place (the
    issuers' rows name their directories) and a copy of its database."""
    shutil.rmtree(world.data_dir)
    shutil.copytree(world.pristine, world.data_dir)
    server = world.server
    if server is None:
        shutil.copy(world.database, tmp_path / "service.db")
        url = f"sqlite:///{tmp_path / 'service.db'}"
    else:
        name = server.new_database(template=world.database)
        url = server.url(name)
    svc = Service.open(_settings(world.data_dir, url), migrate=False)  # the world's schema
    try:
        yield svc
    finally:
        svc.close()
        if server is not None:
            server.drop_database(name)


@pytest.fixture
def app(service: Service, world: World) -> Iterator[FastAPI]:
    app = create_app(service=service)
    app.openapi_schema = copy.deepcopy(world.openapi)  # FastAPI serves it as it is
    # a city sign-in whose provider only publishes its discovery document (the sign-in
    # itself is tested against a real provider in test_oidc.py): the routes get past "not
    # configured" to their redirects, checks and refusals
    app.state.oidc = RelyingParty(RelyingPartyConfig(
        issuer=_ISSUER, client_id="credbank", redirect_uri=service.settings.oidc_redirect_url,
        scope="openid", identity_claim="identity_number", name_claim="name"),
        http=httpx.Client(transport=httpx.MockTransport(_discovery)))
    yield app
    # schemathesis keeps every app it started running (and in memory) until the process
    # exits; this case's is done with, its service closes next
    shutdown = getattr(asgi, "shutdown_lifespans", None)
    if shutdown is not None:
        shutdown()


_ISSUER = "http://127.0.0.1:9"


def _discovery(request: httpx.Request) -> httpx.Response:
    if request.url.path != "/.well-known/openid-configuration":
        return httpx.Response(404)
    return httpx.Response(200, json={
        "issuer": _ISSUER, "authorization_endpoint": f"{_ISSUER}/auth",
        "token_endpoint": f"{_ISSUER}/token", "jwks_uri": f"{_ISSUER}/jwks"})


@pytest.fixture
def audience_headers(world: World) -> dict[str, dict[str, str]]:
    return world.headers


@pytest.fixture
def api_schema(app: FastAPI):
    return schemathesis.openapi.from_asgi("/openapi.json", app)


# test_authz checks that ROUTES is exactly the app's operations; one test per operation.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize(("method", "path"), sorted(ROUTES), ids=lambda v: str(v))
def test_no_server_errors_and_answers_as_documented(api_schema, audience_headers, method: str,
                                                    path: str, mode: GenerationMode):
    operation = api_schema[path][method]
    if mode is GenerationMode.NEGATIVE and not (operation.body or operation.query
                                                or operation.path_parameters):
        return  # nothing to make invalid
    headers = audience_headers[ROUTES[(method, path)].audience]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def exercise(case) -> None:
        # a generous read timeout: on a loaded 2-core machine one request may take > 10 s
        response = case.call(headers={**(case.headers or {}), **headers}, timeout=60)
        case.validate_response(response, checks=CHECKS)

    try:
        exercise()
    except Unsatisfiable:
        # nothing in this operation can be made invalid (no body, free-form parameters)
        assert mode is GenerationMode.NEGATIVE
