"""Request limits: body size on every route, a per-address rate on the public routes."""

from __future__ import annotations

import http.client
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service import security
from api.service.context import Service
from api.service.models import Credential
from api.service.settings import Settings
from api.web.app import create_app
from api.web.limits import TokenBuckets, is_public

from .conftest import Tenant, bearer, record

SMALL = 4096  # bytes: the body cap these tests run with
RATE = 3  # public requests a minute


@pytest.fixture
def limited(tmp_path: Path, database_url: str) -> Iterator[Service]:
    settings = Settings(data_dir=tmp_path / "limited", database_url=database_url,
                        run_worker=False, max_request_bytes=SMALL, max_job_bytes=4 * SMALL,
                        public_rate_per_minute=RATE)
    svc = Service.open(settings)
    yield svc
    svc.close()


def _credentials(service: Service) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(Credential)) or 0


def test_a_declared_oversize_body_is_413_and_writes_nothing(limited: Service):
    from .conftest import make_tenant

    tenant = make_tenant(limited, "open-university", "Open University")
    body = record(results=[{"value": "A", "description": "x" * 400}] * 12)
    with TestClient(create_app(service=limited)) as http:
        answer = http.post("/v1/credentials", json=body, headers=tenant.headers)
        assert answer.status_code == 413
        assert answer.json() == {"detail": f"request body larger than {SMALL} bytes"}
        assert http.post("/v1/credentials", json=record(),
                         headers=tenant.headers).status_code == 201
    assert _credentials(limited) == 1


def test_a_batch_job_may_be_larger_than_other_bodies_but_not_unbounded(limited: Service):
    from .conftest import make_tenant

    tenant = make_tenant(limited, "open-university", "Open University")
    headers = {**tenant.headers, "Content-Type": "application/x-ndjson"}
    line = json.dumps(record(), ensure_ascii=False).encode() + b"\n"
    fits = line * (2 * SMALL // len(line) + 1)  # over the general cap, under the job cap
    assert SMALL < len(fits) < 4 * SMALL
    with TestClient(create_app(service=limited)) as http:
        assert http.post("/v1/jobs", content=fits, headers=headers).status_code == 202
        answer = http.post("/v1/jobs", content=fits * 3, headers=headers)
        assert answer.status_code == 413
        assert answer.json() == {"detail": f"request body larger than {4 * SMALL} bytes"}
        answer = http.post("/v1/credentials", content=fits, headers=headers)
        assert answer.status_code == 413


def test_a_chunked_oversize_body_is_413_as_it_streams(limited: Service):
    from .conftest import make_tenant

    tenant = make_tenant(limited, "open-university", "Open University")
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(64):
            sent.append(1)
            yield b" " * 1024

    with TestClient(create_app(service=limited)) as http:
        answer = http.post("/v1/credentials", content=chunks(),
                           headers={**tenant.headers, "Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "larger than" in answer.json()["detail"]
    assert _credentials(limited) == 0


def test_a_bad_content_length_is_400(limited: Service):
    with TestClient(create_app(service=limited)) as http:
        answer = http.post("/v1/verify", content=b"{}",
                           headers={"Content-Length": "lots", "Content-Type": "application/json"})
    assert answer.status_code == 400


@pytest.fixture
def served(limited: Service) -> Iterator[int]:
    """The app on a real HTTP server on loopback (a free port), for what TestClient hides."""
    config = uvicorn.Config(create_app(service=limited), host="127.0.0.1", port=0,
                            log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            threading.Event().wait(0.01)
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_over_http_a_chunked_body_without_length_is_cut_off(served: int):
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    try:
        connection.putrequest("POST", "/v1/verify")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.putheader("Content-Type", "application/json")
        connection.endheaders()
        for _ in range(8):
            piece = b" " * 1024
            connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        connection.send(b"0\r\n\r\n")
        answer = connection.getresponse()
        assert answer.status == 413
        assert "larger than" in json.loads(answer.read())["detail"]
    finally:
        connection.close()


def test_public_routes_are_rate_limited_per_address(limited: Service):
    app = create_app(service=limited)
    with TestClient(app) as http:
        codes = [http.get("/v1/trust-list").status_code for _ in range(RATE)]
        refused = http.get("/v1/trust-list")
        also_refused = http.post("/v1/verify", json={})
    assert codes == [200] * RATE
    assert refused.status_code == also_refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "too many requests" in refused.json()["detail"]
    with TestClient(app, client=("192.0.2.7", 40000)) as other:
        assert other.get("/v1/trust-list").status_code == 200


def test_authenticated_routes_are_not_rate_limited(limited: Service):
    from .conftest import make_tenant

    tenant = make_tenant(limited, "open-university", "Open University")
    with TestClient(create_app(service=limited)) as http:
        codes = {http.get("/v1/credentials", headers=tenant.headers).status_code
                 for _ in range(RATE * 3)}
    assert codes == {200}


def test_a_bucket_refills_at_the_rate():
    now = [0.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])  # one token a second
    assert all(buckets.take("a") == 0.0 for _ in range(60))
    wait = buckets.take("a")
    assert 0.9 < wait <= 1.0
    now[0] += 0.5
    assert 0.4 < buckets.take("a") <= 0.5
    now[0] += 0.6
    assert buckets.take("a") == 0.0
    assert buckets.take("b") == 0.0  # every address has its own bucket
    now[0] += 3600
    assert all(buckets.take("a") == 0.0 for _ in range(60))  # never more than capacity
    assert buckets.take("a") > 0


def test_buckets_kept_are_bounded():
    buckets = TokenBuckets(1, max_keys=100)
    for n in range(1000):
        buckets.take(f"10.0.{n // 256}.{n % 256}")
    assert len(buckets._buckets) == 100


def _concrete(path: str) -> str:
    return path.replace("{", "").replace("}", "")


def test_every_route_anyone_may_call_is_rate_limited(client: TestClient):
    """New public routes are covered automatically, or this fails naming them."""
    exempt = {"/", "/healthz", "/static"}  # pages and probes that do no work per request
    unlimited = []
    for path, operations in client.app.openapi()["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                continue  # needs a key or a session
            if not is_public(_concrete(path)) and path not in exempt:
                unlimited.append(f"{method.upper()} {path}")
    assert unlimited == []


def test_secrets_never_reach_the_logs(client: TestClient, university: Tenant,
                                      caplog: pytest.LogCaptureFixture):
    from api.service.accounts import create_api_key

    caplog.set_level(logging.DEBUG)
    service: Service = client.app.state.service
    token = create_api_key(service, "institution", university.slug)
    client.post("/v1/credentials", json=record(), headers=bearer(token))
    client.get("/v1/credentials", headers=bearer(token[:-2] + "xx"))
    client.post("/v1/verify", content=b"{bad", headers=bearer(token))
    text = caplog.text
    _, secret = security.split_api_key(token)  # the secret may itself hold "_"
    assert secret not in text
    assert "310101199001011234" not in text


def test_a_database_error_never_carries_the_values_it_was_given(tmp_path):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from api.service.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(DBAPIError) as caught, engine.connect() as connection:
        connection.execute(text("INSERT INTO nowhere VALUES (:number)"),
                           {"number": "310101199001011234"})
    assert "310101199001011234" not in str(caught.value)
    assert "hidden" in str(caught.value)
