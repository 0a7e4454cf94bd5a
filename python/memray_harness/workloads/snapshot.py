"""snapshot: import the service's modules (and the heavy dependencies its environment has) under the Tracker."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
from typing import Optional

from ..contract import contract
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


def _import_snapshot(modules: list[str], dependencies: list[str], imported: list[dict], failed: list[dict], dep_failed: list[dict]) -> None:
    _import_all(modules, imported, failed)
    _import_all(dependencies, imported, dep_failed)


def installed_dependencies() -> tuple[list[str], list[str]]:
    """(installed, absent) of the seed's heavy dependencies (contract.json's defaults.snapshot_dependencies),
    found without importing them."""
    found, absent = [], []
    for name in contract().defaults.snapshot_dependencies:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        (found if spec is not None else absent).append(name)
    return found, absent


def run_snapshot(modules: list[str], capture: Capture, app_dir: Optional[str] = None, with_dependencies: bool = False) -> Outcome:
    """`with_dependencies`: the seed's snapshot (no modules were named): the heavy dependencies the
    environment has are imported after `modules`, and listed; one that fails to import is a warning."""
    outcome = Outcome()
    if app_dir:
        sys.path.insert(0, app_dir)
        os.chdir(app_dir)
    dependencies, absent = installed_dependencies() if with_dependencies else ([], [])
    dependencies = [name for name in dependencies if name not in modules]
    imported: list[dict] = []
    failed: list[dict] = []
    dep_failed: list[dict] = []
    capture.run(_import_snapshot, modules, dependencies, imported, failed, dep_failed)
    section: dict = {"imported": imported, "failed": failed}
    if with_dependencies:
        failed_names = {f["module"] for f in dep_failed}
        section["dependencies"] = [name for name in dependencies if name not in failed_names]
        section["dependencies_absent"] = absent
        section["dependencies_failed"] = dep_failed
        for f in dep_failed:
            outcome.warnings.append("heavy dependency %s is installed but did not import: %s" % (f["module"], f["error"]))
    outcome.extra["snapshot"] = section
    if failed:
        outcome.fail("import failed: " + "; ".join("%s (%s)" % (f["module"], f["error"]) for f in failed))
    return outcome
