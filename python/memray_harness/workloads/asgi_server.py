"""A minimal HTTP/1.1 server for an ASGI app (live-web serves the app on a port): stdlib asyncio streams on
the app's own loop, in a daemon thread. One request per connection (`Connection: close`), a
Content-Length or chunked request body, the response body buffered and sent with its Content-Length.
Enough for curl, a browser or a load generator pointed at the live run; not a production server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
from http import HTTPStatus
from typing import Optional

from .asgi_app import AsgiApp, Exchange, http_scope, run_app_loop

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
REQUEST_TIMEOUT = 300.0


class BadRequest(Exception):
    pass


class AsgiServer:
    """Listening from construction (so the port is known and requests wait in the backlog), serving from
    start() until stop()."""

    def __init__(self, asgi: AsgiApp, host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> None:
        self.asgi = asgi
        self.quiet = quiet
        self.sock = socket.create_server((host, port), backlog=128, reuse_port=False)
        self.port: int = self.sock.getsockname()[1]
        self._thread: Optional[threading.Thread] = None
        self._stop: Optional[asyncio.Event] = None
        self._ready = threading.Event()

    def start(self) -> AsgiServer:
        self._thread = threading.Thread(target=self._run, name="memray-harness-asgi", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def _run(self) -> None:
        run_app_loop(self.asgi.loop, self._serve())

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._connection, sock=self.sock, limit=MAX_HEADER_BYTES)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            with contextlib.suppress(Exception):
                await server.wait_closed()

    def stop(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            stop = self._stop
            if stop is not None:
                with contextlib.suppress(RuntimeError):  # the loop already ended
                    self.asgi.loop.call_soon_threadsafe(stop.set)
            self._thread.join(timeout=10)
        self._thread = None
        with contextlib.suppress(OSError):
            self.sock.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                method, target, version, headers, body = await _read_request(reader)
            except (BadRequest, asyncio.LimitOverrunError, ValueError) as exc:
                await _write(writer, 400, [(b"content-type", b"text/plain")], ("bad request: %s\n" % exc).encode())
                return
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            if method is None:
                return
            scope = http_scope(method, target, headers, body, self.asgi.state, server=("127.0.0.1", self.port))
            scope["http_version"] = version
            exchange = Exchange(body)
            await self.asgi._serve(scope, exchange, REQUEST_TIMEOUT)
            await _write(writer, exchange.status or 500, exchange.headers, b"".join(exchange.chunks))
            if not self.quiet:
                sys.stderr.write('%s - - "%s %s HTTP/%s" %d\n' % (scope["client"][0], method, target, version, exchange.status or 500))
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> tuple:
    line = await reader.readline()
    if not line:
        return None, None, None, None, None
    parts = line.decode("latin-1").strip().split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest("malformed request line %r" % line[:100])
    method, target, protocol = parts
    headers: dict[str, str] = {}
    total = 0
    while True:
        raw = await reader.readline()
        total += len(raw)
        if total > MAX_HEADER_BYTES:
            raise BadRequest("headers over %d bytes" % MAX_HEADER_BYTES)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise BadRequest("malformed header line")
        headers[name.strip()] = value.strip()
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
        headers = {k: v for k, v in headers.items() if k.lower() != "transfer-encoding"}
    else:
        length = int(lower.get("content-length") or 0)
        if length < 0 or length > MAX_BODY_BYTES:
            raise BadRequest("body of %d bytes" % length)
        body = await reader.readexactly(length) if length else b""
    return method.upper(), target, protocol[5:], headers, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks, total = [], 0
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readline()
            return b"".join(chunks)
        total += size
        if total > MAX_BODY_BYTES:
            raise BadRequest("body over %d bytes" % MAX_BODY_BYTES)
        chunks.append(await reader.readexactly(size))
        await reader.readline()


async def _write(writer: asyncio.StreamWriter, status: int, headers: list, body: bytes) -> None:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = ["HTTP/1.1 %d %s" % (status, reason)]
    for name, value in headers:
        key = bytes(name).decode("latin-1")
        if key.lower() in ("content-length", "transfer-encoding", "connection"):
            continue
        lines.append("%s: %s" % (key, bytes(value).decode("latin-1")))
    lines.append("content-length: %d" % len(body))
    lines.append("connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
