// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title RegistryFacts
/// @notice The storage an offline verifier proves: every fact it needs is one 256-bit word in
///         one of eight `mapping(bytes32 => uint256)` declared first, so their base slots are
///         fixed (0..7) whatever else a registry declares after them.
/// @dev The slot of a fact is the Solidity mapping rule (docs/contracts.md, "Storage layout"):
///      `keccak256(key ‖ uint256(p))`, key a 32-byte word, p the base slot below. One EIP-1186
///      storage proof of that slot proves the fact. Bit layouts are given per word; unused bits
///      are always zero. `verifier/registry_layout.py` is the Python mirror of this file.
abstract contract RegistryFacts {
    /// @dev Lifecycle of an accredited issuer. NONE means "never accredited".
    enum IssuerStatus {
        NONE,
        ACTIVE,
        SUSPENDED,
        RETIRED
    }

    // ---- slot 0: issuerId => issuer word -------------------------------------------------
    //   bits   0..7    status (IssuerStatus)
    //   bits   8..39   issuer number (uint32, 1-based, in order of accreditation)
    //   bits  40..103  accreditation validFrom  (uint64 unix seconds, 0 = since ever)
    //   bits 104..167  accreditation validUntil (uint64 unix seconds, exclusive, 0 = open-ended)
    //   bits 168..231  statusSince (uint64 block timestamp of the last status change)
    mapping(bytes32 issuerId => uint256 word) internal _issuerWords;

    // ---- slot 1: keccak256(abi.encode(issuerId, publicKey)) => key word ------------------
    //   bits   0..7    1 when registered, else 0
    //   bits   8..71   validFrom   (uint64 unix seconds)
    //   bits  72..135  validUntil  (uint64, exclusive, 0 = open-ended)
    //   bits 136..199  revokedFrom (uint64, 0 = never revoked; invalid from this time on)
    mapping(bytes32 keyId => uint256 word) internal _keyWords;

    // ---- slot 2: bytes32(uint256(uint160(account))) => issuerId of that anchoring account -
    //   the whole word is the issuerId; 0 means "anchors for nobody"
    mapping(bytes32 account => uint256 issuerId) internal _accountWords;

    // ---- slot 3: batchRoot => batch word -------------------------------------------------
    //   bit    0       anchored
    //   bit    1       revoked as a whole batch
    //   bits   8..39   issuer number of the anchoring issuer
    //   bits  40..103  block number of the anchoring transaction
    //   bits 104..167  block timestamp of the anchoring transaction
    //   bits 168..231  credential count declared by the issuer (uint64)
    //   bits 232..239  batch revocation reason code (0 when not revoked)
    mapping(bytes32 batchRoot => uint256 word) internal _batchWords;

    // ---- slot 4: keccak256(abi.encode(issuerId, wordIndex)) => revocation bitmap ----------
    // ---- slot 5: keccak256(abi.encode(issuerId, wordIndex)) => suspension bitmap ----------
    //   statusIndex i lives in word i >> 8 at bit i & 255 (bit 0 = least significant)
    mapping(bytes32 statusWordId => uint256 bits) internal _revocationWords;
    mapping(bytes32 statusWordId => uint256 bits) internal _suspensionWords;

    // ---- slot 6: docHash => document word (a published framework, catalogue, rule set) -----
    //   bit    0       published
    //   bit    1       withdrawn
    //   bits   8..15   kind (1 framework, 2 standards catalogue, 3 rule set; 4, 5 reserved)
    //   bits  16..47   owner: issuer number of the publishing issuer (0 = the authority)
    //   bits  48..111  block number of publication
    //   bits 112..175  block timestamp of publication
    //   bits 176..239  block timestamp of withdrawal (0 when not withdrawn)
    mapping(bytes32 docHash => uint256 word) internal _documentWords;

    // ---- slot 7: issuerId => accreditation scope word ------------------------------------
    //   word 0         no scope: the issuer may issue in every sector at every level
    //   bits   0..7    sector mask (bit i = sector i: degree, vocational, non_degree,
    //                  community_elderly, venue)
    //   bits   8..23   maximum level rank (uint16, 0 = no level limit)
    //   bits  24..87   scopeSince: block timestamp of the last change
    //   bit  255       set: a scope is set
    mapping(bytes32 issuerId => uint256 word) internal _scopeWords;

    uint256 internal constant _UINT32 = 0xffffffff;
    uint256 internal constant _UINT64 = 0xffffffffffffffff;

    // ---- issuer word -----------------------------------------------------------------------

    function _packIssuer(
        IssuerStatus status,
        uint32 issuerNumber,
        uint64 validFrom,
        uint64 validUntil,
        uint64 statusSince
    ) internal pure returns (uint256) {
        return uint256(status) | (uint256(issuerNumber) << 8) | (uint256(validFrom) << 40)
            | (uint256(validUntil) << 104) | (uint256(statusSince) << 168);
    }

    function _issuerStatus(uint256 word) internal pure returns (IssuerStatus) {
        return IssuerStatus(word & 0xff);
    }

    function _issuerNumber(uint256 word) internal pure returns (uint32) {
        return uint32((word >> 8) & _UINT32);
    }

    function _issuerValidFrom(uint256 word) internal pure returns (uint64) {
        return uint64((word >> 40) & _UINT64);
    }

    function _issuerValidUntil(uint256 word) internal pure returns (uint64) {
        return uint64((word >> 104) & _UINT64);
    }

    function _issuerStatusSince(uint256 word) internal pure returns (uint64) {
        return uint64((word >> 168) & _UINT64);
    }

    // ---- key word --------------------------------------------------------------------------

    function _keyId(bytes32 issuerId, bytes32 publicKey) internal pure returns (bytes32) {
        return keccak256(abi.encode(issuerId, publicKey));
    }

    function _packKey(uint64 validFrom, uint64 validUntil, uint64 revokedFrom)
        internal
        pure
        returns (uint256)
    {
        return 1 | (uint256(validFrom) << 8) | (uint256(validUntil) << 72)
            | (uint256(revokedFrom) << 136);
    }

    function _keyValidFrom(uint256 word) internal pure returns (uint64) {
        return uint64((word >> 8) & _UINT64);
    }

    function _keyValidUntil(uint256 word) internal pure returns (uint64) {
        return uint64((word >> 72) & _UINT64);
    }

    function _keyRevokedFrom(uint256 word) internal pure returns (uint64) {
        return uint64((word >> 136) & _UINT64);
    }

    // ---- account word ------------------------------------------------------------------------

    function _accountKey(address account) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }

    // ---- batch word --------------------------------------------------------------------------

    uint256 internal constant _BATCH_ANCHORED = 1;
    uint256 internal constant _BATCH_REVOKED = 2;

    function _packBatch(uint32 issuerNumber, uint64 blockNumber, uint64 timestamp, uint64 count)
        internal
        pure
        returns (uint256)
    {
        return _BATCH_ANCHORED | (uint256(issuerNumber) << 8) | (uint256(blockNumber) << 40)
            | (uint256(timestamp) << 104) | (uint256(count) << 168);
    }

    function _batchIssuerNumber(uint256 word) internal pure returns (uint32) {
        return uint32((word >> 8) & _UINT32);
    }

    // ---- document word -----------------------------------------------------------------------

    uint256 internal constant _DOCUMENT_PUBLISHED = 1;
    uint256 internal constant _DOCUMENT_WITHDRAWN = 2;

    function _packDocument(uint8 kind, uint32 owner, uint64 blockNumber, uint64 timestamp)
        internal
        pure
        returns (uint256)
    {
        return _DOCUMENT_PUBLISHED | (uint256(kind) << 8) | (uint256(owner) << 16)
            | (uint256(blockNumber) << 48) | (uint256(timestamp) << 112);
    }

    function _documentOwner(uint256 word) internal pure returns (uint32) {
        return uint32((word >> 16) & _UINT32);
    }

    // ---- scope word --------------------------------------------------------------------------

    uint256 internal constant _SCOPE_SET = 1 << 255;

    function _packScope(uint8 sectors, uint16 maxLevelRank, uint64 since)
        internal
        pure
        returns (uint256)
    {
        return _SCOPE_SET | uint256(sectors) | (uint256(maxLevelRank) << 8)
            | (uint256(since) << 24);
    }

    // ---- status words ------------------------------------------------------------------------

    function _statusWordId(bytes32 issuerId, uint256 wordIndex)
        internal
        pure
        returns (bytes32 wordId)
    {
        // keccak256(abi.encode(issuerId, wordIndex)) in the scratch space, without allocating
        // memory: this runs once per status word written.
        assembly ("memory-safe") {
            mstore(0x00, issuerId)
            mstore(0x20, wordIndex)
            wordId := keccak256(0x00, 0x40)
        }
    }
}
