"""What every request handler shares: settings, database, server secret, identities."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ledger.chain_config import ChainConfig

from .data_dir import CHAIN_FILE, GOVERNOR_KEY, SECRET_FILE
from .db import Database
from .issuing import Identities
from .security import load_server_secret
from .settings import Settings


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

    def chain_config(self) -> ChainConfig | None:
        """The chain the service anchors on: ``DATA_DIR/chain.json``, else the settings'
        ``rpc_url`` and ``registry``; None when the service runs without a chain."""
        path = self.settings.path(CHAIN_FILE)
        if path.exists():
            return ChainConfig.read(path)
        if self.settings.rpc_url and self.settings.registry:
            return ChainConfig(rpc_url=self.settings.rpc_url, registry=self.settings.registry)
        return None

    @property
    def governor_key(self) -> Path | None:
        path = self.settings.path(GOVERNOR_KEY)
        return path if path.exists() else None
