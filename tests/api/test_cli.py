"""The credbank command line, run as a user would: issue, derive, trust; `up`'s refusals
(tests/service/test_up.py runs `up --demo` itself)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from api.cli import main
from tests.credentials import RECORD
from verifier import parse_trust_list, verdict, verify

BIN = Path(sys.executable).parent


def cli(args, capsys):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def issuer_dir(tmp_path, capsys):
    code, out, _ = cli(["issuer", "create", "--dir", tmp_path / "ou", "--name",
                        "上海开放大学"], capsys)
    assert code == 0 and out.startswith("did:key:z6Mk")
    return tmp_path / "ou"


def test_issue_one_derive_and_verify_with_trust_file(tmp_path, issuer_dir, capsys) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps(RECORD, ensure_ascii=False), encoding="utf-8")
    assert cli(["issue", "--issuer", issuer_dir, record, "--out", tmp_path / "c.json"],
               capsys)[0] == 0
    assert cli(["trust", "write", "--issuer", issuer_dir, "--out", tmp_path / "trust.json"],
               capsys)[0] == 0
    code, _, err = cli(["derive", tmp_path / "c.json", "--reveal", "/credentialSubject/result",
                        "--out", tmp_path / "shared.json"], capsys)
    assert code == 0, err
    trust = parse_trust_list(json.loads((tmp_path / "trust.json").read_text()))
    for name in ("c.json", "shared.json"):
        result = verify((tmp_path / name).read_bytes(), trust=trust)
        assert verdict.explain(result, accept={"status"}).verified
    shared = json.loads((tmp_path / "shared.json").read_text())
    assert "description" not in shared["credentialSubject"]["achievement"]
    assert shared["credentialSubject"]["result"][0]["value"] == "A"


def test_batch_from_jsonl(tmp_path, issuer_dir, capsys) -> None:
    source = tmp_path / "batch.jsonl"
    source.write_text("\n".join(json.dumps({**RECORD, "creditsEarned": i}, ensure_ascii=False)
                                for i in range(12)) + "\n", encoding="utf-8")
    code, out, err = cli(["issue", "-i", issuer_dir, source, "--out", tmp_path / "out"], capsys)
    assert code == 0, err
    manifest = json.loads(out)
    assert manifest["count"] == 12 and manifest["firstStatusIndex"] == 0
    assert len(list((tmp_path / "out").glob("*.json"))) == 13  # 12 + batch.json


@pytest.mark.parametrize("args, reason", [
    (["issue", "--issuer", "{tmp}/nowhere", "{tmp}/r.json"], "no issuer at"),
    (["issue", "--issuer", "{issuer}", "{tmp}/missing.csv", "--out", "{tmp}/o"], "cannot read"),
    (["issue", "--issuer", "{issuer}", "{tmp}/r.jsonl"], "a batch needs --out"),
    (["issue", "--issuer", "{issuer}", "{tmp}/bad.json"], "creditsEarned"),
    (["derive", "{tmp}/r.json", "--reveal", "/x"], "not a W3C VC 2.0 credential"),
    (["issuer", "create", "--dir", "{issuer}", "--name", "again"], "already holds an issuer"),
    (["issue", "--frobnicate"], "No such option"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, issuer_dir, capsys, args, reason) -> None:
    (tmp_path / "r.json").write_text(json.dumps(RECORD, ensure_ascii=False))
    (tmp_path / "r.jsonl").write_text(json.dumps(RECORD, ensure_ascii=False) + "\n")
    (tmp_path / "bad.json").write_text(json.dumps({**RECORD, "creditsEarned": "x"}))
    filled = [a.format(tmp=tmp_path, issuer=issuer_dir) for a in args]
    code, out, err = cli(filled, capsys)
    assert code == 2
    assert reason in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, reason", [
    (["--port", "70000"], "--port must be between 0 and 65535"),
    (["--node-port", "-1"], "--node-port must be between 0 and 65535"),
])
def test_up_refuses_bad_ports(tmp_path, capsys, args, reason) -> None:
    code, _, err = cli(["up", "--data-dir", tmp_path / "data", *args], capsys)
    assert code == 2 and reason in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()


def test_up_refuses_a_chain_file_without_its_node(tmp_path, capsys) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "chain.json").write_text(json.dumps({
        "type": "CredbankChain", "version": 1, "rpcUrl": "http://127.0.0.1:1", "chainId": 1337,
        "registry": "0x" + "11" * 20}))
    code, _, err = cli(["up", "--data-dir", data, "--port", "0", "--node-port", "0"], capsys)
    assert code == 2 and "holds no node" in err and len(err.strip().splitlines()) == 1
    assert not (data / "node").exists() and not (data / "governor.key").exists()
