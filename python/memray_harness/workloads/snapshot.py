"""snapshot: import the service's modules (and heavy deps) under the Tracker."""

from __future__ import annotations

import importlib
import os
import sys
import time
from typing import Optional

from ..measurement.capture import Capture
from .outcome import Outcome


def _import_all(modules: list[str], imported: list[dict], failed: list[dict]) -> None:
    for name in modules:
        started = time.perf_counter()
        try:
            importlib.import_module(name)
            imported.append({"module": name, "seconds": round(time.perf_counter() - started, 4)})
        except BaseException as exc:  # noqa: B902 - SystemExit in a module is data too
            failed.append({"module": name, "error": "%s: %s" % (type(exc).__name__, exc)})


def run_snapshot(modules: list[str], capture: Capture, app_dir: Optional[str] = None) -> Outcome:
    outcome = Outcome()
    if app_dir:
        sys.path.insert(0, app_dir)
        os.chdir(app_dir)
    imported: list[dict] = []
    failed: list[dict] = []
    capture.run(_import_all, modules, imported, failed)
    outcome.extra["snapshot"] = {"imported": imported, "failed": failed}
    if failed:
        outcome.fail("import failed: " + "; ".join("%s (%s)" % (f["module"], f["error"]) for f in failed))
    return outcome
