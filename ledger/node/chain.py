"""The chain rules: London EVM, Clique (EIP-225) sealing, zero base fee.

Why London and not a later fork: py-evm's Paris and later VMs force ``difficulty`` to 0
(proof of stake), while Clique encodes "in turn" / "out of turn" in the difficulty (2 / 1,
EIP-225 §block authorization). So the chain runs London rules (the EVM of GrayGlacier;
the difficulty-bomb forks change nothing an execution client sees) with py-evm's
``CliqueApplier`` supplying the consensus. Contracts are compiled with
``evmVersion: london`` to match (no PUSH0, no transient storage).

Two deliberate deviations from mainnet London, both the same as Hyperledger Besu's
options for private networks:

* **Zero base fee** (Besu ``zeroBaseFee``): every header has ``baseFeePerGas = 0``, so
  gas is free; the EIP-1559 adjustment would otherwise lift the fee to 1 wei after a
  half-full block and make zero-priced transactions invalid.
* **Clique period rule instead of strict timestamps**: EIP-225 requires
  ``timestamp >= parent.timestamp + period``. py-evm requires a strictly later timestamp
  for every header, which with a period of 0 (seal on every transaction, as geth allows)
  would push timestamps into the future. The VM here checks the Clique rule, which is
  strict for any period of one second or more.
"""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI
from eth.chains.base import Chain
from eth.consensus.clique import CliqueApplier, CliqueConsensus, CliqueConsensusContext
from eth.consensus.clique.constants import SIGNATURE_LENGTH, VANITY_LENGTH
from eth.validation import validate_gas_limit, validate_length_lte
from eth.vm.forks.london import LondonVM
from eth.vm.forks.london.headers import create_london_header_from_parent
from eth_typing import Address
from eth_utils import ValidationError

# EIP-225 §block authorization: difficulty 2 when the signer is in turn, 1 otherwise.
DIFF_INTURN = 2
DIFF_NOTURN = 1

# Default Clique epoch (EIP-225 §constants), the same as geth and Besu.
DEFAULT_EPOCH_LENGTH = 30_000


def _difficulty_placeholder(parent: BlockHeaderAPI, timestamp: int) -> int:
    # Clique sets the real difficulty when sealing (and checks it when importing); this is
    # only what a header under construction starts with.
    return DIFF_INTURN


_create_london_header = create_london_header_from_parent(_difficulty_placeholder)


def _create_header_from_parent(
    parent_header: BlockHeaderAPI | None, **header_params: Any
) -> BlockHeaderAPI:
    if parent_header is not None:
        # A permissioned chain keeps the genesis gas limit: the operator chose it to bound
        # the work per block, and mainnet's drift towards a target has no meaning here.
        header_params.setdefault("gas_limit", parent_header.gas_limit)
    header_params.pop("base_fee_per_gas", None)
    header = _create_london_header(parent_header, **header_params)
    return header.copy(base_fee_per_gas=0)


class PermissionedLondonVM(LondonVM):
    """London with a zero base fee and the Clique timestamp rule (see module docs)."""

    fork = "london"
    clique_period = 0

    create_header_from_parent = staticmethod(_create_header_from_parent)  # type: ignore

    @classmethod
    def validate_gas(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        validate_gas_limit(header.gas_limit, parent_header.gas_limit)
        if header.base_fee_per_gas != 0:
            raise ValidationError(
                f"Header has base fee per gas {header.base_fee_per_gas}; this chain's is 0"
            )

    @classmethod
    def validate_header(cls, header: BlockHeaderAPI, parent_header: BlockHeaderAPI) -> None:
        if parent_header is None:
            raise ValidationError("Must have access to parent header to validate current header")
        validate_length_lte(
            header.extra_data, cls.extra_data_max_bytes, title="BlockHeader.extra_data"
        )
        cls.validate_gas(header, parent_header)
        if header.block_number != parent_header.block_number + 1:
            raise ValidationError(
                f"Blocks must be numbered consecutively: #{header.block_number} "
                f"has parent #{parent_header.block_number}"
            )
        # EIP-225 §block authorization: at least `period` seconds after the parent.
        earliest = parent_header.timestamp + cls.clique_period
        if header.timestamp < earliest or header.timestamp < parent_header.timestamp:
            raise ValidationError(
                f"Block #{header.block_number} timestamp {header.timestamp} is earlier than "
                f"parent timestamp {parent_header.timestamp} + period {cls.clique_period}"
            )


def chain_class(
    chain_id: int, *, period: int, epoch_length: int = DEFAULT_EPOCH_LENGTH
) -> type[Chain]:
    """The py-evm chain class for a genesis: London + Clique, this chain id and period."""
    vm_class = PermissionedLondonVM.configure(__name__="PermissionedLondonVM", clique_period=period)
    vm_configuration = CliqueApplier().amend_vm_configuration(((0, vm_class),))
    context_class = type(
        "CredbankCliqueContext", (CliqueConsensusContext,), {"epoch_length": epoch_length}
    )
    return Chain.configure(
        __name__="CredbankChain",
        vm_configuration=vm_configuration,
        chain_id=chain_id,
        consensus_context_class=context_class,
    )


def sealing_vm_class(chain: type[Chain], signer: Address) -> type:
    """The VM class the sealer builds blocks with.

    While a block is being built its seal is still empty, so py-evm's Clique cannot
    recover the fee recipient (the signer, EIP-225 §block rewards) from it; this class
    names the signer outright, so COINBASE and fees match what importers will compute.
    """
    vm_class = chain.vm_configuration[0][1]
    consensus = type(
        "SealingCliqueConsensus",
        (CliqueConsensus,),
        {"get_fee_recipient": classmethod(lambda cls, header: signer)},
    )
    return vm_class.configure(__name__=vm_class.__name__, consensus_class=consensus)


def extra_data_for(
    block_number: int, signers: list[Address], epoch_length: int, vanity: bytes = b""
) -> bytes:
    """Unsealed ``extraData``: vanity ‖ (signers at a checkpoint) ‖ 65 zero bytes."""
    vanity = vanity[:VANITY_LENGTH].ljust(VANITY_LENGTH, b"\0")
    listed = b"".join(sorted(signers)) if block_number % epoch_length == 0 else b""
    return vanity + listed + b"\0" * SIGNATURE_LENGTH
