"""Leak-verdict fixture: memory that goes up and down without trend. Each of 20 "requests" replaces
the one buffer it holds with one of a pseudo-random size in [0, 16 MiB) (random.Random(SEED): every
run sees the same sequence). Expected: likely_leak false.

    memray-cli profile --mode script --local --script test-cases/random-churn.py
"""
import random

from per_request import run_requests

N_REQUESTS = 20
MAX_BYTES = 16 * 1024 * 1024
SEED = 1103
PAUSE_S = 0.05  # memray reads memory every 10 ms: one reading falls between two requests

HELD = {"buffer": b""}


def main():
    rng = random.Random(SEED)

    def handle_request(num):
        HELD["buffer"] = b""
        HELD["buffer"] = b"\x05" * rng.randrange(0, MAX_BYTES)  # CHURN-LINE
        return 200

    # Each record in $MEMRAY_RUN_REQUESTS_FILE with its window, so the harness reads each request's heap.
    run_requests(handle_request, N_REQUESTS, windows=True, pause_s=PAUSE_S)
    print("held %d bytes after %d requests" % (len(HELD["buffer"]), N_REQUESTS))


if __name__ == "__main__":
    main()
