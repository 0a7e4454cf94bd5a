"""Benchmark workload: about N allocations (default 1,000,000) of small Python objects.

Each loop iteration makes a handful of short-lived objects (list, dict, str, tuple, a small
class instance); every 50th iteration keeps one of them so the heap grows a little and the
leaks/high-watermark reports have something to show. Deterministic, stdlib only.

    python3 million_allocs.py [--allocations N]
"""
import sys


class Point:
    __slots__ = ("x", "y", "tag")

    def __init__(self, x, y, tag):
        self.x = x
        self.y = y
        self.tag = tag


ALLOCS_PER_ITERATION = 5  # list, dict, str, tuple, Point (approximately; pymalloc may reuse)


def parse_allocations(argv):
    n = 1_000_000
    if "--allocations" in argv:
        n = int(argv[argv.index("--allocations") + 1])
    return n


def make_record(i):
    items = [i, i + 1, i + 2]                   # list
    meta = {"id": i, "sq": i * i}               # dict
    name = "item-%d" % i                        # str
    pair = (name, items)                        # tuple
    return Point(pair, meta, name)              # object


def churn(iterations, keep_every=50):
    kept = []
    total = 0
    for i in range(iterations):
        rec = make_record(i)
        total += len(rec.tag)
        if i % keep_every == 0:
            kept.append(rec)
    return kept, total


def main():
    n = parse_allocations(sys.argv[1:])
    kept, total = churn(max(1, n // ALLOCS_PER_ITERATION))
    print("million_allocs: %d iterations, kept %d records, checksum %d" % (n // ALLOCS_PER_ITERATION, len(kept), total))


KEPT = None
if __name__ == "__main__":
    main()
