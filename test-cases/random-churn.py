"""Leak-verdict fixture: memory that goes up and down without trend. Each of 20 "requests" replaces
the one buffer it holds with one of a pseudo-random size in [0, 16 MiB) (random.Random(SEED): every
run sees the same sequence). Expected: likely_leak false.

    memray-cli profile --mode script --local --script test-cases/random-churn.py
"""
import gc
import json
import os
import random
import time

REQUESTS_FILE = os.environ.get("MEMRAY_RUN_REQUESTS_FILE", "/tmp/memray-run-requests.json")
N_REQUESTS = 20
MAX_BYTES = 16 * 1024 * 1024
SEED = 1103
PAUSE_S = 0.05  # memray reads memory every 10 ms: one reading falls between two requests

HELD = {"buffer": b""}


def rss_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def main():
    rng = random.Random(SEED)
    records = []
    for num in range(1, N_REQUESTS + 1):
        before, started = rss_kb(), time.time()
        HELD["buffer"] = b""
        HELD["buffer"] = b"\x05" * rng.randrange(0, MAX_BYTES)  # CHURN-LINE
        ended = time.time()
        gc.collect()
        after = rss_kb()
        records.append({"request_num": num, "status": 200, "duration_s": round(ended - started, 4),
                        "rss_before": before, "rss_after": after,
                        "rss_delta": after - before if before is not None and after is not None else None,
                        "started_at": started, "ended_at": ended, "measured_at": time.time()})
        with open(REQUESTS_FILE, "w") as f:
            json.dump(records, f)
        time.sleep(PAUSE_S)
    print("held %d bytes after %d requests" % (len(HELD["buffer"]), N_REQUESTS))


if __name__ == "__main__":
    main()
