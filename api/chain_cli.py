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
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ledger import (
    RegistryClient,
    Web3RegistryClient,
    anchor_batch,
    anchor_credential,
    create_account_key,
    load_account_key,
)
from ledger.anchoring import read_manifest
from ledger.client import key_file_is_private
from ledger.issuance import InputError, IssuerIdentity
from ledger.issuance.issuer import KEY_DIR, KeyRecord
from verifier import jsonio, keys, registry_layout, timefmt
from verifier.errors import CredentialFormatError
from verifier.proofs import ledger_proof

CHAIN_FILE_TYPE = "CredbankChain"
ANCHORING_KEY_FILE = f"{KEY_DIR}/anchoring-account.key"
MAX_REASON = 255
ROTATION_CLOCK_WAIT_S = 3.0

err = Console(stderr=True)
Guard = Callable[[Callable[..., Any]], Callable[..., Any]]

ChainFile = Annotated[Path, typer.Option("--chain", help="chain file written by chain deploy")]
GovernorKey = Annotated[Path, typer.Option("--governor-key",
                        help="file holding a governor's Ethereum private key (hex)")]
IssuerDir = Annotated[Path, typer.Option("--issuer", "-i", help="issuer directory")]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output")]


# ---- configuration ---------------------------------------------------------------------


def read_chain_file(path: Path) -> dict[str, Any]:
    try:
        config = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no chain file at {path} (run: credbank chain deploy)") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {path}: {exc}") from None
    if not isinstance(config, dict) or config.get("type") != CHAIN_FILE_TYPE:
        raise InputError(f"{path} is not a credbank chain file")
    for field, kind in (("rpcUrl", str), ("chainId", int), ("registry", str)):
        if not isinstance(config.get(field), kind):
            raise InputError(f"{path}: {field} is missing")
    return config


def write_chain_file(config: dict[str, Any], path: Path) -> None:
    """Write a chain file (``deploy_registry``'s result) at once, never half written."""
    _write_json(config, path)


def _private_key(path: Path) -> LocalAccount:
    # Like ssh with an identity file: a key others can read may already be someone else's.
    key = load_account_key(path)
    if not key_file_is_private(path):
        raise InputError(f"key file {path} is readable by others; run: chmod 600 {path}")
    return key


def _connect(rpc_url: str, registry: str, chain_id: int | None, key_file: Path | None,
             ) -> Web3RegistryClient:
    account = _private_key(key_file) if key_file is not None else None
    client = Web3RegistryClient(rpc_url, registry, account)
    if chain_id is not None and client.chain_id != chain_id:
        raise InputError(
            f"the node answers for chain {client.chain_id}, but the registry is on chain {chain_id}"
        )
    return client


def governor_client(chain_file: Path, governor_key: Path) -> Web3RegistryClient:
    config = read_chain_file(chain_file)
    return _connect(config["rpcUrl"], config["registry"], config["chainId"], governor_key)


def chain_client(config: dict[str, Any], key_file: Path | None) -> Web3RegistryClient:
    """The registry of a chain configuration (``rpcUrl``, ``registry``, ``chainId`` when
    known), as the account of ``key_file`` (None: read-only)."""
    return _connect(config["rpcUrl"], config["registry"], config.get("chainId"), key_file)


def status_registry(identity: IssuerIdentity) -> str | None:
    """The credentials' statusRegistry (CAIP-10, docs/format.md §2.4) once on a chain."""
    chain = identity.chain
    if not chain:
        return None
    return f"eip155:{chain['chainId']}:{chain['registry']}"


def issuer_client(identity: IssuerIdentity) -> Web3RegistryClient:
    """The registry as the issuer's anchoring account sees it."""
    chain = identity.chain
    if not chain:
        raise InputError(
            f"issuer {identity.name} has no chain (run: credbank issuer accredit)"
        )
    return _connect(chain["rpcUrl"], chain["registry"], chain["chainId"],
                    identity.directory / chain["anchoringKeyFile"])


def _timestamp(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return int(timefmt.parse(value, option).timestamp())
    except CredentialFormatError:
        raise InputError(f"{option} must be a dateTime like 2026-09-01T00:00:00Z") from None


def _seconds(text: str) -> int:
    return int(timefmt.parse(text, "time").timestamp())


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
    account = _private_key(governor_key)
    members = _governor_addresses(governors or [account.address])
    if out.exists():
        raise InputError(f"{out} already exists")
    config = deploy_registry(rpc, account, members)
    write_chain_file(config, out)
    _emit(config, f"registry {config['registry']} on chain {config['chainId']}; written to {out}",
          as_json)


def deploy_registry(rpc: str, account: LocalAccount, governors: list[str] | None = None,
                    ) -> dict[str, Any]:
    """Deploy a CredentialRegistry from ``account``; the chain file's content.

    The initial governors default to ``account`` alone.
    """
    checksummed = _governor_addresses(governors or [account.address])
    client = Web3RegistryClient.deploy(rpc, account, checksummed)
    return {
        "type": CHAIN_FILE_TYPE,
        "version": 1,
        "rpcUrl": rpc,
        "chainId": client.chain_id,
        "registry": client.registry,
        "governors": checksummed,
        "deployedBy": account.address,
    }


def _governor_addresses(members: list[str]) -> list[str]:
    for member in members:
        if not is_address(member):
            raise InputError(f"--governor {member!r} is not an Ethereum address")
    return [to_checksum_address(m) for m in members]


def _issuer_status_command(action: str) -> Callable[..., None]:
    def command(
        did: Annotated[str, typer.Argument(help="the issuer's DID")],
        chain: ChainFile,
        governor_key: GovernorKey,
    ) -> None:
        client = governor_client(chain, governor_key)
        result = getattr(client, f"{action}_issuer")(did)
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
    client = governor_client(chain, governor_key)
    result, proposal_id = client.propose_governor_change(account, add=not remove)
    _report_proposal(client, proposal_id, result.transaction_hash, as_json)


def approve_governor(
    proposal_id: Annotated[int, typer.Argument(help="proposal id from propose-governor")],
    chain: ChainFile,
    governor_key: GovernorKey,
    as_json: AsJson = False,
) -> None:
    """Governor: approve a governor change; a majority of the governors executes it."""
    client = governor_client(chain, governor_key)
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
    result = governor_client(chain, governor_key).set_accreditation_window(did, start, end)
    print(f"window of {did} set: transaction {result.transaction_hash} in block "
          f"{result.block_number}")


# ---- credbank issuer connect | accredit | rotate-key ---------------------------------------


def connect_issuer(identity: IssuerIdentity, config: dict[str, Any], rpc: str | None) -> str:
    """Give the issuer an anchoring account on the chain of ``config``; its address."""
    existing = identity.chain
    key_path = identity.directory / ANCHORING_KEY_FILE
    if existing and (existing["registry"] != config["registry"]
                     or existing["chainId"] != config["chainId"]):
        raise InputError(
            f"issuer {identity.name} already anchors on registry {existing['registry']} "
            f"of chain {existing['chainId']}"
        )
    account = _private_key(key_path) if key_path.exists() else create_account_key(key_path)
    identity.set_chain({
        "rpcUrl": rpc or (existing or {}).get("rpcUrl") or config["rpcUrl"],
        "chainId": config["chainId"],
        "registry": config["registry"],
        "anchoringKeyFile": ANCHORING_KEY_FILE,
        "anchoringAccount": account.address,
    })
    return account.address


def issuer_connect(
    directory: Annotated[Path, typer.Option("--dir", help="issuer directory")],
    chain: ChainFile,
    rpc: Annotated[str | None, typer.Option(
        "--rpc", help="this institution's node, if not the chain file's")] = None,
) -> None:
    """Create the issuer's anchoring account (key file 0600 in the issuer directory) and
    record the chain; prints the account address for the authority to accredit."""
    identity = IssuerIdentity.load(directory)
    print(connect_issuer(identity, read_chain_file(chain), rpc))


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
    config = read_chain_file(chain)
    client = governor_client(chain, governor_key)
    summary = accredit_issuer(identity, client, config,
                              valid_from=_timestamp(valid_from, "--valid-from"),
                              valid_until=_timestamp(valid_until, "--valid-until"))
    steps = summary["steps"]
    _emit(summary, f"{identity.name} ({identity.did}) accredited on chain {client.chain_id}: "
          f"{', '.join(steps) or 'already complete'}; anchoring account "
          f"{summary['anchoringAccount']}", as_json)


def accredit_issuer(identity: IssuerIdentity, client: RegistryClient, config: dict[str, Any],
                    *, valid_from: int | None = None, valid_until: int | None = None,
                    ) -> dict[str, Any]:
    """Accredit the issuer with its name, window, current key and anchoring account, as the
    governor ``client`` acts for; the summary (``steps`` lists what was sent).

    An issuer not yet connected to the chain of ``config`` is connected first (its
    anchoring key is created in its directory). Each step is skipped when the chain already
    shows it, so a run cut short can be repeated. Times are unix seconds; ``valid_until``
    None or 0 is open-ended.
    """
    account = _anchoring_account(identity, config)
    start = valid_from
    if start is None:
        # From the issuer's creation, but never after the chain's own clock: validators'
        # clocks may lag this machine's, and the issuer must be able to anchor at once.
        start = min(_seconds(identity.trust_entry()["validFrom"]),
                    client.latest_block_timestamp())
    end = valid_until or 0
    did = identity.did
    steps: list[str] = []
    if not client.issuer(did).accredited:
        client.accredit(did, identity.name, start, end)
        steps.append("accredited")
    record = _current_key(identity)
    public_key = keys.decode_public_key_multibase(record.public_key_multibase)
    if not client.issuer_key(did, public_key).registered:
        client.add_key(did, public_key, _seconds(record.valid_from),
                       _seconds(record.valid_until) if record.valid_until else 0)
        steps.append("key registered")
    bound = client.account_issuer(account).issuer_id
    if bound != registry_layout.issuer_id(did):
        client.authorize_account(did, account)
        steps.append("account authorized")
    return {"issuer": did, "registry": client.registry, "chainId": client.chain_id,
            "anchoringAccount": account, "steps": steps}


def _anchoring_account(identity: IssuerIdentity, config: dict[str, Any]) -> str:
    # A directory already connected names its account: use that address and touch no key,
    # so an authority can accredit from a copy of issuer.json that holds no key files.
    chain = identity.chain
    if chain and chain.get("anchoringAccount"):
        if chain.get("registry") != config["registry"] or chain.get("chainId") != config[
                "chainId"]:
            raise InputError(f"issuer {identity.name} is connected to registry "
                             f"{chain.get('registry')} of chain {chain.get('chainId')}")
        return to_checksum_address(chain["anchoringAccount"])
    return connect_issuer(identity, config, None)


def _current_key(identity: IssuerIdentity) -> KeyRecord:
    """The newest key usable now, from the public profile (no private key is read)."""
    moment = timefmt.now()
    for record in reversed(identity.key_records):
        if record.usable_at(moment):
            return record
    raise InputError(f"issuer {identity.name} has no key valid now")


def rotate_key(identity: IssuerIdentity, governor_key: Path | None) -> str:
    """Rotate the issuer's key; on chain too when the issuer has one. Returns the new DID."""
    chain = identity.chain
    if not chain:
        return identity.rotate_key().did
    if governor_key is None:
        raise InputError(
            f"issuer {identity.name} is on chain {chain['chainId']}: the rotation must be "
            "registered by a governor (--governor-key FILE)"
        )
    client = _connect(chain["rpcUrl"], chain["registry"], chain["chainId"], governor_key)
    # The old key stays valid until the rotation second, exclusive. A batch anchored in that
    # same second would be judged at a time the old key no longer covers, so let the clock
    # pass the latest block first (bounded: a validator clock far ahead is not waited for).
    deadline = time.monotonic() + ROTATION_CLOCK_WAIT_S
    while int(time.time()) <= client.latest_block_timestamp() and time.monotonic() < deadline:
        time.sleep(0.05)

    def register(previous: bytes, new: bytes, at: datetime) -> None:
        client.rotate_key(identity.did, previous, new, int(at.timestamp()))

    return identity.rotate_key(register=register).did


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
        _write_json(credential, batch)
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


def _write_json(data: Any, out: Path) -> None:
    """Replace ``out`` with the JSON text at once (a rename), so it is never half written."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(out)


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
