"""A private PostgreSQL server for the service tests: one cluster per session, on loopback.

The cluster is made with ``initdb`` in a temporary directory and started with ``pg_ctl``
on a free 127.0.0.1 port, with the Unix socket in that directory too, so it touches no
system cluster and no shared socket. PostgreSQL refuses to run as root: as root, the
server runs as the ``postgres`` user (``runuser``); otherwise as the current user. Every
test gets a fresh database, copied from a template that already holds the schema, and
dropped afterwards.

No durability is needed (fsync off), which keeps a database per test cheap.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "credbank"
TEMPLATE = "credbank_template"
START_TIMEOUT_S = 60


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed."""


def find_bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<version>/bin with initdb and pg_ctl (or PATH's)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                        else 0, reverse=True)
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    raise PostgresMissing(
        "PostgreSQL is not installed (no initdb/pg_ctl in /usr/lib/postgresql/*/bin): the "
        "service tests run on PostgreSQL too; install it with `apt-get install postgresql` "
        "or run scripts/test, which does")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresMissing("running as root, but there is no postgres user to run the "
                              "server as (apt-get install postgresql creates it)") from None
    return ["runuser", "-u", "postgres", "--", *command]


@dataclass
class PostgresServer:
    bin_dir: Path
    base: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _dsn(self, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={database}"

    def _run(self, *args: str) -> None:
        result = subprocess.run(_as_server_user([str(self.bin_dir / args[0]), *args[1:]]),
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip() or result.stdout}")

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = find_bin_dir()
        base = Path(tempfile.mkdtemp(prefix="credbank-pg-"))
        if os.geteuid() == 0:
            _as_server_user(["true"])  # fails early when there is no postgres user
            entry = pwd.getpwnam("postgres")
            os.chown(base, entry.pw_uid, entry.pw_gid)
        os.chmod(base, 0o700)
        server = cls(bin_dir, base, _free_port())
        server._run("initdb", "-D", str(server.data_dir), "-U", SUPERUSER, "--auth=trust",
                    "-E", "UTF8", "--locale=C", "--no-sync")
        options = (f"-c listen_addresses=127.0.0.1 -p {server.port} "
                   f"-c unix_socket_directories={base} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        server._run("pg_ctl", "-D", str(server.data_dir), "-l", str(base / "server.log"),
                    "-o", options, "-w", "-t", str(START_TIMEOUT_S), "start")
        server._wait()
        return server

    def _wait(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(self._dsn(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def make_template(self, prepare: Callable[[str], None]) -> None:
        """Create the template database and let ``prepare(url)`` fill it (the schema)."""
        with psycopg.connect(self._dsn(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE)))
        prepare(self.url(TEMPLATE))

    def new_database(self, template: str = TEMPLATE) -> str:
        """A new database, a copy of ``template`` (by default: the schema, no rows); no one
        may be connected to the template meanwhile."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self._dsn(), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)))
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self._dsn(), autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
