"""Example test case: five "requests" of real work, with per-request RSS for the leak heuristic.

Run it under the instrumented runner:
    python python/memray-runner.py test-cases/example-sequential-requests.py
or with memray-cli:
    memray-cli profile --mode script --local --script test-cases/example-sequential-requests.py
"""
import json
import os
import time

REQUESTS_FILE = os.environ.get("MEMRAY_RUN_REQUESTS_FILE", "/tmp/memray-run-requests.json")
N_REQUESTS = 5

# Module-level cache that is never trimmed: the kind of "leak" the report should point at.
RESULT_CACHE = {}


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


def handle_request(num):
    """Build a report the way a service would: rows -> JSON -> cached result."""
    rows = [{"id": i, "request": num, "value": i * 1.5, "label": "row-%d" % i} for i in range(3000)]
    body = json.dumps(rows)
    # Kept forever (about 2 MiB per request): RSS grows on every request.
    RESULT_CACHE[num] = (body * 12).encode("utf-8")
    return 200


def write_requests(records):
    # The whole file after every request: a crash mid-run still leaves valid JSON.
    with open(REQUESTS_FILE, "w") as f:
        json.dump(records, f, indent=2)


def main():
    # The single largest allocation, on one clearly named line, kept alive until exit.
    payload = bytearray(48 * 1024 * 1024)
    records = []
    for num in range(1, N_REQUESTS + 1):
        before = rss_kb()
        started = time.perf_counter()
        status = handle_request(num)
        duration = time.perf_counter() - started
        after = rss_kb()
        records.append({
            "request_num": num,
            "status": status,
            "duration_s": round(duration, 4),
            "rss_before": before,
            "rss_after": after,
            "rss_delta": after - before if before is not None and after is not None else None,
        })
        write_requests(records)
    print("handled %d requests, cache holds %d bodies, payload %d MiB"
          % (len(records), len(RESULT_CACHE), len(payload) // (1024 * 1024)))
    return payload


if __name__ == "__main__":
    KEEP_ALIVE = main()
