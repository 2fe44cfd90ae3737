"""Governing the registry: deploy it, connect and accredit issuers, rotate keys, change an
issuer's status. The command line and the service both act through these functions.

Private keys stay in files (mode 0600); errors name files and addresses, never keys. A bad
argument or file is an :class:`~ledger.errors.InputError`; the chain's refusals and
failures are :class:`~ledger.errors.ChainError`.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from eth_account.signers.local import LocalAccount
from eth_utils import is_address, to_checksum_address

from verifier import keys, registry_layout, timefmt

from .chain_config import ChainConfig
from .client import (
    RegistryClient,
    TransactionResult,
    create_account_key,
    key_file_is_private,
    load_account_key,
)
from .errors import ConfigurationError, InputError
from .issuance.issuer import KEY_DIR, IssuerIdentity, KeyRecord
from .web3_client import Web3RegistryClient

ANCHORING_KEY_FILE = f"{KEY_DIR}/anchoring-account.key"
MAX_REASON = 255  # reason codes are one byte (docs/contracts.md)
ROTATION_CLOCK_WAIT_S = 3.0
IssuerAction = Literal["suspend", "reinstate", "retire"]


# ---- keys and clients ------------------------------------------------------------------


def load_private_key(path: Path) -> LocalAccount:
    """The account of a key file that only its owner can read."""
    # Like ssh with an identity file: a key others can read may already be someone else's.
    key = load_account_key(path)
    if not key_file_is_private(path):
        raise ConfigurationError(f"key file {path} is readable by others; run: chmod 600 "
                                 f"{path}")
    return key


def connect(config: ChainConfig, key_file: Path | None) -> Web3RegistryClient:
    """The registry of ``config`` as the account of ``key_file`` (None: read-only); the
    node must answer for the configuration's chain when it names one."""
    account = load_private_key(key_file) if key_file is not None else None
    client = Web3RegistryClient(config.rpc_url, config.registry, account)
    if config.chain_id is not None and client.chain_id != config.chain_id:
        raise ConfigurationError(f"the node answers for chain {client.chain_id}, but the "
                                 f"registry is on chain {config.chain_id}")
    return client


def issuer_chain(identity: IssuerIdentity) -> ChainConfig | None:
    """The chain the issuer anchors on (its own node's URL), None before it is connected."""
    chain = identity.chain
    if not chain:
        return None
    return ChainConfig(rpc_url=chain["rpcUrl"], registry=chain["registry"],
                       chain_id=chain["chainId"])


def status_registry(identity: IssuerIdentity) -> str | None:
    """The credentials' statusRegistry (CAIP-10, docs/format.md §2.4) once on a chain."""
    config = issuer_chain(identity)
    return config.status_registry if config else None


def issuer_client(identity: IssuerIdentity) -> Web3RegistryClient:
    """The registry as the issuer's anchoring account sees it."""
    config = issuer_chain(identity)
    if config is None:
        raise InputError(f"issuer {identity.name} has no chain (run: credbank issuer accredit)")
    return connect(config, identity.directory / identity.chain["anchoringKeyFile"])


# ---- the registry ----------------------------------------------------------------------


def governor_addresses(members: list[str]) -> list[str]:
    for member in members:
        if not is_address(member):
            raise InputError(f"--governor {member!r} is not an Ethereum address")
    return [to_checksum_address(m) for m in members]


def deploy_registry(rpc: str, account: LocalAccount, governors: list[str] | None = None,
                    ) -> ChainConfig:
    """Deploy a CredentialRegistry from ``account``; the governors default to it alone."""
    checksummed = governor_addresses(governors or [account.address])
    client = Web3RegistryClient.deploy(rpc, account, checksummed)
    return ChainConfig(rpc_url=rpc, registry=client.registry, chain_id=client.chain_id,
                       governors=tuple(checksummed), deployed_by=account.address)


# ---- issuers -----------------------------------------------------------------------------


def connect_issuer(identity: IssuerIdentity, config: ChainConfig, rpc: str | None) -> str:
    """Give the issuer an anchoring account on the chain of ``config``; its address."""
    existing = identity.chain
    key_path = identity.directory / ANCHORING_KEY_FILE
    if existing and not config.same_registry(existing["chainId"], existing["registry"]):
        raise InputError(f"issuer {identity.name} already anchors on registry "
                         f"{existing['registry']} of chain {existing['chainId']}")
    account = load_private_key(key_path) if key_path.exists() else create_account_key(key_path)
    identity.set_chain({
        "rpcUrl": rpc or (existing or {}).get("rpcUrl") or config.rpc_url,
        "chainId": config.chain_id,
        "registry": config.registry,
        "anchoringKeyFile": ANCHORING_KEY_FILE,
        "anchoringAccount": account.address,
    })
    return account.address


def accredit_issuer(identity: IssuerIdentity, client: RegistryClient, config: ChainConfig,
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
    record = current_key(identity)
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


def _anchoring_account(identity: IssuerIdentity, config: ChainConfig) -> str:
    # A directory already connected names its account: use that address and touch no key,
    # so an authority can accredit from a copy of issuer.json that holds no key files.
    chain = identity.chain
    if chain and chain.get("anchoringAccount"):
        if not config.same_registry(chain.get("chainId"), chain.get("registry")):
            raise InputError(f"issuer {identity.name} is connected to registry "
                             f"{chain.get('registry')} of chain {chain.get('chainId')}")
        return to_checksum_address(chain["anchoringAccount"])
    return connect_issuer(identity, config, None)


def current_key(identity: IssuerIdentity) -> KeyRecord:
    """The newest key usable now, from the public profile (no private key is read)."""
    moment = timefmt.now()
    for record in reversed(identity.key_records):
        if record.usable_at(moment):
            return record
    raise InputError(f"issuer {identity.name} has no key valid now")


def rotate_key(identity: IssuerIdentity, governor_key: Path | None) -> str:
    """Rotate the issuer's key; on chain too when the issuer has one. Returns the new DID."""
    config = issuer_chain(identity)
    if config is None:
        return identity.rotate_key().did
    if governor_key is None:
        raise InputError(f"issuer {identity.name} is on chain {config.chain_id}: the rotation "
                         "must be registered by a governor (--governor-key FILE)")
    client = connect(config, governor_key)
    # The old key stays valid until the rotation second, exclusive. A batch anchored in that
    # same second would be judged at a time the old key no longer covers, so let the clock
    # pass the latest block first (bounded: a validator clock far ahead is not waited for).
    deadline = time.monotonic() + ROTATION_CLOCK_WAIT_S
    while int(time.time()) <= client.latest_block_timestamp() and time.monotonic() < deadline:
        time.sleep(0.05)

    def register(previous: bytes, new: bytes, at: datetime) -> None:
        client.rotate_key(identity.did, previous, new, int(at.timestamp()))

    return identity.rotate_key(register=register).did


def change_issuer_status(client: RegistryClient, did: str, action: IssuerAction,
                         ) -> TransactionResult:
    """Suspend, reinstate or retire an issuer, as the governor ``client`` acts for."""
    operations = {"suspend": client.suspend_issuer, "reinstate": client.reinstate_issuer,
                  "retire": client.retire_issuer}
    return operations[action](did)


def _seconds(text: str) -> int:
    return int(timefmt.parse(text, "time").timestamp())
