"""Batch issuance jobs: every row checked before any is stored, then signed in chunks."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.service.context import Service
from api.service.jobs import JobRunner, parse_records, stored
from api.service.models import Credential, Job, JobRecord
from ledger.issuance import LearningRecord
from verifier import verify

from .conftest import LEARNER_ID, Tenant, record


def _lines(records: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


CSV_ROW = {"learner_id": LEARNER_ID, "learner_name": "张伟", "achievement_type": "Course",
           "achievement_name": "高等数学", "description": "完成高等数学课程。", "credits": "3"}


def _submit(client: TestClient, tenant: Tenant, body: bytes, media: str):
    return client.post("/v1/jobs", content=body,
                       headers={**tenant.headers, "Content-Type": media})


def _count(service: Service, model: type) -> int:
    with service.db.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("media, body", [
    ("application/json", json.dumps([record(), record(), record()]).encode()),
    ("application/x-ndjson", _lines([record(), record(), record()])),
    ("text/csv; charset=utf-8", _csv([CSV_ROW, CSV_ROW, CSV_ROW])),
])
def test_a_job_is_accepted_then_signed_into_credentials(
    client: TestClient, service: Service, university: Tenant, media: str, body: bytes,
):
    answer = _submit(client, university, body, media)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["state"] == "queued" and job["total"] == 3 and job["done"] == 0
    assert answer.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert _count(service, Credential) == 0

    JobRunner(service, chunk=2).run_all()

    done = client.get(answer.headers["Location"], headers=university.headers).json()
    assert (done["state"], done["done"], done["total"], done["anchored"]) == ("done", 3, 3, 0)
    assert done["finishedAt"]
    page = client.get(f"/v1/jobs/{job['id']}/credentials", headers=university.headers).json()
    assert [item["row"] for item in page["items"]] == [1, 2, 3]
    assert sorted(i["credential"]["statusIndex"] for i in page["items"]) == [0, 1, 2]
    for item in page["items"]:
        detail = client.get(f"/v1/credentials/{item['credential']['id']}",
                            headers=university.headers).json()
        assert detail["state"] == "pending"
        result = verify(detail["credential"])
        assert result.check("integrity").status == "passed"
        assert result.check("issuer_signature").status == "passed"
    # once signed, a row keeps no identity number
    with service.db.session() as session:
        kept = session.scalars(select(JobRecord.record)).all()
    assert kept == [{}, {}, {}]
    assert LEARNER_ID not in json.dumps(kept)


def test_chunks_commit_progress_and_never_sign_a_row_twice(
    client: TestClient, service: Service, university: Tenant,
):
    job = _submit(client, university, _lines([record()] * 5), "application/x-ndjson").json()
    runner = JobRunner(service, chunk=2)
    assert runner.sign_chunk(job["id"]) == 2
    progress = client.get(f"/v1/jobs/{job['id']}", headers=university.headers).json()
    assert (progress["state"], progress["done"]) == ("running", 2)
    # a restarted runner continues where the committed chunks left off
    JobRunner(service, chunk=2).run_all()
    assert _count(service, Credential) == 5
    with service.db.session() as session:
        signed = session.scalars(select(JobRecord.credential_id)).all()
        indices = sorted(session.scalars(select(Credential.status_index)))
    assert len(set(signed)) == 5 and None not in signed
    assert indices == [0, 1, 2, 3, 4]
    assert runner.run_once() is False


def test_a_crash_inside_a_chunk_signs_nothing_of_it(
    client: TestClient, service: Service, university: Tenant, monkeypatch: pytest.MonkeyPatch,
):
    job = _submit(client, university, _lines([record()] * 4), "application/x-ndjson").json()
    from api.service import issuing

    real_accept = issuing.accept
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt("power cut")
        return real_accept(*args, **kwargs)

    monkeypatch.setattr(issuing, "accept", crash_on_third)
    runner = JobRunner(service, chunk=4)
    with pytest.raises(KeyboardInterrupt):
        runner.sign_chunk(job["id"])
    assert _count(service, Credential) == 0
    monkeypatch.setattr(issuing, "accept", real_accept)
    runner.run_all()
    with service.db.session() as session:
        assert sorted(session.scalars(select(Credential.status_index))) == [0, 1, 2, 3]
        assert session.get(Job, job["id"]).done == 4


@pytest.mark.parametrize("media, body, names", [
    ("application/json", json.dumps([record(), record(creditsEarned=-1)]).encode(),
     "record 2"),
    ("application/x-ndjson", _lines([record(), record()]) + b"{oops\n", "line 3"),
    ("application/x-ndjson", _lines([record(), {"learner": {"name": "no id"}}]), "line 2"),
    ("text/csv", _csv([CSV_ROW, {**CSV_ROW, "credits": "many"}]), "row 3"),
    ("text/csv", _csv([{**CSV_ROW, "colour": "red"}]), "colour"),
    ("application/json", json.dumps(record()).encode(), "array"),
    ("application/json", b"[]", "no learning records"),
    ("application/json", b"[1, 2", "not JSON"),
    ("application/json", json.dumps([record(validFrom="2026-09-01T00:00:00Z",
                                            validUntil="2026-01-01T00:00:00Z")]).encode(),
     "record 1"),
])
def test_a_bad_row_refuses_the_whole_job(
    client: TestClient, service: Service, university: Tenant, media: str, body: bytes,
    names: str,
):
    answer = _submit(client, university, body, media)
    assert answer.status_code == 422, answer.text
    assert names in answer.json()["detail"]
    assert "\n" not in answer.json()["detail"]
    assert _count(service, Job) == 0 and _count(service, JobRecord) == 0


def test_unknown_formats_and_oversized_jobs_are_refused(
    client: TestClient, service: Service, university: Tenant, monkeypatch: pytest.MonkeyPatch,
):
    answer = _submit(client, university, b"<records/>", "application/xml")
    assert answer.status_code == 415 and "text/csv" in answer.json()["detail"]
    from api.service import jobs

    monkeypatch.setattr(jobs, "MAX_JOB_RECORDS", 2)
    monkeypatch.setattr(jobs.parse_records, "__defaults__", (2,))
    for media, body in (("application/x-ndjson", _lines([record()] * 3)),
                        ("application/json", json.dumps([record()] * 3).encode()),
                        ("text/csv", _csv([CSV_ROW] * 3))):
        answer = _submit(client, university, body, media)
        assert answer.status_code == 413, answer.text
        assert "at most 2" in answer.json()["detail"]
    big = b"[" + b" " * service.settings.max_job_bytes + b"]"
    assert _submit(client, university, big, "application/json").status_code == 413
    assert _count(service, Job) == 0


def test_only_the_owning_institution_sees_a_job(
    client: TestClient, service: Service, university: Tenant, college: Tenant,
    governor: dict[str, str],
):
    job = _submit(client, university, _lines([record()]), "application/x-ndjson").json()
    JobRunner(service).run_all()
    for path in (f"/v1/jobs/{job['id']}", f"/v1/jobs/{job['id']}/credentials"):
        assert client.get(path, headers=university.headers).status_code == 200
        answer = client.get(path, headers=college.headers)
        assert answer.status_code == 404 and answer.json()["detail"]
        assert client.get(path, headers=governor).status_code == 403
        assert client.get(path).status_code == 401
    assert client.get("/v1/jobs", headers=university.headers).json()["total"] == 1
    assert client.get("/v1/jobs", headers=college.headers).json() == {
        "items": [], "total": 0, "next": None}
    assert client.get(f"/v1/jobs?after={job['id']}", headers=college.headers
                      ).status_code == 422
    for bad in ("not-a-job", "a%00b", job["id"].upper()):
        assert client.get(f"/v1/jobs/{bad}", headers=university.headers).status_code == 404
    assert client.get(f"/v1/jobs/{job['id']}/credentials?after={2**31}",
                      headers=university.headers).status_code == 422
    assert _submit(client, college, b"", "application/json").status_code == 422
    assert client.post("/v1/jobs", content=_lines([record()]),
                       headers={**governor, "Content-Type": "application/x-ndjson"}
                       ).status_code == 403
    assert client.post("/v1/jobs", content=_lines([record()]),
                       headers={"Content-Type": "application/x-ndjson"}).status_code == 401


def test_job_credentials_are_paged_in_row_order(
    client: TestClient, service: Service, university: Tenant,
):
    job = _submit(client, university, _lines([record()] * 5), "application/x-ndjson").json()
    JobRunner(service, chunk=3).sign_chunk(job["id"])  # rows 4 and 5 not signed yet
    url = f"/v1/jobs/{job['id']}/credentials?limit=2"
    first = client.get(url, headers=university.headers).json()
    assert [i["row"] for i in first["items"]] == [1, 2] and first["next"] == 2
    second = client.get(f"{url}&after=2", headers=university.headers).json()
    assert [i["row"] for i in second["items"]] == [3, 4] and second["next"] == 4
    third = client.get(f"{url}&after=4", headers=university.headers).json()
    assert [i["row"] for i in third["items"]] == [5] and third["next"] is None
    assert second["items"][1]["credential"] is None and third["items"][0]["credential"] is None


def test_jobs_are_listed_newest_first_and_paged(
    client: TestClient, service: Service, university: Tenant,
):
    ids = [_submit(client, university, _lines([record()]), "application/x-ndjson").json()["id"]
           for _ in range(3)]
    first = client.get("/v1/jobs?limit=2", headers=university.headers).json()
    assert first["total"] == 3 and len(first["items"]) == 2 and first["next"]
    rest = client.get(f"/v1/jobs?limit=2&after={first['next']}",
                      headers=university.headers).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    listed = [j["id"] for j in first["items"] + rest["items"]]
    assert sorted(listed) == sorted(ids)
    created = [j["createdAt"] for j in first["items"] + rest["items"]]
    assert created == sorted(created, reverse=True)


def test_a_stored_row_reads_back_as_the_record_that_was_checked():
    full = {**CSV_ROW, "learner_id_type": "studentId", "achievement_name_en": "Calculus",
            "description_en": "Completed calculus.", "criteria": "Exam", "field_of_study": "数学",
            "level": "本科", "code": "MATH101", "result": "92",
            "result_description": "百分制", "activity_start": "2026-03-01",
            "activity_end": "2026-07-01T12:00:00+08:00", "valid_from": "2026-07-02T00:00:00Z",
            "valid_until": "2030-07-02T00:00:00+08:00"}
    records = parse_records(_csv([full, CSV_ROW]), "text/csv")
    records += parse_records(json.dumps([record(), record(creditsEarned=2.5)]).encode(),
                             "application/json")
    for checked in records:
        assert LearningRecord.from_json(json.loads(json.dumps(stored(checked)))) == checked


def test_a_row_that_cannot_be_signed_fails_its_job_and_not_the_next(
    client: TestClient, service: Service, university: Tenant,
):
    broken = _submit(client, university, _lines([record()] * 3), "application/x-ndjson").json()
    later = _submit(client, university, _lines([record()]), "application/x-ndjson").json()
    with service.db.session() as session:  # say the stored row was damaged on disk
        row = session.scalars(select(JobRecord).where(JobRecord.job_id == broken["id"],
                                                      JobRecord.row == 2)).one()
        row.record = {"learner": 7}
    JobRunner(service, chunk=10).run_all()
    failed = client.get(f"/v1/jobs/{broken['id']}", headers=university.headers).json()
    assert failed["state"] == "failed" and failed["done"] == 0
    assert failed["error"].startswith("row 2")
    assert client.get(f"/v1/jobs/{later['id']}", headers=university.headers
                      ).json()["state"] == "done"
    with service.db.session() as session:  # the failed chunk left nothing behind
        assert sorted(session.scalars(select(Credential.status_index))) == [0]
