"""Property-based tests of every operation in the OpenAPI document (schemathesis 4).

Requests are generated from the document itself, sent to the ASGI app in process, and each
answer must not be a 5xx and must conform to what the document says: a documented status
code, the documented content type, and a body matching the documented schema. Each
operation is called as its audience (an institution's or governor's API key, a learner's
session; test_authz.ROUTES says which), so generated requests get past authorization
and reach the handlers. Examples are bounded per operation to keep the run short.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.service.accounts import create_api_key, open_learner_account
from api.service.context import Service
from api.service.data_dir import CHAIN_FILE, GOVERNOR_KEY
from api.service.models import Employer
from api.service.settings import Settings
from api.web.app import create_app
from tests.ledger.chains import start_embedded_node
from verifier import timefmt

from .chain_fixtures import deploy_registry
from .conftest import LEARNER_ID, bearer, make_tenant
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


@pytest.fixture
def service(tmp_path: Path, database_url: str, shared_chain: SharedChain) -> Iterator[Service]:
    # Public routes are rate-limited; generated requests must not be throttled into 429s.
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        run_worker=False, public_rate_per_minute=1_000_000,
                        credit_bank="open-university")
    settings.data_dir.mkdir(parents=True)
    shutil.copy(shared_chain.chain_file, settings.path(CHAIN_FILE))
    shutil.copy(shared_chain.governor_key, settings.path(GOVERNOR_KEY))
    os.chmod(settings.path(GOVERNOR_KEY), 0o600)
    svc = Service.open(settings)
    yield svc
    svc.close()


@pytest.fixture
def app(service: Service) -> FastAPI:
    return create_app(service=service)


@pytest.fixture
def audience_headers(service: Service, app: FastAPI) -> dict[str, dict[str, str]]:
    university = make_tenant(service, "open-university", "上海开放大学")
    open_learner_account(service, "zhangwei", LEARNER_ID, PASSWORD, "张伟")
    with TestClient(app) as http:
        session = http.post("/v1/learner/session",
                            json={"login": "zhangwei", "password": PASSWORD}).json()
        http.post("/v1/credentials", json={
            "learner": {"id": LEARNER_ID}, "achievement": {
                "type": "Course", "name": "数据结构", "description": "课程"}},
            headers=university.headers)
    with service.db.session() as db:
        db.add(Employer(slug="schemathesis-hr", name="用人单位", created_at=timefmt.now()))
    return {"institution": university.headers,
            "governor": bearer(create_api_key(service, "governor", None, "schemathesis")),
            "learner": bearer(session["token"]), "public": {},
            "employer": bearer(create_api_key(service, "employer", None,
                                              employer_slug="schemathesis-hr"))}


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
        response = case.call(headers={**(case.headers or {}), **headers})
        case.validate_response(response, checks=CHECKS)

    try:
        exercise()
    except Unsatisfiable:
        # nothing in this operation can be made invalid (no body, free-form parameters)
        assert mode is GenerationMode.NEGATIVE
