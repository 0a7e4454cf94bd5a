"""Leak-verdict fixture: a steady 3 MiB leak per request, hidden (for the old least-squares rule) by
one early drop: the first request allocates a 32 MiB start-up buffer that request 3 releases.

15 "requests", each with its window (started_at/ended_at) in the requests file, so the harness reads
the heap each one left behind from the capture. Expected: likely_leak true, ~3 MiB per request,
growth site on the line marked LEAK-LINE.

    memray-cli profile --mode script --local --script test-cases/startup-drop-leak.py
"""
import gc
import json
import os
import time

REQUESTS_FILE = os.environ.get("MEMRAY_RUN_REQUESTS_FILE", "/tmp/memray-run-requests.json")
N_REQUESTS = 15
LEAK_BYTES = 3 * 1024 * 1024
STARTUP_BYTES = 32 * 1024 * 1024
RELEASE_AT = 3
# memray reads memory every 10 ms: a pause between requests lets the harness see each one's heap.
PAUSE_S = 0.05

LEAKED = []
STATE = {"startup": None}


def rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def handle_request(num):
    if num == 1:
        STATE["startup"] = b"\x07" * STARTUP_BYTES  # the start-up buffer (written, so RSS sees it)
    elif num == RELEASE_AT:
        STATE["startup"] = None  # released once, early
    LEAKED.append(b"\x03" * LEAK_BYTES)  # LEAK-LINE
    return 200


def main():
    records = []
    for num in range(1, N_REQUESTS + 1):
        before, started = rss_kb(), time.time()
        status = handle_request(num)
        ended = time.time()
        gc.collect()
        after = rss_kb()
        records.append({"request_num": num, "status": status, "duration_s": round(ended - started, 4),
                        "rss_before": before, "rss_after": after,
                        "rss_delta": after - before if before is not None and after is not None else None,
                        "started_at": started, "ended_at": ended, "measured_at": time.time()})
        with open(REQUESTS_FILE, "w") as f:
            json.dump(records, f)
        time.sleep(PAUSE_S)
    print("leaked %d MiB in %d requests" % (len(LEAKED) * LEAK_BYTES // 2 ** 20, len(LEAKED)))


if __name__ == "__main__":
    main()
