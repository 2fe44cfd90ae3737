"""``credbank node`` commands: init, allow/deny, export/import, errors as exit 2."""

from __future__ import annotations

import json
import os
import stat

from eth_account import Account
from typer.testing import CliRunner

from ledger.node import Node
from ledger.node.cli import app
from ledger.node.datadir import DataDir

runner = CliRunner()


def test_init_writes_genesis_key_and_allow_list(tmp_path) -> None:
    allowed, funded = Account.create(), Account.create()
    data_dir = tmp_path / "node"
    result = runner.invoke(
        app,
        [
            "init",
            "--data-dir",
            str(data_dir),
            "--chain-id",
            "4242",
            "--allow",
            allowed.address,
            "--alloc",
            f"{funded.address}=1000",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["chainId"] == 4242 and summary["senderAllowlist"] == [allowed.address]

    genesis = json.loads((data_dir / "genesis.json").read_text())
    extra = bytes.fromhex(genesis["extraData"][2:])
    assert len(extra) == 32 + 20 + 65 and extra[-65:] == b"\0" * 65
    assert "0x" + extra[32:52].hex() == summary["signers"][0].lower()
    assert genesis["alloc"][funded.address.lower()]["balance"] == hex(1000)
    key_mode = stat.S_IMODE(os.stat(data_dir / "signer.key").st_mode)
    assert key_mode == 0o600
    # The key is never printed.
    key_text = (data_dir / "signer.key").read_text().strip()
    assert key_text[2:] not in result.output
    with Node.open(data_dir) as node:
        assert node.account_db(node.head).get_balance(bytes.fromhex(funded.address[2:])) == 1000


def test_init_takes_the_signer_key_from_a_file(tmp_path) -> None:
    signer = Account.create()
    key_file = tmp_path / "signer.hex"
    key_file.write_text(signer.key.hex())
    result = runner.invoke(
        app, ["init", "--data-dir", str(tmp_path / "node"), "--signer-key-file", str(key_file)]
    )
    assert result.exit_code == 0, result.output
    assert signer.address in result.stdout


def test_bad_input_exits_2_with_one_line(tmp_path) -> None:
    data_dir = str(tmp_path / "node")
    assert runner.invoke(app, ["init", "--data-dir", data_dir]).exit_code == 0
    cases = [
        ["init", "--data-dir", data_dir],  # already initialised
        ["allow", "--data-dir", data_dir, "0x1234"],  # not an address
        ["allow", "--data-dir", str(tmp_path / "missing"), Account.create().address],
        ["run", "--data-dir", data_dir, "--rpc", "no-port"],
        ["import", "--data-dir", data_dir, str(tmp_path / "absent.rlp")],
        ["init", "--data-dir", str(tmp_path / "other"), "--alloc", "0x12=abc"],
    ]
    for args in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output


def test_a_bad_key_file_is_refused_without_echoing_it(tmp_path) -> None:
    key_file = tmp_path / "signer.hex"
    secret_looking = "0x" + "ab" * 31  # 31 bytes: not a key, but must not be echoed
    key_file.write_text(secret_looking)
    result = runner.invoke(
        app, ["init", "--data-dir", str(tmp_path / "node"), "--signer-key-file", str(key_file)]
    )
    assert result.exit_code == 2
    assert secret_looking not in result.output and "ab" * 31 not in result.stderr


def test_allow_and_deny_persist_in_the_data_dir(tmp_path) -> None:
    data_dir = tmp_path / "node"
    first, second = Account.create(), Account.create()
    runner.invoke(app, ["init", "--data-dir", str(data_dir), "--allow", first.address])
    assert runner.invoke(app, ["allow", "--data-dir", str(data_dir), second.address]).exit_code == 0
    assert runner.invoke(app, ["deny", "--data-dir", str(data_dir), first.address]).exit_code == 0
    assert DataDir(data_dir).read_allowlist() == {bytes.fromhex(second.address[2:])}


def test_export_and_import_commands(data_dir, tmp_path, sender) -> None:
    from .test_blockfile import _fresh_copy, _sealed_chain

    head = _sealed_chain(data_dir, sender)
    out = tmp_path / "chain.rlp"
    exported = runner.invoke(app, ["export", "--data-dir", str(data_dir), "--out", str(out)])
    assert exported.exit_code == 0 and f"exported {head} block(s)" in exported.stdout
    replica = _fresh_copy(data_dir, tmp_path)
    imported = runner.invoke(app, ["import", "--data-dir", str(replica), str(out)])
    assert imported.exit_code == 0 and f"imported {head} block(s)" in imported.stdout
