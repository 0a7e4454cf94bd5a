"""Run: one profiling run, from the checks to summary.json (written once).

checks -> workload under capture -> object census, reports, requests, their analysis -> summary.json.
What a mode does comes from its rule in contract.json (workload kind, app/script needs, forced
flags, gc before stop, object census, live, reports). Once the capture has run, nothing may lose
it: every later step is guarded, so a failing report or requests file still leaves the other
reports and a complete summary.json. A run whose harness process ended abruptly is finished by
another harness from its checkpoint and its capture (finish_from_capture, see recover.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import time
from typing import Any, Callable, Optional, TypeVar

from .. import events, interrupts
from ..analysis import leak_verdict, request_analysis
from ..config import Config
from ..contract import contract
from ..errors import EXIT_OK, HarnessError, announce
from ..measurement import object_census
from ..measurement.capture import Capture
from ..measurement.live_stream import socket_destination
from ..measurement.memray_module import import_memray, memray_version, missing_memray_error
from ..measurement.object_census import ObjectCensus
from ..reports import requests_report
from ..reports.engine_process import EngineProcess, start_engine
from ..reports.fallback_stats import memray_stats
from ..reports.generators import FROM_CAPTURE, REQUESTS_VERDICT
from ..reports.make_reports import make_reports
from ..reports.report_result import ReportResult
from ..workloads import requests_file, requirements, routes, workload
from ..workloads.outcome import Outcome
from ..workloads.served_app import ServedApp, load_served_app
from . import checkpoint, host_sections, stray_processes
from .failures import free_space, summary_write_error, unexpected, workload_crash
from .summary import Summary

R = TypeVar("R", bound="Run")


class Run:
    """One run of a config. execute() runs it whole; finish_from_capture() finishes a run whose first
    harness ended abruptly, from the capture it left. Either way write() writes summary.json once."""

    def __init__(self, cfg: Config) -> None:
        self.rule = contract().mode(cfg.mode)
        # TypeScript applies the rule's forced flags too; memray-runner's configs get them here.
        self.cfg = dataclasses.replace(cfg, **self.rule.forces)
        self.started = time.time()
        self.t0 = time.perf_counter()
        self.workload_done = False
        self.engine: Optional[EngineProcess] = None  # started before the capture (start_engine)
        self.abandoned: list[str] = []  # steps and reports a second signal stopped
        # A script's per-request data (its own file, or the seed's fixed path), read once its workload ended.
        self.seed_requests: Optional[requests_file.SeedRequests] = None
        self.served: Optional[ServedApp] = None  # the app a request workload serves, once loaded
        self.script_requests: Optional[tuple[list[dict[str, Any]], Optional[dict[str, Any]]]] = None
        self.summary = Summary(cfg.run_id, cfg.script, cfg.mode, self.started, cfg.target.to_json())
        self.summary.add_warnings(cfg.host_warnings)

    @classmethod
    def resumed(cls: type[R], cfg: Config, saved_summary: dict[str, Any]) -> R:
        """A run that carries on from the summary a harness checkpointed before it ended abruptly."""
        run = cls(cfg)
        run.summary.restore(saved_summary)
        return run

    # -- the public steps ---------------------------------------------------------------------
    def execute(self) -> int:
        """The whole run; returns the process exit code."""
        interrupts.current().install()
        return self.write(self._phases())

    def finish_from_capture(self, outcome: Outcome) -> int:
        """The reports and the summary's figures from the capture already in out_dir, for a run whose
        workload ended the harness process (`outcome` says how); what that harness measured before
        (resumed) is kept. Returns the exit code to write() with."""
        self.t0 = time.perf_counter() - float(self.summary.get("duration_seconds") or 0)
        memray, _ = import_memray()
        capture = Capture.existing(memray, self.cfg.out_dir)
        self._record_outcome(outcome)
        self.workload_done = False  # the host's signals were collected around the first harness
        self._after_capture(memray, capture, outcome)
        self._check_reports(memray, capture)
        code = self.summary.error_code
        return contract().exit_code(code) if code else EXIT_OK

    def fail(self, exc: HarnessError) -> int:
        """The run ends with this error; returns its exit code."""
        details = exc.details or {"type": type(exc).__name__, "message": exc.message, "traceback": ""}
        self.summary.set_result(exc.exit_code, exc.message, exc.code, details)
        announce(exc)
        return exc.exit_code

    def write(self, exit_code: int) -> int:
        """The one write of summary.json; returns the process exit code."""
        if self.summary.error_code == "OUTPUT_NOT_WRITABLE":
            return exit_code
        sections = self._wait_for_host_sections()
        stop = interrupts.current()
        stop.enter(interrupts.RECORD)  # from here nothing is cut short: the one write, then the end
        self._note_host_lost()
        self.summary.set_duration(time.perf_counter() - self.t0)
        host_here = stop.host_lost is None  # a host that is gone adds nothing after this: list only what exists
        for w in self.summary.list_artifacts(self.cfg.out_dir, self.cfg.artifact_prefix, self.cfg.host_artifacts, host_here):
            self.warn(w)
        if sections is not None:
            host_sections.merge(self.summary, sections)
        events.step("summary", "writing summary.json")
        try:
            try:
                self.summary.write(self.cfg.out_dir)
            finally:
                checkpoint.clear(self.cfg.out_dir)  # this harness ends now either way: nothing to recover
                if not host_here:
                    self._remove_scratch()
        except OSError as exc:
            err = summary_write_error(self.cfg.out_dir, exc)
        except ValueError as exc:  # allow_nan=False: a NaN/Infinity never reaches the file silently
            err = HarnessError("HARNESS_FAILED", "summary.json not written: %s" % exc)
        else:
            return exit_code
        announce(err)
        return err.exit_code

    def warn(self, message: str) -> None:
        events.warning(message)
        self.summary.add_warning(message)

    def _wait_for_host_sections(self) -> Optional[dict[str, Any]]:
        """Signals the host collected once the workload ended (it starts when told so); none from a host
        that is gone."""
        wait = self.cfg.host_sections_wait_seconds
        stop = interrupts.current()
        if wait is None or not self.workload_done or stop.host_lost is not None:
            return None
        try:
            events.step("signals", "waiting for the host's signals")
            sections = host_sections.wait_for(self.cfg.out_dir, wait, gone=lambda: stop.host_lost is not None)
        except KeyboardInterrupt:  # Ctrl-C/SIGTERM while waiting: the summary still comes, without them
            self.warn("stopped waiting for the host's signals after %s" % interrupts.current().describe())
            return None
        if sections is None and stop.host_lost is None:
            self.warn("the host's signals did not arrive within %ss" % wait)
        return sections  # merged once the artifacts are listed (they add theirs)

    # -- before the workload -------------------------------------------------------------------
    def _check_out_dir(self) -> None:
        out_dir = self.cfg.out_dir
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as exc:
            raise HarnessError("OUTPUT_NOT_WRITABLE", "out_dir %s cannot be created (%s); choose another out_dir" % (out_dir, exc)) from exc
        if not os.access(out_dir, os.W_OK | os.X_OK):
            raise HarnessError("OUTPUT_NOT_WRITABLE", "out_dir %s is not writable; choose another out_dir" % out_dir)

    def _prepare(self) -> Any:
        """Checks that end the run before anything is measured; returns memray (None: not importable)."""
        cfg, rule = self.cfg, self.rule
        workload.check(cfg, rule)
        memray, why = import_memray()
        if memray is None:
            if not cfg.allow_no_memray or rule.live:  # live modes are nothing without memray
                raise missing_memray_error(why or "")
            self.warn("memray is not importable (%s): tracemalloc + RSS only, no session.bin or reports" % why)
        self.summary.update_section(
            "profiling",
            {
                "memray_enabled": memray is not None,
                "native_traces": bool(memray is not None and cfg.native_traces),
                "trace_python_allocators": bool(memray is not None and cfg.trace_python_allocators),
                "memray_version": memray_version(memray),
            },
        )
        if workload.uses_script(cfg, rule):
            if not os.path.isfile(cfg.script_path or ""):
                raise HarnessError("SCRIPT_NOT_FOUND", "script %s does not exist; check the path (script_path must be absolute)" % cfg.script_path)
            req = requirements.requirements_for(cfg.script_path or "")
            if req and cfg.install_requirements:
                events.step("requirements", "pip install -r %s" % req)
                requirements.install(req)
        return memray

    def _start_engine_early(self, memray: Any) -> None:
        """The report engine's interpreter and imports overlap the workload (started before the Tracker)."""
        if memray is not None and not self.rule.live:
            with contextlib.suppress(OSError):  # make_reports tries again, and says why when it cannot
                self.engine = start_engine(self.cfg.out_dir)

    def _load_app(self) -> Optional[ServedApp]:
        """The app, loaded before the capture (WSGI or ASGI; an ASGI app's lifespan started), recorded as
        summary.app."""
        cfg = self.cfg
        app = load_served_app(cfg.app, cfg.app_dir) if workload.needs_app(cfg, self.rule) and cfg.app else None
        # Importing the app may replace the handlers (polars installs SA_RESTART ones): memray's accept
        # loop for a live client then never sees EINTR, and Ctrl-C could not end a run waiting for one.
        interrupts.current().install()
        if app is not None:
            self.served = app
            self.summary.set_section("app", app.summary())
            self._choose_endpoint(app)
        return app

    def _choose_endpoint(self, app: ServedApp) -> None:
        """The request the workload sends: --endpoint, else one of the app's routes (routes.py), said in a
        progress line and summary.endpoint."""
        cfg, rule = self.cfg, self.rule
        sends = rule.workload in ("request", "requests") or (rule.workload == "script-or-requests" and not workload.uses_script(cfg, rule))
        if not sends:
            return
        if cfg.endpoint.path is not None:
            self.summary.set_section("endpoint", routes.EndpointChoice(cfg.endpoint.path, routes.GIVEN, None, ()).summary(cfg.endpoint.method))
            return
        choice = routes.choose(app.obj, cfg.endpoint.method, app.ref)
        app.chosen_by = choice.chosen_by
        events.step("endpoint", routes.describe(choice, cfg.endpoint.method))
        self.cfg = dataclasses.replace(cfg, endpoint=dataclasses.replace(cfg.endpoint, path=choice.path))
        self.summary.set_section("endpoint", choice.summary(cfg.endpoint.method))

    def _stop_app(self) -> None:
        """After the capture: an ASGI app's lifespan shutdown (outside the measurement)."""
        app, self.served = self.served, None
        if app is not None:
            for w in app.close():
                self.warn(w)

    def _prepare_requests_file(self) -> None:
        """The per-request data a script writes: never an earlier run's file nor another run's, and the
        script knows where (its own file; the seed's fixed path is read too, see requests_file.py)."""
        cfg = self.cfg
        if workload.uses_script(cfg, self.rule):
            self.seed_requests = requests_file.SeedRequests(cfg.requests_file, cfg.script_path)
            for w in self.seed_requests.prepare(lambda message: events.step("requests-file", message)):
                self.warn(w)
            os.environ["MEMRAY_RUN_REQUESTS_FILE"] = cfg.requests_file

    def _collect_script_requests(self) -> None:
        """Right after the workload: the script's per-request data is read and the seed path's lock
        released (a run waiting for it does not wait for this run's reports)."""
        if self.seed_requests is None:
            return
        requests, warnings, source = self.seed_requests.collect()
        for w in warnings:
            self.warn(w)
        self.script_requests = (requests, source)

    def _capture_for(self, memray: Any, census: ObjectCensus) -> Capture:
        cfg, rule = self.cfg, self.rule
        capture = Capture(
            memray,
            cfg.out_dir,
            native_traces=cfg.native_traces,
            trace_python_allocators=cfg.trace_python_allocators,
            destination=socket_destination(memray, cfg.live_port) if rule.live and memray is not None else None,
            track_object_lifetimes=census.native,
            gc_before_stop=rule.gc_before_stop,
            real_tracemalloc=cfg.tracemalloc,
        )
        capture.on_start = lambda: self._checkpoint("workload", capture)
        return capture

    def _note_host_lost(self) -> None:
        """The host went away once the workload was over: the run was finished without it (no signals,
        no index.html). The run's code is HOST_LOST, so that it is known to need `memray-cli recover`;
        the workload's own outcome is kept in the `host_lost` section, which recovery restores."""
        stop = interrupts.current()
        if stop.host_lost is None or not self.workload_done or self.summary.error_code == "HOST_LOST":
            return  # before the workload, the run's own error (HOST_LOST when nothing else failed) stands
        data = self.summary.content()
        own = {key: data.get(key) for key in ("exit_code", "error", "error_code", "error_details")}
        self.summary.set_section("host_lost", {"reason": stop.host_lost, "during": "reports", "outcome": own})
        message = (
            "memray-cli, which ran this run, went away after the workload (%s): the harness finished the run without it "
            "(no signals, no index.html); `memray-cli recover` completes it" % stop.host_lost
        )
        if own["error"]:
            message += "; the workload's own outcome: %s" % own["error"]
        self.summary.set_result(own["exit_code"] or 0, message, "HOST_LOST", {"type": "HostLost", "message": stop.host_lost, "traceback": ""})

    def _remove_scratch(self) -> None:
        """The host's scratch directory of this run (config, requests file): the host that would remove it is gone."""
        scratch = self.cfg.scratch_dir
        if not scratch or not os.path.isabs(scratch):
            return
        out_dir = os.path.realpath(self.cfg.out_dir)
        root = os.path.realpath(scratch)
        if out_dir == root or out_dir.startswith(root + os.sep):
            return  # it holds the run itself: kept
        shutil.rmtree(root, ignore_errors=True)

    def _checkpoint(self, phase: str, capture: Optional[Capture] = None) -> None:
        """What is known so far, for a --recover harness if this process ends abruptly."""
        if capture is not None:
            self.summary.set_section("memory", capture.memory())
        self.summary.set_duration(time.perf_counter() - self.t0)
        checkpoint.save(self.cfg.out_dir, self.summary.content(), phase)

    # -- the phases ----------------------------------------------------------------------------
    def _phases(self) -> int:
        keepalive: Any = None
        try:
            self._check_out_dir()
            memray = self._prepare()
            self._checkpoint("prepared")
            self._start_engine_early(memray)
            app = self._load_app()
            self._prepare_requests_file()
            census = ObjectCensus(self.rule.object_census, memray is not None, self.summary.get("profiling")["memray_version"])
            capture = self._capture_for(memray, census)
            outcome, keepalive = self._run_workload(app, capture, census)
            # SOFT since the workload ended (_run_workload): the first signal stops nothing more (every
            # report is still made), a second abandons the remaining reports (the host's third kills the
            # process); a host that goes away stops nothing.
            self._after_workload(outcome, capture)
            return self._finish(memray, capture, outcome, census)
        except KeyboardInterrupt:
            return self._interrupted()
        except HarnessError as exc:
            return self.fail(exc)
        except Exception as exc:  # a harness bug: still one complete summary saying so
            return self.fail(unexpected(exc, "before the workload"))
        finally:
            if self.seed_requests is not None:
                self.seed_requests.release()  # never held past the run, whatever ended it
            if self.served is not None:
                with contextlib.suppress(Exception):
                    self.served.close()  # the run ended before its workload did: no lifespan left running
            if self.engine is not None:
                self.engine.discard()  # not used (no capture, an error): it exits at EOF
            del keepalive  # the script's globals lived through the object census and reports

    def _run_workload(self, app: Any, capture: Capture, census: ObjectCensus) -> tuple[Outcome, Any]:
        """(how the workload ended, what to keep alive until the reports are made)."""
        events.step("capture", capture_message(self.cfg.mode, census))
        census.before()
        try:
            return workload.run(self.cfg, self.rule, app, capture)
        except HarnessError:
            raise  # Capture.run closed the window on the way out
        except BaseException as exc:  # noqa: B902 - keep what was captured
            return workload_crash(exc), None
        finally:
            interrupts.current().enter(interrupts.SOFT)  # the workload is over, for the rest of the run
            try:
                capture.end()
            except Exception as exc:
                self.warn("stopping the tracker failed: %s: %s" % (type(exc).__name__, exc))
            self.workload_done = True
            events.emit("workload-done")  # the host collects its after-signals while reports are made

    def _after_workload(self, outcome: Outcome, capture: Capture) -> None:
        for message in stray_processes.terminate_strays(keep=[self.engine.proc.pid] if self.engine else []):
            self.warn(message)
        self._guard("requests file", self._collect_script_requests)
        self._guard("app shutdown", self._stop_app)
        self._note_interruption(outcome)
        self._record_outcome(outcome)  # in the checkpoint too: a recovery keeps how the workload ended
        self._checkpoint("reports", capture)

    def _interrupted(self) -> int:
        """Ctrl-C/SIGTERM that ended the phases: before the workload, the run's error; after it, between
        the steps, what is done is kept."""
        stop = interrupts.current()
        if self.workload_done:
            self._note_late_interruption()
            return contract().exit_code(self.summary.error_code or stop.code or "INTERRUPTED")
        return self.fail(HarnessError(stop.code or "INTERRUPTED", "interrupted by %s before the workload started" % stop.describe()))

    def _note_late_interruption(self) -> None:
        """A signal that came only once the workload was done: said, with what it stopped (a second signal
        abandons the remaining reports; the first alone stops nothing)."""
        stop = interrupts.current()
        if not stop.received or self.rule.workload == "serve":
            return
        if self.abandoned:
            message = "interrupted by %s while the reports were made: %s not made" % (stop.describe(), ", ".join(self.abandoned))
        else:
            message = "interrupted by %s after the workload ended; every report was made" % stop.describe()
        self.summary.record_error(stop.code or "INTERRUPTED", message)

    def _note_interruption(self, outcome: Outcome) -> None:
        """A signal stopped the workload: that is the run's error (serving ends by a signal normally); so is
        a host that went away, serving or not."""
        stop = interrupts.current()
        if stop.host_lost is not None and not stop.received:
            self._host_lost_during_workload(outcome, stop.host_lost)
            return
        if not stop.requested or self.rule.workload == "serve":
            return
        done = len(outcome.requests)
        what = " after %d of %d requests" % (done, self.cfg.requests) if self.rule.workload == "requests" else ""
        tail = "" if self.rule.live else "; reports are made from the partial capture"
        outcome.error = "interrupted by %s during the workload%s%s" % (stop.describe(), what, tail)
        outcome.exit_code = contract().exit_code(stop.code or "INTERRUPTED")
        outcome.code = stop.code
        outcome.error_details = {"type": "KeyboardInterrupt", "message": stop.first or "", "traceback": ""}

    def _host_lost_during_workload(self, outcome: Outcome, reason: str) -> None:
        tail = "" if self.rule.live else " and the reports made from the capture until then"
        outcome.error = "memray-cli, which ran this run, went away during the workload (%s): the workload was stopped%s" % (reason, tail)
        outcome.exit_code = contract().exit_code("HOST_LOST")
        outcome.code = "HOST_LOST"
        outcome.error_details = {"type": "HostLost", "message": reason, "traceback": ""}
        self.summary.set_section("host_lost", {"reason": reason, "during": "workload", "outcome": None})

    # -- after the workload --------------------------------------------------------------------
    def _finish(self, memray: Any, capture: Capture, outcome: Outcome, census: ObjectCensus) -> int:
        self.summary.set_section("memory", capture.memory())
        self._guard("objects", lambda: self._objects(capture, census))
        self._after_capture(memray, capture, outcome)
        self._note_late_interruption()
        self._check_reports(memray, capture)
        code = self.summary.error_code
        return contract().exit_code(code) if code else EXIT_OK

    def _after_capture(self, memray: Any, capture: Capture, outcome: Outcome) -> None:
        """What is made from the capture and the requests, here or by a recovering harness."""
        self._guard("reports", lambda: self._reports(memray, capture))
        self._guard("requests", lambda: self._requests(outcome))
        self._guard("heap growth", lambda: self._analyse_requests(memray, capture))
        if "method" not in self.summary.get("leak_indicators"):  # the analysis failed: the RSS verdict still comes
            self.summary.set_section("leak_indicators", leak_verdict.leak_indicators(self.summary.get("requests")))
        self._guard("requests report", self._requests_report)

    def _record_outcome(self, outcome: Outcome) -> None:
        self.summary.set_result(outcome.exit_code, outcome.error, outcome.error_code, outcome.error_details)
        for key, value in outcome.extra.items():
            self.summary.set_section(key, value)
        for message in outcome.warnings:
            self.warn(message)

    def _guard(self, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except KeyboardInterrupt as exc:  # Ctrl-C/SIGTERM: this step is abandoned, the summary still comes
            self.abandoned.append("the %s step" % what)
            self.warn("%s step abandoned after %s" % (what, exc or "a signal"))
        except Exception as exc:
            self.warn("%s step failed: %s: %s" % (what, type(exc).__name__, exc))

    def _objects(self, capture: Capture, census: ObjectCensus) -> None:
        if not census.wanted:
            return
        events.step("objects", "summarising surviving objects")
        data = census.take(capture.surviving_objects)
        if data is None:
            return
        object_census.write(self.cfg.out_dir, data)
        self.summary.set_section("objects", object_census.summary_block(data))

    def _reports(self, memray: Any, capture: Capture) -> None:
        # No session.bin by design: memray missing, or a live Tracker that streamed to a socket.
        if memray is None or self.rule.live or not capture.started:
            return
        lost = capture.session_problem()
        if lost:
            self._capture_lost(lost)
            return
        derive = self.summary.get("memory").get("tracemalloc_source") == "memray"  # tracemalloc_* come from this capture
        if self.cfg.reports:
            events.step("reports", "generating %s" % ", ".join(self.cfg.reports))
        else:
            events.step("reports", "reading session.bin for the summary's figures")
        result = make_reports(
            memray,
            capture.session_path,
            self.cfg.out_dir,
            self.cfg.reports,
            leaked_table=self.rule.table_source == "leaked",
            derive_tracemalloc=derive,
            engine=self.engine,
        )
        self._take_report_result(result, derive, memray, capture.session_path)

    def _take_report_result(self, result: ReportResult, derive: bool, memray: Any, session: str) -> None:
        if derive and result.tracemalloc is not None:
            tm = result.tracemalloc
            self.summary.update_section("memory", {"tracemalloc_current": tm["current"], "tracemalloc_peak": tm["peak"], "tracemalloc_delta": tm["delta"]})
        elif derive:
            self.warn("tracemalloc_current/peak/delta could not be derived from session.bin (see the report warnings)")
        for w in result.warnings:
            self.warn(w)
        self.abandoned.extend(result.abandoned)
        if result.no_space:
            out_dir = self.cfg.out_dir
            reports = ", ".join(result.no_space)
            self.summary.record_error("DISK_FULL", "no space left on %s to write the %s report(s); %s free" % (out_dir, reports, free_space(out_dir)))
        if result.top_allocators is not None:
            self.summary.set_section("top_allocators", result.top_allocators)
        stats = result.memray_stats or memray_stats(memray, session, result.stats_json)
        if stats is not None:
            self.summary.set_section("memray_stats", stats)

    def _check_reports(self, memray: Any, capture: Capture) -> None:
        """Reports asked for that are not in out_dir are the run's error (REPORTS_MISSING, exit 3), or a
        warning when it has one already: a run without its reports must not pass as done (a CI job reads
        the exit code). Not missing: reports a second signal abandoned (the user asked), reports from a
        capture there is none of by design (no memray, a live run) or that was lost (CAPTURE_LOST)."""
        from_capture = memray is not None and not self.rule.live and capture.started and capture.session_problem() is None
        missing = []
        for name in self.cfg.reports:
            try:
                spec = contract().report(name)
            except KeyError:
                continue  # not in contract.json: warned about when the reports were made
            if spec.generator == REQUESTS_VERDICT:
                expected = "the requests report step" not in self.abandoned
            else:
                expected = spec.generator in FROM_CAPTURE and from_capture and "the reports step" not in self.abandoned
            if expected and name not in self.abandoned and not os.path.isfile(os.path.join(self.cfg.out_dir, spec.file)):
                missing.append(name)
        if missing:
            message = "%d report(s) asked for were not made: %s (the warnings say why)" % (len(missing), ", ".join(missing))
            if not self.summary.record_error("REPORTS_MISSING", message):
                self.warn(message)

    def _capture_lost(self, why: str) -> None:
        message = "the capture %s; no reports could be made" % why
        if not self.summary.record_error("CAPTURE_LOST", message):
            self.warn(message)
        events.error("CAPTURE_LOST", message)

    def _requests(self, outcome: Outcome) -> None:
        requests: list[dict[str, Any]] = list(outcome.requests)
        if workload.uses_script(self.cfg, self.rule):
            if self.script_requests is not None:
                loaded, source = self.script_requests
            else:  # a recovering harness: the run's own file (the first harness held the seed path's lock)
                loaded, warnings = requests_file.load(self.cfg.requests_file)
                for w in warnings:
                    self.warn(w)
                source = {"file": self.cfg.requests_file, "kind": "run", "entries": len(loaded)} if os.path.exists(self.cfg.requests_file) else None
            requests.extend(loaded)
            self.summary.set_section("requests_source", source)
        self.summary.set_section("requests", requests)

    def _analyse_requests(self, memray: Any, capture: Capture) -> None:
        """Heap growth per request from the capture and the leak verdict (analysis/request_analysis.py)."""
        session, why = None, ""
        if memray is None:
            why = "memray is not installed"
        elif self.rule.live:
            why = "a live run streams to `memray live` and keeps no capture"
        elif not capture.started or capture.session_problem():
            why = "there is no usable capture"
        else:
            session = capture.session_path
        requests = self.summary.get("requests")
        analysis = request_analysis.analyse(requests, memray, session, why)
        self.summary.set_section("requests", requests)  # with each request's heap_* filled in
        if analysis.growth_sites is not None:
            self.summary.set_section("growth_sites", analysis.growth_sites)
        self.summary.set_section("leak_indicators", analysis.leak_indicators)
        for message in analysis.warnings:
            self.warn(message)

    def _requests_report(self) -> None:
        if workload.uses_script(self.cfg, self.rule):
            title = "script %s (%s mode)" % (self.cfg.script or self.cfg.script_path, self.cfg.mode)
        else:
            title = "%s %s (%s mode)" % (self.cfg.endpoint.method, self.cfg.endpoint.path, self.cfg.mode)
        for w in requests_report.write_report(self.cfg.out_dir, self.summary.content(), self.cfg.reports, title):
            self.warn(w)


def capture_message(mode: str, census: ObjectCensus) -> str:
    """The progress line of the capture step; the object census says how it counts (the seed's known
    limitation: track_object_lifetimes adds memory and CPU overhead)."""
    if not census.wanted:
        return "running the %s workload" % mode
    if census.native:
        return (
            "running the %s workload with memray's track_object_lifetimes: it adds memory and CPU overhead "
            "(for targeted debugging, not routine profiling)" % mode
        )
    return "running the %s workload; surviving objects from a gc before/after diff (memray's track_object_lifetimes needs Python >= 3.13.3)" % mode


def run(cfg: Config) -> int:
    return Run(cfg).execute()
