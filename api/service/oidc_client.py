"""The service as an OpenID Connect relying party: discovery, the authorization request,
the code exchange, the ID token's checks and the userinfo call (OpenID Connect Core 1.0).

The ID token is checked with PyJWT against the provider's published keys (JWKS, cached and
fetched again when a token names a key not in the cache): the signature with an
allow-listed asymmetric algorithm (never ``none``, never an HMAC, whose "secret" would be
the public key), ``iss`` exactly the configured issuer, ``aud`` containing the client id
(and ``azp`` the client id when there are several audiences), ``exp``, ``iat`` and ``nbf``
with a small leeway, and ``nonce`` equal to the one of this sign-in (Core §3.1.3.7).

Every refusal is a :class:`~api.service.errors.Forbidden` (the answer is not acceptable) or
:class:`~api.service.errors.Unavailable` (the provider cannot be reached or answers
nonsense), with a one-line message that never carries the client secret, a code or a
token. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode, urlsplit

import httpx
import jwt

from .errors import Forbidden, Unavailable
from .settings import Settings

# JWS algorithms an ID token may use (RFC 7518 §3.1, RFC 8037): asymmetric only
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                        "ES256", "ES384", "ES512", "EdDSA"})
LEEWAY_SECONDS = 60  # clock skew allowed on exp, iat and nbf
MAX_DOCUMENT_BYTES = 512 * 1024  # discovery, JWKS, token and userinfo answers
METADATA_SECONDS = 3600  # discovery is fetched again after this
JWKS_MIN_REFRESH_SECONDS = 10  # an unknown kid fetches the keys again, at most this often
TIMEOUT = httpx.Timeout(10.0)
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")  # RFC 6749 §5.2 error codes, shown back


@dataclass(frozen=True)
class RelyingPartyConfig:
    issuer: str
    client_id: str
    redirect_uri: str
    scope: str
    identity_claim: str
    name_claim: str
    client_secret: str | None = field(default=None, repr=False)


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def _check_url(url: str, what: str) -> None:
    """https, or plain http to this machine only (a provider run locally for tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _loopback(parts.hostname):
        return
    raise Unavailable(f"the city sign-in's {what} must be an https URL")


def read_client_secret(path: Path) -> str:
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        raise Unavailable(f"the OpenID client secret file {path} cannot be read") from None
    if not secret:
        raise Unavailable(f"the OpenID client secret file {path} is empty")
    return secret


def configured(settings: Settings) -> RelyingParty | None:
    """The relying party the settings describe, or None when citizens' sign-in is off."""
    if settings.oidc_issuer is None:
        return None
    if settings.oidc_client_id is None:
        raise Unavailable("oidc_issuer is set but oidc_client_id is not")
    if "openid" not in settings.oidc_scope.split():
        raise Unavailable("oidc_scope must include openid")
    secret = (read_client_secret(settings.oidc_client_secret_file)
              if settings.oidc_client_secret_file is not None else None)
    return RelyingParty(RelyingPartyConfig(
        issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
        redirect_uri=settings.oidc_redirect_url, scope=settings.oidc_scope,
        identity_claim=settings.oidc_identity_claim, name_claim=settings.oidc_name_claim,
        client_secret=secret))


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2, S256."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class RelyingParty:
    """One configured provider: its metadata and keys are cached here (thread-safe)."""

    def __init__(self, config: RelyingPartyConfig, http: httpx.Client | None = None) -> None:
        _check_url(config.issuer, "issuer")
        _check_url(config.redirect_uri, "redirect URL (public_url)")
        self.config = config
        self._http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._keys: dict[str, Any] | None = None
        self._keys_at = 0.0

    @property
    def issuer(self) -> str:
        return self.config.issuer

    # ---- documents from the provider -----------------------------------------------------

    def _fetch(self, request: httpx.Request, what: str) -> tuple[int, Any]:
        """(status, JSON body) of a provider's answer, read up to MAX_DOCUMENT_BYTES."""
        try:
            response = self._http.send(request, stream=True)
            try:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_DOCUMENT_BYTES:
                        raise Unavailable(f"the city sign-in's {what} is too large")
            finally:
                response.close()
        except httpx.HTTPError:
            raise Unavailable(f"the city sign-in's {what} cannot be reached") from None
        try:
            return response.status_code, json.loads(body)
        except ValueError:
            raise Unavailable(f"the city sign-in's {what} is not JSON") from None

    def _get(self, url: str, what: str) -> dict[str, Any]:
        status, document = self._fetch(self._http.build_request("GET", url), what)
        if status != 200 or not isinstance(document, dict):
            raise Unavailable(f"the city sign-in's {what} answered {status}")
        return document

    def metadata(self) -> dict[str, Any]:
        """The provider's configuration (OpenID Connect Discovery 1.0 §4), cached."""
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at \
                    < METADATA_SECONDS:
                return self._metadata
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = self._get(url, "discovery document")
        # Discovery §4.3: the issuer in the document is exactly the one configured
        if document.get("issuer") != self.issuer:
            raise Unavailable("the city sign-in's discovery document names another issuer")
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str):
                raise Unavailable(f"the city sign-in's discovery document has no {name}")
            _check_url(value, name)
        if isinstance(document.get("userinfo_endpoint"), str):
            _check_url(document["userinfo_endpoint"], "userinfo_endpoint")
        with self._lock:
            self._metadata, self._metadata_at = document, time.monotonic()
        return document

    def _key_set(self, refresh: bool) -> dict[str, Any]:
        with self._lock:
            cached, age = self._keys, time.monotonic() - self._keys_at
        if cached is not None and not (refresh and age >= JWKS_MIN_REFRESH_SECONDS):
            return cached
        keys = self._get(self.metadata()["jwks_uri"], "key set (JWKS)")
        if not isinstance(keys.get("keys"), list):
            raise Unavailable("the city sign-in's key set (JWKS) has no keys")
        with self._lock:
            self._keys, self._keys_at = keys, time.monotonic()
        return keys

    # ---- the flow ------------------------------------------------------------------------

    def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        """Where the citizen's browser goes to sign in (Core §3.1.2.1, RFC 7636 §4.3)."""
        endpoint = self.metadata()["authorization_endpoint"]
        query = urlencode({
            "response_type": "code", "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_uri, "scope": self.config.scope,
            "state": state, "nonce": nonce, "code_challenge": pkce_challenge(code_verifier),
            "code_challenge_method": "S256"})
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"

    def exchange(self, code: str, code_verifier: str) -> dict[str, Any]:
        """The token answer for an authorization code (Core §3.1.3.1): client_secret_basic
        when the client has a secret, else a public client proving PKCE alone."""
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": self.config.redirect_uri, "code_verifier": code_verifier}
        headers = {"Accept": "application/json"}
        if self.config.client_secret is None:
            form["client_id"] = self.config.client_id
        else:
            # RFC 6749 §2.3.1: the id and secret are form-encoded, then sent as Basic
            pair = f"{quote_plus(self.config.client_id)}:{quote_plus(self.config.client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        request = self._http.build_request(
            "POST", self.metadata()["token_endpoint"], data=form, headers=headers)
        status, answer = self._fetch(request, "token endpoint")
        if not isinstance(answer, dict):
            raise Unavailable("the city sign-in's token endpoint answered nonsense")
        if status != 200:
            error = answer.get("error")
            code_name = error if isinstance(error, str) and _ERROR_CODE.fullmatch(error) \
                else "error"
            raise Forbidden(f"the city sign-in refused the sign-in code ({code_name}); "
                            "start again")
        if not isinstance(answer.get("id_token"), str):
            raise Forbidden("the city sign-in gave no ID token")
        return answer

    def verify_id_token(self, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims once every check of Core §3.1.3.7 passed."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.InvalidTokenError:
            raise Forbidden("the ID token is not a signed JWT") from None
        algorithm = header.get("alg")
        if algorithm not in ALGORITHMS:
            raise Forbidden(f"the ID token's algorithm {str(algorithm)[:16]!r} is not allowed")
        key = self._signing_key(header.get("kid"), algorithm)
        try:
            claims = jwt.decode(
                id_token, key=key, algorithms=[algorithm], audience=self.config.client_id,
                issuer=self.issuer, leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]})
        except jwt.InvalidIssuerError:
            raise Forbidden("the ID token's issuer (iss) is not the configured provider") \
                from None
        except jwt.InvalidAudienceError:
            raise Forbidden("the ID token is not for this service (aud)") from None
        except jwt.ExpiredSignatureError:
            raise Forbidden("the ID token has expired (exp)") from None
        except jwt.ImmatureSignatureError:
            raise Forbidden("the ID token is not valid yet (iat, nbf)") from None
        except jwt.MissingRequiredClaimError as exc:
            raise Forbidden(f"the ID token has no {exc.claim} claim") from None
        except jwt.InvalidSignatureError:
            raise Forbidden("the ID token's signature does not verify") from None
        except jwt.InvalidTokenError:
            raise Forbidden("the ID token is malformed") from None
        audience = claims["aud"]
        several = isinstance(audience, list) and len(audience) > 1
        # Core §3.1.3.7 steps 4 and 5: azp names this client when present, and must be
        # present when the token has several audiences
        if (several or "azp" in claims) and claims.get("azp") != self.config.client_id:
            raise Forbidden("the ID token was issued to another client (azp)")
        if not isinstance(claims.get("nonce"), str) or not _same(claims["nonce"], nonce):
            raise Forbidden("the ID token's nonce is not this sign-in's")
        if not isinstance(claims["sub"], str) or not 0 < len(claims["sub"]) <= 255:
            raise Forbidden("the ID token's subject (sub) is not usable")
        return claims

    def _signing_key(self, kid: Any, algorithm: str) -> jwt.PyJWK:
        for refresh in (False, True):
            found = _find_key(self._key_set(refresh), kid, algorithm)
            if found is not None:
                return found
        raise Forbidden("the ID token is signed with a key the provider does not publish")

    def userinfo(self, access_token: str, subject: str) -> dict[str, Any]:
        """The userinfo claims (Core §5.3), only if they are about the same subject."""
        endpoint = self.metadata().get("userinfo_endpoint")
        if not isinstance(endpoint, str):
            return {}
        request = self._http.build_request(
            "GET", endpoint, headers={"Authorization": f"Bearer {access_token}",
                                      "Accept": "application/json"})
        status, claims = self._fetch(request, "userinfo endpoint")
        if status != 200 or not isinstance(claims, dict):
            raise Unavailable(f"the city sign-in's userinfo endpoint answered {status}")
        # Core §5.3.2: the sub of userinfo must equal the ID token's, else it is discarded
        if claims.get("sub") != subject:
            raise Forbidden("the userinfo answer is about another subject")
        return claims

    def claims(self, tokens: dict[str, Any], nonce: str) -> dict[str, Any]:
        """The checked ID token's claims, completed from userinfo when the identity number
        or the name is not in the token itself."""
        claims = self.verify_id_token(tokens["id_token"], nonce)
        wanted = (self.config.identity_claim, self.config.name_claim)
        access_token = tokens.get("access_token")
        if any(name not in claims for name in wanted) and isinstance(access_token, str):
            extra = self.userinfo(access_token, claims["sub"])
            claims = {**{k: v for k, v in extra.items() if k in wanted}, **claims}
        return claims


def _find_key(key_set: dict[str, Any], kid: Any, algorithm: str) -> jwt.PyJWK | None:
    """The published key for this kid (or the only signing key, when the token names none)
    that can verify ``algorithm``."""
    candidates = []
    for jwk in key_set.get("keys", []):
        if not isinstance(jwk, dict) or jwk.get("kty") not in ("RSA", "EC", "OKP"):
            continue  # never a symmetric ("oct") key
        if jwk.get("use", "sig") != "sig" or jwk.get("alg", algorithm) != algorithm:
            continue
        if kid is not None and jwk.get("kid") != kid:
            continue
        try:
            candidates.append(jwt.PyJWK(jwk, algorithm=algorithm))
        except (jwt.PyJWKError, jwt.InvalidKeyError):
            continue  # a key of another type than the algorithm needs
    return candidates[0] if len(candidates) == 1 else None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
