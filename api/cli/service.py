"""`credbank serve` and `credbank service ...`: run the API and bootstrap its first keys."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from api.service.accounts import create_api_key, open_learner_account, register_issuer
from api.service.context import Service
from api.service.errors import ServiceError
from api.service.settings import Settings

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", help="the service's data directory (default: $CREDBANK_DATA_DIR)")]


class ServiceCommandError(Exception):
    """One-line problem with a service command."""


def settings_for(data_dir: Path | None, **overrides: object) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ServiceCommandError(f"setting {where}: {first['msg']}") from None


def _with_service(data_dir: Path | None):
    return Service.open(settings_for(data_dir))


def _run(fn):  # a service error becomes a one-line CLI error
    try:
        return fn()
    except ServiceError as exc:
        raise ServiceCommandError(str(exc)) from None


def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Run the API and the pages (and the anchoring worker) until interrupted."""
    import uvicorn

    from api.web.app import create_app

    settings = settings_for(data_dir, host=host, port=port)
    app = create_app(settings)
    print(f"credbank service on http://{settings.host}:{settings.port} "
          f"(data: {settings.data_dir.resolve()})", file=sys.stderr)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def add_issuer(
    slug: Annotated[str, typer.Argument(help="short name, e.g. open-university")],
    name: Annotated[str, typer.Option("--name", help="display name")],
    data_dir: DataDir = None,
) -> None:
    """Create an issuing identity in the service's data directory."""
    svc = _with_service(data_dir)
    try:
        issuer = _run(lambda: register_issuer(svc, slug, name))
    finally:
        svc.close()
    print(f"issuer {issuer.slug}: {issuer.did}")


def add_api_key(
    role: Annotated[str, typer.Argument(help="governor or institution")],
    issuer: Annotated[str | None, typer.Option("--issuer", help="issuer slug "
                      "(institution keys)")] = None,
    label: Annotated[str, typer.Option(help="what the key is for")] = "",
    data_dir: DataDir = None,
) -> None:
    """Print a new API key (shown once; only its hash is stored)."""
    if role not in ("governor", "institution"):
        raise ServiceCommandError("role must be governor or institution")
    svc = _with_service(data_dir)
    try:
        token = _run(lambda: create_api_key(svc, role, issuer, label))
    finally:
        svc.close()
    print(token)


def add_learner(
    login: Annotated[str, typer.Argument(help="the learning-account login")],
    identity_number: Annotated[str, typer.Option("--identity-number",
                               help="the number institutions issue to")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                        confirmation_prompt=True)],
    display_name: Annotated[str, typer.Option("--name")] = "",
    data_dir: DataDir = None,
) -> None:
    """Open a learning account."""
    if len(password) < 8:
        raise ServiceCommandError("a password needs at least 8 characters")
    svc = _with_service(data_dir)
    try:
        _run(lambda: open_learner_account(svc, login, identity_number, password, display_name))
    finally:
        svc.close()
    print(f"learning account {login} opened")


Guard = Callable[[Callable[..., object]], Callable[..., object]]


def mount(app: typer.Typer, guard: Guard) -> None:
    """Add `serve` and `service ...` to the credbank CLI; ``guard`` makes errors one line."""
    service_app = typer.Typer(help="Manage the service's issuers, API keys and learning "
                              "accounts from the machine it runs on.", no_args_is_help=True)
    service_app.command("issuer")(guard(add_issuer))
    service_app.command("api-key")(guard(add_api_key))
    service_app.command("learner")(guard(add_learner))
    app.add_typer(service_app, name="service")
    app.command("serve")(guard(serve))
