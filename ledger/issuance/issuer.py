"""An institution's issuing identity on disk: its DID, name, keys and status counter.

    ISSUER_DIR/issuer.json      public: DID, name, keys with validity windows, next index
    ISSUER_DIR/keys/<id>.key    private: one Ed25519 key each, file mode 0600

The institution DID is stable for the life of the issuer (it is what the registry and
trust lists name); by default it is the did:key of the first key. Each credential is
signed by the current key, whose own did:key is the credential's `issuer.id`, so a
standard VC verifier finds the key and its controller in one place.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from verifier import keys, timefmt
from verifier.errors import CredentialFormatError, KeyFormatError

from ..files import write_atomic

PROFILE = "issuer.json"
KEY_DIR = "keys"


# (previous raw Ed25519 public key, new raw public key, rotation time)
RotationHook = Callable[[bytes, bytes, datetime], None]


class IssuerError(Exception):
    """The issuer directory is missing, malformed or in use; one-line message."""


@dataclass(frozen=True)
class KeyRecord:
    public_key_multibase: str
    valid_from: str
    valid_until: str | None = None
    revoked_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "publicKeyMultibase": self.public_key_multibase,
            "validFrom": self.valid_from,
            "validUntil": self.valid_until,
            "revokedFrom": self.revoked_from,
        }

    def usable_at(self, moment: datetime) -> bool:
        if timefmt.parse(self.valid_from, "validFrom") > moment:
            return False
        for end in (self.valid_until, self.revoked_from):
            if end is not None and timefmt.parse(end, "end") <= moment:
                return False
        return True


class IssuerIdentity:
    def __init__(self, directory: Path, profile: dict[str, Any]) -> None:
        self.directory = directory
        self._profile = profile

    # -- creation and loading -------------------------------------------------------------

    @classmethod
    def create(
        cls, directory: str | Path, name: str, *, did: str | None = None,
        now: datetime | None = None,
    ) -> IssuerIdentity:
        directory = Path(directory)
        if (directory / PROFILE).exists():
            raise IssuerError(f"{directory} already holds an issuer")
        if not name.strip():
            raise IssuerError("an issuer needs a display name")
        if did is not None and not did.startswith("did:"):
            raise IssuerError("--did must be a DID (did:method:...)")
        key = keys.SigningKey.generate()
        created = timefmt.format(now or timefmt.now())
        (directory / KEY_DIR).mkdir(parents=True, exist_ok=True, mode=0o700)
        identity = cls(directory, {
            "type": "CredbankIssuer",
            "version": 1,
            "did": did or key.did,
            "name": name.strip(),
            "created": created,
            "keys": [],
            "nextStatusIndex": 0,
        })
        identity._store_key(key, created)
        identity._save()
        return identity

    @classmethod
    def load(cls, directory: str | Path) -> IssuerIdentity:
        directory = Path(directory)
        path = directory / PROFILE
        try:
            profile = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IssuerError(f"no issuer at {directory} (run: credbank issuer create)") from None
        except (OSError, ValueError) as exc:
            raise IssuerError(f"cannot read {path}: {exc}") from None
        if not isinstance(profile, dict) or profile.get("type") != "CredbankIssuer":
            raise IssuerError(f"{path} is not an issuer profile")
        return cls(directory, profile)

    # -- public facts -----------------------------------------------------------------------

    @property
    def did(self) -> str:
        return self._profile["did"]

    @property
    def name(self) -> str:
        return self._profile["name"]

    @property
    def key_records(self) -> list[KeyRecord]:
        return [
            KeyRecord(k["publicKeyMultibase"], k["validFrom"], k.get("validUntil"),
                      k.get("revokedFrom"))
            for k in self._profile["keys"]
        ]

    @property
    def chain(self) -> dict[str, Any] | None:
        """Where this issuer anchors (chain id, registry, RPC URL), once configured."""
        return self._profile.get("chain")

    def trust_entry(self) -> dict[str, Any]:
        return {
            "id": self.did,
            "name": self.name,
            "validFrom": self._profile["created"],
            "validUntil": None,
            "keys": [k.to_json() for k in self.key_records],
        }

    # -- keys ------------------------------------------------------------------------------

    def signing_key(self, now: datetime | None = None) -> keys.SigningKey:
        """The newest key usable now."""
        moment = now or timefmt.now()
        for record in reversed(self.key_records):
            if record.usable_at(moment):
                return self._read_key(record.public_key_multibase)
        raise IssuerError(f"issuer {self.name} has no key valid now")

    def rotate_key(
        self, now: datetime | None = None, *, register: RotationHook | None = None
    ) -> keys.SigningKey:
        """A new key valid from now. Earlier keys' windows close now: they stay valid for
        what they signed before, and nothing they sign later is trusted.

        ``register(previous_public_key, new_public_key, at)`` runs before the profile
        changes, to record the rotation elsewhere (the registry on chain); if it raises,
        the identity is left as it was.
        """
        # Whole seconds: the registry keeps unix seconds and the profile keeps no fraction.
        moment = (now or timefmt.now()).replace(microsecond=0)
        at = timefmt.format(moment)
        previous = self.signing_key(moment) if register is not None else None
        key = keys.SigningKey.generate()
        # The new key is on disk before anything is registered elsewhere, so a rotation
        # recorded on chain can never name a key that was lost.
        self._store_key(key, at)
        if register is not None and previous is not None:
            try:
                register(previous.public_key, key.public_key, moment)
            except BaseException:
                # The key file stays: after a timeout the rotation may yet be mined, and
                # then the key it names must still exist. Unlisted, it signs nothing.
                self._profile["keys"].pop()
                raise
        for record in self._profile["keys"][:-1]:
            if record.get("validUntil") is None:
                record["validUntil"] = at
        self._save()
        return key

    def _key_path(self, public_key_multibase: str) -> Path:
        return self.directory / KEY_DIR / f"{public_key_multibase}.key"

    def _store_key(self, key: keys.SigningKey, valid_from: str) -> None:
        public = keys.public_key_multibase(key.public_key)
        write_atomic(self._key_path(public), key.to_multibase() + "\n", mode=0o600)
        self._profile["keys"].append(KeyRecord(public, valid_from).to_json())

    def _read_key(self, public_key_multibase: str) -> keys.SigningKey:
        path = self._key_path(public_key_multibase)
        try:
            key = keys.SigningKey.from_multibase(path.read_text().strip())
        except OSError as exc:
            raise IssuerError(f"cannot read key file {path.name}: {exc.strerror}") from None
        except (KeyFormatError, CredentialFormatError):
            raise IssuerError(f"key file {path.name} is not an Ed25519 private key") from None
        if keys.public_key_multibase(key.public_key) != public_key_multibase:
            raise IssuerError(f"key file {path.name} holds another key")
        return key

    # -- status indices --------------------------------------------------------------------

    @contextmanager
    def reserve_status_indices(self) -> Iterator[StatusAllocator]:
        """Hold the issuer's lock while a batch takes indices; commit only on success."""
        lock_path = self.directory / ".lock"
        with open(lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IssuerError(f"issuer {self.name} is busy with another batch") from None
            fresh = IssuerIdentity.load(self.directory)
            allocator = StatusAllocator(fresh._profile["nextStatusIndex"])
            yield allocator
            fresh._profile["nextStatusIndex"] = allocator.next
            fresh._save()
            self._profile = fresh._profile

    def set_chain(self, chain: dict[str, Any]) -> None:
        self._profile["chain"] = chain
        self._save()

    def _save(self) -> None:
        text = json.dumps(self._profile, ensure_ascii=False, indent=2) + "\n"
        write_atomic(self.directory / PROFILE, text)


class StatusAllocator:
    def __init__(self, start: int) -> None:
        self.start = start
        self.next = start

    def take(self) -> int:
        index = self.next
        self.next += 1
        return index
