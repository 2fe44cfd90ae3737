"""One printer for every command: a failure is one line starting ``credbank: ``, exit 2 —
whether the service, the node or the command line itself refused."""

from __future__ import annotations

import pytest
from eth_account import Account
from typer.testing import CliRunner

from api.cli import main
from ledger.node.cli import app as node_app


@pytest.fixture(autouse=True)
def _no_service_environment(monkeypatch):
    for name in ("CREDBANK_DATA_DIR", "CREDBANK_CONFIG", "CREDBANK_DATABASE_URL",
                 "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _one_line(args, capsys) -> str:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert code == 2, (args, out, err)
    assert out == "" and len(err.splitlines()) == 1, (args, err)
    assert err.startswith("credbank: ")
    return err


def test_a_service_refusal_is_one_line(tmp_path, capsys) -> None:
    # api.service.accounts.create_api_key raises NotFound, a ServiceError.
    err = _one_line(["service", "api-key", "institution", "--issuer", "no-such-issuer",
                     "--data-dir", tmp_path / "data"], capsys)
    assert "no issuer no-such-issuer" in err


@pytest.mark.parametrize("args, reason", [
    (["allow", "--data-dir", "{tmp}/missing", Account.create().address],
     "not a node data directory"),
    (["init", "--data-dir", "{tmp}/node", "--allow", "0x1234"], "not an Ethereum address"),
    (["import", "--data-dir", "{tmp}/missing", "{tmp}/absent.rlp"], "missing"),
])
def test_a_node_failure_is_one_line(tmp_path, capsys, args, reason) -> None:
    filled = [a.format(tmp=tmp_path) for a in args]
    assert reason in _one_line(["node", *filled], capsys)


def test_usage_errors_are_one_line(capsys) -> None:
    assert "No such command" in _one_line(["no-such-command"], capsys)


def test_the_node_on_its_own_keeps_its_own_prefix(tmp_path) -> None:
    result = CliRunner().invoke(node_app, ["allow", "--data-dir", str(tmp_path / "missing"),
                                           Account.create().address])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.splitlines()) == 1
