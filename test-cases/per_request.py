"""Per-request data for the instrumented runner: the helper the scripts of test-cases/ share.

Not a test case itself. A script that handles several "requests" writes one record per request to the
file named by $MEMRAY_RUN_REQUESTS_FILE: a JSON list, rewritten after every request so that a crash
mid-run still leaves valid JSON. The harness merges it into summary.requests (README.md, "Per-request
data"). This module sits beside the scripts and travels with them: a script's directory is copied into
the target with it, and is first on sys.path when the script runs.
"""

import gc
import json
import os
import time

REQUESTS_FILE = os.environ.get("MEMRAY_RUN_REQUESTS_FILE", "/tmp/memray-run-requests.json")


def rss_kb():
    """Current RSS in KB (VmRSS); None where /proc is missing (macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run_requests(handle, count, windows=False, pause_s=0.0):
    """Call handle(num) for num = 1..count (it returns the request's status) and record every request.

    A record: request_num, status, duration_s, rss_before/rss_after/rss_delta (KB). With windows, also the
    request's window (started_at, ended_at: time.time() around it) and measured_at (after a
    gc.collect()), from which the harness reads the heap each request left behind; pause_s between
    requests lets memray (which reads memory every 10 ms) see each one. Returns the records.
    """
    records = []
    for num in range(1, count + 1):
        before, started, clock = rss_kb(), time.time(), time.perf_counter()
        status = handle(num)
        ended, duration = time.time(), time.perf_counter() - clock
        if windows:
            gc.collect()
        after = rss_kb()
        record = {
            "request_num": num,
            "status": status,
            "duration_s": round(duration, 4),
            "rss_before": before,
            "rss_after": after,
            "rss_delta": after - before if before is not None and after is not None else None,
        }
        if windows:
            record.update(started_at=started, ended_at=ended, measured_at=time.time())
        records.append(record)
        with open(REQUESTS_FILE, "w") as f:
            json.dump(records, f, indent=2)
        if pause_s:
            time.sleep(pause_s)
    return records
