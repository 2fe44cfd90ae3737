// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title BatchMerkle
/// @notice Inclusion proofs for credbank's batch tree, the same construction as
///         `verifier/merkle.py`: SHA-256 with domain separation and sorted pairs.
///             leaf(data)  = sha256(0x00 ‖ data)
///             node(a, b)  = sha256(0x01 ‖ min(a, b) ‖ max(a, b))
///         A proof is the list of sibling hashes from the leaf upwards; an odd node is promoted
///         unchanged, so it simply has no sibling on that level.
/// @dev `sha256` compiles to a STATICCALL of the precompile at address 0x02.
library BatchMerkle {
    /// @notice The batch-tree leaf of one credential.
    function leaf(bytes32 claimsRoot) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), claimsRoot));
    }

    /// @notice The inner node over two children, order-independent.
    function node(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b
            ? sha256(abi.encodePacked(bytes1(0x01), a, b))
            : sha256(abi.encodePacked(bytes1(0x01), b, a));
    }

    /// @notice The root reached from `leafHash` by folding in `proof`.
    function processProof(bytes32 leafHash, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32 computed)
    {
        computed = leafHash;
        for (uint256 i = 0; i < proof.length; ++i) {
            computed = node(computed, proof[i]);
        }
    }
}
