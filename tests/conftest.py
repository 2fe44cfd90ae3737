"""Fixtures shared across the test suite."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# anvil ships as a binary inside the npm package pinned in package.json (installed by npm ci).
ANVIL_BINARY = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
# Generous: a cold start on a loaded CI machine; the loop ends as soon as anvil answers.
ANVIL_START_TIMEOUT_S = 60.0


@pytest.fixture(scope="session", autouse=True)
def _session_config_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test ever reads or writes the real user configuration: ``credbank trust pin``
    stores a pin under ``$XDG_CONFIG_HOME`` and ``credbank-verify`` reads it from there.
    This covers fixtures of wider scope; each test gets its own directory below."""
    path = tmp_path_factory.mktemp("xdg-config-session")
    before = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = str(path)
    yield path
    if before is None:
        os.environ.pop("XDG_CONFIG_HOME", None)
    else:
        os.environ["XDG_CONFIG_HOME"] = before


@pytest.fixture(autouse=True)
def config_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
               _session_config_dir: Path) -> Path:
    """This test's ``$XDG_CONFIG_HOME`` (empty at the start; subprocesses inherit it)."""
    path = tmp_path_factory.mktemp("xdg-config")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(path))
    return path


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    query = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    request = urllib.request.Request(
        url,
        data=json.dumps(query).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return "result" in json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of an anvil node on 127.0.0.1 (a free port), London rules, for the whole session.

    Chain id 31337 with anvil's ten well-known, unlocked development accounts. The node
    runs until the session ends and is always stopped. Skips when npm ci has not installed
    the binary.
    """
    if not ANVIL_BINARY.is_file():
        pytest.skip(f"anvil not installed ({ANVIL_BINARY}); run `npm ci`")
    log_path = tmp_path_factory.mktemp("anvil") / "anvil.log"
    # A port found free can be taken before anvil binds it: try a few times.
    for _attempt in range(3):
        port = _free_loopback_port()
        url = f"http://127.0.0.1:{port}"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [
                    str(ANVIL_BINARY),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    # Same rules as the embedded chain (py-evm's Clique is pre-merge).
                    "--hardfork",
                    "london",
                    "--chain-id",
                    "31337",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        try:
            deadline = time.monotonic() + ANVIL_START_TIMEOUT_S
            while process.poll() is None and time.monotonic() < deadline:
                if _answers(url):
                    break
                time.sleep(0.1)
            if process.poll() is None and _answers(url):
                try:
                    yield url
                finally:
                    _stop(process)
                return
        except BaseException:
            _stop(process)
            raise
        _stop(process)
    log_tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"anvil did not start on 127.0.0.1; its log ends with:\n{log_tail}")
