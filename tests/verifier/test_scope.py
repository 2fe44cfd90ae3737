"""check_scope: a credential's sector and level against its issuer's accreditation scope."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.verifier.credit.examples import FRAMEWORK
from verifier.credit import parse_framework
from verifier.registry_layout import ScopeFact
from verifier.scope import achievement_of, check_scope

QF = parse_framework(FRAMEWORK)
SCOPE = ScopeFact(True, frozenset({"vocational", "venue"}), 4, 1_700_000_000)
NO_LEVEL_LIMIT = ScopeFact(True, frozenset({"vocational"}), 0, 1_700_000_000)


def document(**achievement: Any) -> dict[str, Any]:
    return {"credentialSubject": {"achievement": {"name": "Electrician", **achievement}}}


def test_within_the_scope() -> None:
    assert check_scope(document(sector="vocational", level="4"), SCOPE, QF) is None
    assert check_scope(document(sector="venue", level="1"), SCOPE, QF) is None
    assert check_scope(document(sector="vocational"), NO_LEVEL_LIMIT, None) is None


def test_no_scope_means_no_limit() -> None:
    assert check_scope(document(), None, None) is None
    assert check_scope(document(sector="degree", level="8"), ScopeFact(False, frozenset(), 0, 0),
                       None) is None


def test_outside_the_scope_or_not_judgeable_fails_closed() -> None:
    cases = [
        (document(sector="degree", level="1"), QF, "sector degree is outside"),
        (document(level="1"), QF, "states no sector"),
        (document(sector="vocational", level="5"), QF, "rank 5) is above"),
        (document(sector="vocational"), QF, "states no level"),
        (document(sector="vocational", level="4"), None, "no qualification framework"),
        (document(sector="vocational", level="本科"), QF, "not a level of framework"),
    ]
    for doc, framework, expected in cases:
        problem = check_scope(doc, SCOPE, framework)
        assert problem is not None and expected in problem, (doc, problem)


def test_reads_a_parsed_credential_too(tmp_path: Path) -> None:
    from tests.credentials import RECORD, issue, make_issuer
    from verifier import credential

    record = copy.deepcopy(RECORD)
    record["achievement"]["level"] = "3"
    parsed = credential.parse(issue(make_issuer(tmp_path / "issuer"), record))
    assert achievement_of(parsed)["level"] == "3"
    # the issued format has no sector member yet: a scope limited by sector fails closed
    assert "states no sector" in check_scope(parsed, SCOPE, QF)
    assert achievement_of({"credentialSubject": []}) == {}


def test_scope_problem_names_a_scope_changed_after_anchoring(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from tests.credentials import RECORD, issue, make_issuer
    from verifier import credential, scope_problem
    from verifier.evidence.documents import CarriedDocument
    from verifier.evidence.errors import NotCovered
    from verifier.registry_layout import BatchFact, DocumentFact, DocumentKind

    record = copy.deepcopy(RECORD)
    record["achievement"]["level"] = "5"
    parsed = credential.parse(issue(make_issuer(tmp_path / "issuer"), record))
    anchored_at = 1_700_000_000
    batch = BatchFact(True, False, 0, 1, 10, anchored_at, 1)

    def evidence(scope: ScopeFact | None) -> Any:
        def scope_of(did: str) -> ScopeFact:
            if scope is None:
                raise NotCovered("no proof")
            return scope

        carried = CarriedDocument(bytes.fromhex(QF.hash()[2:]), QF.to_json())
        published = DocumentFact(True, False, DocumentKind.FRAMEWORK, 0, 1, 1, 0)
        return SimpleNamespace(scope=scope_of, block_time=anchored_at,
                               documents={carried.hash: carried},
                               document=lambda digest: published,
                               batch=lambda root: SimpleNamespace(value=batch))

    assert scope_problem(parsed, evidence(None)) is None  # a bundle from before scopes
    later = ScopeFact(True, frozenset({"degree"}), 4, anchored_at + 60)
    problem = scope_problem(parsed, evidence(later))
    assert problem is not None and "states no sector" in problem
    assert "after the batch was anchored" in problem
    earlier = ScopeFact(True, frozenset({"degree"}), 4, anchored_at - 60)
    assert "after the batch" not in scope_problem(parsed, evidence(earlier))
