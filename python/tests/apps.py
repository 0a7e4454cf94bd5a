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
