"""`credbank up --demo` as a user runs it: a process serving node, registry, API and pages.

One test walks the README's acceptance: the printed demo keys issue, revoke and verify
through the API, a demo learner shares a credential revealing chosen fields, and a second
`credbank up` on the same data directory redeploys nothing and still has everything.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import httpx
import pytest

from api.cli import demo
from api.service import attendance
from api.service.accounts import register_issuer
from api.service.context import Service
from api.service.models import Credential, Issuer, Learner
from tests.service.conftest import record
from tests.service.test_admin_chain import Chain, chain, database_url  # noqa: F401
from tests.service.test_browser import browser  # noqa: F401
from verifier.cli import main as verify_main

BIN = Path(sys.executable).parent
START_LIMIT_S = 300.0  # bounds on waiting, so a broken build fails instead of hanging
WAIT_LIMIT_S = 120.0
URL = r"http://127\.0\.0\.1:\d+"


@dataclass
class Up:
    process: subprocess.Popen
    lines: list[str] = field(default_factory=list)
    queue: Queue = field(default_factory=Queue)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def read_until(self, marker: str) -> str:
        deadline = time.monotonic() + START_LIMIT_S
        while not any(marker in line for line in self.lines):
            try:
                line = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except Empty:
                raise AssertionError(f"no {marker!r} from credbank up:\n{self.text}") from None
            if line is None:
                raise AssertionError(f"credbank up ended early:\n{self.text}\n"
                                     f"{self.process.stderr.read()}")  # type: ignore[union-attr]
            self.lines.append(line.rstrip("\n"))
        return self.text

    def find(self, pattern: str) -> str:
        found = re.search(pattern, self.text, re.MULTILINE)
        assert found, f"{pattern!r} not in:\n{self.text}"
        return found.group(1)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=WAIT_LIMIT_S)
        while True:  # the rest of what it printed
            line = self.queue.get(timeout=WAIT_LIMIT_S)
            if line is None:
                return code
            self.lines.append(line.rstrip("\n"))


def start_up(data_dir: Path, *extra: str) -> Up:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CREDBANK_") and k != "DATABASE_URL"}
    process = subprocess.Popen(
        [BIN / "credbank", "up", "--data-dir", str(data_dir), "--port", "0",
         "--node-port", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    up = Up(process)

    def pump() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            up.queue.put(line)
        up.queue.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return up


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Callable[..., Up]]:
    started: list[Up] = []

    def start(*extra: str) -> Up:
        up = start_up(tmp_path / "data", *extra)
        started.append(up)
        up.read_until("Stop with Ctrl-C.")
        return up

    yield start
    for up in started:
        if up.process.poll() is None:
            up.process.kill()
            up.process.wait()


def until(what: str, probe: Callable[[], Any]) -> Any:
    """Poll ``probe`` until it returns something truthy; bounded, never a timing assertion."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def checks(verification: dict[str, Any]) -> dict[str, str]:
    return {c["id"]: c["status"] for c in verification["checks"]}


@pytest.mark.slow
def test_up_demo_serves_keys_that_issue_revoke_verify_and_share(running, tmp_path: Path,
                                                                browser):  # noqa: F811
    up = running("--demo")
    base = up.find(rf"API\s+({URL})/v1/")
    assert up.find(rf"API docs\s+({URL}/docs)") == f"{base}/docs"
    assert up.find(rf"learner pages\s+({URL}/login)") == f"{base}/login"
    governor = up.find(r"^\s+governor\s+(cb_\S+)")
    university = up.find(r"^\s+open-university\s+(cb_\S+)")
    login, password = re.search(r"^\s+(zhangwei)\s+password (\S+)", up.text, re.M).groups()
    printed_link = up.find(rf"^\s+({URL}/s/\S+)$")
    assert "32 credentials issued and anchored" in up.text
    assert "registry" in up.find(r"^(registry 0x\w+ deployed on chain \d+)$")
    data = tmp_path / "data"
    assert (data / "governor.key").stat().st_mode & 0o077 == 0
    assert (data / "node" / "signer.key").stat().st_mode & 0o077 == 0
    assert governor not in (data / "credbank.db").read_bytes().decode("latin-1")

    http = httpx.Client(base_url=base, timeout=30)
    assert http.get("/docs").status_code == 200
    # the governor sees both institutions accredited on chain
    for slug in ("open-university", "vocational-centre"):
        on_chain = http.get(f"/v1/admin/issuers/{slug}/chain", headers=bearer(governor))
        assert on_chain.status_code == 200, on_chain.text
        assert on_chain.json()["status"] == "active"

    # issue with the demo institution key; the worker anchors it
    issued = http.post("/v1/credentials", json=record(), headers=bearer(university))
    assert issued.status_code == 201, issued.text
    new_id = issued.json()["id"]

    def anchored(credential_id: str) -> dict[str, Any] | None:
        detail = http.get(f"/v1/credentials/{credential_id}", headers=bearer(university)).json()
        return detail if detail["state"] == "anchored" else None

    new = until("the worker to anchor the new credential", lambda: anchored(new_id))
    verified = http.post("/v1/verify", json=new["credential"]).json()
    assert verified["verified"] is True, verified
    assert checks(verified)["anchored"] == "passed"

    # revoke it; the service's verifier sees the revocation on chain
    revoked = http.post(f"/v1/credentials/{new_id}/revoke", json={"reason": 1},
                        headers=bearer(university))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"

    def revocation_seen() -> dict[str, Any] | None:
        answer = http.post("/v1/verify", json=new["credential"]).json()
        return answer if checks(answer)["not_revoked"] == "failed" else None

    assert until("the revocation in the evidence", revocation_seen)["verified"] is False

    # a demo learner signs in, sees the credential and shares chosen fields of another
    session = http.post("/v1/learner/session", json={"login": login, "password": password})
    assert session.status_code == 200, session.text
    learner = bearer(session.json()["token"])
    own = http.get("/v1/learner/credentials", headers=learner).json()
    assert new_id in {c["id"] for c in own}
    shareable = next(c for c in own if c["id"] != new_id and c["creditsEarned"])
    link = http.post("/v1/learner/links", headers=learner, json={
        "credentialId": shareable["id"], "expiresInDays": 7,
        "reveal": ["/credentialSubject/creditsEarned"]})
    assert link.status_code == 201, link.text
    url = link.json()["url"]
    assert url.startswith(f"{base}/s/")
    copy = httpx.get(f"{url}.json", timeout=30).json()
    # the learner's name is revealed unless the learner says not to
    assert set(copy["credentialSubject"]) == {"type", "identifier", "achievement",
                                              "creditsEarned"}
    assert http.post("/v1/verify", json=copy).json()["verified"] is True
    page = httpx.get(url, timeout=30)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]

    # the link printed at start-up opens too, showing the name, credits and result only
    printed = httpx.get(f"{printed_link}.json", timeout=30).json()
    assert set(printed["credentialSubject"]) == {"type", "identifier", "achievement",
                                                 "creditsEarned", "result"}
    assert http.post("/v1/verify", json=printed).json()["verified"] is True
    # ... and in a browser: verified, the chosen fields, not the hidden description
    page = browser.new_page()
    page.goto(f"{printed_link}?lang=en")
    shown = page.inner_text("body")
    assert "✔ Verified" in shown and "Credits earned" in shown, shown
    assert "数据结构" in shown and "完成数据结构的学习" not in shown
    page.close()

    # the credit bank part: the registry is public, the learner's decision is anchored
    assert http.get("/v1/registry/framework").status_code == 200
    assert len(http.get("/v1/registry/standards").json()["standards"]) == 3
    rules = http.get("/v1/registry/rule-sets").json()
    assert up.find(r"hash (0x[0-9a-f]{64}) on chain") == rules[0]["hash"]
    application = up.find(r"^\s+application\s+\S+/v1/learner/recognition/applications/(\S+)$")
    decided = http.get(f"/v1/learner/recognition/applications/{application}",
                       headers=learner).json()
    assert decided["state"] == "approved", decided
    decision = http.get(f"/v1/learner/credentials/{decided['decision']['credential']}",
                        headers=learner).json()
    assert http.post("/v1/verify", json=decision).json()["verified"] is True
    assert "credbank-verify" in up.text and "/v1/admin/recognition/applications" in up.text

    # the learning code: yesterday's venue-days anchored, the printed attendance record
    # verifies offline, the check-ins earned points under the published rules
    days = http.get("/v1/admin/attendance", headers=bearer(governor)).json()["days"]
    assert sorted((d["venue"], d["state"]) for d in days) == [
        ("pudong-library", "anchored"), ("xuhui-community-school", "anchored")]
    command = up.find(r"^\s+credbank-verify (\S+attendance\.json --pin \S+)$").split()
    assert verify_main(command) == 0
    # the trust bundle the credit bank part tells to fetch exports with points rules on chain
    assert http.get("/v1/trust-bundle").status_code == 200
    assert json.loads(Path(command[0]).read_text())["entries"]
    earned = http.get("/v1/learner/points", headers=learner).json()["entries"]
    assert sum(Decimal(e["points"]) for e in earned if e["kind"] == "checkin") == Decimal(
        "47.5")  # 2 + 2 hours at 10 points, 1.5 at 5

    chain_before = json.loads((data / "chain.json").read_text())
    assert up.stop() == 0, up.process.stderr.read()
    assert "stopped" in up.lines[-1]

    # a second run: the same registry, nothing deployed, no demo added, data still there
    again = running("--demo")
    assert not re.search(r"^(registry .* deployed|embedded node created|governor account)",
                         again.text, re.M), again.text
    assert "made by an earlier run; nothing added" in again.text and "cb_" not in again.text
    chain_after = json.loads((data / "chain.json").read_text())
    assert chain_after["registry"] == chain_before["registry"]
    assert chain_after["chainId"] == chain_before["chainId"]
    base2 = again.find(rf"API\s+({URL})/v1/")
    http2 = httpx.Client(base_url=base2, timeout=30)
    listed = http2.get("/v1/credentials?limit=1", headers=bearer(university))
    # the demo's five courses for four learners, the one issued above, the calligraphy
    assert listed.status_code == 200 and listed.json()["total"] == 5 * 4 + 1 + 1
    # credit_bank was kept in credbank.toml: the archive is signed after the restart
    token = http2.post("/v1/learner/session",
                       json={"login": login, "password": password}).json()["token"]
    archive = http2.get("/v1/learner/archive", headers=bearer(token))
    assert archive.status_code == 200, archive.text
    assert application in again.text  # where to see it, printed again
    assert [d["id"] for d in http2.get("/v1/admin/attendance", headers=bearer(governor))
            .json()["days"]] == [d["id"] for d in days]  # nothing anchored twice
    still = http2.post("/v1/verify", json=new["credential"]).json()
    assert checks(still)["anchored"] == "passed" and checks(still)["not_revoked"] == "failed"
    assert http2.post("/v1/verify", json=printed).json()["verified"] is True
    assert again.stop() == 0


@pytest.mark.slow
def test_up_without_demo_gives_the_authority_a_key_to_start_from(running, tmp_path: Path):
    up = running()
    base = up.find(rf"API\s+({URL})/v1/")
    governor = bearer(up.find(r"^\s+governor\s+(cb_\S+)"))
    assert "Demo" not in up.text
    http = httpx.Client(base_url=base, timeout=30)
    assert http.get("/v1/admin/issuers", headers=governor).json() == []
    assert http.get("/v1/admin/chain", headers=governor).json()["isGovernor"] is True

    created = http.post("/v1/admin/issuers", headers=governor,
                        json={"slug": "my-college", "name": "我的学院"})
    assert created.status_code == 201, created.text
    accredited = http.post("/v1/admin/issuers/my-college/accredit", headers=governor)
    assert accredited.status_code == 200, accredited.text
    assert accredited.json()["status"] == "active"
    key = http.post("/v1/admin/api-keys", headers=governor,
                    json={"role": "institution", "issuer": "my-college"}).json()["apiKey"]
    issued = http.post("/v1/credentials", json=record(), headers=bearer(key)).json()

    def anchored() -> dict[str, Any] | None:
        detail = http.get(f"/v1/credentials/{issued['id']}", headers=bearer(key)).json()
        return detail if detail["state"] == "anchored" else None

    credential = until("the worker to anchor it", anchored)["credential"]
    assert http.post("/v1/verify", json=credential).json()["verified"] is True
    assert up.stop() == 0

    again = running()
    assert "cb_" not in again.text and "only when created" in again.text
    assert again.stop() == 0


def test_a_demo_cut_short_is_finished_by_the_next_run(service: Service, chain: Chain):  # noqa: F811
    # as if the first run stopped right after registering the first institution
    register_issuer(service, *demo.INSTITUTIONS[0])
    assert demo.demo_state(service) == "partial"
    access = demo.create_demo(service)
    assert demo.demo_state(service) == "done"
    assert [slug for slug, _, _ in access.institution_keys] == [s for s, _ in demo.INSTITUTIONS]
    assert len(access.learners) == len(demo.LEARNERS) and access.share_link
    with service.db.session() as session:
        assert session.query(Issuer).count() == 3  # with the credit bank
        assert session.query(Learner).count() == len(demo.LEARNERS)
        states = [c.state for c in session.query(Credential)]
    assert len(states) == access.credentials + 3 == 35 and set(states) == {"anchored"}
    for slug, _ in demo.INSTITUTIONS:
        assert chain.reader().issuer(_did(service, slug)).accredited
    # yesterday's venue-days anchored, the attendance record written
    assert access.checkin is not None and len(access.checkin.anchored) == 2
    assert {d["state"] for d in attendance.list_days(service)["days"]} == {"anchored"}
    assert access.checkin.record is not None
    assert len(json.loads(access.checkin.record.read_text())["entries"]) == 3


def test_a_directory_with_its_own_issuers_gets_no_demo(service: Service):
    assert demo.demo_state(service) == "none"
    register_issuer(service, "city-museum", "城市博物馆")
    assert demo.demo_state(service) == "other"


def _did(service: Service, slug: str) -> str:
    with service.db.session() as session:
        return session.query(Issuer).filter(Issuer.slug == slug).one().did
