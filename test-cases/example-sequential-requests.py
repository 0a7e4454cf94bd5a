"""Example test case: five "requests" of real work, with per-request RSS for the leak heuristic.

Each request's record (request_num, status, duration_s, rss_before/after/delta) goes to the file named by
$MEMRAY_RUN_REQUESTS_FILE, through per_request.py beside this script.

Run it under the instrumented runner:
    python python/memray-runner.py test-cases/example-sequential-requests.py
or with memray-cli:
    memray-cli profile --mode script --local --script test-cases/example-sequential-requests.py
"""
import json

from per_request import run_requests

N_REQUESTS = 5

# Module-level cache that is never trimmed: the kind of "leak" the report should point at.
RESULT_CACHE = {}


def handle_request(num):
    """Build a report the way a service would: rows -> JSON -> cached result."""
    rows = [{"id": i, "request": num, "value": i * 1.5, "label": "row-%d" % i} for i in range(3000)]
    body = json.dumps(rows)
    # Kept forever (about 2 MiB per request): RSS grows on every request.
    RESULT_CACHE[num] = (body * 12).encode("utf-8")
    return 200


def main():
    # The single largest allocation, on one clearly named line, kept alive until exit.
    payload = bytearray(48 * 1024 * 1024)
    records = run_requests(handle_request, N_REQUESTS)
    print("handled %d requests, cache holds %d bodies, payload %d MiB"
          % (len(records), len(RESULT_CACHE), len(payload) // (1024 * 1024)))
    return payload


if __name__ == "__main__":
    KEEP_ALIVE = main()
