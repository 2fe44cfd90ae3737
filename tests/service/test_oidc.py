"""Citizens sign in with OpenID Connect against a real provider run locally
(node-oidc-provider, tests/service/oidc/provider.mjs): the account is opened, found or
linked; a replayed or forged state, a wrong nonce, another issuer's or another client's ID
token are refused, and a refusal changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.accounts import open_learner_account
from api.service.context import Service
from api.service.models import Learner, LearnerSession, OidcLink, OidcState
from api.service.oidc_client import RelyingParty, configured
from api.service.settings import Settings
from api.web.app import create_app

from . import oidc as op
from .conftest import LEARNER_ID, Tenant, record

NEW_CITIZEN_ID = "310101198505054321"
ACCOUNTS = {
    "citizen-zhang": {"name": "张伟", op.IDENTITY_CLAIM: LEARNER_ID},
    "citizen-li": {"name": "李娜", op.IDENTITY_CLAIM: NEW_CITIZEN_ID},
    "citizen-noid": {"name": "无证号"},
}


@pytest.fixture(scope="module")
def providers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[op.Providers]:
    """Two provider instances, started once for the module."""
    with op.run_providers(tmp_path_factory.mktemp("oidc"), ACCOUNTS) as running:
        yield running


def _settings(tmp_path: Path, database_url: str, issuer: str, secret: str) -> Settings:
    secret_file = tmp_path / "oidc-client-secret"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    return Settings(data_dir=tmp_path / "data", database_url=database_url, run_worker=False,
                    public_rate_per_minute=10_000, oidc_issuer=issuer,
                    oidc_client_id=op.CLIENT_ID, oidc_client_secret_file=secret_file,
                    oidc_scope=op.SCOPE, oidc_identity_claim=op.IDENTITY_CLAIM)


@pytest.fixture
def service(tmp_path: Path, database_url: str, providers: op.Providers) -> Iterator[Service]:
    svc = Service.open(_settings(tmp_path, database_url, providers.issuers[0],
                                 op.CLIENT_SECRET))
    yield svc
    svc.close()


def _start(client: TestClient) -> str:
    """The provider URL the service sends the browser to (its state cookie is kept)."""
    answer = client.get("/v1/learner/oidc/start", follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def _sign_in(client: TestClient, login: str) -> httpx.Response:
    callback = op.sign_in_at_provider(_start(client), login)
    return client.get(op.callback_path(callback), follow_redirects=False)


def _counts(service: Service) -> tuple[int, int, int]:
    with service.db.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(table))
                     for table in (Learner, OidcLink, LearnerSession))  # type: ignore[return-value]


def _credential_ids(client: TestClient) -> list[str]:
    answer = client.get("/v1/learner/credentials")
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()]


def test_first_sign_in_opens_an_account_with_earlier_credentials_and_the_next_finds_it(
        client: TestClient, service: Service, university: Tenant, providers: op.Providers):
    issued = client.post("/v1/credentials", json=record(NEW_CITIZEN_ID),
                         headers=university.headers)
    assert issued.status_code == 201, issued.text

    answer = _sign_in(client, "citizen-li")
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/account"
    assert _credential_ids(client) == [issued.json()["id"]]
    with service.db.session() as session:
        learner = session.scalars(select(Learner)).one()
        link = session.scalars(select(OidcLink)).one()
        assert (learner.display_name, learner.password_hash) == ("李娜", None)
        assert learner.login.isdigit() and len(learner.login) == 12
        assert (link.issuer, link.subject, link.learner_id) == (
            providers.issuers[0], "citizen-li", learner.id)
        opened_login = learner.login

    client.cookies.clear()
    again = _sign_in(client, "citizen-li")
    assert again.status_code == 303, again.text
    assert _credential_ids(client) == [issued.json()["id"]]
    assert _counts(service)[:2] == (1, 1)
    with service.db.session() as session:
        assert session.scalars(select(Learner.login)).one() == opened_login
    # the pages know the session too
    assert client.get("/account").status_code == 200


def test_an_existing_account_with_the_same_identity_number_is_linked(
        client: TestClient, service: Service, university: Tenant):
    open_learner_account(service, "zhangwei", LEARNER_ID, "correct horse battery", "张伟")
    earlier = client.post("/v1/credentials", json=record(), headers=university.headers)
    assert earlier.status_code == 201, earlier.text

    answer = _sign_in(client, "citizen-zhang")
    assert answer.status_code == 303, answer.text
    assert _credential_ids(client) == [earlier.json()["id"]]
    with service.db.session() as session:
        learner = session.scalars(select(Learner)).one()
        assert learner.login == "zhangwei"
        assert session.scalars(select(OidcLink.learner_id)).one() == learner.id
    # the password still works: the city sign-in is another way in, not a replacement
    password = client.post("/v1/learner/session",
                           json={"login": "zhangwei", "password": "correct horse battery"})
    assert password.status_code == 200


def test_a_replayed_state_is_refused_and_changes_nothing(client: TestClient,
                                                         service: Service):
    authorize = _start(client)
    state = op.query(authorize)["state"]
    callback = op.sign_in_at_provider(authorize, "citizen-li")
    assert client.get(op.callback_path(callback), follow_redirects=False).status_code == 303
    before = _counts(service)

    # the browser's state cookie is gone after the sign-in: a replay is not this browser's
    replay = client.get(op.callback_path(callback), follow_redirects=False)
    assert replay.status_code == 403, replay.text
    assert "not started in this browser" in replay.json()["detail"]
    # even with the state cookie put back, the state was used once
    client.cookies.set("credbank_oidc_state", state, path="/v1/learner/oidc")
    replay = client.get(op.callback_path(callback), follow_redirects=False)
    assert replay.status_code == 410, replay.text
    assert "already used" in replay.json()["detail"]
    assert _counts(service) == before


def test_a_forged_state_or_one_from_another_browser_is_refused(client: TestClient,
                                                               service: Service):
    forged = "A" * 43
    client.cookies.set("credbank_oidc_state", forged, path="/v1/learner/oidc")
    answer = client.get(f"/v1/learner/oidc/callback?state={forged}&code=abc")
    assert answer.status_code == 403, answer.text
    assert "unknown sign-in state" in answer.json()["detail"]

    # a sign-in started in one browser, its callback opened in another (login CSRF)
    callback = op.sign_in_at_provider(_start(client), "citizen-li")
    with TestClient(client.app) as other_browser:
        answer = other_browser.get(op.callback_path(callback), follow_redirects=False)
    assert answer.status_code == 403, answer.text
    assert _counts(service) == (0, 0, 0)
    with service.db.session() as session:
        assert session.scalars(select(OidcState.used_at)).all() == [None]


def test_an_expired_state_is_refused(client: TestClient, service: Service):
    callback = op.sign_in_at_provider(_start(client), "citizen-li")
    with service.db.session() as session:
        pending = session.scalars(select(OidcState)).one()
        pending.expires_at = pending.created_at  # ten minutes passed
    answer = client.get(op.callback_path(callback), follow_redirects=False)
    assert answer.status_code == 410, answer.text
    assert "expired" in answer.json()["detail"]
    assert _counts(service) == (0, 0, 0)


def test_a_linked_subject_with_another_identity_number_is_refused(
        client: TestClient, service: Service, providers: op.Providers):
    someone = open_learner_account(service, "wangfang", "310101197707077777", "a password!")
    with service.db.session() as session:
        session.add(OidcLink(issuer=providers.issuers[0], subject="citizen-li",
                             learner_id=someone.id, created_at=someone.created_at,
                             last_sign_in_at=someone.created_at))
    answer = _sign_in(client, "citizen-li")
    assert answer.status_code == 409, answer.text
    assert "does not match its learning account" in answer.json()["detail"]
    assert _counts(service)[2] == 0  # no session


def test_a_wrong_nonce_is_refused(client: TestClient, service: Service):
    authorize = httpx.URL(_start(client))
    tampered = authorize.copy_set_param("nonce", "a-nonce-of-someone-else")
    callback = op.sign_in_at_provider(str(tampered), "citizen-li")
    answer = client.get(op.callback_path(callback), follow_redirects=False)
    assert answer.status_code == 403, answer.text
    assert "nonce" in answer.json()["detail"]
    assert _counts(service) == (0, 0, 0)


def _swapping(app, providers: op.Providers) -> op.SwapIdToken:
    """The service's provider reached through a network that swaps ID tokens."""
    swap = op.SwapIdToken(f"{providers.issuers[0]}/token")
    rp: RelyingParty = app.state.oidc
    app.state.oidc = RelyingParty(rp.config, http=httpx.Client(transport=swap))
    return swap


def test_an_id_token_of_another_issuer_is_refused(client: TestClient, service: Service,
                                                   providers: op.Providers):
    swap = _swapping(client.app, providers)
    authorize = _start(client)
    nonce = op.query(authorize)["nonce"]
    # the second instance: same keys and client, same nonce; only its issuer differs
    swap.id_token = op.id_token_for(providers.issuers[1], op.CLIENT_ID, op.CLIENT_SECRET,
                                    "citizen-li", nonce)
    callback = op.sign_in_at_provider(authorize, "citizen-li")
    answer = client.get(op.callback_path(callback), follow_redirects=False)
    assert answer.status_code == 403, answer.text
    assert "issuer (iss)" in answer.json()["detail"]
    assert _counts(service) == (0, 0, 0)


def test_a_callback_naming_another_issuer_is_refused(client: TestClient, service: Service,
                                                      providers: op.Providers):
    callback = httpx.URL(op.sign_in_at_provider(_start(client), "citizen-li"))
    mixed_up = callback.copy_set_param("iss", providers.issuers[1])
    answer = client.get(op.callback_path(str(mixed_up)), follow_redirects=False)
    assert answer.status_code == 403, answer.text
    assert "another provider" in answer.json()["detail"]


def test_an_id_token_for_another_client_is_refused(client: TestClient, service: Service,
                                                    providers: op.Providers):
    swap = _swapping(client.app, providers)
    authorize = _start(client)
    swap.id_token = op.id_token_for(providers.issuers[0], op.OTHER_CLIENT_ID,
                                    op.OTHER_CLIENT_SECRET, "citizen-li",
                                    op.query(authorize)["nonce"])
    callback = op.sign_in_at_provider(authorize, "citizen-li")
    answer = client.get(op.callback_path(callback), follow_redirects=False)
    assert answer.status_code == 403, answer.text
    assert "(aud)" in answer.json()["detail"]
    assert _counts(service) == (0, 0, 0)


def _tampered(token: str, **claims: object) -> str:
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}).encode())
    return f"{header}.{changed.rstrip(b'=').decode()}.{signature}"


def test_an_altered_or_unsigned_id_token_is_refused(client: TestClient, service: Service,
                                                    providers: op.Providers):
    swap = _swapping(client.app, providers)
    for label, forge, reason in [
            ("altered", lambda t: _tampered(t, sub="citizen-zhang"), "signature"),
            ("unsigned", lambda t: ".".join([base64.urlsafe_b64encode(
                b'{"alg":"none"}').rstrip(b"=").decode(), t.split(".")[1], ""]),
             "algorithm 'none'")]:
        authorize = _start(client)
        real = op.id_token_for(providers.issuers[0], op.CLIENT_ID, op.CLIENT_SECRET,
                               "citizen-li", op.query(authorize)["nonce"])
        swap.id_token = forge(real)
        callback = op.sign_in_at_provider(authorize, "citizen-li")
        answer = client.get(op.callback_path(callback), follow_redirects=False)
        assert answer.status_code == 403, (label, answer.text)
        assert reason in answer.json()["detail"], label
    assert _counts(service) == (0, 0, 0)


def test_unknown_keys_are_fetched_again(client: TestClient, service: Service):
    rp: RelyingParty = client.app.state.oidc
    rp.metadata()
    # a cache from before the provider's current key, fetched long ago
    rp._keys, rp._keys_at = {"keys": []}, float("-inf")
    assert _sign_in(client, "citizen-li").status_code == 303
    assert [key["kid"] for key in rp._keys["keys"]] == ["test-key-1"]


def test_no_identity_number_or_a_refusal_at_the_provider_signs_nobody_in(
        client: TestClient, service: Service):
    answer = _sign_in(client, "citizen-noid")
    assert answer.status_code == 403, answer.text
    assert "no identity number (identity_number)" in answer.json()["detail"]

    state = op.query(_start(client))["state"]
    denied = client.get(f"/v1/learner/oidc/callback?state={state}&error=access_denied")
    assert denied.status_code == 403
    assert "access denied" in denied.json()["detail"]
    assert _counts(service) == (0, 0, 0)


def test_a_wrong_client_secret_is_refused_without_showing_it(
        tmp_path: Path, database_url: str, providers: op.Providers):
    svc = Service.open(_settings(tmp_path, database_url, providers.issuers[0],
                                 "not-the-secret-9d2e"))
    try:
        with TestClient(create_app(service=svc)) as http:
            answer = _sign_in(http, "citizen-li")
        assert answer.status_code == 403, answer.text
        assert "invalid_client" in answer.json()["detail"]
        assert "not-the-secret" not in answer.text
        assert _counts(svc) == (0, 0, 0)
    finally:
        svc.close()


def test_the_secret_stays_out_of_the_settings_shown(service: Service):
    rp = configured(service.settings)
    assert rp is not None and rp.config.client_secret == op.CLIENT_SECRET
    assert op.CLIENT_SECRET not in repr(rp.config)
    assert op.CLIENT_SECRET not in json.dumps(service.settings.redacted())


def test_a_browser_is_told_why_on_the_sign_in_page(client: TestClient, service: Service):
    authorize = httpx.URL(_start(client))
    tampered = authorize.copy_set_param("nonce", "a-nonce-of-someone-else")
    callback = op.sign_in_at_provider(str(tampered), "citizen-li")
    page = client.get(op.callback_path(callback), follow_redirects=False,
                      headers={"Accept": "text/html,application/xhtml+xml;q=0.9"})
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "未能通过“一网通办”登录，请重试。" in page.text
    assert "(the ID token&#39;s nonce is not this sign-in&#39;s)" in page.text
    assert 'href="/v1/learner/oidc/start"' in page.text  # try again from here
    assert _counts(service) == (0, 0, 0)


def test_the_sign_in_page_offers_the_city_sign_in(client: TestClient):
    page = client.get("/login?lang=zh")
    assert 'href="/v1/learner/oidc/start"' in page.text
    assert "一网通办" in page.text
