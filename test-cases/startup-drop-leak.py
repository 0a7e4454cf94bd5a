"""Leak-verdict fixture: a steady 3 MiB leak per request, hidden (for the old least-squares rule) by
one early drop: the first request allocates a 32 MiB start-up buffer that request 3 releases.

15 "requests", each with its window (started_at/ended_at) in the requests file, so the harness reads
the heap each one left behind from the capture. Expected: likely_leak true, ~3 MiB per request,
growth site on the line marked LEAK-LINE.

    memray-cli profile --mode script --local --script test-cases/startup-drop-leak.py
"""
from per_request import run_requests

N_REQUESTS = 15
LEAK_BYTES = 3 * 1024 * 1024
STARTUP_BYTES = 32 * 1024 * 1024
RELEASE_AT = 3
# memray reads memory every 10 ms: a pause between requests lets the harness see each one's heap.
PAUSE_S = 0.05

LEAKED = []
STATE = {"startup": None}


def handle_request(num):
    if num == 1:
        STATE["startup"] = b"\x07" * STARTUP_BYTES  # the start-up buffer (written, so RSS sees it)
    elif num == RELEASE_AT:
        STATE["startup"] = None  # released once, early
    LEAKED.append(b"\x03" * LEAK_BYTES)  # LEAK-LINE
    return 200


def main():
    # Each record in $MEMRAY_RUN_REQUESTS_FILE with its window, so the harness reads each request's heap.
    run_requests(handle_request, N_REQUESTS, windows=True, pause_s=PAUSE_S)
    print("leaked %d MiB in %d requests" % (len(LEAKED) * LEAK_BYTES // 2 ** 20, len(LEAKED)))


if __name__ == "__main__":
    main()
