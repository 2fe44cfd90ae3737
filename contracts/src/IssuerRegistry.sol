// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {RegistryFacts} from "./RegistryFacts.sol";

/// @title IssuerRegistry
/// @notice Accreditation of learning institutions by the credit bank's governors: each issuer's
///         status, accreditation window and accreditation scope (sectors and highest level),
///         its Ed25519 signing keys with validity windows, and the Ethereum accounts allowed to
///         anchor for it. Governor membership changes need a
///         majority of the current governors; the last governor can never be removed.
/// @dev An issuer is identified by `issuerId = keccak256(bytes(did))`. Every fact a verifier
///      needs is a word in the mappings of `RegistryFacts`; names and DIDs are kept for views
///      and events only.
contract IssuerRegistry is RegistryFacts {
    /// @notice A pending or settled change of the governor set.
    struct GovernorProposal {
        address account;
        bool add;
        bool executed;
        uint32 approvals;
        uint64 epoch;
    }

    /// @notice Decoded issuer word (see RegistryFacts, slot 0).
    struct IssuerRecord {
        IssuerStatus status;
        uint32 issuerNumber;
        uint64 validFrom;
        uint64 validUntil;
        uint64 statusSince;
    }

    /// @notice Decoded key word (see RegistryFacts, slot 1).
    struct KeyRecord {
        bool registered;
        uint64 validFrom;
        uint64 validUntil;
        uint64 revokedFrom;
    }

    mapping(bytes32 issuerId => string) private _issuerDids;
    mapping(bytes32 issuerId => string) private _issuerNames;
    mapping(uint32 issuerNumber => bytes32) private _issuerIdsByNumber;
    uint32 private _issuerCount;

    mapping(address => bool) private _governors;
    uint256 private _governorCount;
    // Bumped on every membership change; a proposal made under an older governor set is stale,
    // so approvals by since-removed governors can never count.
    uint64 private _governorEpoch;
    uint256 private _proposalCount;
    mapping(uint256 proposalId => GovernorProposal) private _proposals;
    mapping(uint256 proposalId => mapping(address governor => bool)) private _approvals;

    // ---- errors --------------------------------------------------------------------------

    /// @notice `account` is not a governor and the call needs one.
    error NotGovernor(address account);
    /// @notice A registry must start with at least one governor.
    error NoGovernors();
    /// @notice The zero address cannot be a governor or an anchoring account.
    error ZeroAddress();
    /// @notice `account` is already a governor.
    error AlreadyGovernor(address account);
    /// @notice Removing `account` would leave the registry without governors.
    error LastGovernor(address account);
    /// @notice No proposal has id `proposalId`.
    error UnknownProposal(uint256 proposalId);
    /// @notice The proposal was executed, or the governor set changed since it was made.
    error ProposalClosed(uint256 proposalId);
    /// @notice `governor` already approved `proposalId`.
    error AlreadyApproved(uint256 proposalId, address governor);
    /// @notice An issuer needs a non-empty DID.
    error EmptyDid();
    /// @notice An issuer with this id is already accredited.
    error IssuerAlreadyAccredited(bytes32 issuerId);
    /// @notice No issuer with this id was ever accredited.
    error UnknownIssuer(bytes32 issuerId);
    /// @notice The issuer is retired; its record can no longer change.
    error IssuerRetired(bytes32 issuerId);
    /// @notice The requested status change is not allowed from the issuer's current status.
    error InvalidStatusTransition(bytes32 issuerId, IssuerStatus current, IssuerStatus requested);
    /// @notice A window must end after it starts (validUntil 0 means open-ended).
    error InvalidWindow(uint64 validFrom, uint64 validUntil);
    /// @notice The zero public key is not a key.
    error ZeroKey();
    /// @notice This key is already registered for this issuer.
    error KeyAlreadyRegistered(bytes32 issuerId, bytes32 publicKey);
    /// @notice This key was never registered for this issuer.
    error UnknownKey(bytes32 issuerId, bytes32 publicKey);
    /// @notice This key is already revoked.
    error KeyAlreadyRevoked(bytes32 issuerId, bytes32 publicKey);
    /// @notice A rotation time must fall inside the validity window of the key it replaces.
    error InvalidRotationTime(bytes32 issuerId, bytes32 publicKey, uint64 at);
    /// @notice A key revocation needs a time (0 would mean "not revoked").
    error InvalidRevocationTime(bytes32 issuerId, bytes32 publicKey);
    /// @notice `account` already anchors for `issuerId`.
    error AccountAlreadyBound(address account, bytes32 issuerId);
    /// @notice `account` anchors for no issuer.
    error AccountNotBound(address account);
    /// @notice `account` is not an anchoring account of any issuer.
    error NotAnchoringAccount(address account);
    /// @notice The issuer is not in ACTIVE status.
    error IssuerNotActive(bytes32 issuerId, IssuerStatus status);
    /// @notice The current block time is outside the issuer's accreditation window.
    error OutsideAccreditationWindow(
        bytes32 issuerId, uint64 validFrom, uint64 validUntil, uint64 blockTime
    );
    /// @notice A scope names at least one sector (clear the scope to lift every limit).
    error EmptyScope();
    /// @notice The issuer has no accreditation scope to clear.
    error NoAccreditationScope(bytes32 issuerId);

    // ---- events --------------------------------------------------------------------------

    /// @notice A governor proposed adding or removing `account`; the proposer's approval counts.
    event GovernorChangeProposed(
        uint256 indexed proposalId, address indexed account, bool add, address indexed proposer
    );
    /// @notice `governor` approved `proposalId`; it executes once `approvals >= required`.
    event GovernorChangeApproved(
        uint256 indexed proposalId, address indexed governor, uint256 approvals, uint256 required
    );
    /// @notice `account` became a governor through `proposalId` (0 for the constructor).
    event GovernorAdded(address indexed account, uint256 indexed proposalId);
    /// @notice `account` stopped being a governor through `proposalId`.
    event GovernorRemoved(address indexed account, uint256 indexed proposalId);
    /// @notice A governor accredited a new issuer.
    event IssuerAccredited(
        bytes32 indexed issuerId,
        uint32 issuerNumber,
        string did,
        string name,
        uint64 validFrom,
        uint64 validUntil
    );
    /// @notice The issuer's status changed (suspended, reinstated or retired).
    event IssuerStatusChanged(
        bytes32 indexed issuerId, IssuerStatus previous, IssuerStatus current
    );
    /// @notice The issuer's accreditation window changed.
    event AccreditationWindowChanged(bytes32 indexed issuerId, uint64 validFrom, uint64 validUntil);
    /// @notice A signing key was registered for the issuer.
    event IssuerKeyAdded(
        bytes32 indexed issuerId, bytes32 indexed publicKey, uint64 validFrom, uint64 validUntil
    );
    /// @notice `previousKey` stops being valid at `at`, when `newKey` starts.
    event IssuerKeyRotated(
        bytes32 indexed issuerId, bytes32 indexed previousKey, bytes32 indexed newKey, uint64 at
    );
    /// @notice The key is invalid from `revokedFrom` on (which may lie in the past).
    event IssuerKeyRevoked(bytes32 indexed issuerId, bytes32 indexed publicKey, uint64 revokedFrom);
    /// @notice The issuer's accreditation scope changed; `sectors` 0 means it was cleared.
    event AccreditationScopeChanged(bytes32 indexed issuerId, uint8 sectors, uint16 maxLevelRank);
    /// @notice `account` may now anchor and manage credential status for the issuer.
    event AnchoringAccountAuthorized(bytes32 indexed issuerId, address indexed account);
    /// @notice `account` may no longer act for the issuer.
    event AnchoringAccountRemoved(bytes32 indexed issuerId, address indexed account);

    modifier onlyGovernor() {
        if (!_governors[msg.sender]) revert NotGovernor(msg.sender);
        _;
    }

    /// @param initialGovernors The first governor set; at least one, no duplicates, no zero.
    constructor(address[] memory initialGovernors) {
        if (initialGovernors.length == 0) revert NoGovernors();
        for (uint256 i = 0; i < initialGovernors.length; ++i) {
            address account = initialGovernors[i];
            if (account == address(0)) revert ZeroAddress();
            if (_governors[account]) revert AlreadyGovernor(account);
            _governors[account] = true;
            emit GovernorAdded(account, 0);
        }
        _governorCount = initialGovernors.length;
    }

    // ---- governance ------------------------------------------------------------------------

    /// @notice Propose adding (`add`) or removing a governor. The proposer's approval is
    ///         counted at once, so with a single governor the change executes immediately.
    /// @param account The governor to add or remove.
    /// @param add True to add `account`, false to remove it.
    /// @return proposalId The id to approve with `approveGovernorChange`.
    function proposeGovernorChange(address account, bool add)
        external
        onlyGovernor
        returns (uint256 proposalId)
    {
        _checkGovernorChange(account, add);
        proposalId = ++_proposalCount;
        _proposals[proposalId] = GovernorProposal({
            account: account, add: add, executed: false, approvals: 0, epoch: _governorEpoch
        });
        emit GovernorChangeProposed(proposalId, account, add, msg.sender);
        _approve(proposalId);
    }

    /// @notice Approve a pending governor change; the approval that reaches a majority of the
    ///         current governors executes it.
    /// @param proposalId The proposal to approve.
    function approveGovernorChange(uint256 proposalId) external onlyGovernor {
        if (proposalId == 0 || proposalId > _proposalCount) revert UnknownProposal(proposalId);
        _approve(proposalId);
    }

    function _approve(uint256 proposalId) private {
        GovernorProposal storage proposal = _proposals[proposalId];
        if (proposal.executed || proposal.epoch != _governorEpoch) {
            revert ProposalClosed(proposalId);
        }
        if (_approvals[proposalId][msg.sender]) revert AlreadyApproved(proposalId, msg.sender);
        _approvals[proposalId][msg.sender] = true;
        uint32 approvals = proposal.approvals + 1;
        proposal.approvals = approvals;
        uint256 required = approvalsRequired();
        emit GovernorChangeApproved(proposalId, msg.sender, approvals, required);
        if (approvals < required) return;

        // Same epoch means the governor set is unchanged since the proposal was checked.
        proposal.executed = true;
        ++_governorEpoch;
        if (proposal.add) {
            _governors[proposal.account] = true;
            ++_governorCount;
            emit GovernorAdded(proposal.account, proposalId);
        } else {
            _governors[proposal.account] = false;
            --_governorCount;
            emit GovernorRemoved(proposal.account, proposalId);
        }
    }

    function _checkGovernorChange(address account, bool add) private view {
        if (account == address(0)) revert ZeroAddress();
        if (add) {
            if (_governors[account]) revert AlreadyGovernor(account);
        } else {
            if (!_governors[account]) revert NotGovernor(account);
            if (_governorCount == 1) revert LastGovernor(account);
        }
    }

    // ---- issuers ---------------------------------------------------------------------------

    /// @notice Accredit an institution as an active issuer.
    /// @param did The issuer's DID; its id is `keccak256(bytes(did))`.
    /// @param name Display name.
    /// @param validFrom Start of accreditation (unix seconds, 0 = since ever).
    /// @param validUntil End of accreditation, exclusive (unix seconds, 0 = open-ended).
    /// @return issuerId The issuer's id.
    function accredit(string calldata did, string calldata name, uint64 validFrom, uint64 validUntil)
        external
        onlyGovernor
        returns (bytes32 issuerId)
    {
        if (bytes(did).length == 0) revert EmptyDid();
        _checkWindow(validFrom, validUntil);
        issuerId = keccak256(bytes(did));
        if (_issuerWords[issuerId] != 0) revert IssuerAlreadyAccredited(issuerId);
        uint32 issuerNumber = ++_issuerCount;
        _issuerWords[issuerId] = _packIssuer(
            IssuerStatus.ACTIVE, issuerNumber, validFrom, validUntil, uint64(block.timestamp)
        );
        _issuerDids[issuerId] = did;
        _issuerNames[issuerId] = name;
        _issuerIdsByNumber[issuerNumber] = issuerId;
        emit IssuerAccredited(issuerId, issuerNumber, did, name, validFrom, validUntil);
    }

    /// @notice Suspend an active issuer: it can no longer anchor or reinstate credentials.
    /// @param issuerId The issuer.
    function suspendIssuer(bytes32 issuerId) external onlyGovernor {
        _changeStatus(issuerId, IssuerStatus.ACTIVE, IssuerStatus.SUSPENDED);
    }

    /// @notice Reinstate a suspended issuer.
    /// @param issuerId The issuer.
    function reinstateIssuer(bytes32 issuerId) external onlyGovernor {
        _changeStatus(issuerId, IssuerStatus.SUSPENDED, IssuerStatus.ACTIVE);
    }

    /// @notice Retire an issuer for good (from active or suspended). Credentials it anchored
    ///         stay on record and it may still revoke or suspend them.
    /// @param issuerId The issuer.
    function retireIssuer(bytes32 issuerId) external onlyGovernor {
        uint256 word = _existingIssuer(issuerId);
        IssuerStatus current = _issuerStatus(word);
        if (current == IssuerStatus.RETIRED) {
            revert InvalidStatusTransition(issuerId, current, IssuerStatus.RETIRED);
        }
        _writeStatus(issuerId, word, current, IssuerStatus.RETIRED);
    }

    /// @notice Replace the issuer's accreditation window (e.g. a renewal).
    /// @param issuerId The issuer; must not be retired.
    /// @param validFrom Start (unix seconds, 0 = since ever).
    /// @param validUntil End, exclusive (unix seconds, 0 = open-ended).
    function setAccreditationWindow(bytes32 issuerId, uint64 validFrom, uint64 validUntil)
        external
        onlyGovernor
    {
        uint256 word = _mutableIssuer(issuerId);
        _checkWindow(validFrom, validUntil);
        _issuerWords[issuerId] = _packIssuer(
            _issuerStatus(word),
            _issuerNumber(word),
            validFrom,
            validUntil,
            _issuerStatusSince(word)
        );
        emit AccreditationWindowChanged(issuerId, validFrom, validUntil);
    }

    /// @notice Limit what the issuer may issue: the sectors of `sectors` (bit i = sector i:
    ///         degree, vocational, non_degree, community_elderly, venue) and levels up to rank
    ///         `maxLevelRank` of the qualification framework (0 = no level limit). An issuer
    ///         without a scope may issue in every sector at every level.
    /// @param issuerId The issuer; must not be retired.
    /// @param sectors Sector mask, not zero.
    /// @param maxLevelRank Highest level rank allowed (0 = no level limit).
    function setAccreditationScope(bytes32 issuerId, uint8 sectors, uint16 maxLevelRank)
        external
        onlyGovernor
    {
        _mutableIssuer(issuerId);
        if (sectors == 0) revert EmptyScope();
        _scopeWords[issuerId] = _packScope(sectors, maxLevelRank, uint64(block.timestamp));
        emit AccreditationScopeChanged(issuerId, sectors, maxLevelRank);
    }

    /// @notice Lift the issuer's accreditation scope: it may issue in every sector and level.
    /// @param issuerId The issuer; must not be retired and must have a scope.
    function clearAccreditationScope(bytes32 issuerId) external onlyGovernor {
        _mutableIssuer(issuerId);
        if (_scopeWords[issuerId] == 0) revert NoAccreditationScope(issuerId);
        delete _scopeWords[issuerId];
        emit AccreditationScopeChanged(issuerId, 0, 0);
    }

    function _changeStatus(bytes32 issuerId, IssuerStatus from, IssuerStatus to) private {
        uint256 word = _existingIssuer(issuerId);
        IssuerStatus current = _issuerStatus(word);
        if (current != from) revert InvalidStatusTransition(issuerId, current, to);
        _writeStatus(issuerId, word, current, to);
    }

    function _writeStatus(bytes32 issuerId, uint256 word, IssuerStatus current, IssuerStatus to)
        private
    {
        _issuerWords[issuerId] = _packIssuer(
            to,
            _issuerNumber(word),
            _issuerValidFrom(word),
            _issuerValidUntil(word),
            uint64(block.timestamp)
        );
        emit IssuerStatusChanged(issuerId, current, to);
    }

    // ---- keys ------------------------------------------------------------------------------

    /// @notice Register an Ed25519 public key for the issuer with a validity window.
    /// @param issuerId The issuer; must not be retired.
    /// @param publicKey The raw 32-byte Ed25519 public key.
    /// @param validFrom Start of validity (unix seconds).
    /// @param validUntil End of validity, exclusive (unix seconds, 0 = open-ended).
    function addKey(bytes32 issuerId, bytes32 publicKey, uint64 validFrom, uint64 validUntil)
        external
        onlyGovernor
    {
        _mutableIssuer(issuerId);
        _checkWindow(validFrom, validUntil);
        _registerKey(issuerId, publicKey, validFrom, validUntil);
    }

    /// @notice Rotate keys: `previousKey` stops being valid at `at` and `newKey` is valid from
    ///         `at` on, open-ended. The previous key's record is kept, so signatures made before
    ///         `at` stay verifiable.
    /// @param issuerId The issuer; must not be retired.
    /// @param previousKey A registered key whose window contains `at`.
    /// @param newKey The key replacing it; must not be registered yet.
    /// @param at Rotation time (unix seconds).
    function rotateKey(bytes32 issuerId, bytes32 previousKey, bytes32 newKey, uint64 at)
        external
        onlyGovernor
    {
        _mutableIssuer(issuerId);
        bytes32 previousId = _keyId(issuerId, previousKey);
        uint256 word = _keyWords[previousId];
        if (word == 0) revert UnknownKey(issuerId, previousKey);
        uint64 validUntil = _keyValidUntil(word);
        if (at <= _keyValidFrom(word) || (validUntil != 0 && at >= validUntil)) {
            revert InvalidRotationTime(issuerId, previousKey, at);
        }
        _keyWords[previousId] = _packKey(_keyValidFrom(word), at, _keyRevokedFrom(word));
        _registerKey(issuerId, newKey, at, 0);
        emit IssuerKeyRotated(issuerId, previousKey, newKey, at);
    }

    /// @notice Revoke a key from `revokedFrom` on; signatures dated from then are invalid. A
    ///         time in the past is allowed (a key compromised before it was noticed).
    /// @param issuerId The issuer (a retired issuer's keys can still be revoked).
    /// @param publicKey A registered, not yet revoked key.
    /// @param revokedFrom First invalid second (unix seconds, > 0).
    function revokeKey(bytes32 issuerId, bytes32 publicKey, uint64 revokedFrom)
        external
        onlyGovernor
    {
        _existingIssuer(issuerId);
        bytes32 keyId = _keyId(issuerId, publicKey);
        uint256 word = _keyWords[keyId];
        if (word == 0) revert UnknownKey(issuerId, publicKey);
        if (_keyRevokedFrom(word) != 0) revert KeyAlreadyRevoked(issuerId, publicKey);
        if (revokedFrom == 0) revert InvalidRevocationTime(issuerId, publicKey);
        _keyWords[keyId] = _packKey(_keyValidFrom(word), _keyValidUntil(word), revokedFrom);
        emit IssuerKeyRevoked(issuerId, publicKey, revokedFrom);
    }

    function _registerKey(bytes32 issuerId, bytes32 publicKey, uint64 validFrom, uint64 validUntil)
        private
    {
        if (publicKey == bytes32(0)) revert ZeroKey();
        bytes32 keyId = _keyId(issuerId, publicKey);
        if (_keyWords[keyId] != 0) revert KeyAlreadyRegistered(issuerId, publicKey);
        _keyWords[keyId] = _packKey(validFrom, validUntil, 0);
        emit IssuerKeyAdded(issuerId, publicKey, validFrom, validUntil);
    }

    // ---- anchoring accounts ----------------------------------------------------------------

    /// @notice Allow `account` to anchor batches and manage credential status for the issuer.
    ///         An account acts for one issuer at a time.
    /// @param issuerId The issuer; must not be retired.
    /// @param account The Ethereum account.
    function authorizeAccount(bytes32 issuerId, address account) external onlyGovernor {
        _mutableIssuer(issuerId);
        if (account == address(0)) revert ZeroAddress();
        bytes32 key = _accountKey(account);
        uint256 bound = _accountWords[key];
        if (bound != 0) revert AccountAlreadyBound(account, bytes32(bound));
        _accountWords[key] = uint256(issuerId);
        emit AnchoringAccountAuthorized(issuerId, account);
    }

    /// @notice Stop `account` from acting for its issuer.
    /// @param account A currently authorized account.
    function removeAccount(address account) external onlyGovernor {
        bytes32 key = _accountKey(account);
        uint256 bound = _accountWords[key];
        if (bound == 0) revert AccountNotBound(account);
        delete _accountWords[key];
        emit AnchoringAccountRemoved(bytes32(bound), account);
    }

    function _callerIssuer() internal view returns (bytes32 issuerId) {
        issuerId = bytes32(_accountWords[_accountKey(msg.sender)]);
        if (issuerId == bytes32(0)) revert NotAnchoringAccount(msg.sender);
    }

    function _requireActive(bytes32 issuerId) internal view returns (uint256 word) {
        word = _issuerWords[issuerId];
        IssuerStatus status = _issuerStatus(word);
        if (status != IssuerStatus.ACTIVE) revert IssuerNotActive(issuerId, status);
        uint64 validFrom = _issuerValidFrom(word);
        uint64 validUntil = _issuerValidUntil(word);
        if (block.timestamp < validFrom || (validUntil != 0 && block.timestamp >= validUntil)) {
            revert OutsideAccreditationWindow(
                issuerId, validFrom, validUntil, uint64(block.timestamp)
            );
        }
    }

    function _existingIssuer(bytes32 issuerId) internal view returns (uint256 word) {
        word = _issuerWords[issuerId];
        if (word == 0) revert UnknownIssuer(issuerId);
    }

    function _mutableIssuer(bytes32 issuerId) private view returns (uint256 word) {
        word = _existingIssuer(issuerId);
        if (_issuerStatus(word) == IssuerStatus.RETIRED) revert IssuerRetired(issuerId);
    }

    function _checkWindow(uint64 validFrom, uint64 validUntil) private pure {
        if (validUntil != 0 && validUntil <= validFrom) revert InvalidWindow(validFrom, validUntil);
    }

    // ---- views -----------------------------------------------------------------------------

    /// @notice The issuer id for a DID: keccak256 of its UTF-8 bytes.
    /// @param did The DID string.
    /// @return The issuer id.
    function issuerIdOf(string calldata did) external pure returns (bytes32) {
        return keccak256(bytes(did));
    }

    /// @notice The issuer's decoded record (status NONE when never accredited).
    /// @param issuerId The issuer.
    /// @return record Status, number, accreditation window and time of the last status change.
    function issuer(bytes32 issuerId) external view returns (IssuerRecord memory record) {
        uint256 word = _issuerWords[issuerId];
        record = IssuerRecord({
            status: _issuerStatus(word),
            issuerNumber: _issuerNumber(word),
            validFrom: _issuerValidFrom(word),
            validUntil: _issuerValidUntil(word),
            statusSince: _issuerStatusSince(word)
        });
    }

    /// @notice The issuer's DID as accredited.
    /// @param issuerId The issuer.
    /// @return The DID ("" when unknown).
    function issuerDid(bytes32 issuerId) external view returns (string memory) {
        return _issuerDids[issuerId];
    }

    /// @notice The issuer's display name.
    /// @param issuerId The issuer.
    /// @return The name ("" when unknown).
    function issuerName(bytes32 issuerId) external view returns (string memory) {
        return _issuerNames[issuerId];
    }

    /// @notice The issuer id with a given issuer number (as recorded in batch words).
    /// @param issuerNumber 1-based accreditation order.
    /// @return The issuer id (zero when no such issuer).
    function issuerIdByNumber(uint32 issuerNumber) public view returns (bytes32) {
        return _issuerIdsByNumber[issuerNumber];
    }

    /// @notice How many issuers were ever accredited.
    /// @return The count (also the highest issuer number).
    function issuerCount() external view returns (uint32) {
        return _issuerCount;
    }

    /// @notice Whether the issuer may anchor at this block: active and inside its window.
    /// @param issuerId The issuer.
    /// @return True when active now.
    function isIssuerActive(bytes32 issuerId) external view returns (bool) {
        return _isActiveNow(_issuerWords[issuerId]);
    }

    /// @notice The decoded key record of one issuer key.
    /// @param issuerId The issuer.
    /// @param publicKey The raw Ed25519 public key.
    /// @return record Registration flag, validity window and revocation time.
    function issuerKey(bytes32 issuerId, bytes32 publicKey)
        external
        view
        returns (KeyRecord memory record)
    {
        uint256 word = _keyWords[_keyId(issuerId, publicKey)];
        record = KeyRecord({
            registered: word & 1 == 1,
            validFrom: _keyValidFrom(word),
            validUntil: _keyValidUntil(word),
            revokedFrom: _keyRevokedFrom(word)
        });
    }

    /// @notice Whether a key was valid for the issuer at time `at`: registered, inside its
    ///         window and not revoked by then. Says nothing about the issuer's own status.
    /// @param issuerId The issuer.
    /// @param publicKey The raw Ed25519 public key.
    /// @param at Unix seconds.
    /// @return True when valid at `at`.
    function isKeyValidAt(bytes32 issuerId, bytes32 publicKey, uint64 at)
        external
        view
        returns (bool)
    {
        uint256 word = _keyWords[_keyId(issuerId, publicKey)];
        if (word == 0 || at < _keyValidFrom(word)) return false;
        uint64 validUntil = _keyValidUntil(word);
        if (validUntil != 0 && at >= validUntil) return false;
        uint64 revokedFrom = _keyRevokedFrom(word);
        return revokedFrom == 0 || at < revokedFrom;
    }

    /// @notice The issuer an account anchors for.
    /// @param account The Ethereum account.
    /// @return The issuer id (zero when none).
    function accountIssuer(address account) external view returns (bytes32) {
        return bytes32(_accountWords[_accountKey(account)]);
    }

    /// @notice The raw issuer word, as an EIP-1186 proof of its slot shows it.
    /// @param issuerId The issuer.
    /// @return The packed word (layout in RegistryFacts).
    function issuerWord(bytes32 issuerId) external view returns (uint256) {
        return _issuerWords[issuerId];
    }

    /// @notice The raw key word.
    /// @param issuerId The issuer.
    /// @param publicKey The raw Ed25519 public key.
    /// @return The packed word (layout in RegistryFacts).
    function keyWord(bytes32 issuerId, bytes32 publicKey) external view returns (uint256) {
        return _keyWords[_keyId(issuerId, publicKey)];
    }

    /// @notice The raw account word.
    /// @param account The Ethereum account.
    /// @return The issuer id as a word.
    function accountWord(address account) external view returns (uint256) {
        return _accountWords[_accountKey(account)];
    }

    /// @notice The raw accreditation scope word (0 = no scope; layout in RegistryFacts).
    /// @param issuerId The issuer.
    /// @return The packed word.
    function scopeWord(bytes32 issuerId) external view returns (uint256) {
        return _scopeWords[issuerId];
    }

    /// @notice Whether `account` is a governor.
    /// @param account Any account.
    /// @return True for a governor.
    function isGovernor(address account) external view returns (bool) {
        return _governors[account];
    }

    function _isGovernor(address account) internal view returns (bool) {
        return _governors[account];
    }

    /// @notice The number of governors.
    /// @return The count.
    function governorCount() external view returns (uint256) {
        return _governorCount;
    }

    /// @notice Approvals a governor change needs now: a strict majority of the governors.
    /// @return The threshold.
    function approvalsRequired() public view returns (uint256) {
        return _governorCount / 2 + 1;
    }

    /// @notice A governor change proposal.
    /// @param proposalId The proposal.
    /// @return The stored proposal (all zero when unknown).
    function governorProposal(uint256 proposalId) external view returns (GovernorProposal memory) {
        return _proposals[proposalId];
    }

    /// @notice Whether `governor` approved `proposalId`.
    /// @param proposalId The proposal.
    /// @param governor The governor.
    /// @return True when approved.
    function hasApproved(uint256 proposalId, address governor) external view returns (bool) {
        return _approvals[proposalId][governor];
    }

    /// @notice The number of proposals ever made (the latest proposal id).
    /// @return The count.
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    function _isActiveNow(uint256 word) internal view returns (bool) {
        if (_issuerStatus(word) != IssuerStatus.ACTIVE) return false;
        uint64 validUntil = _issuerValidUntil(word);
        return block.timestamp >= _issuerValidFrom(word)
            && (validUntil == 0 || block.timestamp < validUntil);
    }
}
