"""JSON-RPC over HTTP: the standard library's threading HTTP server.

Why not uvicorn: every request ends up waiting on the one chain lock anyway (py-evm is
not thread-safe), so an event loop buys no concurrency; the standard library server is
small, has no moving parts to configure, keeps connections alive for web3.py's session,
and one thread per connection lets a slow client never hold up the others' parsing.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .rpc import INVALID_REQUEST, PARSE_ERROR, RpcHandler

log = logging.getLogger("ledger.node.server")

# Large enough for a batch of contract deployments, small enough to refuse floods.
MAX_REQUEST_BYTES = 5 * 1024 * 1024


def _error_body(code: int, message: str) -> bytes:
    return b'{"jsonrpc":"2.0","id":null,"error":{"code":%d,"message":"%s"}}' % (
        code,
        message.encode(),
    )


class _RpcRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: web3.py reuses one session
    server_version = "credbank-node"
    # Headers and body leave in separate writes; with Nagle's algorithm on, the body
    # waits for the client's delayed ACK (~40 ms a request on loopback).
    disable_nagle_algorithm = True
    rpc: RpcHandler  # set on the subclass made by RpcServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        log.debug("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        length_header = self.headers.get("Content-Length")
        try:
            length = int(length_header) if length_header is not None else -1
        except ValueError:
            length = -1
        if length < 0:
            # No (or a bad) length: the body's end is unknown, so the connection ends too.
            self._reply(
                HTTPStatus.LENGTH_REQUIRED,
                _error_body(INVALID_REQUEST, "Content-Length required"),
                close=True,
            )
            return
        if length > MAX_REQUEST_BYTES:
            self._reply(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                _error_body(INVALID_REQUEST, f"request larger than {MAX_REQUEST_BYTES} bytes"),
                close=True,
            )
            return
        body = self.rfile.read(length)
        if len(body) != length:
            self.close_connection = True
            return
        try:
            response = self.rpc.handle_bytes(body)
        except Exception:  # the node never dies of a request
            log.exception("request handling failed")
            response = _error_body(PARSE_ERROR, "parse error")
        if response is None:
            self.send_response(HTTPStatus.NO_CONTENT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._reply(HTTPStatus.OK, response)

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._reply(
            HTTPStatus.METHOD_NOT_ALLOWED,
            _error_body(INVALID_REQUEST, "JSON-RPC requests are POSTed"),
        )


class RpcServer:
    """Serves an :class:`RpcHandler` on ``host:port`` (port 0 picks a free one)."""

    def __init__(self, rpc: RpcHandler, host: str = "127.0.0.1", port: int = 8545):
        handler = type("RpcRequestHandler", (_RpcRequestHandler,), {"rpc": rpc})
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._httpd.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        self._httpd.serve_forever(poll_interval=0.2)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.serve_forever, name="rpc", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
