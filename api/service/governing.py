"""The authority on chain, through the service's own governor key: accredit an issuer,
rotate its key, suspend, reinstate or retire it, and read its record.

The service acts as the governor whose key is ``DATA_DIR/governor.key`` (``credbank up``
creates it; an operator may copy one there). Without a chain or that key these operations
raise :class:`~api.service.errors.ChainUnavailable` and change nothing; a registry refusal
is a :class:`~api.service.errors.ChainRefused` naming the custom error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ledger import ChainError, RegistryClient, Web3RegistryClient, governance
from ledger.chain_config import ChainConfig
from ledger.errors import InputError
from ledger.issuance import IssuerError, IssuerIdentity
from ledger.node import DataDir
from verifier import keys, timefmt

from .accounts import issuer_by_slug
from .context import Service
from .data_dir import NODE_DIR
from .errors import ChainUnavailable, Conflict, chain_failure
from .models import Issuer

IssuerAction = Literal["suspend", "reinstate", "retire"]
DONE = {"suspend": "suspended", "reinstate": "reinstated", "retire": "retired"}


@dataclass
class IssuerState:
    """The issuer's record on chain, and what the call that read it sent."""

    slug: str
    did: str
    chainId: int
    registry: str
    status: str
    validFrom: str | None
    validUntil: str | None
    statusSince: str | None
    anchoringAccount: str | None
    keys: list[dict[str, Any]]
    steps: list[str] = field(default_factory=list)
    transactionHash: str | None = None
    blockNumber: int | None = None


@dataclass
class ServiceChain:
    chainId: int
    registry: str
    governor: str | None
    isGovernor: bool


def chain_config(svc: Service) -> ChainConfig:
    try:
        config = svc.chain_config()
    except InputError as exc:
        raise ChainUnavailable(str(exc)) from None
    if config is None:
        raise ChainUnavailable("the service has no chain (DATA_DIR/chain.json, or the "
                               "rpc_url and registry settings)")
    return config


def _client(svc: Service, config: ChainConfig, key: Any) -> Web3RegistryClient:
    try:
        return governance.connect(config, key)
    except ChainError as exc:
        raise chain_failure(exc) from None
    except (InputError, OSError) as exc:  # an unreadable or open key file, another chain
        raise chain_failure(exc, "the service's governor key or chain") from None


def governor_client(svc: Service) -> tuple[ChainConfig, Web3RegistryClient]:
    """The chain configuration (with its chain id) and the registry as the service's
    governor sees it."""
    config = chain_config(svc)
    key = svc.governor_key
    if key is None:
        raise ChainUnavailable("the service holds no governor key (DATA_DIR/governor.key); "
                               "use the credbank chain commands with a governor's key file")
    client = _client(svc, config, key)
    return config.with_chain_id(client.chain_id), client


def service_chain(svc: Service) -> ServiceChain:
    client = _client(svc, chain_config(svc), svc.governor_key)
    governor = client.sender
    return ServiceChain(chainId=client.chain_id, registry=client.registry, governor=governor,
                        isGovernor=bool(governor) and client.is_governor(governor))


def _unix(seconds: int) -> str | None:
    return timefmt.format(datetime.fromtimestamp(seconds, UTC)) if seconds else None


def issuer_state(client: RegistryClient, issuer: Issuer, identity: IssuerIdentity,
                 **extra: Any) -> IssuerState:
    fact = client.issuer(issuer.did)
    chain = identity.chain or {}
    same = chain.get("registry") == client.registry
    keys_on_chain = []
    for record in identity.key_records:
        public = keys.decode_public_key_multibase(record.public_key_multibase)
        key = client.issuer_key(issuer.did, public)
        keys_on_chain.append({"publicKeyMultibase": record.public_key_multibase,
                              "registered": key.registered,
                              "validFrom": _unix(key.valid_from) if key.registered else None,
                              "validUntil": _unix(key.valid_until) if key.registered else None})
    return IssuerState(
        slug=issuer.slug, did=issuer.did, chainId=client.chain_id, registry=client.registry,
        status=fact.status.name.lower(), validFrom=_unix(fact.valid_from),
        validUntil=_unix(fact.valid_until), statusSince=_unix(fact.status_since),
        anchoringAccount=chain.get("anchoringAccount") if same else None,
        keys=keys_on_chain, **extra)


def read_issuer(svc: Service, slug: str) -> IssuerState:
    issuer = issuer_by_slug(svc, slug)
    config = chain_config(svc)
    try:
        client = governance.connect(config, None)
        return issuer_state(client, issuer, svc.identities.get(issuer))
    except (ChainError, InputError, IssuerError) as exc:
        raise chain_failure(exc) from None


def _admit_on_embedded_node(svc: Service, account: str) -> None:
    """Let the anchoring account transact on the embedded node of this data directory.
    (A Besu network permissions accounts its own way: that stays with its operators.)"""
    node = DataDir(svc.settings.path(NODE_DIR))
    if node.genesis_path.exists():
        node.change_allowlist(add=[bytes.fromhex(account[2:])])


def accredit(svc: Service, slug: str, valid_from: int | None = None,
             valid_until: int | None = None) -> IssuerState:
    """Connect the issuer to the service's chain (its anchoring account, key file 0600 in
    its directory), admit the account on the embedded node if there is one, and accredit
    it with its current key. Repeating it finishes what a cut-short run left undone."""
    issuer = issuer_by_slug(svc, slug)
    config, client = governor_client(svc)
    identity = svc.identities.get(issuer)
    try:
        account = governance.connect_issuer(identity, config, None)
        _admit_on_embedded_node(svc, account)
        done = governance.accredit_issuer(identity, client, config, valid_from=valid_from,
                                          valid_until=valid_until)
        return issuer_state(client, issuer, identity, steps=done["steps"])
    except (ChainError, InputError, IssuerError) as exc:
        raise chain_failure(exc) from None
    finally:
        svc.identities.forget(issuer.id)  # issue with the chain named from now on


def rotate_key(svc: Service, slug: str) -> IssuerState:
    """A new signing key for the issuer, registered on chain as a rotation."""
    issuer = issuer_by_slug(svc, slug)
    _, client = governor_client(svc)
    # The cached identity itself rotates, so requests signing now pick up the new key.
    identity = svc.identities.get(issuer)
    if not identity.chain or identity.chain.get("registry") != client.registry:
        raise Conflict(f"issuer {slug} is not accredited on the service's chain "
                       f"(POST /v1/admin/issuers/{slug}/accredit)")
    if not client.issuer(issuer.did).accredited:
        raise Conflict(f"issuer {slug} is not accredited on chain")
    try:
        governance.rotate_key(identity, svc.governor_key)
        return issuer_state(client, issuer, identity, steps=["key rotated"])
    except (ChainError, InputError, IssuerError) as exc:
        svc.identities.forget(issuer.id)
        raise chain_failure(exc) from None


def change_status(svc: Service, slug: str, action: IssuerAction) -> IssuerState:
    """Suspend, reinstate or retire the issuer on chain."""
    issuer = issuer_by_slug(svc, slug)
    _, client = governor_client(svc)
    try:
        result = governance.change_issuer_status(client, issuer.did, action)
        return issuer_state(client, issuer, svc.identities.get(issuer), steps=[DONE[action]],
                            transactionHash=result.transaction_hash,
                            blockNumber=result.block_number)
    except (ChainError, InputError, IssuerError) as exc:
        raise chain_failure(exc) from None
