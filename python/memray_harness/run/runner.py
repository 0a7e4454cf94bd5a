"""Orchestration: checks -> workload under capture -> objects, reports -> summary.json (once).

What a mode does comes from its rule in contract.json (workload kind, app/script needs, forced
flags, gc before stop, object census, live, reports). Once the capture has run, nothing may lose
it: every later step is guarded, so a failing report or requests file still leaves the other
reports and a complete summary.json.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import traceback
from typing import Any, Optional

from .. import events, interrupts
from ..analysis import leak_verdict, request_analysis
from ..config import Config
from ..contract import contract
from ..errors import EXIT_OK, HarnessError, announce
from ..measurement import object_census
from ..measurement.capture import Capture, import_memray, memray_version, missing_memray_error
from ..measurement.live_stream import socket_destination
from ..reports import make_reports
from ..workloads import requests_file, requirements, workload
from ..workloads.app_loader import load_app
from ..workloads.outcome import Outcome
from . import checkpoint, host_sections, stray_processes
from . import summary as summary_mod


def _unexpected(exc: BaseException, where: str) -> HarnessError:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = "harness error %s: %s: %s" % (where, type(exc).__name__, exc)
    return HarnessError("HARNESS_FAILED", message, {"type": type(exc).__name__, "message": str(exc), "traceback": tb[-4000:]})


def _capture_problem(session_path: str) -> Optional[str]:
    """Why session.bin cannot be reported on (deleted, unreadable, empty), or None."""
    try:
        with open(session_path, "rb") as f:
            if not f.read(16):
                return "file %s is empty" % session_path
    except OSError as exc:
        return "file %s is gone or unreadable (%s)" % (session_path, exc.strerror or exc)
    return None


def _write_error(out_dir: str, exc: OSError) -> HarnessError:
    import errno

    if exc.errno == errno.ENOSPC:
        return HarnessError("DISK_FULL", "cannot write summary.json in %s: the disk is full (%s free)" % (out_dir, _free_space(out_dir)))
    return HarnessError("OUTPUT_NOT_WRITABLE", "cannot write summary.json in %s: %s" % (out_dir, exc))


def _free_space(path: str) -> str:
    try:
        st = os.statvfs(path)
        return "%d KB" % (st.f_bavail * st.f_frsize // 1024)
    except OSError:
        return "unknown"


def _workload_crash(exc: BaseException) -> Outcome:
    """An exception that escaped the workload runner (a harness bug, or Ctrl-C between requests)."""
    outcome = Outcome()
    if isinstance(exc, Exception):
        err = _unexpected(exc, "during the workload")
        outcome.fail(err.message, err.exit_code)
        outcome.code, outcome.error_details = err.code, err.details
    else:  # KeyboardInterrupt, SystemExit: the workload was stopped, the capture is kept
        outcome.fail("workload interrupted: %s" % type(exc).__name__)
        outcome.error_details = {"type": type(exc).__name__, "message": str(exc), "traceback": ""}
    return outcome


class Run:
    def __init__(self, cfg: Config) -> None:
        self.rule = contract().mode(cfg.mode)
        # TypeScript applies the rule's forced flags too; memray-runner's configs get them here.
        self.cfg = dataclasses.replace(cfg, **self.rule.forces)
        self.started = time.time()
        self.t0 = time.perf_counter()
        self.workload_done = False
        self.engine: Optional[make_reports.EngineProcess] = None  # started before the capture (start_engine)
        self.summary = summary_mod.new_summary(cfg.run_id, cfg.script, cfg.mode, self.started, cfg.target.to_json())
        summary_mod.add_warnings(self.summary, cfg.host_warnings)

    # -- helpers -------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        events.warning(message)
        summary_mod.add_warnings(self.summary, [message])

    def fail(self, exc: HarnessError) -> int:
        s = self.summary
        s["exit_code"] = exc.exit_code
        s["error"] = exc.message
        s["error_code"] = exc.code
        s["error_details"] = exc.details or {"type": type(exc).__name__, "message": exc.message, "traceback": ""}
        announce(exc)
        return exc.exit_code

    def write(self, exit_code: int) -> int:
        """The one write of summary.json; returns the process exit code."""
        s = self.summary
        if s["error_code"] == "OUTPUT_NOT_WRITABLE":
            return exit_code
        s["duration_seconds"] = round(time.perf_counter() - self.t0, 3)
        listed, warnings = summary_mod.artifacts(self.cfg.out_dir, self.cfg.artifact_prefix, self.cfg.host_artifacts)
        for w in warnings:
            self.warn(w)
        s["artifacts"] = listed
        self._host_sections()
        events.step("summary", "writing summary.json")
        try:
            with interrupts.current().phase(interrupts.RECORD):  # the one write is never cut short
                try:
                    summary_mod.write(self.cfg.out_dir, s)
                finally:
                    checkpoint.clear(self.cfg.out_dir)  # this harness ends now either way: nothing to recover
        except OSError as exc:
            err = _write_error(self.cfg.out_dir, exc)
        except ValueError as exc:  # allow_nan=False: a NaN/Infinity never reaches the file silently
            err = HarnessError("HARNESS_FAILED", "summary.json not written: %s" % exc)
        else:
            return exit_code
        announce(err)
        return err.exit_code

    def _host_sections(self) -> None:
        """Signals the host collected once the workload ended (it starts when told so)."""
        wait = self.cfg.host_sections_wait_seconds
        if wait is None or not self.workload_done:
            return
        events.step("signals", "waiting for the host's signals")
        try:
            sections = host_sections.wait_for(self.cfg.out_dir, wait)
        except KeyboardInterrupt:  # Ctrl-C/SIGTERM while waiting: the summary still comes, without them
            self.warn("stopped waiting for the host's signals after %s" % interrupts.current().describe())
            return
        if sections is None:
            self.warn("the host's signals did not arrive within %ss" % wait)
        else:
            host_sections.merge(self.summary, sections)

    # -- phases --------------------------------------------------------------------------
    def check_out_dir(self) -> None:
        out_dir = self.cfg.out_dir
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as exc:
            raise HarnessError("OUTPUT_NOT_WRITABLE", "out_dir %s cannot be created (%s); choose another out_dir" % (out_dir, exc)) from exc
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise HarnessError("OUTPUT_NOT_WRITABLE", "out_dir %s is not writable; choose another out_dir" % out_dir)

    def prepare(self) -> Any:
        """Checks that end the run before anything is measured."""
        cfg, rule = self.cfg, self.rule
        workload.check(cfg, rule)
        memray, why = import_memray()
        if memray is None:
            if not cfg.allow_no_memray or rule.live:  # live modes are nothing without memray
                raise missing_memray_error(why or "")
            self.warn("memray is not importable (%s): tracemalloc + RSS only, no session.bin or reports" % why)
        self.summary["profiling"].update(
            {
                "memray_enabled": memray is not None,
                "native_traces": bool(memray is not None and cfg.native_traces),
                "trace_python_allocators": bool(memray is not None and cfg.trace_python_allocators),
                "memray_version": memray_version(memray),
            }
        )
        if workload.uses_script(cfg, rule):
            if not os.path.isfile(cfg.script_path or ""):
                raise HarnessError("SCRIPT_NOT_FOUND", "script %s does not exist; check the path (script_path must be absolute)" % cfg.script_path)
            req = requirements.requirements_for(cfg.script_path or "")
            if req and cfg.install_requirements:
                events.step("requirements", "pip install -r %s" % req)
                requirements.install(req)
        return memray

    def capture_for(self, memray: Any, objects_native: bool) -> Capture:
        cfg, rule = self.cfg, self.rule
        return Capture(
            memray,
            cfg.out_dir,
            native_traces=cfg.native_traces,
            trace_python_allocators=cfg.trace_python_allocators,
            destination=socket_destination(memray, cfg.live_port) if rule.live and memray is not None else None,
            track_object_lifetimes=objects_native,
            gc_before_stop=rule.gc_before_stop,
            real_tracemalloc=cfg.tracemalloc,
        )

    def execute(self) -> int:
        interrupts.current().install()
        return self.write(self._phases())

    def checkpoint(self, phase: str, capture: Optional[Capture] = None) -> None:
        """What is known so far, for a --recover harness if this process ends abruptly."""
        if capture is not None:
            self.summary["memory"] = capture.memory()
        self.summary["duration_seconds"] = round(time.perf_counter() - self.t0, 3)
        checkpoint.save(self.cfg.out_dir, self.summary, phase)

    def _phases(self) -> int:
        cfg, rule = self.cfg, self.rule
        keepalive: Any = None
        try:
            self.check_out_dir()
            memray = self.prepare()
            self.checkpoint("prepared")
            if memray is not None and not rule.live:  # its imports overlap the workload, before the Tracker starts
                with contextlib.suppress(OSError):  # make_reports tries again, and says why when it cannot
                    self.engine = make_reports.start_engine(cfg.out_dir)
            app = load_app(cfg.app, cfg.app_dir) if workload.needs_app(cfg, rule) and cfg.app else None
            # Importing the app may replace the handlers (polars installs SA_RESTART ones): memray's accept
            # loop for a live client then never sees EINTR, and Ctrl-C could not end a run waiting for one.
            interrupts.current().install()
            if workload.uses_script(cfg, rule):
                for w in requests_file.remove_stale(cfg.requests_file):
                    self.warn(w)
                os.environ["MEMRAY_RUN_REQUESTS_FILE"] = cfg.requests_file

            memray_version = self.summary["profiling"]["memray_version"]
            objects_native = rule.object_census and memray is not None and object_census.surviving_objects_supported(memray_version)
            gc_diff = object_census.GcDiff() if rule.object_census and not objects_native else None
            capture = self.capture_for(memray, objects_native)
            capture.on_start = lambda: self.checkpoint("workload", capture)
            events.step("capture", "running the %s workload" % cfg.mode)
            if gc_diff is not None:
                gc_diff.before()
            try:
                outcome, keepalive = workload.run(cfg, rule, app, capture)
            except HarnessError:
                raise  # Capture.run closed the window on the way out
            except BaseException as exc:  # noqa: B902 - keep what was captured
                outcome = _workload_crash(exc)
            finally:
                try:
                    capture.end()
                except Exception as exc:
                    self.warn("stopping the tracker failed: %s: %s" % (type(exc).__name__, exc))
                self.workload_done = True
                events.emit("workload-done")  # the host collects its after-signals while reports are made
            for message in stray_processes.terminate_strays(keep=[self.engine.proc.pid] if self.engine else []):
                self.warn(message)
            self._note_interruption(outcome)
            self.checkpoint("reports", capture)
            with interrupts.current().phase(interrupts.RAISE):  # a signal now abandons the remaining reports
                return self.finish(memray, capture, outcome, gc_diff, objects_native)
        except KeyboardInterrupt:
            stop = interrupts.current()
            if self.workload_done:  # between the steps after the workload: what is done is kept
                self._note_late_interruption()
                return contract().exit_code(self.summary["error_code"] or stop.code or "INTERRUPTED")
            return self.fail(HarnessError(stop.code or "INTERRUPTED", "interrupted by %s before the workload started" % stop.describe()))
        except HarnessError as exc:
            return self.fail(exc)
        except Exception as exc:  # a harness bug: still one complete summary saying so
            return self.fail(_unexpected(exc, "before the workload"))
        finally:
            if self.engine is not None:
                self.engine.discard()  # not used (no capture, an error): it exits at EOF
            del keepalive  # the script's globals lived through the object census and reports

    def _note_late_interruption(self) -> None:
        """A signal that came only once the workload was done: it stopped the make_reports."""
        stop, s = interrupts.current(), self.summary
        if stop.requested and s["error_code"] is None and self.rule.workload != "serve":
            s["error"] = "interrupted by %s while the reports were made" % stop.describe()
            s["error_code"] = stop.code
            s["exit_code"] = s["exit_code"] or 0

    def _note_interruption(self, outcome: Outcome) -> None:
        """A signal stopped the workload: that is the run's error (serving ends by a signal normally)."""
        stop = interrupts.current()
        if not stop.requested or self.rule.workload == "serve":
            return
        done = len(outcome.requests)
        what = " after %d of %d requests" % (done, self.cfg.requests) if self.rule.workload == "requests" else ""
        tail = "" if self.rule.live else "; reports are made from the partial capture"
        outcome.error = "interrupted by %s during the workload%s%s" % (stop.describe(), what, tail)
        outcome.exit_code = contract().exit_code(stop.code or "INTERRUPTED")
        outcome.code = stop.code
        outcome.error_details = {"type": "KeyboardInterrupt", "message": stop.first or "", "traceback": ""}

    def finish(self, memray: Any, capture: Capture, outcome: Outcome, gc_diff: Optional[object_census.GcDiff], objects_native: bool) -> int:
        s = self.summary
        s["memory"] = capture.memory()
        s["exit_code"] = outcome.exit_code
        s["error"] = outcome.error
        s["error_code"] = outcome.error_code
        if outcome.error_details:
            s["error_details"] = outcome.error_details
        s.update(outcome.extra)
        for message in outcome.warnings:
            self.warn(message)
        self._guard("objects", lambda: self._objects(capture, gc_diff, objects_native))
        self._guard("reports", lambda: self._reports(memray, capture))
        self._guard("requests", lambda: self._requests(outcome))
        self._guard("heap growth", lambda: self._analyse_requests(memray, capture))
        if "method" not in s["leak_indicators"]:  # the analysis failed: the RSS verdict still comes
            s["leak_indicators"] = leak_verdict.leak_indicators(s["requests"])
        self._guard(
            "requests report", lambda: [self.warn(w) for w in request_analysis.write_report(self.cfg.out_dir, s, self.cfg.reports, self._requests_title())]
        )
        self._note_late_interruption()
        code = s["error_code"]
        return contract().exit_code(code) if code else EXIT_OK

    def _guard(self, what: str, fn: Any) -> None:
        try:
            fn()
        except KeyboardInterrupt as exc:  # Ctrl-C/SIGTERM: this step is abandoned, the summary still comes
            self.warn("%s step abandoned after %s" % (what, exc or "a signal"))
        except Exception as exc:
            self.warn("%s step failed: %s: %s" % (what, type(exc).__name__, exc))

    def _objects(self, capture: Capture, gc_diff: Optional[object_census.GcDiff], objects_native: bool) -> None:
        if not self.rule.object_census:
            return
        events.step("objects", "summarising surviving objects")
        if objects_native and capture.surviving_objects is not None:
            live = [o for o in capture.surviving_objects if not type(o).__module__.startswith("memray_harness")]
            data = object_census.census(live, object_census.METHOD_MEMRAY)
        elif gc_diff is not None:
            data = object_census.census(gc_diff.after(), object_census.METHOD_GC)
        else:
            return
        object_census.write(self.cfg.out_dir, data)
        self.summary["objects"] = object_census.summary_block(data)

    def _reports(self, memray: Any, capture: Capture) -> None:
        # No session.bin by design: memray missing, or a live Tracker that streamed to a socket.
        if memray is None or self.rule.live or not capture.started:
            return
        lost = _capture_problem(capture.session_path)
        if lost:
            self._capture_lost(lost)
            return
        memory = self.summary["memory"]
        derive = memory.get("tracemalloc_source") == "memray"  # tracemalloc_* come from this capture
        if self.cfg.reports:
            events.step("reports", "generating %s" % ", ".join(self.cfg.reports))
        else:
            events.step("reports", "reading session.bin for the summary's figures")
        result = make_reports.make_reports(
            memray,
            capture.session_path,
            self.cfg.out_dir,
            self.cfg.reports,
            leaked_table=self.rule.table_source == "leaked",
            derive_tracemalloc=derive,
            engine=self.engine,
        )
        if derive and result.tracemalloc is not None:
            memory["tracemalloc_current"] = result.tracemalloc["current"]
            memory["tracemalloc_peak"] = result.tracemalloc["peak"]
            memory["tracemalloc_delta"] = result.tracemalloc["delta"]
        elif derive:
            self.warn("tracemalloc_current/peak/delta could not be derived from session.bin (see the report warnings)")
        for w in result.warnings:
            self.warn(w)
        if result.no_space and self.summary["error_code"] is None:
            s = self.summary
            s["error_code"] = "DISK_FULL"
            s["error"] = "no space left on %s to write the %s report(s); %s free" % (
                self.cfg.out_dir,
                ", ".join(result.no_space),
                _free_space(self.cfg.out_dir),
            )
            s["exit_code"] = s["exit_code"] or 0
        if result.top_allocators is not None:
            self.summary["top_allocators"] = result.top_allocators
        stats = result.memray_stats or make_reports.memray_stats(memray, capture.session_path, result.stats_json)
        if stats is not None:
            self.summary["memray_stats"] = stats

    def _capture_lost(self, why: str) -> None:
        s = self.summary
        message = "the capture %s; no reports could be made" % why
        if s["error_code"] is None:
            s["error"], s["error_code"] = message, "CAPTURE_LOST"
            s["exit_code"] = s["exit_code"] or 0
        else:
            self.warn(message)
        events.error("CAPTURE_LOST", message)

    def _analyse_requests(self, memray: Any, capture: Capture) -> None:
        """Heap growth per request from the capture and the leak verdict (request_analysis)."""
        session, why = None, ""
        if memray is None:
            why = "memray is not installed"
        elif self.rule.live:
            why = "a live run streams to `memray live` and keeps no capture"
        elif not capture.started or _capture_problem(capture.session_path):
            why = "there is no usable capture"
        else:
            session = capture.session_path
        for message in request_analysis.analyse(self.summary, memray, session, why):
            self.warn(message)

    def _requests_title(self) -> str:
        if workload.uses_script(self.cfg, self.rule):
            return "script %s (%s mode)" % (self.cfg.script or self.cfg.script_path, self.cfg.mode)
        return "%s %s (%s mode)" % (self.cfg.endpoint.method, self.cfg.endpoint.path, self.cfg.mode)

    def _requests(self, outcome: Outcome) -> None:
        requests: list[dict[str, Any]] = list(outcome.requests)
        if workload.uses_script(self.cfg, self.rule):
            loaded, warnings = requests_file.load(self.cfg.requests_file)
            for w in warnings:
                self.warn(w)
            requests.extend(loaded)
        self.summary["requests"] = requests


def run(cfg: Config) -> int:
    return Run(cfg).execute()
