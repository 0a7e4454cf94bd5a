"""Orchestration: validate -> early summary -> workload under capture -> reports -> final summary.

Once the capture has run, nothing may lose it: every later step is guarded, so a failing
report or requests file still leaves the other reports and a complete summary.json.
"""
from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Any, Dict, List, Optional

from . import events, leak, objects, reports, requests_file, requirements
from . import summary as summary_mod
from .app_loader import load_app
from .config import Config
from .errors import EXIT_BAD_INPUT, EXIT_OK, EXIT_WORKLOAD_FAILED, HarnessError
from .outcome import Outcome
from .live import socket_destination
from .tracking import Capture, import_memray, memray_version, missing_memray_error
from . import workloads

SCRIPT_MODES = ("script", "stats", "leaks", "objects", "live-remote")


class Run:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.started = time.time()
        self.t0 = time.perf_counter()
        self.summary = summary_mod.new_summary(cfg.run_id, cfg.script, cfg.mode, self.started)

    # -- helpers -------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        events.warning(message)
        summary_mod.add_warnings(self.summary, [message])

    def write(self) -> None:
        self.summary["duration_seconds"] = round(time.perf_counter() - self.t0, 3)
        self.summary["artifacts"] = summary_mod.artifacts(self.cfg.out_dir, self.cfg.artifact_prefix)
        summary_mod.write(self.cfg.out_dir, self.summary)

    def fail_early(self, exc: HarnessError) -> int:
        self.summary["exit_code"] = exc.exit_code
        self.summary["error"] = exc.message
        self.summary["error_details"] = {"type": type(exc).__name__, "message": exc.message, "traceback": ""}
        print("memray-harness: %s" % exc.message, file=sys.stderr)
        self.write()
        return exc.exit_code

    # -- phases --------------------------------------------------------------------------
    def prepare(self) -> Any:
        """Checks that end the run with exit 2/3 before anything is measured."""
        cfg = self.cfg
        memray, why = import_memray()
        if memray is None:
            if not cfg.allow_no_memray:
                raise missing_memray_error(why or "")
            self.warn("memray is not importable (%s): tracemalloc + RSS only, no session.bin or reports" % why)
        if cfg.is_live and memray is None:
            raise missing_memray_error(why or "")  # live modes are nothing without memray
        self.summary["profiling"].update({
            "memray_enabled": memray is not None,
            "native_traces": bool(memray is not None and cfg.native_traces),
            "trace_python_allocators": bool(memray is not None and cfg.trace_python_allocators),
            "memray_version": memray_version(memray),
        })
        if cfg.script_path and cfg.mode in SCRIPT_MODES:
            if not os.path.isfile(cfg.script_path):
                raise HarnessError("script %s does not exist; check the path (script_path must be absolute)"
                                   % cfg.script_path)
            req = requirements.requirements_for(cfg.script_path)
            if req and cfg.install_requirements:
                events.step("requirements", "pip install -r %s" % req)
                requirements.install(req)
        return memray

    def capture_for(self, memray: Any, objects_native: bool) -> Capture:
        cfg = self.cfg
        return Capture(
            memray, cfg.out_dir,
            native_traces=cfg.native_traces,
            trace_python_allocators=cfg.trace_python_allocators,
            destination=socket_destination(memray, cfg) if cfg.is_live and memray is not None else None,
            track_object_lifetimes=objects_native,
            gc_before_stop=cfg.mode in ("leaks", "objects"),
        )

    def execute(self) -> int:
        cfg = self.cfg
        try:
            os.makedirs(cfg.out_dir, exist_ok=True)
            # Written first so a crash or kill still leaves a valid summary that says so.
            self.summary["error"] = "the harness did not finish (crashed or killed); see its stderr"
            self.write()
        except OSError as exc:
            print("memray-harness: out_dir %s is not writable (%s); choose another out_dir"
                  % (cfg.out_dir, exc), file=sys.stderr)
            return EXIT_BAD_INPUT
        self.summary["error"] = None
        try:
            memray = self.prepare()
            app = load_app(cfg.app, cfg.app_dir) if workloads.needs_app(cfg) and cfg.app else None
        except HarnessError as exc:
            return self.fail_early(exc)

        if cfg.mode in SCRIPT_MODES and cfg.script_path:
            for w in requests_file.remove_stale(cfg.requests_file):
                self.warn(w)
            os.environ["MEMRAY_RUN_REQUESTS_FILE"] = cfg.requests_file

        objects_native = cfg.mode == "objects" and memray is not None and \
            objects.surviving_objects_supported(self.summary["profiling"]["memray_version"])
        gc_diff = objects.GcDiff() if cfg.mode == "objects" and not objects_native else None
        capture = self.capture_for(memray, objects_native)
        events.step("capture", "running the %s workload" % cfg.mode)
        keepalive: Any = None
        if gc_diff is not None:
            gc_diff.before()
        try:
            outcome, keepalive = workloads.run(cfg, app, capture)
        except HarnessError as exc:
            return self.fail_early(exc)  # Capture.run closed the window on the way out
        except BaseException as exc:  # noqa: B902 - harness bug or signal: keep what was captured
            outcome = Outcome()
            outcome.fail("harness error during the workload: %s: %s" % (type(exc).__name__, exc))
            outcome.error_details = {"type": type(exc).__name__, "message": str(exc),
                                     "traceback": traceback.format_exc()[-4000:]}
        finally:
            try:
                capture.end()
            except Exception as exc:
                self.warn("stopping the tracker failed: %s: %s" % (type(exc).__name__, exc))
        try:
            return self.finish(memray, capture, outcome, gc_diff, objects_native)
        finally:
            del keepalive  # the script's globals lived through the object census and reports

    def finish(self, memray: Any, capture: Capture, outcome: Outcome,
               gc_diff: Optional[objects.GcDiff], objects_native: bool) -> int:
        cfg, s = self.cfg, self.summary
        s["memory"] = capture.memory()
        s["exit_code"] = outcome.exit_code
        s["error"] = outcome.error
        if outcome.error_details:
            s["error_details"] = outcome.error_details
        s.update(outcome.extra)
        for message in outcome.warnings:
            self.warn(message)
        self._guard("objects", lambda: self._objects(capture, gc_diff, objects_native))
        self._guard("reports", lambda: self._reports(memray, capture))
        self._guard("requests", lambda: self._requests(outcome))
        s["leak_indicators"] = leak.leak_indicators(s["requests"])
        events.step("summary", "writing summary.json")
        self.write()
        return EXIT_WORKLOAD_FAILED if outcome.failed else EXIT_OK

    def _guard(self, what: str, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:
            self.warn("%s step failed: %s: %s" % (what, type(exc).__name__, exc))

    def _objects(self, capture: Capture, gc_diff: Optional[objects.GcDiff], objects_native: bool) -> None:
        if self.cfg.mode != "objects":
            return
        events.step("objects", "summarising surviving objects")
        if objects_native and capture.surviving_objects is not None:
            live = [o for o in capture.surviving_objects
                    if not type(o).__module__.startswith("memray_harness")]
            data = objects.census(live, objects.METHOD_MEMRAY)
        elif gc_diff is not None:
            data = objects.census(gc_diff.after(), objects.METHOD_GC)
        else:
            return
        objects.write(self.cfg.out_dir, data)
        self.summary["objects"] = objects.summary_block(data)

    def _reports(self, memray: Any, capture: Capture) -> None:
        if memray is None or self.cfg.is_live or not os.path.isfile(capture.session_path):
            return
        events.step("reports", "generating %s" % ", ".join(self.cfg.reports))
        result = reports.make_reports(memray, capture.session_path, self.cfg.out_dir,
                                      self.cfg.reports, leaked_table=self.cfg.mode == "leaks")
        for w in result.warnings:
            self.warn(w)
        if result.analysis is not None:
            self.summary["top_allocators"] = result.analysis.top_allocators()
        stats = reports.memray_stats(memray, capture.session_path, result.stats_json, result.analysis)
        if stats is not None:
            self.summary["memray_stats"] = stats

    def _requests(self, outcome: Outcome) -> None:
        requests: List[Dict[str, Any]] = list(outcome.requests)
        if self.cfg.mode in SCRIPT_MODES and self.cfg.script_path:
            loaded, warnings = requests_file.load(self.cfg.requests_file)
            for w in warnings:
                self.warn(w)
            requests.extend(loaded)
        self.summary["requests"] = requests


def run(cfg: Config) -> int:
    return Run(cfg).execute()
