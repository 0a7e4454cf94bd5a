"""An ASGI app (FastAPI, Starlette, ...) driven in-process, with no server: an event loop of its own, the
lifespan protocol's startup and shutdown when the app supports it, and HTTP requests as an `http` scope with
receive/send callables (ASGI 3.0, HTTP spec 2.3). What uvicorn does around an app, minus the sockets.

Frames: `call_app` is the frame through which the app runs (paths.WORKLOAD_ENTRIES); `run_app_loop` runs
the loop, so tasks the app spawns (task groups, background tasks) are the app's too, while the harness's own
coroutines (building the scope, receive, send) stay the harness's.
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
import urllib.parse
from collections.abc import Awaitable, Coroutine
from typing import Any, Callable, Optional, TypeVar

from ..config import Endpoint
from . import http_client

T = TypeVar("T")

ASGI = {"version": "3.0", "spec_version": "2.3"}
LIFESPAN_ASGI = {"version": "3.0", "spec_version": "2.0"}
CLIENT = ("127.0.0.1", 50000)
SERVER = ("127.0.0.1", 80)
LIFESPAN_TIMEOUT = 60.0


async def call_app(app: Callable[..., Any], scope: dict[str, Any], receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
    """The app itself (a workload entry: what it allocates below this frame is the workload's)."""
    result = app(scope, receive, send)
    if asyncio.iscoroutine(result) or hasattr(result, "__await__"):
        await result


def run_app_loop(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run the app's loop until `coro` is done (a workload entry: the loop's work is the app's)."""
    return loop.run_until_complete(coro)


class Exchange:
    """One HTTP request and its response, as the app sees it through receive/send."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.sent_body = False
        self.status: Optional[int] = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        # Made on the app's loop (an Event made elsewhere is bound to another loop on Python 3.9).
        self.done: Optional[asyncio.Event] = None

    def bind(self) -> asyncio.Event:
        if self.done is None:
            self.done = asyncio.Event()
        return self.done

    async def receive(self) -> dict[str, Any]:
        if not self.sent_body:
            self.sent_body = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.bind().wait()  # the client stays until the response is complete, then leaves
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "http.response.start":
            self.status = int(message["status"])
            self.headers = list(message.get("headers") or [])
        elif kind == "http.response.body":
            self.chunks.append(bytes(message.get("body") or b""))
            if not message.get("more_body", False):
                self.bind().set()


def http_scope(method: str, target: str, headers: dict[str, str], body: bytes, state: dict[str, Any], server: tuple = SERVER) -> dict[str, Any]:
    """The `http` scope of one request (`target`: path and query, as on the request line)."""
    path, _, query = target.partition("?")
    raw_headers = [(b"host", ("%s:%d" % server).encode("latin-1"))]
    for name, value in headers.items():
        raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    if body and not any(name.lower() == "content-length" for name in headers):
        raw_headers.append((b"content-length", str(len(body)).encode()))
    return {
        "type": "http",
        "asgi": dict(ASGI),
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": urllib.parse.unquote(path),
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": query.encode("latin-1", "replace"),
        "root_path": "",
        "headers": raw_headers,
        "client": CLIENT,
        "server": server,
        "state": dict(state),  # a shallow copy per request, as uvicorn gives it
    }


class AsgiApp:
    """An ASGI app with its own event loop. startup() before the capture, request() any number of times
    (inside it), shutdown() after it. `lifespan` says how the app's startup went: "started", or
    "unsupported" (the app raised on a lifespan scope before it started: it has none)."""

    def __init__(self, app: Callable[..., Any], ref: str) -> None:
        self.app = app
        self.ref = ref
        self.loop = asyncio.new_event_loop()
        self.state: dict[str, Any] = {}
        self.lifespan: Optional[str] = None
        self.warnings: list[str] = []
        # Exceptions the app raised while serving (type: message), in order; its tracebacks in `tracebacks`.
        self.errors: list[str] = []
        self.tracebacks: list[str] = []
        self._lifespan_task: Optional[asyncio.Task] = None
        self._lifespan_inbox: Optional[asyncio.Queue] = None
        self._lifespan_events: dict[str, asyncio.Future] = {}

    # -- lifespan ------------------------------------------------------------------------------
    def startup(self, timeout: float = LIFESPAN_TIMEOUT) -> None:
        """The app's lifespan startup. Raises RuntimeError when the app says it failed."""
        run_app_loop(self.loop, self._startup(timeout))

    async def _startup(self, timeout: float) -> None:
        self._lifespan_inbox = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self._lifespan_events = {name: loop.create_future() for name in ("startup", "shutdown")}
        self._lifespan_task = loop.create_task(self._lifespan())
        await self._lifespan_inbox.put({"type": "lifespan.startup"})
        done, _ = await asyncio.wait([self._lifespan_events["startup"], self._lifespan_task], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        started = self._lifespan_events["startup"]
        if started in done:
            outcome, message = started.result()
            if outcome == "failed":
                raise RuntimeError("the app's lifespan startup failed: %s" % (message or "(no message)"))
            self.lifespan = "started"
            return
        if self._lifespan_task in done:
            # It ended (or raised) before it started: the app has no lifespan (ASGI: go on without it).
            self.lifespan = "unsupported"
            self._lifespan_task = None
            return
        raise RuntimeError("the app's lifespan startup did not complete within %gs" % timeout)

    async def _lifespan(self) -> None:
        inbox = self._lifespan_inbox
        assert inbox is not None

        async def receive() -> dict[str, Any]:
            return await inbox.get()

        async def send(message: dict[str, Any]) -> None:
            kind = str(message.get("type", ""))
            for phase in ("startup", "shutdown"):
                if kind.startswith("lifespan.%s." % phase):
                    future = self._lifespan_events[phase]
                    if not future.done():
                        future.set_result(("complete" if kind.endswith(".complete") else "failed", message.get("message")))

        scope = {"type": "lifespan", "asgi": dict(LIFESPAN_ASGI), "state": self.state}
        try:
            await call_app(self.app, scope, receive, send)
        except BaseException:
            if self._lifespan_events["startup"].done():
                raise  # after startup: the app's own failure, reported at shutdown
            # before startup: the app does not speak lifespan; the task ends, startup() goes on without it

    def shutdown(self, timeout: float = LIFESPAN_TIMEOUT) -> None:
        """The app's lifespan shutdown (when it started one); warnings for a failure. Closes the loop."""
        try:
            if self._lifespan_task is not None and not self.loop.is_closed():
                run_app_loop(self.loop, self._shutdown(timeout))
        finally:
            self.close()

    async def _shutdown(self, timeout: float) -> None:
        task = self._lifespan_task
        assert task is not None and self._lifespan_inbox is not None
        await self._lifespan_inbox.put({"type": "lifespan.shutdown"})
        done, _ = await asyncio.wait([self._lifespan_events["shutdown"], task], timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finished = self._lifespan_events["shutdown"]
        if finished in done and finished.result()[0] == "failed":
            self.warnings.append("the app's lifespan shutdown failed: %s" % (finished.result()[1] or "(no message)"))
        elif not done:
            self.warnings.append("the app's lifespan shutdown did not complete within %gs" % timeout)
        if task.done() and not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.warnings.append("the app's lifespan ended with %s: %s" % (type(exc).__name__, exc))
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def close(self) -> None:
        if self.loop.is_closed():
            return
        try:
            pending = [t for t in asyncio.all_tasks(self.loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        except Exception:  # noqa: BLE001 - closing is best effort
            pass
        finally:
            self.loop.close()

    # -- requests ------------------------------------------------------------------------------
    def request(
        self, endpoint: Endpoint, timeout: float, around: Optional[Callable[[Callable[[], Any]], Any]] = None
    ) -> tuple[Optional[int], float, Optional[str]]:
        """One request: (status or None, duration_s, error message when there was no answer). `around(fn)`
        runs fn (the app's part) inside the measurement window (Capture.run, or an RSS probe)."""
        data, headers = http_client.body_and_headers(endpoint)
        body = data or b""
        scope = http_scope(endpoint.method, endpoint.path or "/", headers, body, self.state)
        exchange = Exchange(body)
        started = time.perf_counter()

        def serve() -> Optional[str]:
            return run_app_loop(self.loop, self._serve(scope, exchange, timeout))

        error = around(serve) if around is not None else serve()
        duration = time.perf_counter() - started
        if error is not None:
            return None, duration, "%s %s failed: %s" % (endpoint.method, endpoint.path, error)
        return exchange.status, duration, None

    async def _serve(self, scope: dict[str, Any], exchange: Exchange, timeout: float) -> Optional[str]:
        """The app's handling of one request; the error when there is no answer (a 500 when it raised)."""
        exchange.bind()
        try:
            await asyncio.wait_for(call_app(self.app, scope, exchange.receive, exchange.send), timeout)
        except asyncio.TimeoutError:
            if exchange.status is None:
                return "no answer within %gs" % timeout
        except Exception as exc:  # noqa: BLE001 - the app's failure is data: answered 500, as a server would
            self.errors.append("%s: %s" % (type(exc).__name__, exc))
            text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.tracebacks.append(text)
            sys.stderr.write("Exception in ASGI application %s\n%s" % (self.ref, text))  # as a server logs it
            if exchange.status is None:
                exchange.status = 500
        finally:
            exchange.bind().set()
        if exchange.status is None:
            exchange.status = 500
            self.errors.append("the ASGI app returned without sending a response")
        return None
