"""A small pre-fork HTTP service for the attach tests: a master that binds 127.0.0.1:0 and forks
WORKERS workers serving it (http.server, as gunicorn's sync workers share one listening socket);
with WORKERS 0 the one process serves (as waitress does).

    python attach_service.py STATE_FILE [WORKERS]

Routes: /ok answers "ok"; /leak keeps LEAK_BYTES more in the worker that served it (LEAK_LINE);
/pid answers the worker's pid. STATE_FILE gets {"port", "master", "workers"} once all serve. SIGTERM
ends the master and its workers.
"""

import contextlib
import json
import os
import signal
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

LEAK_BYTES = 256 * 1024
LEAK = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        if self.path == "/leak":
            LEAK.append(bytearray(LEAK_BYTES))  # LEAK_LINE
            body = b"leaked %d" % len(LEAK)
        elif self.path == "/ok":
            body = b"ok"
        elif self.path == "/pid":
            body = str(os.getpid()).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class SharedSocketServer(HTTPServer):
    def __init__(self, sock):
        super().__init__(sock.getsockname(), Handler, bind_and_activate=False)
        self.socket.close()
        self.socket = sock


def worker(sock):
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    SharedSocketServer(sock).serve_forever()


def write_state(state_file, sock, workers):
    tmp = state_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"port": sock.getsockname()[1], "master": os.getpid(), "workers": workers}, f)
    os.replace(tmp, state_file)


def main():
    state_file = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    if n == 0:
        write_state(state_file, sock, [])
        SharedSocketServer(sock).serve_forever()
    workers = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                worker(sock)
            finally:
                os._exit(0)
        workers.append(pid)

    def stop(signum, frame):
        for pid in workers:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    write_state(state_file, sock, workers)
    while True:
        try:
            os.wait()
        except ChildProcessError:
            time.sleep(0.5)


if __name__ == "__main__":
    main()
