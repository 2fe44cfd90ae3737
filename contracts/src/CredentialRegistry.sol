// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BatchMerkle} from "./BatchMerkle.sol";
import {DocumentRegistry} from "./DocumentRegistry.sol";

/// @title CredentialRegistry
/// @notice Anchors batch Merkle roots of credentials for accredited issuers and keeps each
///         issuer's credential status: revocation and suspension bits indexed by the
///         credential's status index, and whole-batch revocation.
/// @dev Deployed as one contract with the IssuerRegistry and DocumentRegistry it extends, so
///      that the anchoring and status checks read the issuer's facts from this contract's own
///      storage (no external call, no reentrancy path) and an offline verifier proves every
///      fact against a single storage root. Status changes are allowed to an issuer's anchoring accounts only.
contract CredentialRegistry is DocumentRegistry {
    /// @notice Decoded batch word (see RegistryFacts, slot 3).
    struct BatchRecord {
        bool anchored;
        bool revoked;
        uint8 revocationReason;
        uint32 issuerNumber;
        uint64 blockNumber;
        uint64 timestamp;
        uint64 count;
    }

    // ---- errors --------------------------------------------------------------------------

    /// @notice The zero hash is not a batch root.
    error ZeroBatchRoot();
    /// @notice A batch holds between 1 and 2^64 - 1 credentials.
    error InvalidCount(uint256 count);
    /// @notice This root is already anchored.
    error BatchAlreadyAnchored(bytes32 batchRoot);
    /// @notice This root was never anchored.
    error UnknownBatch(bytes32 batchRoot);
    /// @notice The batch was anchored by another issuer than the caller's (`issuerId`).
    error NotBatchIssuer(bytes32 batchRoot, bytes32 issuerId);
    /// @notice The batch is already revoked.
    error BatchAlreadyRevoked(bytes32 batchRoot);
    /// @notice A status change needs at least one status index.
    error NoStatusIndices();
    /// @notice The same status index appears twice in one call.
    error DuplicateStatusIndex(uint256 statusIndex);
    /// @notice The credential is already revoked.
    error AlreadyRevoked(bytes32 issuerId, uint256 statusIndex);
    /// @notice The credential is already suspended.
    error AlreadySuspended(bytes32 issuerId, uint256 statusIndex);
    /// @notice The credential is not suspended, so it cannot be reinstated.
    error NotSuspended(bytes32 issuerId, uint256 statusIndex);
    /// @notice Status indices run from 0 to 2^64 - 1, the range of the credential format.
    error StatusIndexTooLarge(uint256 statusIndex);

    uint256 private constant _MAX_STATUS_INDEX = _UINT64;
    uint256 private constant _MAX_WORD_INDEX = _UINT64 >> 8;

    // ---- events --------------------------------------------------------------------------
    // Single-credential calls log the status index; multi-credential calls log one event per
    // status word touched, with the bits changed in it, so a batch of k sharing words logs
    // a handful of events instead of k. Reason codes are the issuer's (docs/contracts.md).
    // The six status events carry the reason code in the top byte of the word that carries
    // the index (bits 248..255 reason, bits 0..247 status or word index): one data word less
    // per event than logging the two apart.

    /// @notice An issuer's account anchored a batch root of `count` credentials.
    event BatchAnchored(bytes32 indexed batchRoot, bytes32 indexed issuerId, uint256 count);
    /// @notice Every credential of the batch is revoked.
    event BatchRevoked(bytes32 indexed batchRoot, bytes32 indexed issuerId, uint8 reason);
    /// @notice One credential was revoked.
    /// @param reasonAndStatusIndex `reason << 248 | statusIndex`.
    event CredentialRevoked(bytes32 indexed issuerId, uint256 reasonAndStatusIndex);
    /// @notice The credentials at the set bits of `bits` in status word `wordIndex` were revoked.
    /// @param reasonAndWordIndex `reason << 248 | wordIndex`.
    event CredentialsRevoked(bytes32 indexed issuerId, uint256 reasonAndWordIndex, uint256 bits);
    /// @notice One credential was suspended.
    /// @param reasonAndStatusIndex `reason << 248 | statusIndex`.
    event CredentialSuspended(bytes32 indexed issuerId, uint256 reasonAndStatusIndex);
    /// @notice The credentials at the set bits of `bits` in word `wordIndex` were suspended.
    /// @param reasonAndWordIndex `reason << 248 | wordIndex`.
    event CredentialsSuspended(
        bytes32 indexed issuerId, uint256 reasonAndWordIndex, uint256 bits
    );
    /// @notice One credential's suspension was lifted.
    /// @param reasonAndStatusIndex `reason << 248 | statusIndex`.
    event CredentialReinstated(bytes32 indexed issuerId, uint256 reasonAndStatusIndex);
    /// @notice The suspensions at the set bits of `bits` in word `wordIndex` were lifted.
    /// @param reasonAndWordIndex `reason << 248 | wordIndex`.
    event CredentialsReinstated(
        bytes32 indexed issuerId, uint256 reasonAndWordIndex, uint256 bits
    );

    /// @param initialGovernors The first governor set of the issuer registry.
    constructor(address[] memory initialGovernors) DocumentRegistry(initialGovernors) {}

    // ---- anchoring -------------------------------------------------------------------------

    /// @notice Anchor the root of a batch of credentials for the caller's issuer. The cost is
    ///         the same for any batch size.
    /// @dev Needs an anchoring account of an ACTIVE issuer inside its accreditation window.
    /// @param batchRoot Root of the batch tree (BatchMerkle) over the credentials' claimsRoots.
    /// @param count Number of credentials in the batch (1 .. 2^64 - 1).
    function anchor(bytes32 batchRoot, uint256 count) external {
        bytes32 issuerId = _callerIssuer();
        uint256 issuerWord_ = _requireActive(issuerId);
        if (batchRoot == bytes32(0)) revert ZeroBatchRoot();
        if (count == 0 || count > _UINT64) revert InvalidCount(count);
        if (_batchWords[batchRoot] != 0) revert BatchAlreadyAnchored(batchRoot);
        _batchWords[batchRoot] = _packBatch(
            _issuerNumber(issuerWord_), uint64(block.number), uint64(block.timestamp), uint64(count)
        );
        emit BatchAnchored(batchRoot, issuerId, count);
    }

    /// @notice Revoke every credential of a batch the caller's issuer anchored.
    /// @param batchRoot An anchored root of the caller's issuer.
    /// @param reason Reason code.
    function revokeBatch(bytes32 batchRoot, uint8 reason) external {
        bytes32 issuerId = _callerIssuer();
        uint256 word = _batchWords[batchRoot];
        if (word == 0) revert UnknownBatch(batchRoot);
        if (_batchIssuerNumber(word) != _issuerNumber(_issuerWords[issuerId])) {
            revert NotBatchIssuer(batchRoot, issuerId);
        }
        if (word & _BATCH_REVOKED != 0) revert BatchAlreadyRevoked(batchRoot);
        _batchWords[batchRoot] = word | _BATCH_REVOKED | (uint256(reason) << 232);
        emit BatchRevoked(batchRoot, issuerId, reason);
    }

    // ---- credential status -----------------------------------------------------------------

    /// @notice Revoke one credential of the caller's issuer, for good.
    /// @param statusIndex The credential's status index.
    /// @param reason Reason code.
    function revokeCredential(uint256 statusIndex, uint8 reason) external {
        // The most frequent status change gets a straight-line path with no loop; it logs the
        // index itself rather than a word and a bit mask.
        bytes32 issuerId = _callerIssuer();
        if (statusIndex > _MAX_STATUS_INDEX) revert StatusIndexTooLarge(statusIndex);
        bytes32 wordId = _statusWordId(issuerId, statusIndex >> 8);
        uint256 mask = _bit(statusIndex);
        uint256 current = _revocationWords[wordId];
        // Written before the check so that the read and the write share one hash of the slot:
        // when the bit is already set the write stores the same word, and the revert undoes
        // the call anyway.
        _revocationWords[wordId] = current | mask;
        if (current & mask != 0) revert AlreadyRevoked(issuerId, statusIndex);
        emit CredentialRevoked(issuerId, _withReason(reason, statusIndex));
    }

    /// @notice Revoke many credentials of the caller's issuer in one transaction. Indices
    ///         sorted ascending share storage words and cost least.
    /// @param statusIndices Distinct status indices, none revoked yet.
    /// @param reason Reason code, logged with every word changed.
    function revokeCredentials(uint256[] calldata statusIndices, uint8 reason) external {
        _applyMany(_revokeWord, _callerIssuer(), statusIndices, reason);
    }

    /// @notice Suspend one credential of the caller's issuer (reversible with reinstate).
    /// @param statusIndex The credential's status index.
    /// @param reason Reason code.
    function suspendCredential(uint256 statusIndex, uint8 reason) external {
        bytes32 issuerId = _callerIssuer();
        if (statusIndex > _MAX_STATUS_INDEX) revert StatusIndexTooLarge(statusIndex);
        _setSuspended(issuerId, statusIndex >> 8, _bit(statusIndex));
        emit CredentialSuspended(issuerId, _withReason(reason, statusIndex));
    }

    /// @notice Suspend many credentials of the caller's issuer in one transaction.
    /// @param statusIndices Distinct status indices, none suspended yet.
    /// @param reason Reason code, logged with every word changed.
    function suspendCredentials(uint256[] calldata statusIndices, uint8 reason) external {
        _applyMany(_suspendWord, _callerIssuer(), statusIndices, reason);
    }

    /// @notice Lift the suspension of one credential. The issuer must be active.
    /// @param statusIndex A suspended credential's status index.
    /// @param reason Reason code.
    function reinstateCredential(uint256 statusIndex, uint8 reason) external {
        bytes32 issuerId = _callerIssuer();
        _requireActive(issuerId);
        if (statusIndex > _MAX_STATUS_INDEX) revert StatusIndexTooLarge(statusIndex);
        _clearSuspended(issuerId, statusIndex >> 8, _bit(statusIndex));
        emit CredentialReinstated(issuerId, _withReason(reason, statusIndex));
    }

    /// @notice Lift the suspension of many credentials. The issuer must be active.
    /// @param statusIndices Distinct status indices, all suspended.
    /// @param reason Reason code, logged with every word changed.
    function reinstateCredentials(uint256[] calldata statusIndices, uint8 reason) external {
        bytes32 issuerId = _callerIssuer();
        _requireActive(issuerId);
        _applyMany(_reinstateWord, issuerId, statusIndices, reason);
    }

    // Accumulates the bits of consecutive indices in the same word and writes each word once
    // through `writeWord`: the loop runs over calldata, never over storage.
    function _applyMany(
        function(bytes32, uint256, uint256, uint8) internal writeWord,
        bytes32 issuerId,
        uint256[] calldata statusIndices,
        uint8 reason
    ) private {
        uint256 n = statusIndices.length;
        if (n == 0) revert NoStatusIndices();
        uint256 wordIndex = statusIndices[0] >> 8;
        uint256 bits;
        for (uint256 i = 0; i < n; ++i) {
            uint256 statusIndex = statusIndices[i];
            uint256 w = statusIndex >> 8;
            if (w != wordIndex) {
                _checkWordIndex(wordIndex, bits);
                writeWord(issuerId, wordIndex, bits, reason);
                wordIndex = w;
                bits = 0;
            }
            uint256 mask = _bit(statusIndex);
            if (bits & mask != 0) revert DuplicateStatusIndex(statusIndex);
            bits |= mask;
        }
        _checkWordIndex(wordIndex, bits);
        writeWord(issuerId, wordIndex, bits, reason);
    }

    // Once per word written rather than once per index: a word index within range holds
    // status indices within range only.
    function _checkWordIndex(uint256 wordIndex, uint256 bits) private pure {
        if (wordIndex > _MAX_WORD_INDEX) revert StatusIndexTooLarge(_firstIndex(wordIndex, bits));
    }

    // One writer per action keeps the status-word loop free of branches on the action. Each
    // checks every bit first and reverts naming the lowest offending status index.
    function _revokeWord(bytes32 issuerId, uint256 wordIndex, uint256 bits, uint8 reason)
        private
    {
        bytes32 wordId = _statusWordId(issuerId, wordIndex);
        uint256 current = _revocationWords[wordId];
        uint256 clash = current & bits;
        if (clash != 0) revert AlreadyRevoked(issuerId, _firstIndex(wordIndex, clash));
        _revocationWords[wordId] = current | bits;
        emit CredentialsRevoked(issuerId, _withReason(reason, wordIndex), bits);
    }

    function _suspendWord(bytes32 issuerId, uint256 wordIndex, uint256 bits, uint8 reason)
        private
    {
        _setSuspended(issuerId, wordIndex, bits);
        emit CredentialsSuspended(issuerId, _withReason(reason, wordIndex), bits);
    }

    function _reinstateWord(bytes32 issuerId, uint256 wordIndex, uint256 bits, uint8 reason)
        private
    {
        _clearSuspended(issuerId, wordIndex, bits);
        emit CredentialsReinstated(issuerId, _withReason(reason, wordIndex), bits);
    }

    function _setSuspended(bytes32 issuerId, uint256 wordIndex, uint256 bits) private {
        bytes32 wordId = _statusWordId(issuerId, wordIndex);
        uint256 current = _suspensionWords[wordId];
        uint256 clash = current & bits;
        if (clash != 0) revert AlreadySuspended(issuerId, _firstIndex(wordIndex, clash));
        _suspensionWords[wordId] = current | bits;
    }

    function _clearSuspended(bytes32 issuerId, uint256 wordIndex, uint256 bits) private {
        bytes32 wordId = _statusWordId(issuerId, wordIndex);
        uint256 current = _suspensionWords[wordId];
        uint256 missing = bits & ~current;
        if (missing != 0) revert NotSuspended(issuerId, _firstIndex(wordIndex, missing));
        _suspensionWords[wordId] = current & ~bits;
    }

    // The data word of the status events: the reason code in bits 248..255 above a status or
    // word index, which is below 2^64 (checked before any write).
    function _withReason(uint8 reason, uint256 index) private pure returns (uint256) {
        return (uint256(reason) << 248) | index;
    }

    function _bit(uint256 statusIndex) private pure returns (uint256) {
        return uint256(1) << (statusIndex & 255);
    }

    // Only reached on the revert path, so the bit scan's cost never burdens a success.
    function _firstIndex(uint256 wordIndex, uint256 bits) private pure returns (uint256) {
        uint256 bit = 0;
        while ((bits >> bit) & 1 == 0) ++bit;
        return (wordIndex << 8) | bit;
    }

    // ---- views -----------------------------------------------------------------------------

    /// @notice The decoded record of a batch root (all zero when never anchored).
    /// @param batchRoot The batch root.
    /// @return record Anchored and revoked flags, reason, issuer number, block, time, count.
    function batch(bytes32 batchRoot) external view returns (BatchRecord memory record) {
        uint256 word = _batchWords[batchRoot];
        record = BatchRecord({
            anchored: word & _BATCH_ANCHORED != 0,
            revoked: word & _BATCH_REVOKED != 0,
            revocationReason: uint8(word >> 232),
            issuerNumber: _batchIssuerNumber(word),
            blockNumber: uint64((word >> 40) & _UINT64),
            timestamp: uint64((word >> 104) & _UINT64),
            count: uint64((word >> 168) & _UINT64)
        });
    }

    /// @notice The issuer that anchored a batch.
    /// @param batchRoot The batch root.
    /// @return The issuer id (zero when never anchored).
    function batchIssuer(bytes32 batchRoot) external view returns (bytes32) {
        uint256 word = _batchWords[batchRoot];
        if (word == 0) return bytes32(0);
        return issuerIdByNumber(_batchIssuerNumber(word));
    }

    /// @notice Whether one credential of an issuer is revoked (by index; see also the batch).
    /// @param issuerId The issuer.
    /// @param statusIndex The credential's status index.
    /// @return True when its revocation bit is set.
    function isRevoked(bytes32 issuerId, uint256 statusIndex) external view returns (bool) {
        return (_revocationWords[_statusWordId(issuerId, statusIndex >> 8)] >> (statusIndex & 255))
            & 1 == 1;
    }

    /// @notice Whether one credential of an issuer is suspended.
    /// @param issuerId The issuer.
    /// @param statusIndex The credential's status index.
    /// @return True when its suspension bit is set.
    function isSuspended(bytes32 issuerId, uint256 statusIndex) external view returns (bool) {
        return (_suspensionWords[_statusWordId(issuerId, statusIndex >> 8)] >> (statusIndex & 255))
            & 1 == 1;
    }

    /// @notice The raw batch word, as an EIP-1186 proof of its slot shows it.
    /// @param batchRoot The batch root.
    /// @return The packed word (layout in RegistryFacts).
    function batchWord(bytes32 batchRoot) external view returns (uint256) {
        return _batchWords[batchRoot];
    }

    /// @notice The raw revocation word: bit b is status index wordIndex * 256 + b.
    /// @param issuerId The issuer.
    /// @param wordIndex statusIndex >> 8.
    /// @return The bitmap.
    function revocationWord(bytes32 issuerId, uint256 wordIndex) external view returns (uint256) {
        return _revocationWords[_statusWordId(issuerId, wordIndex)];
    }

    /// @notice The raw suspension word: bit b is status index wordIndex * 256 + b.
    /// @param issuerId The issuer.
    /// @param wordIndex statusIndex >> 8.
    /// @return The bitmap.
    function suspensionWord(bytes32 issuerId, uint256 wordIndex) external view returns (uint256) {
        return _suspensionWords[_statusWordId(issuerId, wordIndex)];
    }

    /// @notice The batch-tree leaf of a credential: sha256(0x00 ‖ claimsRoot).
    /// @param claimsRoot The credential's claimsRoot.
    /// @return The leaf hash.
    function credentialLeaf(bytes32 claimsRoot) external pure returns (bytes32) {
        return BatchMerkle.leaf(claimsRoot);
    }

    /// @notice The batch root a credential's inclusion proof leads to.
    /// @param claimsRoot The credential's claimsRoot.
    /// @param proof Sibling hashes from the leaf upwards.
    /// @return The computed root.
    function batchRootOf(bytes32 claimsRoot, bytes32[] calldata proof)
        external
        pure
        returns (bytes32)
    {
        return BatchMerkle.processProof(BatchMerkle.leaf(claimsRoot), proof);
    }

    /// @notice Whether a credential is included in an anchored batch.
    /// @param claimsRoot The credential's claimsRoot.
    /// @param proof Sibling hashes from the leaf upwards.
    /// @param batchRoot The batch root it claims to belong to.
    /// @return True when `batchRoot` is anchored and the proof leads to it.
    function isIncluded(bytes32 claimsRoot, bytes32[] calldata proof, bytes32 batchRoot)
        external
        view
        returns (bool)
    {
        return _batchWords[batchRoot] & _BATCH_ANCHORED != 0
            && BatchMerkle.processProof(BatchMerkle.leaf(claimsRoot), proof) == batchRoot;
    }
}
