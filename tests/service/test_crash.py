"""Exactly once, for real: kill -9 the service and the node while 10,000 credentials are
signed and anchored, restart them, and count.

Both run as subprocesses on loopback (`credbank node run`, `credbank serve`). A seeded
random schedule (the seed is printed; set CREDBANK_CRASH_SEED to replay one) kills the
service, the node or both up to five times (at least three) while work remains, and
restarts them. Then every accepted credential must be anchored, in exactly one batch,
each batch root anchored on chain exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import IO

import pytest
import requests
from web3 import Web3

from api.service.accounts import create_api_key, register_issuer
from api.service.context import Service
from api.service.settings import Settings
from ledger.issuance import IssuerIdentity
from tests.credentials import identity_number
from verifier import fetch_evidence, parse_trust_list, verify

from .chain_fixtures import connect_and_accredit, deploy_registry
from .conftest import record

pytestmark = pytest.mark.slow

RECORDS = 10_000
KILLS = 5
MIN_KILLS = 3  # while work remains; the schedule usually fits all five
SETTLE_TIMEOUT_S = 240  # bound on waiting for the work to finish after the last restart
CREDBANK = [sys.executable, "-m", "api.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """One restartable subprocess; its output is appended to a log file."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str]) -> None:
        self.name, self.args, self.log_path, self.env = name, args, log, env
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in kill()
        self._log.write(f"---- start {self.name}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.args, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=self.env, cwd=Path(__file__).resolve().parents[2])

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"== {self.name} log (tail)\n" + text[-4000:]


def _wait_until(check, what: str, timeout: float, procs: list[Process]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        for proc in procs:
            if proc.proc is not None and proc.proc.poll() is not None:
                raise AssertionError(f"{proc.name} exited while waiting for {what}\n"
                                     + proc.tail())
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n"
                         + "\n".join(p.tail() for p in procs))


def _answers(url: str, headers: dict[str, str] | None = None) -> bool:
    try:
        return requests.get(url, headers=headers, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _node_up(url: str) -> bool:
    try:
        answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                          "params": []}, timeout=2)
        return answer.status_code == 200 and "result" in answer.json()
    except (requests.RequestException, ValueError):
        return False


class Ledger:
    """Read-only looks at the service's SQLite database (no write lock taken)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def query(self, sql: str, *params: object) -> list[tuple]:
        connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            return connection.execute(sql, params).fetchall()
        finally:
            connection.close()

    def one(self, sql: str, *params: object) -> object:
        return self.query(sql, *params)[0][0]

    def remaining(self) -> tuple[int, int, int]:
        """(unsigned job rows, pending credentials, prepared batches)."""
        return (self.one("SELECT count(*) FROM job_records WHERE credential_id IS NULL"),
                self.one("SELECT count(*) FROM credentials WHERE state = 'pending'"),
                self.one("SELECT count(*) FROM anchor_batches WHERE state = 'prepared'"))


def test_kill_9_service_and_node_during_10000_credentials_anchors_each_exactly_once(
    tmp_path: Path,
):
    seed = int(os.environ.get("CREDBANK_CRASH_SEED", random.SystemRandom().randrange(2**32)))
    print(f"crash schedule seed: {seed} (replay with CREDBANK_CRASH_SEED={seed})")
    rng = random.Random(seed)

    node_dir, data_dir = tmp_path / "node", tmp_path / "data"
    subprocess.run([*CREDBANK, "node", "init", "--data-dir", str(node_dir), "--period", "0"],
                   check=True, capture_output=True)
    node_port, api_port = _free_port(), _free_port()
    rpc_url, api_url = f"http://127.0.0.1:{node_port}", f"http://127.0.0.1:{api_port}"
    env = {**os.environ, "CREDBANK_DATA_DIR": str(data_dir), "CREDBANK_BATCH_SIZE": "700",
           "CREDBANK_BATCH_AGE_SECONDS": "0.5", "CREDBANK_WORKER_POLL_SECONDS": "0.1",
           "CREDBANK_MAX_REQUEST_BYTES": str(64 * 1024 * 1024), "PYTHONUNBUFFERED": "1"}
    env.pop("DATABASE_URL", None)
    env.pop("CREDBANK_DATABASE_URL", None)
    node = Process("node", [*CREDBANK, "node", "run", "--data-dir", str(node_dir), "--rpc",
                            f"127.0.0.1:{node_port}", "--log-level", "WARNING"],
                   tmp_path / "node.log", env)
    service = Process("service", [*CREDBANK, "serve", "--data-dir", str(data_dir),
                                  "--port", str(api_port)], tmp_path / "service.log", env)
    procs = [node, service]
    try:
        node.start()
        _wait_until(lambda: _node_up(rpc_url), "the node", 60, procs)

        # The authority's setup, as `credbank` does it: registry, issuer, its account.
        data_dir.mkdir()
        svc = Service.open(Settings(data_dir=data_dir))
        try:
            issuer = register_issuer(svc, "open-university", "上海开放大学")
            headers = {"Authorization": "Bearer " + create_api_key(
                svc, "institution", "open-university")}
        finally:
            svc.close()
        chain_file, governor_key = deploy_registry(rpc_url, node_dir, data_dir)
        connect_and_accredit(Path(issuer.directory), chain_file, governor_key, node_dir)
        registry = json.loads(chain_file.read_text())["registry"]

        service.start()
        _wait_until(lambda: _answers(f"{api_url}/v1/jobs", headers), "the service", 60, procs)
        body = "".join(json.dumps(record(learner_id=identity_number(i),
                                         creditsEarned=i % 7), ensure_ascii=False) + "\n"
                       for i in range(RECORDS)).encode()
        answer = requests.post(f"{api_url}/v1/jobs", data=body, timeout=120, headers={
            **headers, "Content-Type": "application/x-ndjson"})
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]

        # -- the crashes ------------------------------------------------------------------
        ledger = Ledger(data_dir / "credbank.db")
        kills: list[str] = []
        while len(kills) < KILLS:
            time.sleep(rng.uniform(0.1, 0.8))  # short: on a quiet machine the work is quick
            remaining = ledger.remaining()
            if not any(remaining):
                break
            victims = rng.choice([[service], [node], [node, service]])
            for victim in victims:
                victim.kill()
            kills.append(f"{'+'.join(v.name for v in victims)} with (unsigned, pending, "
                         f"prepared) = {remaining}")
            print("kill -9", kills[-1])
            time.sleep(rng.uniform(0, 0.5))
            if node in victims:
                node.start()
                _wait_until(lambda: _node_up(rpc_url), "the node to restart", 60, procs)
            if service in victims:
                service.start()
                _wait_until(lambda: _answers(f"{api_url}/v1/jobs", headers),
                            "the service to restart", 60, procs)

        assert len(kills) >= MIN_KILLS, (
            f"the work finished after only {len(kills)} kill(s); kill sooner")
        _wait_until(lambda: ledger.remaining() == (0, 0, 0), "every credential anchored",
                    SETTLE_TIMEOUT_S, procs)
        job = requests.get(f"{api_url}/v1/jobs/{job_id}", headers=headers, timeout=10).json()
        assert (job["state"], job["done"], job["total"]) == ("done", RECORDS, RECORDS)

        # -- the count ----------------------------------------------------------------------
        credentials = ledger.query(
            "SELECT id, state, batch_id, status_index, claims_root, document FROM credentials")
        assert len(credentials) == RECORDS
        assert {c[1] for c in credentials} == {"anchored"}
        assert sorted(c[3] for c in credentials) == list(range(RECORDS)), "status index reused"
        signed = [r[0] for r in ledger.query("SELECT credential_id FROM job_records")]
        assert len(signed) == RECORDS and set(signed) == {c[0] for c in credentials}

        batches = {b[0]: b for b in ledger.query(
            "SELECT id, root, count, state, transaction_hash, block_number FROM anchor_batches")}
        assert {b[3] for b in batches.values()} == {"anchored"}
        members = Counter(c[2] for c in credentials)
        assert None not in members
        assert all(members[i] == b[2] for i, b in batches.items())
        assert sum(b[2] for b in batches.values()) == RECORDS

        w3 = Web3(Web3.HTTPProvider(rpc_url))
        topic = Web3.keccak(text="BatchAnchored(bytes32,bytes32,uint256)")
        logs = w3.eth.get_logs({"address": registry, "fromBlock": 0, "toBlock": "latest",
                                "topics": [topic]})
        on_chain = Counter("0x" + bytes(log["topics"][1]).hex() for log in logs)
        assert on_chain == Counter(b[1] for b in batches.values()), "a root anchored twice"
        tx_of = {"0x" + bytes(log["topics"][1]).hex(): "0x" + bytes(log["transactionHash"]).hex()
                 for log in logs}

        for credential_id, _, batch_id, _, _, text in credentials:
            anchor = json.loads(text)["proof"][1]["anchor"]
            batch = batches[batch_id]
            assert anchor["batchRoot"] == batch[1], credential_id
            assert anchor["transactionHash"] == batch[4] == tx_of[batch[1]], credential_id
            assert anchor["blockNumber"] == batch[5], credential_id

        trust = parse_trust_list({"type": "CredbankTrustList", "version": 1, "issuers": [
            IssuerIdentity.load(issuer.directory).trust_entry()]})
        evidence = fetch_evidence(rpc_url, registry)
        for _, _, _, _, _, text in rng.sample(credentials, 25):
            result = verify(json.loads(text), trust=trust, evidence=evidence)
            assert result.verified, result
        print(f"{len(kills)} kills; {len(batches)} batches; seed {seed}")
    finally:
        for proc in procs:
            proc.kill()
