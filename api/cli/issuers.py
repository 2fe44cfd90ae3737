"""``credbank issuer ...``: an institution's issuing identity, its keys and its place on chain.

    credbank issuer create --dir DIR --name NAME [--did DID]
    credbank issuer show --dir DIR
    credbank issuer rotate-key --dir DIR [--governor-key FILE]
    credbank issuer connect --dir DIR --chain chain.json       the institution's anchoring key
    credbank issuer accredit --dir DIR --chain chain.json --governor-key FILE

Private keys live in files (mode 0600) and are never printed or logged; addresses are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.shared import AsJson, ChainFile, GovernorKey, emit, err, timestamp, write_json
from ledger.chain_config import ChainConfig
from ledger.governance import accredit_issuer, connect, connect_issuer, rotate_key
from ledger.issuance import IssuerIdentity

app = typer.Typer(help="Create and inspect an institution's issuing identity.",
                  no_args_is_help=True)


@app.command("create")
def create(
    directory: Annotated[Path, typer.Option("--dir", help="where to keep the identity")],
    name: Annotated[str, typer.Option(help="display name, e.g. '上海开放大学'")],
    did: Annotated[str | None, typer.Option(help="institution DID (default: did:key)")] = None,
) -> None:
    """Create an issuing identity: an Ed25519 key (file mode 0600) and its DID."""
    identity = IssuerIdentity.create(directory, name, did=did)
    print(identity.did)
    err.print(f"issuer [bold]{identity.name}[/] created in {directory}")


@app.command("show")
def show(directory: Annotated[Path, typer.Option("--dir")]) -> None:
    """Print the issuer's public profile (never its private keys)."""
    identity = IssuerIdentity.load(directory)
    write_json(identity.trust_entry(), None)


@app.command("rotate-key")
def rotate(
    directory: Annotated[Path, typer.Option("--dir")],
    governor_key: Annotated[Path | None, typer.Option(
        help="a governor's key file: registers the rotation when the issuer is on chain")] = None,
) -> None:
    """Start signing with a new key; earlier keys stay valid for what they signed."""
    identity = IssuerIdentity.load(directory)
    print(rotate_key(identity, governor_key))


@app.command("connect")
def connect_command(
    directory: Annotated[Path, typer.Option("--dir", help="issuer directory")],
    chain: ChainFile,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", help="this institution's node, if not the chain file's")] = None,
) -> None:
    """Create the issuer's anchoring account (key file 0600 in the issuer directory) and
    record the chain; prints the account address for the authority to accredit."""
    identity = IssuerIdentity.load(directory)
    print(connect_issuer(identity, ChainConfig.read(chain), rpc))


@app.command("accredit")
def accredit(
    directory: Annotated[Path, typer.Option("--dir", help="issuer directory")],
    chain: ChainFile,
    governor_key: GovernorKey,
    valid_from: Annotated[str | None, typer.Option(
        help="start of accreditation (default: the issuer's creation)")] = None,
    valid_until: Annotated[str | None, typer.Option(
        help="end of accreditation, exclusive (default: open-ended)")] = None,
    as_json: AsJson = False,
) -> None:
    """Governor: accredit the issuer with its name, window, current key and anchoring account.

    Each step is skipped when already on chain, so a run cut short can be repeated.
    """
    identity = IssuerIdentity.load(directory)
    config = ChainConfig.read(chain)
    client = connect(config, governor_key)
    summary = accredit_issuer(identity, client, config,
                              valid_from=timestamp(valid_from, "--valid-from"),
                              valid_until=timestamp(valid_until, "--valid-until"))
    steps = summary["steps"]
    emit(summary, f"{identity.name} ({identity.did}) accredited on chain {client.chain_id}: "
         f"{', '.join(steps) or 'already complete'}; anchoring account "
         f"{summary['anchoringAccount']}", as_json)
