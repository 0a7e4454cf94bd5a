"""Benchmark workload for the scaling curve: about N allocations (default 1,000,000) as memray counts
them (`memray stats` "Total allocations", summary.memray_stats.total_allocations).

    python3 scaling_allocs.py [--allocations N]

With `--trace-python-allocators` memray writes about as many frees again (the capture header's
n_allocations counts both, about 2N records). Each iteration makes
a small record (dict, list, tuple, str) and a string of 1-400 bytes from a fixed pseudo-random
sequence; a ring of 4096 slots keeps the last ones alive for a while (so the temporary-allocations,
leaks and high-water-mark reports all have something to show) and every 1000th record is kept for
good. About ALLOCATIONS_PER_ITERATION allocations per iteration (measured with memray 1.20, CPython
3.11); session.bin grows by about 4.3 bytes per allocation. Deterministic, stdlib only.
"""
import sys

ALLOCATIONS_PER_ITERATION = 12.0
RING = 4096


def parse_allocations(argv):
    return int(argv[argv.index("--allocations") + 1]) if "--allocations" in argv else 1_000_000


def make_record(i, x):
    text = "s" * (1 + (x >> 8) % 400)           # str of 1-400 bytes
    return {"id": i, "tags": [i, x & 255], "pair": (text, i)}


def churn(iterations):
    ring = [None] * RING
    kept = []
    x = 12345
    for i in range(iterations):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF   # LCG: the same sequence every run
        rec = make_record(i, x)
        ring[x & (RING - 1)] = rec
        if i % 1000 == 0:
            kept.append(rec)
    return kept


def main():
    iterations = max(1, int(parse_allocations(sys.argv[1:]) / ALLOCATIONS_PER_ITERATION))
    kept = churn(iterations)
    print("scaling_allocs: %d iterations, kept %d records" % (iterations, len(kept)))


if __name__ == "__main__":
    main()
