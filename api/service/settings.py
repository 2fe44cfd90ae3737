"""Service settings: environment (``CREDBANK_*``, ``DATABASE_URL``), then a TOML file.

The data directory holds everything the service owns: the SQLite database (unless
``DATABASE_URL`` names another), issuer identities and their keys, the chain connection
(``chain.json``) and a server secret. A config file ``DATA_DIR/credbank.toml`` (or the file
named by ``CREDBANK_CONFIG``) may set any field; environment variables win over it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from .data_dir import CONFIG_FILE, DATABASE_FILE

# where the OpenID provider sends the citizen back (api.web.routes.signin)
OIDC_CALLBACK_PATH = "/v1/learner/oidc/callback"


def _config_file(data_dir: object = None) -> Path:
    named = os.environ.get("CREDBANK_CONFIG")
    if named:
        return Path(named)
    if data_dir is None:
        data_dir = os.environ.get("CREDBANK_DATA_DIR", "credbank-data")
    return Path(str(data_dir)) / CONFIG_FILE


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CREDBANK_", extra="forbid")

    data_dir: Path = Path("credbank-data")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CREDBANK_DATABASE_URL"))
    host: str = "127.0.0.1"
    port: int = 8600
    # the address learners' share links and QR codes point at
    public_url: str = "http://127.0.0.1:8600"
    # chain: an Ethereum JSON-RPC endpoint and the registry; `credbank up` writes chain.json
    rpc_url: str | None = None
    registry: str | None = None
    # the authority that accredits through the registry, by name: written into the trust
    # bundles the service exports, for verifiers to show (information, not proof)
    authority_name: str | None = Field(default=None, min_length=1, max_length=200)
    # the institution (by slug) that signs for the credit bank: learning archives
    credit_bank: str | None = Field(default=None, min_length=1, max_length=64)
    # anchoring worker: a batch closes at this many credentials or this age
    batch_size: int = Field(default=1000, ge=1, le=1_000_000)
    batch_age_seconds: float = Field(default=2.0, ge=0)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    run_worker: bool = True
    # anchored attendance: the background pass closes and anchors each venue-day this long
    # after its midnight (China time), so queued scans and check-outs arrive first
    attendance_anchoring: bool = True
    attendance_delay_minutes: float = Field(default=60, ge=0)
    attendance_poll_seconds: float = Field(default=60, gt=0)
    # limits
    max_request_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # a batch job of up to 100,000 records (POST /v1/jobs) may be larger than other bodies
    max_job_bytes: int = Field(default=96 * 1024 * 1024, ge=1024)
    public_rate_per_minute: int = Field(default=120, ge=1)
    learner_session_hours: float = Field(default=12, gt=0)
    # citizens' sign-in by OpenID Connect (the city's single sign-on, docs/operations.md):
    # on when an issuer is set. The redirect URL is public_url + OIDC_CALLBACK_PATH.
    oidc_issuer: str | None = Field(default=None, min_length=1, max_length=500)
    oidc_client_id: str | None = Field(default=None, min_length=1, max_length=200)
    # a file holding the client secret (mode 0600); none for a public client (PKCE alone)
    oidc_client_secret_file: Path | None = None
    oidc_scope: str = Field(default="openid profile", min_length=6, max_length=500)
    # the claims (ID token or userinfo) with the verified identity number and the name
    oidc_identity_claim: str = Field(default="identity_number", min_length=1, max_length=100)
    oidc_name_claim: str = Field(default="name", min_length=1, max_length=100)
    # 申学码 (docs/learningcode.md): the venue's calendar day of a check-in is taken in this
    # IANA time zone; the learner's and the venue's rotating codes live this many seconds;
    # a check-in is taken from this many minutes before an activity starts until this many
    # after it ends; an operator's queued (offline) scan is refused when older than this
    time_zone: str = Field(default="Asia/Shanghai", min_length=1, max_length=64)
    learner_code_seconds: int = Field(default=60, ge=5, le=3600)
    venue_code_seconds: int = Field(default=60, ge=5, le=3600)
    checkin_grace_minutes: int = Field(default=30, ge=0, le=24 * 60)
    scan_queue_max_hours: float = Field(default=24, gt=0, le=24 * 30)
    # an operator's device key (it signs queued scans) is good for this many days
    device_key_days: float = Field(default=7, gt=0, le=365)

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings,
                TomlConfigSettingsSource(settings_cls, toml_file=_config_file(
                    getattr(init_settings, "init_kwargs", {}).get("data_dir"))))

    @property
    def oidc_redirect_url(self) -> str:
        return self.public_url.rstrip("/") + OIDC_CALLBACK_PATH

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / DATABASE_FILE).resolve()}"

    def path(self, *parts: str) -> Path:
        return self.data_dir.joinpath(*parts)

    def redacted(self) -> dict[str, Any]:
        """The settings as safe to print: a database password is never shown."""
        from sqlalchemy.engine import make_url

        shown = self.model_dump(mode="json")
        shown["database_url"] = make_url(self.db_url).render_as_string(hide_password=True)
        return shown
