"""``credbank chain ...``: deploy and govern the credential registry.

    credbank chain new-key --out FILE            an Ethereum account key (0600); prints its address
    credbank chain deploy --rpc URL --governor-key FILE [--governor ADDR...] [--out chain.json]
    credbank chain suspend-issuer|reinstate-issuer|retire-issuer --chain F --governor-key K DID
    credbank chain set-window DID --valid-from T [--valid-until T] --chain F --governor-key K
    credbank chain propose-governor ADDR [--remove] --chain F --governor-key K
    credbank chain approve-governor PROPOSAL_ID --chain F --governor-key K

Private keys live in files (mode 0600) and are never printed or logged; addresses are.
Refusals by the registry exit 2 with the custom error's name and a plain reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from eth_utils import is_address

from api.cli.shared import AsJson, ChainFile, GovernorKey, emit, timestamp
from ledger import RegistryClient, create_account_key
from ledger.chain_config import ChainConfig
from ledger.errors import InputError
from ledger.governance import (
    change_issuer_status,
    connect,
    deploy_registry,
    governor_addresses,
    load_private_key,
)

app = typer.Typer(help="Deploy and govern the credential registry on a chain.",
                  no_args_is_help=True)


@app.command("new-key")
def new_key(out: Annotated[Path, typer.Option("--out", "-o", help="key file to create")]) -> None:
    """Create an Ethereum account key file (mode 0600) and print the account's address."""
    try:
        account = create_account_key(out)
    except FileExistsError:
        raise InputError(f"{out} already exists; a key file is never overwritten") from None
    print(account.address)


@app.command("deploy")
def deploy(
    rpc: Annotated[str, typer.Option("--rpc", help="JSON-RPC URL of any node of the chain")],
    governor_key: GovernorKey,
    governors: Annotated[list[str] | None, typer.Option(
        "--governor", help="initial governor address (repeatable; default: the deployer)")] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="chain file to write")] = Path(
        "chain.json"),
    as_json: AsJson = False,
) -> None:
    """Deploy a CredentialRegistry and write the chain file (chain id, registry address)."""
    account = load_private_key(governor_key)
    members = governor_addresses(governors or [account.address])
    if out.exists():
        raise InputError(f"{out} already exists")
    config = deploy_registry(rpc, account, members)
    config.write(out)
    emit(config.to_json(), f"registry {config.registry} on chain {config.chain_id}; written "
         f"to {out}", as_json)


def _issuer_status_command(action: str) -> Callable[..., None]:
    def command(
        did: Annotated[str, typer.Argument(help="the issuer's DID")],
        chain: ChainFile,
        governor_key: GovernorKey,
    ) -> None:
        client = connect(ChainConfig.read(chain), governor_key)
        result = change_issuer_status(client, did, action)
        print(f"{action} {did}: transaction {result.transaction_hash} in block "
              f"{result.block_number}")

    command.__doc__ = f"Governor: {action} an issuer on the registry."
    command.__name__ = f"{action}_issuer"
    return command


for _action in ("suspend", "reinstate", "retire"):
    app.command(f"{_action}-issuer")(_issuer_status_command(_action))


@app.command("set-window")
def set_window(
    did: Annotated[str, typer.Argument(help="the issuer's DID")],
    chain: ChainFile,
    governor_key: GovernorKey,
    valid_from: Annotated[str, typer.Option(help="start of accreditation")],
    valid_until: Annotated[str | None, typer.Option(
        help="end of accreditation, exclusive (default: open-ended)")] = None,
) -> None:
    """Governor: replace an issuer's accreditation window (a renewal or an early end)."""
    start = timestamp(valid_from, "--valid-from") or 0
    end = timestamp(valid_until, "--valid-until") or 0
    client = connect(ChainConfig.read(chain), governor_key)
    result = client.set_accreditation_window(did, start, end)
    print(f"window of {did} set: transaction {result.transaction_hash} in block "
          f"{result.block_number}")


@app.command("propose-governor")
def propose_governor(
    account: Annotated[str, typer.Argument(help="address to add (or remove with --remove)")],
    chain: ChainFile,
    governor_key: GovernorKey,
    remove: Annotated[bool, typer.Option("--remove", help="propose removing it")] = False,
    as_json: AsJson = False,
) -> None:
    """Governor: propose adding or removing a governor (your approval counts at once)."""
    if not is_address(account):
        raise InputError(f"{account!r} is not an Ethereum address")
    client = connect(ChainConfig.read(chain), governor_key)
    result, proposal_id = client.propose_governor_change(account, add=not remove)
    _report_proposal(client, proposal_id, result.transaction_hash, as_json)


@app.command("approve-governor")
def approve_governor(
    proposal_id: Annotated[int, typer.Argument(help="proposal id from propose-governor")],
    chain: ChainFile,
    governor_key: GovernorKey,
    as_json: AsJson = False,
) -> None:
    """Governor: approve a governor change; a majority of the governors executes it."""
    client = connect(ChainConfig.read(chain), governor_key)
    result = client.approve_governor_change(proposal_id)
    _report_proposal(client, proposal_id, result.transaction_hash, as_json)


def _report_proposal(client: RegistryClient, proposal_id: int, transaction_hash: str,
                     as_json: bool) -> None:
    proposal = client.governor_proposal(proposal_id)
    change = "add" if proposal.add else "remove"
    summary = {"proposalId": proposal_id, "account": proposal.account, "change": change,
               "approvals": proposal.approvals, "executed": proposal.executed,
               "transactionHash": transaction_hash}
    state = ("executed" if proposal.executed else
             f"{proposal.approvals} of {client.approvals_required()} approvals")
    emit(summary, f"proposal {proposal_id} ({change} {proposal.account}): {state}", as_json)
