"""memray's own CLI entry point run in-process: the report engine's fallback for flags it does not know.

`python -m memray_harness.reports.memray_cli JOBS_JSON` runs several memray reports in one process.

Each `python -m memray flamegraph` pays ~0.6 s of CPU just to start (memray's CLI imports its whole
TUI stack). Running a group of reports through memray's own CLI entry point, in-process and one
after another, pays that once per worker; two workers keep both cores busy. The output is the
same as the subprocess's: it is the same code with the same arguments.

JOBS_JSON: [[name, [memray CLI args...]], ...]. One JSON line per report on stdout:
{"name", "ok", "seconds", "error"}.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
from typing import Optional


def run_memray_cli(name: str, args: list[str]) -> dict:
    from memray.commands import main as memray_main

    started = time.perf_counter()
    captured = io.StringIO()
    error: Optional[str] = None
    try:
        # memray prints "Wrote ..." and warnings on stdout/stderr; keep our stdout for results.
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            code = memray_main(args)
        ok = code == 0
        if not ok:
            error = "exit %s: %s" % (code, " | ".join(captured.getvalue().strip().splitlines()[-3:]))
    except SystemExit as exc:  # argparse errors
        ok = exc.code in (0, None)
        error = None if ok else "exit %s: %s" % (exc.code, captured.getvalue().strip()[-300:])
    except Exception as exc:  # noqa: BLE001 - one report failing must not stop the others
        ok, error = False, "%s: %s" % (type(exc).__name__, exc)
    return {"name": name, "ok": ok, "seconds": round(time.perf_counter() - started, 3), "error": error}


def main(argv: Optional[list[str]] = None) -> int:
    jobs = json.loads((argv if argv is not None else sys.argv[1:])[0])
    for name, args in jobs:
        print(json.dumps(run_memray_cli(name, args), allow_nan=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
