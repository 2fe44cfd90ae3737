"""The job-seeking verification part of `credbank up --demo`: the employer and its request
are made once and found again; a demo learner's electrician certificate answers it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.cli.demo import COURSES, LEARNERS, record_json
from api.cli.demo_hiring import create_hiring_demo, hiring_lines
from api.service import presentations
from api.service.context import Service

from .conftest import Tenant
from .test_learner import anchor, sign_in


def test_the_demo_request_is_made_once_and_a_demo_certificate_answers_it(
        client: TestClient, service: Service, college: Tenant, learner):
    first = create_hiring_demo(service)
    again = create_hiring_demo(service)
    assert first.key is not None and again.key is None
    assert again.request_id == first.request_id
    lines = "\n".join(hiring_lines("http://127.0.0.1:8600", first))
    assert first.link in lines and first.key in lines
    certificate = record_json(LEARNERS[0][0], LEARNERS[0][1], COURSES["vocational-centre"][0],
                              "vocational")
    issued = client.post("/v1/credentials", json=certificate, headers=college.headers).json()
    anchor(service, issued["id"])
    answer = client.post(f"/v1/learner/requests/{first.request_id}/presentation",
                         headers=sign_in(client), json={
                             "choices": {"electrician": [issued["id"]],
                                         "credits": [issued["id"]]}, "revealName": True})
    assert answer.status_code == 201, answer.text
    result = answer.json()["resultOnArrival"]
    assert [j["met"] for j in result["requirements"]] == [False, False]
    # without a chain here the status is unknown, so nothing counts; the service's own
    # check, accepting that gap, meets both
    row = presentations.public_request(service, first.request_id)
    row.accept = ["status"]
    document = client.get(f"/v1/learner/presentations/{answer.json()['id']}",
                          headers=sign_in(client)).json()["presentation"]
    judged = presentations.check(service, row, document)
    assert [j.met for j in judged.requirements] == [True, True]
    assert judged.names == ("张伟",)
