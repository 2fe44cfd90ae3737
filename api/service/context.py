"""What every request handler shares: settings, database, server secret, identities."""

from __future__ import annotations

from dataclasses import dataclass, field

from .db import Database
from .issuing import Identities
from .security import load_server_secret
from .settings import Settings

SECRET_FILE = "server.secret"


@dataclass
class Service:
    settings: Settings
    db: Database
    secret: bytes
    identities: Identities = field(default_factory=Identities)

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Service:
        from .db import upgrade

        settings.data_dir.mkdir(parents=True, exist_ok=True)
        db = Database(settings.db_url)
        if migrate:
            upgrade(db.engine)
        return cls(settings, db, load_server_secret(settings.path(SECRET_FILE)))

    def close(self) -> None:
        self.db.close()
