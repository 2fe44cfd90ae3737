"""Secrets the service hands out, and how it checks them without keeping them.

API keys look like ``cb_<id>_<secret>``: the id finds the row; the secret (32 random bytes)
is compared by SHA-256 in constant time. High-entropy tokens need no slow hash; learner
passwords, which people choose, use scrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

API_KEY_PREFIX = "cb_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class NewApiKey:
    key_id: str
    secret_hash: str
    token: str  # shown once, to whoever created the key


def new_api_key() -> NewApiKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewApiKey(key_id, token_hash(secret), f"{API_KEY_PREFIX}{key_id}_{secret}")


def split_api_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed API key, else None."""
    if not token.startswith(API_KEY_PREFIX):
        return None
    key_id, sep, secret = token[len(API_KEY_PREFIX):].partition("_")
    if not sep or len(key_id) != 16 or not secret or len(secret) > 128:
        return None
    return key_id, secret


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(token: str, stored: str) -> bool:
    return hmac.compare_digest(token_hash(token), stored)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def check_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        # spend the same time as a real check, so timing does not tell which logins exist
        hashlib.scrypt(password.encode(), salt=b"\0" * 16, dklen=32, **_SCRYPT)
        return False
    _, salt, digest = stored.split("$")
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, **_SCRYPT)
    return hmac.compare_digest(actual, base64.b64decode(digest))


def learner_key(server_secret: bytes, identity_number: str) -> str:
    """The keyed hash by which a learner is known; the identity number is never stored."""
    return hmac.new(server_secret, identity_number.strip().encode(), hashlib.sha256).hexdigest()


def load_server_secret(path: os.PathLike[str] | str) -> bytes:
    """The service's 32-byte secret, created (mode 0600) on first use."""
    path = os.fspath(path)
    if not os.path.exists(path):
        # written whole under a temporary name, then linked in: a concurrent starter
        # either wins the link or reads the winner's complete file
        tmp = f"{path}.{os.getpid()}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(os.urandom(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    with open(path, "rb") as fh:
        data = fh.read()
    if len(data) != 32:
        raise ValueError(f"{path} is not a credbank server secret")
    return data
