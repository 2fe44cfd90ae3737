"""Whether a credential lies within its issuer's accreditation scope.

A governor may limit an issuer to some sectors and to levels up to a rank of the
qualification framework (docs/contracts.md, accreditation scope). The limit is a registry
fact (``ChainEvidence.scope``); a credential states its sector in
``credentialSubject.achievement.sector`` (a ``verifier.credit.Sector`` value) and its level
in ``credentialSubject.achievement.level`` (a level code of the framework). Turning the
code into a rank needs the framework document: the one given with the evidence
(``verifier.published.framework_in_force``).

The rule fails closed:

* no scope, or a scope not set: nothing to check;
* the sector must be stated (disclosed) and in the scope's sectors;
* with a level limit, the level must be stated, a level of the framework, and of a rank at
  most the limit; without a framework the limit cannot be judged, which is a problem too.

These are functions for callers that hold chain evidence (the service, a decision
workflow), not one of ``checks.ORDER``: the verdict's list of checks is shared with every
view and translation of it. ``scope_problem`` takes the scope and the framework from the
evidence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from . import timefmt
from .credential import Credential, parse
from .credit import Framework
from .errors import CredentialError
from .evidence.bundle import ChainEvidence
from .evidence.errors import EvidenceError, NotCovered
from .published import framework_in_force
from .registry_layout import SECTORS, ScopeFact


def achievement_of(credential: Credential | dict[str, Any]) -> dict[str, Any]:
    """``credentialSubject.achievement`` of a credential or its document ({} if absent)."""
    document = credential.document if isinstance(credential, Credential) else credential
    subject = document.get("credentialSubject") if isinstance(document, dict) else None
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    return achievement if isinstance(achievement, dict) else {}


def _sectors(scope: ScopeFact) -> str:
    return ", ".join(s for s in SECTORS if s in scope.sectors)


def check_scope(
    credential: Credential | dict[str, Any],
    scope: ScopeFact | None,
    framework: Framework | None,
) -> str | None:
    """Why the credential lies outside its issuer's accreditation scope, or None when it
    lies within it (or the issuer has no scope). ``credential`` is a parsed credential or
    its JSON document; ``scope`` the issuer's proven scope; ``framework`` the framework
    that ranks levels."""
    if scope is None or not scope.set:
        return None
    achievement = achievement_of(credential)
    sector = achievement.get("sector")
    if not isinstance(sector, str):
        return (f"the credential states no sector, and the issuer is accredited for "
                f"{_sectors(scope)} only")
    if sector not in scope.sectors:
        return (f"sector {sector} is outside the issuer's accreditation scope "
                f"({_sectors(scope)})")
    if scope.max_level_rank == 0:
        return None
    level = achievement.get("level")
    if not isinstance(level, str):
        return (f"the credential states no level, and the issuer is accredited up to level "
                f"rank {scope.max_level_rank} only")
    if framework is None:
        return (f"the issuer is accredited up to level rank {scope.max_level_rank}, and no "
                f"qualification framework was given to rank level {level}")
    found = framework.find(level)
    if found is None:
        return f"level {level} is not a level of framework {framework.id} {framework.version}"
    if found.rank > scope.max_level_rank:
        return (f"level {level} (rank {found.rank}) is above the issuer's accreditation "
                f"scope (up to rank {scope.max_level_rank})")
    return None


def scope_problem(credential: Credential, evidence: ChainEvidence) -> str | None:
    """:func:`check_scope` with the issuer's scope proven by ``evidence`` (as of its block)
    and the framework given with it that the authority has in force then.

    Evidence that does not cover the scope (a bundle made before scopes existed, or for a
    registry without them) gives no scope: None. Any other evidence failure raises
    ``EvidenceError``. When the credential falls outside a scope that changed after its
    batch was anchored, the problem says so: the scope at issuance is not on record.
    """
    did = credential.status.institution
    try:
        scope = evidence.scope(did)
    except NotCovered:
        return None
    problem = check_scope(credential, scope, framework_in_force(evidence))
    anchor = credential.ledger.anchor
    if problem is None or anchor is None:
        return problem
    batch = evidence.batch(anchor.batch_root).value
    if batch.anchored and scope.since > batch.timestamp:
        problem += (f"; the scope was last changed at {_moment(scope.since)}, after the "
                    f"batch was anchored at {_moment(batch.timestamp)}")
    return problem


def verdict_problem(document: Any, evidence: Any) -> str | None:
    """For a verdict on a credential that passed its checks (the service's, credbank-verify
    with chain evidence): :func:`scope_problem` when ``evidence`` is chain evidence, else
    None. Evidence that cannot tell the scope fails closed: the problem says why."""
    if not isinstance(evidence, ChainEvidence):
        return None
    try:
        credential = parse(document)
    except CredentialError:
        return None  # the checks failed it already (format)
    try:
        return scope_problem(credential, evidence)
    except EvidenceError as exc:
        return f"the accreditation scope could not be checked: {exc}"


def _moment(unix: int) -> str:
    return timefmt.format(datetime.fromtimestamp(unix, UTC))
