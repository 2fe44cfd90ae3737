"""Trust lists: which issuers (institution DIDs) and which of their keys, when.

A trust file (docs/format.md §Trust file):

    {"type": "CredbankTrustList", "version": 1,
     "issuers": [{"id": "did:...", "name": "...",
                  "validFrom": "...", "validUntil": null,
                  "keys": [{"publicKeyMultibase": "z6Mk...",
                            "validFrom": "...", "validUntil": null, "revokedFrom": null}]}]}

Validity is temporal: a key is good for credentials issued at T when
validFrom <= T < min(validUntil, revokedFrom), so revoking a key later does not void
what it signed earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import jsonio, keys, timefmt
from .errors import CredentialFormatError, KeyFormatError, TrustListError

TYPE = "CredbankTrustList"


@dataclass(frozen=True)
class Window:
    valid_from: datetime | None
    valid_until: datetime | None

    def covers(self, moment: datetime) -> bool:
        if self.valid_from is not None and moment < self.valid_from:
            return False
        return self.valid_until is None or moment < self.valid_until


@dataclass(frozen=True)
class TrustedKey:
    public_key: bytes
    window: Window


@dataclass(frozen=True)
class TrustedIssuer:
    id: str
    name: str
    window: Window
    keys: tuple[TrustedKey, ...]

    def key_valid_at(self, public_key: bytes, moment: datetime) -> TrustedKey | None:
        for key in self.keys:
            if key.public_key == public_key and key.window.covers(moment):
                return key
        return None

    def knows_key(self, public_key: bytes) -> bool:
        return any(k.public_key == public_key for k in self.keys)


@dataclass(frozen=True)
class TrustList:
    issuers: dict[str, TrustedIssuer]

    def issuer(self, did: str) -> TrustedIssuer | None:
        return self.issuers.get(did)


def _moment(raw: dict[str, Any], field: str, where: str) -> datetime | None:
    value = raw.get(field)
    if value is None:
        return None
    try:
        return timefmt.parse(value, f"{where}.{field}")
    except CredentialFormatError as exc:
        raise TrustListError(str(exc)) from None


def _window(raw: dict[str, Any], where: str, *ends: str) -> Window:
    start = _moment(raw, "validFrom", where)
    stops = [m for m in (_moment(raw, e, where) for e in ends) if m is not None]
    return Window(start, min(stops) if stops else None)


def parse(raw: Any) -> TrustList:
    if not isinstance(raw, dict) or raw.get("type") != TYPE:
        raise TrustListError(f"not a trust file (type must be {TYPE})")
    if raw.get("version") != 1:
        raise TrustListError("unsupported trust file version")
    issuers = raw.get("issuers")
    if not isinstance(issuers, list):
        raise TrustListError("trust file needs an issuers list")
    out: dict[str, TrustedIssuer] = {}
    for i, entry in enumerate(issuers):
        where = f"issuers[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise TrustListError(f"{where} needs an id")
        key_list = entry.get("keys")
        if not isinstance(key_list, list) or not key_list:
            raise TrustListError(f"{where} needs at least one key")
        trusted_keys = []
        for j, key in enumerate(key_list):
            kwhere = f"{where}.keys[{j}]"
            if not isinstance(key, dict):
                raise TrustListError(f"{kwhere} must be an object")
            try:
                public_key = keys.decode_public_key_multibase(key.get("publicKeyMultibase"))
            except KeyFormatError as exc:
                raise TrustListError(f"{kwhere}: {exc}") from None
            trusted_keys.append(
                TrustedKey(public_key, _window(key, kwhere, "validUntil", "revokedFrom"))
            )
        if entry["id"] in out:
            raise TrustListError(f"issuer {entry['id']} listed twice")
        out[entry["id"]] = TrustedIssuer(
            id=entry["id"],
            name=str(entry.get("name", "")),
            window=_window(entry, where, "validUntil"),
            keys=tuple(trusted_keys),
        )
    return TrustList(out)


def load(path: str | Path) -> TrustList:
    try:
        raw = jsonio.load_path(path, max_bytes=64 << 20)
    except CredentialFormatError as exc:
        raise TrustListError(f"trust file: {exc}") from None
    return parse(raw)
