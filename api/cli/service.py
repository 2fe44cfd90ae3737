"""``credbank serve`` and ``credbank service ...``: run the API and bootstrap its first keys.

    credbank serve [--data-dir DIR] [--host H] [--port P]
    credbank service issuer SLUG --name NAME [--data-dir DIR]
    credbank service api-key governor|institution [--issuer SLUG] [--label L] [--data-dir DIR]
    credbank service learner LOGIN --identity-number N [--name NAME] [--data-dir DIR]

The commands call the service's own operations (``api.service.accounts``); a refusal there
(a ``ServiceError``) is printed like every other error (``api.cli.errors``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from api.cli.errors import CommandError
from api.service.accounts import create_api_key, open_learner_account, register_issuer
from api.service.context import Service
from api.service.settings import Settings

DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", help="the service's data directory (default: $CREDBANK_DATA_DIR)")]

app = typer.Typer(help="Manage the service's issuers, API keys and learning accounts from the "
                  "machine it runs on.", no_args_is_help=True)


def settings_for(data_dir: Path | None, **overrides: object) -> Settings:
    """The service's settings, with ``data_dir`` and the options given on the command line."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CommandError(f"setting {where}: {first['msg']}") from None


def serve(
    data_dir: DataDir = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Run the API and the pages (and the anchoring worker) until interrupted."""
    import uvicorn

    from api.web.app import create_app

    settings = settings_for(data_dir, host=host, port=port)
    web_app = create_app(settings)
    print(f"credbank service on http://{settings.host}:{settings.port} "
          f"(data: {settings.data_dir.resolve()})", file=sys.stderr)
    uvicorn.run(web_app, host=settings.host, port=settings.port, log_level="warning")


@app.command("issuer")
def add_issuer(
    slug: Annotated[str, typer.Argument(help="short name, e.g. open-university")],
    name: Annotated[str, typer.Option("--name", help="display name")],
    data_dir: DataDir = None,
) -> None:
    """Create an issuing identity in the service's data directory."""
    svc = Service.open(settings_for(data_dir))
    try:
        issuer = register_issuer(svc, slug, name)
    finally:
        svc.close()
    print(f"issuer {issuer.slug}: {issuer.did}")


@app.command("api-key")
def add_api_key(
    role: Annotated[str, typer.Argument(help="governor, institution, operator or employer")],
    issuer: Annotated[str | None, typer.Option("--issuer", help="issuer slug "
                      "(institution keys)")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="venue slug "
                     "(operator keys)")] = None,
    employer: Annotated[str | None, typer.Option("--employer", help="employer slug "
                        "(employer keys)")] = None,
    label: Annotated[str, typer.Option(help="what the key is for")] = "",
    data_dir: DataDir = None,
) -> None:
    """Print a new API key (shown once; only its hash is stored)."""
    if role not in ("governor", "institution", "operator", "employer"):
        raise CommandError("role must be governor, institution, operator or employer")
    svc = Service.open(settings_for(data_dir))
    try:
        token = create_api_key(svc, role, issuer, label, venue_slug=venue,
                               employer_slug=employer)
    finally:
        svc.close()
    print(token)


@app.command("learner")
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
        raise CommandError("a password needs at least 8 characters")
    svc = Service.open(settings_for(data_dir))
    try:
        open_learner_account(svc, login, identity_number, password, display_name)
    finally:
        svc.close()
    print(f"learning account {login} opened")
