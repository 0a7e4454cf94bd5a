"""Serve a WSGI app in-process (stdlib wsgiref) and measure around every request."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable
from typing import Any, Callable, Optional
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

Around = Callable[[Callable[[], list[bytes]]], list[bytes]]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass


class MeasuringMiddleware:
    """Runs the app AND consumes its whole response body inside `around(fn)`.

    The body is buffered so lazy (generator) bodies are produced inside the measurement window,
    and so the window closes in this frame, before the server writes to the socket.
    """

    def __init__(self, app: Callable[..., Any], around: Around) -> None:
        self.app = app
        self.around = around
        self.statuses: list[int] = []

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        chunks: list[bytes] = []
        started: list[tuple] = []

        def deferred_start_response(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [(status, headers, exc_info)]
            return chunks.append  # the legacy write() callable, buffered too

        def call_app() -> list[bytes]:
            result = self.app(environ, deferred_start_response)
            try:
                for chunk in result:
                    chunks.append(chunk)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
            return chunks

        body = self.around(call_app)  # an exception here becomes wsgiref's 500
        if not started:
            raise RuntimeError("the WSGI app returned without calling start_response")
        status, headers, exc_info = started[0]
        with contextlib.suppress(ValueError, IndexError):
            self.statuses.append(int(status.split()[0]))
        if exc_info is not None:
            start_response(status, headers, exc_info)
        else:
            start_response(status, headers)
        return body


class BackgroundServer:
    """wsgiref server on host:port (0 = ephemeral) running in a daemon thread."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0, quiet: bool = True) -> None:
        handler = _QuietHandler if quiet else WSGIRequestHandler
        self.server: WSGIServer = make_server(host, port, app, handler_class=handler)
        self.port: int = self.server.server_address[1]
        self._thread: Optional[threading.Thread] = None

    def start(self) -> BackgroundServer:
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="memray-harness-wsgi",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(timeout=10)
        self.server.server_close()
