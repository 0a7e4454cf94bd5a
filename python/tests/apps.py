"""Tiny stdlib-only WSGI apps written into tmp_path by the endpoint/sequence tests."""

APP = """
import json

LEAK = []

def make_report(n):
    rows = [{"id": i, "name": "row-%d" % i} for i in range(n)]
    buffer = bytearray(6 * 1024 * 1024)  # APP_ALLOC
    return json.dumps(rows[:10]).encode() + bytes(len(buffer) // (1024 * 1024))

def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/boom":
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"boom"]
    if path == "/raise":
        raise RuntimeError("handler crashed")
    if path == "/missing":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    if path == "/leak":
        LEAK.append(bytearray(3 * 1024 * 1024))  # LEAK_LINE
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"leaked %d" % len(LEAK)]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    start_response("200 OK", [("Content-Type", "application/json")])
    return [make_report(1000), body]

def create_app():
    return app
"""

# A minimal ASGI 3 app (no FastAPI, no Starlette): lifespan (state handed to requests, a marker file on
# shutdown), a Starlette-like `routes` list (path, methods, endpoint) for the endpoint choice.
ASGI_APP = """
import asyncio, json, os

LEAK = []
BACKGROUND = []


class LeakedPlan:
    def __init__(self, payload):
        self.payload = payload


class Route:
    def __init__(self, path, methods, endpoint=None):
        self.path, self.methods, self.endpoint = path, set(methods), endpoint


def make_report(n):
    rows = [{"id": i, "name": "row-%d" % i} for i in range(n)]
    buffer = bytearray(6 * 1024 * 1024)  # APP_ALLOC
    return json.dumps(rows[:10]).encode() + bytes(len(buffer) // (1024 * 1024))


async def respond(send, status, body, ctype=b"application/json"):
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", ctype)]})
    await send({"type": "http.response.body", "body": body[:1], "more_body": True})
    await send({"type": "http.response.body", "body": body[1:]})


async def keep_in_background():
    BACKGROUND.append(bytearray(2 * 1024 * 1024))  # TASK_ALLOC


class App:
    def __init__(self, routes):
        self.routes = routes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["db"] = "connected"
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    marker = os.environ.get("ASGI_SHUTDOWN_MARKER")
                    if marker:
                        open(marker, "w").write("shut down")
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        if path == "/health":
            ok = scope["state"].get("db") == "connected"
            await respond(send, 200 if ok else 503, b'{"status": "ok"}')
        elif path == "/ok":
            await asyncio.sleep(0)
            await respond(send, 200, make_report(1000))
        elif path == "/leak":
            LEAK.append(LeakedPlan(bytearray(3 * 1024 * 1024)))  # LEAK_LINE
            await respond(send, 200, b"leaked %d" % len(LEAK))
        elif path == "/spawn":
            await asyncio.get_running_loop().create_task(keep_in_background())
            await respond(send, 200, b"spawned")
        elif path == "/echo":
            await respond(send, 200, json.dumps({"method": scope["method"], "body": body.decode(), "query": scope["query_string"].decode()}).encode())
        elif path == "/raise":
            raise RuntimeError("handler crashed")
        else:
            await respond(send, 404, b"not found", b"text/plain")


app = App([Route("/items/{id}", ["GET"]), Route("/ok", ["GET", "HEAD"]), Route("/health", ["GET", "HEAD"]), Route("/leak", ["GET"])])
no_health = App([Route("/items/{id}", ["GET"]), Route("/submit", ["POST"]), Route("/ok", ["GET"])])
only_params = App([Route("/items/{id}", ["GET"]), Route("/submit", ["POST"])])


def create_app():
    return App([Route("/ok", ["GET"])])


async def bare(scope, receive, send):
    # No lifespan (it raises on any other scope), no routes to read; / is not found.
    if scope["type"] != "http":
        raise RuntimeError("only http")
    await respond(send, 200 if scope["path"] == "/x" else 404, b"bare")


async def startup_fails(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "no database"})
        return


def four_args(a, b, c, d):
    return None
"""
