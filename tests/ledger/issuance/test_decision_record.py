"""A learning record that carries a recognition decision becomes a decision credential:
the member goes into credentialSubject.recognition as it is, checked on the way in."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from ledger.errors import InputError
from ledger.issuance import LearningRecord
from tests.verifier.credit.decisions import (
    COMMUNITY_RECORD,
    CST,
    ELECTRICIAN_RECORD,
    Issuers,
    decide,
    decision_record,
    issue,
    read_sources,
)
from verifier.credit.decision import recognition_of


@pytest.fixture(scope="module")
def decision(tmp_path_factory):
    issuers = Issuers.create(tmp_path_factory.mktemp("issuers"))
    electrician = issue(issuers.vocational, ELECTRICIAN_RECORD)
    community = issue(issuers.elderly, COMMUNITY_RECORD,
                      at=datetime(2026, 12, 10, 10, tzinfo=CST))
    return decide(issuers.university, read_sources(electrician, community))


def test_the_member_is_written_into_the_subject(decision) -> None:
    subject = decision["credentialSubject"]
    assert subject["achievement"]["achievementType"] == "ext:CreditRecognition"
    recognition = recognition_of(decision)
    assert recognition.destination.programme == "EA-2027"
    assert len(recognition.sources) == 2 and not recognition.partial


def test_a_malformed_member_is_refused_as_input(decision) -> None:
    member = copy.deepcopy(decision["credentialSubject"]["recognition"])
    del member["ruleSet"]
    with pytest.raises(InputError, match="ruleSet is required"):
        LearningRecord.from_json(decision_record(member))


def test_the_member_and_the_achievement_type_go_together(decision) -> None:
    member = copy.deepcopy(decision["credentialSubject"]["recognition"])
    record = decision_record(member)
    record["achievement"]["type"] = "Course"
    with pytest.raises(InputError, match="recognition member"):
        LearningRecord.from_json(record)
    plain = {**copy.deepcopy(ELECTRICIAN_RECORD)}
    plain["achievement"]["type"] = "ext:CreditRecognition"
    with pytest.raises(InputError, match="recognition member"):
        LearningRecord.from_json(plain)
