"""`credbank up`: the embedded node, the registry and the service, in one data directory.

    DATA_DIR/node/            the embedded node: genesis, signer key (0600), chain
    DATA_DIR/governor.key     the authority's chain account (0600); the service governs with it
    DATA_DIR/chain.json       the registry, as `credbank chain deploy` writes it
    DATA_DIR/pin.json         the node's signer set, which the service's verifier checks seals by
    DATA_DIR/credbank.db      the service's database (unless DATABASE_URL names another)
    DATA_DIR/server.secret    the service's secret (learner identity hashes)
    DATA_DIR/issuers/<slug>/  issuing identities: signing keys and anchoring keys (0600)
    DATA_DIR/credbank.toml    optional settings (environment variables win)

The first run creates the node, the governor's account and the registry; later runs find
them and only start the node and the service. Everything listens on loopback unless told
otherwise; SIGINT or SIGTERM stops the service, then the node.
"""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import uvicorn

from api.cli import demo
from api.cli.demo_hiring import hiring_lines
from api.cli.demo_recognition import RecognitionDemo
from api.cli.demo_summary import learning_code_lines, recognition_lines
from api.service.context import Service
from api.service.data_dir import CHAIN_FILE, GOVERNOR_KEY, ISSUERS_DIR, NODE_DIR, PIN_FILE
from api.service.errors import ServiceError
from api.service.settings import Settings
from api.web.app import create_app
from ledger import ChainError, Web3RegistryClient, create_account_key, load_account_key
from ledger.bundle import BundleExportError, export_pin
from ledger.bundle import write_json as write_pin
from ledger.chain_config import ChainConfig
from ledger.governance import deploy_registry
from ledger.issuance import IssuerIdentity
from ledger.node import DataDir, DataDirError, Node, RpcHandler, RpcServer, init_data_dir

NODE_HOST = "127.0.0.1"  # the node serves this machine only; institutions elsewhere use Besu
DEFAULT_NODE_PORT = 8545

Say = Callable[[str], None]


class UpError(Exception):
    """Why `credbank up` cannot start; one line."""


@dataclass
class RunningChain:
    node: Node
    server: RpcServer
    config: ChainConfig | None  # chain.json
    deployed: bool  # by this run

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.stop()
        self.node.close()


def _allow(node_dir: Path, address: str) -> None:
    DataDir(node_dir).change_allowlist(add=[bytes.fromhex(address[2:])])


def _port_of(config: ChainConfig | None) -> int | None:
    if config is None:
        return None
    parts = urlsplit(config.rpc_url)
    return parts.port if parts.hostname in ("127.0.0.1", "localhost") else None


def start_chain(data_dir: Path, node_port: int | None, say: Say) -> RunningChain:
    """Start the embedded node of ``data_dir`` (creating it, the governor's account and the
    registry on the first run) and serve its JSON-RPC on loopback."""
    node_dir = data_dir / NODE_DIR
    chain_file = data_dir / CHAIN_FILE
    existing = ChainConfig.read(chain_file) if chain_file.exists() else None
    if not DataDir(node_dir).genesis_path.exists():
        if existing is not None:
            raise UpError(f"{chain_file} names a registry but {node_dir} holds no node; "
                          "use another --data-dir, or `credbank serve` for a chain run elsewhere")
        init_data_dir(node_dir)
        say(f"embedded node created in {node_dir}")
    port = node_port if node_port is not None else (_port_of(existing) or DEFAULT_NODE_PORT)
    try:
        node = Node.open(node_dir)
    except DataDirError as exc:
        raise UpError(f"{exc} (is credbank up already running on this data directory?)") \
            from None
    try:
        server = RpcServer(RpcHandler(node), NODE_HOST, port)
    except OSError as exc:
        node.close()
        raise UpError(f"the node cannot listen on {NODE_HOST}:{port} ({exc.strerror}); "
                      "choose another --node-port") from None
    node.start()
    server.start()
    running = RunningChain(node, server, existing, deployed=False)
    try:
        running.config = _registry(data_dir, node_dir, server.url, existing, say)
        running.deployed = existing is None
        _pin(data_dir, running.config)
    except BaseException:
        running.stop()
        raise
    return running


def _registry(data_dir: Path, node_dir: Path, url: str, existing: ChainConfig | None,
              say: Say) -> ChainConfig:
    key_file = data_dir / GOVERNOR_KEY
    if key_file.exists():
        governor = load_account_key(key_file)
    else:
        governor = create_account_key(key_file)
        say(f"governor account {governor.address} (key in {key_file})")
    _allow(node_dir, governor.address)
    if existing is None:
        config = deploy_registry(url, governor)
        config.write(data_dir / CHAIN_FILE)
        say(f"registry {config.registry} deployed on chain {config.chain_id}")
        return config
    try:
        Web3RegistryClient(url, existing.registry)  # refuses a node without that registry
    except ChainError as exc:
        raise UpError(f"{data_dir / CHAIN_FILE} does not match the node in {node_dir}: {exc}") \
            from None
    if existing.rpc_url != url:
        _move_rpc(data_dir, existing, url)
        existing = existing.with_rpc(url)
    return existing


def _move_rpc(data_dir: Path, config: ChainConfig, url: str) -> None:
    """The node listens on another port than last time: tell chain.json and the issuers
    that anchored through the old address."""
    old = config.rpc_url
    config.with_rpc(url).write(data_dir / CHAIN_FILE)
    for profile in sorted((data_dir / ISSUERS_DIR).glob("*/issuer.json")):
        identity = IssuerIdentity.load(profile.parent)
        chain = identity.chain
        if chain and chain.get("rpcUrl") == old and chain.get("registry") == config.registry:
            identity.set_chain({**chain, "rpcUrl": url})


def _pin(data_dir: Path, config: ChainConfig) -> None:
    # The node was made here, so its signer set is the one to trust (docs/format.md §13).
    path = data_dir / PIN_FILE
    if path.exists():
        return
    try:
        write_pin(export_pin(config.rpc_url, config.registry), path)
    except BundleExportError as exc:
        raise UpError(f"cannot pin the node's signers: {exc}") from None


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UpError(f"the service cannot listen on {host}:{port} ({exc.strerror}); "
                      "choose another --port") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _browsable(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


class _Stop(Exception):
    pass


def _raise_stop(_signum: int, _frame: FrameType | None) -> None:
    raise _Stop


def run(settings: Settings, *, with_demo: bool, node_port: int | None, say: Say) -> None:
    """Start node and service, print where they are, serve until SIGINT or SIGTERM."""
    # Until the server runs, a SIGTERM unwinds like Ctrl-C, so the node always closes.
    previous = signal.signal(signal.SIGTERM, _raise_stop)
    try:
        _run(settings, with_demo, node_port, say)
    except (_Stop, KeyboardInterrupt):
        say("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(settings: Settings, with_demo: bool, node_port: int | None, say: Say) -> None:
    data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    sock = _listen(settings.host, settings.port)
    try:
        base = f"http://{_browsable(settings.host)}:{sock.getsockname()[1]}"
        if "public_url" not in settings.model_fields_set:
            settings.public_url = base
        chain = start_chain(data_dir, node_port, say)
        try:
            access = _prepare(settings, with_demo, say)
            say(summary(settings, base, chain, access))
            app = create_app(settings)
            server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
            # uvicorn stops on SIGINT/SIGTERM and then raises the signal again under the
            # handlers it found: let those be a quiet flag, not an exception or a kill.
            signal.signal(signal.SIGINT, lambda *_: None)
            signal.signal(signal.SIGTERM, lambda *_: None)
            try:
                server.run(sockets=[sock])
            finally:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.signal(signal.SIGTERM, _raise_stop)
            say("stopped")
        finally:
            chain.stop()
    finally:
        sock.close()


@dataclass
class FirstAccess:
    """Secrets created by this run, printed once: only their hashes are stored."""

    governor_key: str | None = None
    demo: demo.DemoAccess | None = None
    recognition: RecognitionDemo | None = None  # printed by every --demo run


def _prepare(settings: Settings, with_demo: bool, say: Say) -> FirstAccess:
    svc = Service.open(settings)
    try:
        access = FirstAccess(governor_key=demo.first_governor_key(svc))
        if not with_demo:
            return access
        state = demo.demo_state(svc)
        if state == "done":
            say("demo data: made by an earlier run; nothing added")
            try:  # finds it (or adds it once, to a demo made before it existed)
                access.recognition = demo.recognition_demo(svc)
            except ServiceError as exc:  # e.g. its data changed since: serve all the same
                say(f"credit bank demo: {exc}; not shown")
            return access
        if state == "other":
            say("demo data: this data directory has issuers of its own; nothing added "
                "(use a new --data-dir for the demo)")
            return access
        say("creating the demo: institutions, accreditation, learners, credentials, the "
            "credit bank's registry and a recognition decision …"
            if state == "none" else "finishing the demo an earlier run began …")
        access.demo = demo.create_demo(svc)
        access.recognition = access.demo.recognition
        return access
    except ServiceError as exc:
        raise UpError(f"demo data: {exc}") from None
    finally:
        svc.close()


def summary(settings: Settings, base: str, chain: RunningChain, access: FirstAccess) -> str:
    """What to open and what to paste; API keys and passwords only when just created."""
    config = chain.config
    lines = [
        f"credbank is up; data in {settings.data_dir.resolve()}",
        "",
        f"  API            {base}/v1/",
        f"  API docs       {base}/docs",
        f"  learner pages  {base}/login",
        f"  verify page    {base}/verify",
        f"  chain          {chain.url} (chain {config.chain_id}, registry "
        f"{config.registry})",
    ]
    if access.governor_key is not None:
        lines += ["", "Governor API key (shown this once; only its hash is kept):",
                  f"  governor            {access.governor_key}"]
    if access.demo is not None:
        lines += _demo_lines(base, access.demo)
        if access.demo.checkin is not None:
            lines += learning_code_lines(base, settings.data_dir, access.demo.checkin)
        if access.demo.hiring is not None:
            lines += hiring_lines(base, access.demo.hiring)
    if access.recognition is not None:
        lines += recognition_lines(base, settings.data_dir, access.recognition)
    elif access.governor_key is not None:
        lines += _governor_lines(base, access.governor_key)
    if access.governor_key is None and access.demo is None:
        lines += [
            "",
            "API keys and passwords are shown only when created (only their hashes are kept).",
            "New ones: credbank service api-key governor|institution [--issuer SLUG] "
            f"--data-dir {settings.data_dir}",
        ]
    lines += ["", "Stop with Ctrl-C."]
    return "\n".join(lines)


_AUTH = '-H "Authorization: Bearer $KEY"'
_JSON = "-H 'Content-Type: application/json'"


def _governor_lines(base: str, key: str) -> list[str]:
    issuer = '{"slug": "my-college", "name": "我的学院 My College"}'
    institution_key = '{"role": "institution", "issuer": "my-college"}'
    return [
        "",
        "Try it: register an institution, accredit it on chain, give it an API key:",
        f"  KEY={key}",
        f"  curl -s {base}/v1/admin/issuers {_AUTH} {_JSON} -d '{issuer}'",
        f"  curl -s -X POST {base}/v1/admin/issuers/my-college/accredit {_AUTH}",
        f"  curl -s {base}/v1/admin/api-keys {_AUTH} {_JSON} -d '{institution_key}'",
    ]


def _demo_lines(base: str, access: demo.DemoAccess) -> list[str]:
    lines = ["", "Demo institutions' API keys (shown this once; only their hashes are kept):"]
    for slug, name, key in access.institution_keys:
        lines.append(f"  {slug:<19} {key}   {name}")
    lines += ["", f"Demo learning accounts (sign in at {base}/login):"]
    for login, password, name in access.learners:
        lines.append(f"  {login:<10} password {password}   {name}")
    lines += ["", f"{access.credentials} credentials issued and anchored. A share link "
              "revealing the learner's name, credits and result:", f"  {access.share_link}"]
    slug, _, key = access.institution_keys[0]
    record = json.dumps(demo.record_json(demo.LEARNERS[0][0], demo.LEARNERS[0][1],
                                         demo.COURSES[slug][1]), ensure_ascii=False,
                        separators=(",", ":"))
    auth, json_type = _AUTH, _JSON
    lines += [
        "",
        f"Try it ({slug}'s key):",
        f"  KEY={key}",
        f"  curl -s {base}/v1/credentials {auth} {json_type} -d '{record}'",
        f"  curl -s '{base}/v1/credentials?limit=3' {auth}",
        f"  curl -s {access.share_link}.json | curl -s {base}/v1/verify {json_type} "
        "--data-binary @-",
        f"  curl -s -X POST {base}/v1/credentials/{access.other_credential}/revoke {auth} "
        f"{json_type} -d '{{\"reason\": 1}}'",
    ]
    return lines
