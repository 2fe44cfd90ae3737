// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IssuerRegistry} from "./IssuerRegistry.sol";

/// @title DocumentRegistry
/// @notice Publication of the credit bank's documents by their canonical hash: qualification
///         frameworks, catalogues of outcome standards, conversion rule sets. Publishing
///         records the hash with its kind, its owner and the block it was published in, so a
///         recognition decision can prove which version was in force; withdrawing records when
///         it stopped being. The documents themselves stay off chain.
/// @dev The authority (any governor) publishes as owner 0; an anchoring account of an ACTIVE
///      issuer inside its window publishes for its issuer (owner = issuer number), as
///      institutions own the rule sets of their programmes. A governor that is also an
///      anchoring account publishes as the authority. Only the owner withdraws.
abstract contract DocumentRegistry is IssuerRegistry {
    /// @notice The zero hash is not a document hash.
    error ZeroDocumentHash();
    /// @notice A document's kind is not zero.
    error InvalidDocumentKind(uint8 kind);
    /// @notice This hash is already published.
    error DocumentAlreadyPublished(bytes32 docHash);
    /// @notice This hash was never published.
    error UnknownDocument(bytes32 docHash);
    /// @notice The document is already withdrawn.
    error DocumentAlreadyWithdrawn(bytes32 docHash);
    /// @notice The caller's issuer (`issuerId`, 0 for none) does not own the document.
    error NotDocumentOwner(bytes32 docHash, bytes32 issuerId);

    /// @notice A document was published by the authority (`issuerId` 0) or an issuer.
    event DocumentPublished(bytes32 indexed docHash, bytes32 indexed issuerId, uint8 kind);
    /// @notice A document was withdrawn by its owner.
    event DocumentWithdrawn(bytes32 indexed docHash, bytes32 indexed issuerId);

    /// @param initialGovernors The first governor set of the issuer registry.
    constructor(address[] memory initialGovernors) IssuerRegistry(initialGovernors) {}

    /// @notice Publish a document by its canonical hash (SHA-256 of its RFC 8785 form).
    /// @dev A governor publishes for the authority; otherwise the caller must be an anchoring
    ///      account of an ACTIVE issuer inside its accreditation window.
    /// @param docHash The document's hash; not zero, not yet published.
    /// @param kind 1 framework, 2 standards catalogue, 3 rule set (not zero; the contract does
    ///        not interpret it further).
    function publishDocument(bytes32 docHash, uint8 kind) external {
        bytes32 issuerId;
        uint32 owner;
        if (!_isGovernor(msg.sender)) {
            issuerId = _callerIssuer();
            owner = _issuerNumber(_requireActive(issuerId));
        }
        if (docHash == bytes32(0)) revert ZeroDocumentHash();
        if (kind == 0) revert InvalidDocumentKind(kind);
        if (_documentWords[docHash] != 0) revert DocumentAlreadyPublished(docHash);
        _documentWords[docHash] =
            _packDocument(kind, owner, uint64(block.number), uint64(block.timestamp));
        emit DocumentPublished(docHash, issuerId, kind);
    }

    /// @notice Withdraw a published document: it stays on record, with the time it ended.
    /// @dev The owner only: a governor for the authority's documents, an anchoring account of
    ///      the owning issuer for its own (whatever that issuer's status: withdrawing reduces
    ///      trust, like revoking).
    /// @param docHash A published, not yet withdrawn document.
    function withdrawDocument(bytes32 docHash) external {
        uint256 word = _documentWords[docHash];
        if (word == 0) revert UnknownDocument(docHash);
        uint32 owner = _documentOwner(word);
        bytes32 issuerId;
        if (owner == 0) {
            if (!_isGovernor(msg.sender)) revert NotGovernor(msg.sender);
        } else {
            issuerId = bytes32(_accountWords[_accountKey(msg.sender)]);
            if (issuerId == bytes32(0) || _issuerNumber(_issuerWords[issuerId]) != owner) {
                revert NotDocumentOwner(docHash, issuerId);
            }
        }
        if (word & _DOCUMENT_WITHDRAWN != 0) revert DocumentAlreadyWithdrawn(docHash);
        _documentWords[docHash] =
            word | _DOCUMENT_WITHDRAWN | (uint256(uint64(block.timestamp)) << 176);
        emit DocumentWithdrawn(docHash, issuerId);
    }

    /// @notice The raw document word, as an EIP-1186 proof of its slot shows it.
    /// @param docHash The document's hash.
    /// @return The packed word (layout in RegistryFacts; 0 when never published).
    function documentWord(bytes32 docHash) external view returns (uint256) {
        return _documentWords[docHash];
    }
}
