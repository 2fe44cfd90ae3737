"""Service fixtures: a service on a fresh database, an HTTP client, and keys for each role."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.service.accounts import create_api_key, open_learner_account, register_issuer
from api.service.context import Service
from api.service.db import make_engine, upgrade
from api.service.settings import Settings
from api.web.app import create_app

from .postgres import PostgresMissing, PostgresServer

DATABASES = ["sqlite", "postgresql"]


def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster on loopback; a missing installation fails, loudly."""
    try:
        server = PostgresServer.start()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.make_template(_migrate)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database holding the schema, migrated once for the session."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    _migrate(f"sqlite:///{path}")
    # the last connection closed has checkpointed the write-ahead log into the file
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Every service test runs on SQLite and on PostgreSQL, each on a fresh database that
    already holds the schema (a copy of a template migrated once per session)."""
    if request.param == "sqlite":
        path = tmp_path / "service.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.new_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


@pytest.fixture
def service(tmp_path: Path, database_url: str) -> Iterator[Service]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url,
                        run_worker=False)
    svc = Service.open(settings)
    yield svc
    svc.close()


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service=service)) as http:
        yield http


@dataclass(frozen=True)
class Tenant:
    slug: str
    did: str
    headers: dict[str, str]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def governor(service: Service) -> dict[str, str]:
    return bearer(create_api_key(service, "governor", None, "tests"))


def make_tenant(service: Service, slug: str, name: str) -> Tenant:
    issuer = register_issuer(service, slug, name)
    return Tenant(slug, issuer.did, bearer(create_api_key(service, "institution", slug)))


@pytest.fixture
def university(service: Service) -> Tenant:
    return make_tenant(service, "open-university", "上海开放大学 Shanghai Open University")


@pytest.fixture
def college(service: Service) -> Tenant:
    return make_tenant(service, "vocational-centre", "城市职业技能培训中心")


LEARNER_ID = "310101199001011234"


def record(learner_id: str = LEARNER_ID, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "learner": {"id": learner_id, "name": "张伟"},
        "achievement": {"type": "Course", "name": {"zh": "数据结构", "en": "Data Structures"},
                        "description": "完成数据结构课程并通过考核。",
                        "fieldOfStudy": "计算机科学与技术"},
        "creditsEarned": 4, "creditUnit": "credit", "sector": "degree",
        "results": [{"value": "A", "description": "总评 final grade"}],
    }
    body.update(changes)
    return body


@pytest.fixture
def learner(service: Service) -> dict[str, str]:
    """A learning account for LEARNER_ID: its login and password."""
    open_learner_account(service, "zhangwei", LEARNER_ID, "correct horse battery", "张伟")
    return {"login": "zhangwei", "password": "correct horse battery"}
