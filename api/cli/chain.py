"""The chain commands of ``credbank``: deploy and govern the registry, anchor, change status.

    credbank chain new-key --out FILE            an Ethereum account key (0600); prints its address
    credbank chain deploy --rpc URL --governor-key FILE [--governor ADDR...] [--out chain.json]
    credbank chain suspend-issuer|reinstate-issuer|retire-issuer --chain F --governor-key K DID
    credbank chain set-window DID --valid-from T [--valid-until T] --chain F --governor-key K
    credbank chain propose-governor ADDR [--remove] --chain F --governor-key K
    credbank chain approve-governor PROPOSAL_ID --chain F --governor-key K
    credbank issuer connect --dir DIR --chain chain.json       the institution's anchoring key
    credbank issuer accredit --dir DIR --chain chain.json --governor-key FILE
    credbank anchor --issuer DIR BATCH
    credbank revoke|suspend|reinstate --issuer DIR (CREDENTIAL_FILE... | --index N...)
    credbank revoke-batch --issuer DIR BATCH

Private keys live in files (mode 0600) and are never printed or logged; addresses are.
Refusals by the registry exit 2 with the custom error's name and a plain reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_utils import is_address
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ledger import RegistryClient, anchor_batch, anchor_credential, create_account_key
from ledger.anchoring import read_manifest
from ledger.chain_config import ChainConfig
from ledger.errors import InputError
from ledger.files import write_atomic
from ledger.governance import (
    MAX_REASON,
    accredit_issuer,
    change_issuer_status,
    connect,
    connect_issuer,
    deploy_registry,
    governor_addresses,
    issuer_client,
    load_private_key,
    status_registry,
)
from ledger.issuance import IssuerIdentity
from verifier import jsonio, timefmt
from verifier.errors import CredentialFormatError
from verifier.proofs import ledger_proof

err = Console(stderr=True)
Guard = Callable[[Callable[..., Any]], Callable[..., Any]]

ChainFile = Annotated[Path, typer.Option("--chain", help="chain file written by chain deploy")]
GovernorKey = Annotated[Path, typer.Option("--governor-key",
                        help="file holding a governor's Ethereum private key (hex)")]
IssuerDir = Annotated[Path, typer.Option("--issuer", "-i", help="issuer directory")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _timestamp(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return int(timefmt.parse(value, option).timestamp())
    except CredentialFormatError:
        raise InputError(f"{option} must be a dateTime like 2026-09-01T00:00:00Z") from None


def _emit(summary: dict[str, Any], line: str, as_json: bool) -> None:
    print(json.dumps(summary, ensure_ascii=False) if as_json else line)


# ---- credbank chain ... ------------------------------------------------------------------


def new_key(out: Annotated[Path, typer.Option("--out", "-o", help="key file to create")]) -> None:
    """Create an Ethereum account key file (mode 0600) and print the account's address."""
    try:
        account = create_account_key(out)
    except FileExistsError:
        raise InputError(f"{out} already exists; a key file is never overwritten") from None
    print(account.address)


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
    _emit(config.to_json(), f"registry {config.registry} on chain {config.chain_id}; written "
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
    _emit(summary, f"proposal {proposal_id} ({change} {proposal.account}): {state}", as_json)


def set_window(
    did: Annotated[str, typer.Argument(help="the issuer's DID")],
    chain: ChainFile,
    governor_key: GovernorKey,
    valid_from: Annotated[str, typer.Option(help="start of accreditation")],
    valid_until: Annotated[str | None, typer.Option(
        help="end of accreditation, exclusive (default: open-ended)")] = None,
) -> None:
    """Governor: replace an issuer's accreditation window (a renewal or an early end)."""
    start = _timestamp(valid_from, "--valid-from") or 0
    end = _timestamp(valid_until, "--valid-until") or 0
    client = connect(ChainConfig.read(chain), governor_key)
    result = client.set_accreditation_window(did, start, end)
    print(f"window of {did} set: transaction {result.transaction_hash} in block "
          f"{result.block_number}")


# ---- credbank issuer connect | accredit | rotate-key ---------------------------------------


def issuer_connect(
    directory: Annotated[Path, typer.Option("--dir", help="issuer directory")],
    chain: ChainFile,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", help="this institution's node, if not the chain file's")] = None,
) -> None:
    """Create the issuer's anchoring account (key file 0600 in the issuer directory) and
    record the chain; prints the account address for the authority to accredit."""
    identity = IssuerIdentity.load(directory)
    print(connect_issuer(identity, ChainConfig.read(chain), rpc))


def issuer_accredit(
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
                              valid_from=_timestamp(valid_from, "--valid-from"),
                              valid_until=_timestamp(valid_until, "--valid-until"))
    steps = summary["steps"]
    _emit(summary, f"{identity.name} ({identity.did}) accredited on chain {client.chain_id}: "
          f"{', '.join(steps) or 'already complete'}; anchoring account "
          f"{summary['anchoringAccount']}", as_json)


# ---- credbank anchor | revoke | suspend | reinstate ----------------------------------------


def _progress() -> Progress:
    return Progress(TextColumn("anchoring"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True)


def anchor_issued(identity: IssuerIdentity, target: Path | dict[str, Any]) -> dict[str, Any]:
    """Anchor a batch (directory or .jsonl path) or a lone credential (dict, updated)."""
    client = issuer_client(identity)
    if isinstance(target, dict):
        anchor_credential(client, target)
        return target
    total = read_manifest(target).get("count")
    with _progress() as progress:
        task = progress.add_task("anchor", total=total)
        anchored = anchor_batch(client, target,
                                on_progress=lambda n: progress.update(task, completed=n))
    return {**anchored.anchor.anchor_members(), "count": anchored.count,
            "resumed": anchored.resumed}


def anchor(
    issuer: IssuerDir,
    batch: Annotated[Path, typer.Argument(
        help="batch directory, .jsonl batch, or one credential .json issued alone")],
    as_json: AsJson = False,
) -> None:
    """Anchor a batch issued with --no-anchor (or whose anchoring was cut short)."""
    identity = IssuerIdentity.load(issuer)
    if batch.is_file() and batch.suffix.lower() == ".json":
        credential = jsonio.load_path(batch)
        if not isinstance(credential, dict):
            raise InputError(f"{batch} is not a credential")
        anchor_issued(identity, credential)
        write_atomic(batch, json.dumps(credential, ensure_ascii=False, indent=2) + "\n")
        members = _ledger_anchor(credential)
        _emit(members, f"anchored {batch} in transaction {members['transactionHash']}",
              as_json)
        return
    if not batch.exists():
        raise InputError(f"{batch} does not exist")
    summary = anchor_issued(identity, batch)
    line = (f"{summary['count']} credentials of {batch} anchored in transaction "
            f"{summary['transactionHash']} (block {summary['blockNumber']})")
    _emit(summary, line + (" — it was already on chain" if summary["resumed"] else ""), as_json)


def _ledger_anchor(credential: dict[str, Any]) -> dict[str, Any]:
    for proof in credential.get("proof", []):
        if isinstance(proof, dict) and proof.get("type") == ledger_proof.TYPE:
            return proof.get("anchor") or {}
    raise InputError("the credential has no ledger proof")


def _status_indices(identity: IssuerIdentity, files: list[Path], indices: list[int]
                    ) -> list[int]:
    if bool(files) == bool(indices):
        raise InputError("give credential files or --index, not both and not neither")
    if indices:
        if any(i < 0 or i >= 2**64 for i in indices):
            raise InputError("a status index is between 0 and 2^64-1")
        return list(dict.fromkeys(indices))
    expected_registry = status_registry(identity)
    found: list[int] = []
    for path in files:
        credential = jsonio.load_path(path)
        status = credential.get("credentialStatus") if isinstance(credential, dict) else None
        if not isinstance(status, dict) or not str(status.get("statusIndex", "")).isdigit():
            raise InputError(f"{path} has no credentialStatus with a statusIndex")
        if status.get("statusIssuer") != identity.did:
            raise InputError(f"{path} was issued by {status.get('statusIssuer')}, "
                                   f"not by {identity.did}")
        named = status.get("statusRegistry")
        if named is not None and named != expected_registry:
            raise InputError(f"{path} keeps its status in {named}, not in "
                                   f"{expected_registry}")
        found.append(int(status["statusIndex"]))
    return list(dict.fromkeys(found))


def _status_command(action: str, verb: str) -> Callable[..., None]:
    def command(
        issuer: IssuerDir,
        credentials: Annotated[list[Path] | None, typer.Argument(
            help="credential files (.json) of this issuer")] = None,
        index: Annotated[list[int] | None, typer.Option(
            "--index", help="status index (repeatable)")] = None,
        reason: Annotated[int, typer.Option(
            help="reason code 0-255 (docs/contracts.md: 0 unspecified, 1 issued in error, "
                 "2 superseded, 3 misconduct, 4 key compromised, 5 learner's request, "
                 "7 under review)")] = 0,
        as_json: AsJson = False,
    ) -> None:
        if not 0 <= reason <= MAX_REASON:
            raise InputError("--reason must be between 0 and 255")
        identity = IssuerIdentity.load(issuer)
        indices = _status_indices(identity, credentials or [], index or [])
        client = issuer_client(identity)
        result = getattr(client, action)(indices, reason)
        summary = {"action": action, "issuer": identity.did, "statusIndices": sorted(indices),
                   "reason": reason, "transactionHash": result.transaction_hash,
                   "blockNumber": result.block_number}
        _emit(summary, f"{verb} {len(indices)} credential(s) of {identity.name} in "
              f"transaction {result.transaction_hash} (block {result.block_number})", as_json)

    command.__doc__ = (f"{action.capitalize()} credentials of the issuer on chain, all in "
                       "one transaction.")
    command.__name__ = action
    return command


def revoke_batch(
    issuer: IssuerDir,
    batch: Annotated[Path, typer.Argument(help="batch directory or .jsonl batch")],
    reason: Annotated[int, typer.Option(help="reason code 0-255")] = 0,
    as_json: AsJson = False,
) -> None:
    """Revoke every credential of an anchored batch in one transaction."""
    if not 0 <= reason <= MAX_REASON:
        raise InputError("--reason must be between 0 and 255")
    identity = IssuerIdentity.load(issuer)
    manifest = read_manifest(batch)
    if manifest.get("issuer") != identity.did:
        raise InputError(f"{batch} was issued by {manifest.get('issuer')}, not {identity.did}")
    root = ledger_proof.unhex32(manifest.get("batchRoot"), "batchRoot")
    result = issuer_client(identity).revoke_batch(root, reason)
    summary = {"action": "revoke-batch", "batchRoot": manifest["batchRoot"],
               "count": manifest.get("count"), "reason": reason,
               "transactionHash": result.transaction_hash, "blockNumber": result.block_number}
    _emit(summary, f"revoked batch {manifest['batchRoot']} ({manifest.get('count')} "
          f"credentials) in transaction {result.transaction_hash}", as_json)


def mount(app: typer.Typer, issuer_app: typer.Typer, guard: Guard) -> None:
    """Add the chain commands to the credbank CLI; ``guard`` turns errors into one line."""
    chain_app = typer.Typer(help="Deploy and govern the credential registry on a chain.",
                            no_args_is_help=True)
    chain_app.command("new-key")(guard(new_key))
    chain_app.command("deploy")(guard(deploy))
    for action in ("suspend", "reinstate", "retire"):
        chain_app.command(f"{action}-issuer")(guard(_issuer_status_command(action)))
    chain_app.command("set-window")(guard(set_window))
    chain_app.command("propose-governor")(guard(propose_governor))
    chain_app.command("approve-governor")(guard(approve_governor))
    app.add_typer(chain_app, name="chain")
    issuer_app.command("connect")(guard(issuer_connect))
    issuer_app.command("accredit")(guard(issuer_accredit))
    app.command("anchor")(guard(anchor))
    for action, verb in (("revoke", "revoked"), ("suspend", "suspended"),
                         ("reinstate", "reinstated")):
        app.command(action)(guard(_status_command(action, verb)))
    app.command("revoke-batch")(guard(revoke_batch))
