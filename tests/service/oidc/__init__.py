"""A real OpenID provider for the sign-in tests (node-oidc-provider, ``provider.mjs``) and
a browser that signs a citizen in through its development login and consent pages."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

SCRIPT = Path(__file__).with_name("provider.mjs")
REPO = Path(__file__).resolve().parents[3]
CLIENT_ID = "credbank"
CLIENT_SECRET = "test-client-secret-0f3a"
OTHER_CLIENT_ID = "another-service"
OTHER_CLIENT_SECRET = "another-secret-77c1"
REDIRECT_URI = "http://127.0.0.1:8600/v1/learner/oidc/callback"
SCOPE = "openid profile citizen"
IDENTITY_CLAIM = "identity_number"


@dataclass(frozen=True)
class Providers:
    issuers: list[str]  # two instances: same clients, accounts and signing key


def _client(client_id: str, secret: str) -> dict[str, object]:
    return {"client_id": client_id, "client_secret": secret, "redirect_uris": [REDIRECT_URI],
            "response_types": ["code"], "grant_types": ["authorization_code"]}


@contextmanager
def run_providers(work: Path, accounts: dict[str, dict[str, str]]) -> Iterator[Providers]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "oidc-provider").is_dir():
        raise RuntimeError("node and the npm packages are needed (npm ci)")
    config = work / "provider.json"
    config.write_text(json.dumps({
        "instances": 2, "accounts": accounts,
        "clients": [_client(CLIENT_ID, CLIENT_SECRET),
                    _client(OTHER_CLIENT_ID, OTHER_CLIENT_SECRET)],
        "scopes": {"profile": ["name"], "citizen": [IDENTITY_CLAIM]}}))
    log = work / "provider.log"
    with log.open("w") as errors:
        process = subprocess.Popen([node, str(SCRIPT), str(config)], cwd=REPO,
                                   stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the OpenID provider did not start (exit {process.wait()}): "
                               f"{log.read_text()[-2000:]}")
        yield Providers(json.loads(line)["issuers"])
    finally:
        process.terminate()
        process.wait(timeout=10)


_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="(\w+)"')


def sign_in_at_provider(authorize_url: str, login: str) -> str:
    """A browser at the provider: follows its redirects, fills in the login form as
    ``login`` and confirms the consent form; the URL it is sent back to (the callback)."""
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        response = browser.get(authorize_url)
        for _ in range(12):
            if response.is_redirect:
                target = urljoin(str(response.url), response.headers["location"])
                if target.startswith(REDIRECT_URI):
                    return target
                response = browser.get(target)
                continue
            assert response.status_code == 200, response.text[:500]
            action, prompt = _ACTION.search(response.text), _PROMPT.search(response.text)
            assert action and prompt, response.text[:500]
            form = {"prompt": prompt.group(1)}
            if prompt.group(1) == "login":
                form |= {"login": login, "password": "any"}
            response = browser.post(urljoin(str(response.url), action.group(1)), data=form)
    raise AssertionError("the provider never sent the browser back")


def callback_path(callback_url: str) -> str:
    """The callback URL as a path for the app's test client."""
    parts = urlsplit(callback_url)
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def id_token_for(issuer: str, client_id: str, secret: str, login: str, nonce: str) -> str:
    """A real ID token of ``issuer`` for ``client_id``, with ``nonce``: what another
    provider or another client would hold (the service never asked for it)."""
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT_URI,
              "scope": SCOPE, "state": "x", "nonce": nonce,
              "code_challenge": challenge.rstrip(b"=").decode(),
              "code_challenge_method": "S256"}
    authorize = httpx.URL(f"{issuer}/auth", params=params)
    code = query(sign_in_at_provider(str(authorize), login))["code"]
    answer = httpx.post(f"{issuer}/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier})
    answer.raise_for_status()
    return answer.json()["id_token"]


class SwapIdToken(httpx.BaseTransport):
    """The network between the service and the provider, where someone replaces the ID
    token of the token endpoint's answer with another (real) one."""

    def __init__(self, token_endpoint: str) -> None:
        self.token_endpoint = token_endpoint
        self.id_token: str | None = None
        self._real = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._real.handle_request(request)
        if self.id_token is None or str(request.url) != self.token_endpoint:
            return response
        response.read()
        body = {**response.json(), "id_token": self.id_token}
        return httpx.Response(response.status_code, json=body)

    def close(self) -> None:
        self._real.close()
