"""AttachRun: mode attach, the service's own running processes tracked in place.

discover -> the way into each process (nothing changed yet: every refusal ends the run here) ->
tracking started in every process at once -> the window (a duration, an interrupt, or the requests
sent to the service's port) -> tracking stopped everywhere (in a finally) -> per process, its
reports -> the processes' top allocators merged, the heap per request summed, the leak verdict ->
summary.json (Run.write: written once).

Events for the TypeScript side (docs/harness-protocol.md): attach-processes, attach-tracking,
attach-window, attach-process-died, attach-stopped, and `step`s discover, attach, window, detach,
reports, summary.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from typing import Any, Optional

from .. import events, interrupts, paths
from ..analysis import leak_verdict
from ..config import AttachOptions
from ..contract import contract
from ..errors import EXIT_OK, HarnessError
from ..measurement.memray_module import import_memray, memray_version, missing_memray_error
from ..measurement.rss import SOURCE_PROC, proc_rss_kb
from ..reports import requests_report
from ..run.failures import unexpected
from ..run.runner import Run
from ..workloads.outcome import Outcome
from . import checks, discovery, inject, merge, process_reports, wake
from . import tracked as tracked_mod
from .client import LEASE_SECONDS, LeaseKeeper
from .discovery import ProcessInfo
from .tracked import Tracked
from .window import WindowResult, run_window


class AttachRun(Run):
    """A Run whose workload is the service's own processes (Run's summary, write, fail, warnings)."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        if self.cfg.endpoint.path is None:  # memray-cli asks for --endpoint with --requests; "/" otherwise unused
            self.cfg = dataclasses.replace(self.cfg, endpoint=dataclasses.replace(self.cfg.endpoint, path="/"))
        self.discovered: list[ProcessInfo] = []
        self.chosen: list[int] = []
        self.tracked: list[Tracked] = []
        self.window: Optional[WindowResult] = None
        self.tracking_seconds: Optional[float] = None
        self.merged: list[dict[str, Any]] = []
        self.keeper = LeaseKeeper()

    @property
    def options(self) -> AttachOptions:
        assert self.cfg.attach is not None
        return self.cfg.attach

    # -- the phases ----------------------------------------------------------------------------
    def _phases(self) -> int:
        # This harness serves nothing itself: socketserver frames in the captures are the service's own.
        paths.SERVER_LOOPS_ARE_HARNESS = False
        try:
            self._check_out_dir()
            memray = self._prepare_attach()
            port = self._service_port()
            self._discover()
            self.tracked = tracked_mod.ways_in([p for p in self.discovered if p.pid in self.chosen], checks.wanted_method())
            # From here the first SIGINT/SIGTERM ends the window (at once if it comes before the window
            # opens) and the reports are still made; a second one raises (KeyboardInterrupt).
            with interrupts.current().phase(interrupts.SOFT):
                self._start_all()
                try:
                    self._open_window(port)
                finally:
                    self._stop_all()
            with interrupts.current().phase(interrupts.RAISE):  # a signal now skips the remaining reports
                return self._finish(memray)
        except KeyboardInterrupt:
            return self._interrupted_attach()
        except HarnessError as exc:
            return self.fail(exc)
        except Exception as exc:  # a harness bug: still one complete summary saying so
            return self.fail(unexpected(exc, "in mode attach"))
        finally:
            self._stop_all()  # whatever happened: no process is left tracking
            if self.discovered:
                self.summary.set_section("attach", self._attach_section())

    def _prepare_attach(self) -> Any:
        if self.cfg.attach is None:
            raise HarnessError("INVALID_CONFIG", "mode attach needs the config's `attach` block (duration_seconds, pids, aggregate, send_requests)")
        memray, why = import_memray()
        if memray is None:
            raise missing_memray_error(why or "")  # the reports, and memray's injection, need it here too
        self.summary.update_section(
            "profiling",
            {
                "memray_enabled": True,
                "native_traces": bool(self.cfg.native_traces),
                "trace_python_allocators": bool(self.cfg.trace_python_allocators),
                "memray_version": memray_version(memray),
            },
        )
        return memray

    @property
    def _known_port(self) -> Optional[int]:
        """The service's port as the target or the user gave it (None when unknown)."""
        return self.cfg.target.service_port or self.cfg.service_port

    def _service_port(self) -> Optional[int]:
        if not self.options.send_requests:
            return None
        port = self._known_port
        if not port:
            raise HarnessError(
                "PORT_NOT_DETECTABLE",
                "mode attach sends the %d requests to the service's own port on 127.0.0.1, and it is not known for %s %s"
                % (self.cfg.requests, self.cfg.target.kind, self.cfg.target.name),
            )
        return int(port)

    def _discover(self) -> None:
        kind = self.cfg.target.kind
        events.step("discover", "finding the service's Python processes (%s)" % ("this host" if kind == discovery.LOCAL_KIND else "the process tree of pid 1"))
        table = discovery.process_table()
        self.discovered = discovery.discover(kind, table)
        try:
            self.chosen = [p.pid for p in discovery.choose(self.discovered, self.options.pids, kind, table)]
        finally:
            events.emit("attach-processes", processes=[self._process_event(p) for p in self.discovered])

    def _process_event(self, p: ProcessInfo) -> dict[str, Any]:
        return {"pid": p.pid, "role": p.role, "uid": p.uid, "cmdline": p.cmdline, "chosen": p.pid in self.chosen}

    def _start_all(self) -> None:
        """Tracking in every chosen process at once; the time until all of them track is measured."""
        opts = self.options
        events.step("attach", "starting tracking in %s" % ", ".join("pid %d (%s, %s)" % (t.pid, t.role, t.method) for t in self.tracked))
        started = time.perf_counter()
        args = (self.cfg.out_dir, self.cfg.run_id, self.cfg.native_traces, self.cfg.trace_python_allocators, opts.aggregate, LEASE_SECONDS)

        def start(t: Tracked) -> None:
            tracked_mod.start(t, *args)
            if t.status == "tracking" and t.conn is not None:
                self.keeper.add(t.pid, t.conn)  # renewed at once: the others may take a while (an injection)

        injecting = any(t.method != "agent" for t in self.tracked)  # nothing has started yet: every status is pending
        port = self._known_port
        with wake.waker(port, injecting, inject.INJECT_TIMEOUT) as waking, concurrent.futures.ThreadPoolExecutor(max_workers=len(self.tracked)) as pool:
            list(pool.map(start, self.tracked))
        self.tracking_seconds = round(time.perf_counter() - started, 3)
        if isinstance(waking, wake.Waker) and waking.connections:
            events.step("attach", "woke the idle service for the debugger: %d empty connection(s) to 127.0.0.1:%d" % (waking.connections, waking.port))
        reader = self.summary.get("profiling")["memray_version"]
        for t in self.tracked:
            if t.status == "tracking":
                t.rss_before = proc_rss_kb(t.pid)
                writer = t.hello.get("memray") or t.memray_version
                if writer not in (None, "unknown", reader):
                    self.warn(
                        "pid %d writes its capture with memray %s and the harness reads it with memray %s: if its reports fail, install one version"
                        % (t.pid, writer, reader)
                    )
            elif t.status == "failed":
                self.warn("pid %d (%s) is not tracked: %s" % (t.pid, t.role, t.error))
        events.emit(
            "attach-tracking",
            method=tracked_mod.overall_method(self.tracked),
            seconds=self.tracking_seconds,
            processes=[{"pid": t.pid, "role": t.role, "method": t.method, "status": t.status, "error": t.error} for t in self.tracked],
        )
        if not any(t.status == "tracking" for t in self.tracked):
            failures = [t for t in self.tracked if t.status == "failed"]
            code = next((t.error_code for t in failures if t.error_code), None) or "ATTACH_NO_PROCESS"
            raise HarnessError(code, "tracking started in none of the chosen processes: %s" % "; ".join(t.error or "" for t in failures))

    def _open_window(self, port: Optional[int]) -> None:
        opts = self.options
        how = "until %d requests to port %s are answered" % (self.cfg.requests, port) if opts.send_requests else "for %ss" % opts.duration_seconds
        events.step("window", "tracking %s (Ctrl-C ends it; the reports are still made)" % how)
        events.emit(
            "attach-window",
            duration_seconds=None if opts.send_requests else opts.duration_seconds,
            send_requests=opts.send_requests,
            requests=self.cfg.requests if opts.send_requests else None,
            service_port=port,
        )
        self.window = run_window(self.cfg, self.tracked, self.keeper, port)
        for message in self.window.warnings:
            self.warn(message)

    def _stop_all(self) -> None:
        """Tracking stopped in every process that tracks (idempotent; never cut short by a signal)."""
        self.keeper.stop()
        live = [t for t in self.tracked if t.conn is not None]
        if not live:
            return
        with interrupts.current().phase(interrupts.RECORD):
            events.step("detach", "stopping tracking in %s" % ", ".join("pid %d" % t.pid for t in live))
            for t in live:
                if t.status == "tracking":
                    t.rss_after = proc_rss_kb(t.pid)
            with concurrent.futures.ThreadPoolExecutor(max_workers=len(live)) as pool:
                list(pool.map(lambda t: tracked_mod.stop(t, self.cfg.out_dir, self.keeper.lost.get(t.pid)), live))
            self.workload_done = True
            events.emit(
                "attach-stopped",
                stopped_by=self.window.stopped_by if self.window else "error",
                seconds=self.window.seconds if self.window else None,
                processes=[{"pid": t.pid, "role": t.role, "status": t.status, "capture_bytes": t.capture_bytes} for t in self.tracked],
            )
            events.emit("workload-done")

    # -- after the window ----------------------------------------------------------------------------
    def _finish(self, memray: Any) -> int:
        self.summary.set_result(EXIT_OK, None, None)
        self.summary.set_section("memory", self._memory())
        stop = interrupts.current()
        for t in self.tracked:
            if t.status == "failed":
                process_reports.skip(t, self.cfg.out_dir, self.cfg.reports, "no capture: %s" % t.error)
                continue
            if t.status == "died":
                self.warn(t.error or "pid %d ended during the window" % t.pid)
            if len(stop.received) > self._signals_for_window():  # the reports are skipped after that signal
                process_reports.skip(t, self.cfg.out_dir, self.cfg.reports, "skipped: interrupted by %s" % stop.received[-1])
                continue
            events.step("reports", "pid %d (%s): %s" % (t.pid, t.role, ", ".join(process_reports.per_process(self.cfg.reports)) or "its figures"))
            self._process_reports(memray, t, self.options.aggregate)
        self._guard("merged top allocators", self._merge_top_allocators)
        self._guard("requests", lambda: self._requests(memray))
        self._record_failures()
        self._note_attach_interruption()
        self._note_window_ended_by_host_loss()
        code = self.summary.error_code
        return contract().exit_code(code) if code else EXIT_OK

    def _process_reports(self, memray: Any, t: Tracked, aggregate: bool) -> None:
        self._guard(
            "reports of pid %d" % t.pid,
            lambda: process_reports.make_process_reports(memray, t, self.cfg.out_dir, self.cfg.reports, self.rule.table_source == "leaked", aggregate),
        )
        for message in t.warnings:
            self.warn(message)

    def _memory(self) -> dict[str, Any]:
        tracked = [t for t in self.tracked if t.status != "failed"]
        before = [t.rss_before for t in tracked if t.rss_before is not None]
        after = [t.rss_after for t in tracked if t.rss_after is not None and t.rss_before is not None]
        rss_before = sum(before) if before else None
        rss_after = sum(after) if after else None
        return {
            "rss_before": rss_before,
            "rss_after": rss_after,
            "rss_delta": rss_after - rss_before if rss_before is not None and rss_after is not None else None,
            "tracemalloc_current": None,
            "tracemalloc_peak": None,
            "tracemalloc_delta": None,
            "rss_source": SOURCE_PROC,
        }

    def _merge_top_allocators(self) -> None:
        sites = {}
        for t in self.tracked:
            if t.has_capture:
                table_json = "%s/%s" % (t.directory(self.cfg.out_dir), contract().artifact("table_json").file)
                sites[t.pid] = merge.sites_of(table_json, t.top_allocators)
        self.merged = merge.merge_top_allocators(sites)
        self.summary.set_section("top_allocators", self.merged)

    def _requests(self, memray: Any) -> None:
        if self.window is None or not self.options.send_requests:
            return
        requests = self.window.requests
        note = ""
        series: dict[int, merge.HeapSeries] = {}
        measured: dict[int, merge.Measured] = {}
        sites_stopped: Optional[BaseException] = None
        for t in self.tracked:
            if t.status != "tracked":
                if t.status == "died":
                    self.warn("the heap per request leaves out pid %d, which ended during the window" % t.pid)
                continue
            # One read of each capture for both the heap per request and (full captures) the growth sites.
            want_sites = not self.options.aggregate and sites_stopped is None
            try:
                series[t.pid], sites, stopped = merge.read_capture(memray, t.session(self.cfg.out_dir), requests, want_sites)
            except Exception as exc:  # noqa: BLE001 - the others still give a heap
                self.warn("the heap per request leaves out pid %d: its capture could not be read (%s: %s)" % (t.pid, type(exc).__name__, exc))
                continue
            if sites is not None:
                measured[t.pid] = sites
            sites_stopped = sites_stopped or stopped
        if series and self.options.aggregate:
            self.warn("no growth sites: an aggregated capture (--aggregate) keeps no allocation history to find them in")
        elif series:
            warmup = leak_verdict.warmup_for(len(requests))

            def growth_sites() -> None:
                if sites_stopped is not None:
                    raise sites_stopped
                self.summary.set_section("growth_sites", merge.growth_sites(measured, warmup))

            self._guard("growth sites", growth_sites)
        if series:
            unmeasured = merge.apply_heap(requests, series)
            if unmeasured:
                self.warn(
                    "heap growth per request: %d request(s) had no memory snapshot of every process between their end and the next "
                    "request's start; their heap is null" % unmeasured
                )
        else:
            note = "no process's capture could be read"
        self.summary.set_section("requests", requests)
        self.summary.set_section("leak_indicators", leak_verdict.leak_indicators(requests, note if requests else ""))
        title = "%s %s to the service's port %s (attach mode, %d process(es))" % (
            self.cfg.endpoint.method,
            self.cfg.endpoint.path,
            self._known_port,
            len([t for t in self.tracked if t.has_capture]),
        )
        for w in requests_report.write_report(self.cfg.out_dir, self.summary.content(), self.cfg.reports, title):
            self.warn(w)

    def _record_failures(self) -> None:
        window = self.window
        if window is None:
            return
        if window.failures:
            more = " (and %d more)" % (len(window.failures) - 3) if len(window.failures) > 3 else ""
            self.summary.set_result(contract().exit_code("WORKLOAD_FAILED"), "; ".join(window.failures[:3]) + more, "WORKLOAD_FAILED")
        elif window.stopped_by == "error":
            self.summary.set_result(
                contract().exit_code("WORKLOAD_FAILED"),
                "every tracked process ended during the window; their captures hold what they did until then",
                "WORKLOAD_FAILED",
            )

    # -- signals ---------------------------------------------------------------------------------------
    def _signals_for_window(self) -> int:
        """How many of the signals received were the window's normal end (the first, when it ended it)."""
        return 1 if self.window is not None and self.window.stopped_by == "interrupt" else 0

    def _note_attach_interruption(self) -> None:
        stop = interrupts.current()
        if len(stop.received) > self._signals_for_window():
            self.summary.record_error(
                stop.code or "INTERRUPTED", "interrupted by %s while the reports were made; the remaining reports were skipped" % stop.describe()
            )

    def _interrupted_attach(self) -> int:
        """A signal that was not the window's normal end escaped: before tracking, the run's error; after,
        tracking is stopped (the finally) and the reports are skipped."""
        stop = interrupts.current()
        code = stop.code or "INTERRUPTED"
        if not self.workload_done:
            self._stop_all()
        if any(t.status != "failed" for t in self.tracked):
            if self.window is None:
                self.window = WindowResult(stopped_by="interrupt")
            self.summary.set_section("memory", self._memory())
            for t in self.tracked:
                if not t.reports and not t.missing_reports:  # none attempted: the signal came before the reports
                    why = "no capture: %s" % t.error if t.status == "failed" else "skipped: interrupted by %s" % stop.received[-1]
                    process_reports.skip(t, self.cfg.out_dir, self.cfg.reports, why)
            message = "interrupted by %s %s: tracking was stopped and the reports were skipped" % (stop.describe(), "twice" if len(stop.received) > 1 else "")
            self.summary.set_result(contract().exit_code(code), message.replace("  ", " "), code)
            return contract().exit_code(code)
        return self.fail(HarnessError(code, "interrupted by %s before tracking started" % stop.describe()))

    def _note_window_ended_by_host_loss(self) -> None:
        """memray-cli went away during the window and its loss ended it, as a Ctrl-C would: the run is
        HOST_LOST (the window was cut short, and recovery keeps it so), the run's own outcome kept beside."""
        stop = interrupts.current()
        window = self.window
        if stop.host_lost is None or stop.received or window is None or window.stopped_by != "interrupt":
            return
        data = self.summary.content()
        own = {key: data.get(key) for key in ("exit_code", "error", "error_code", "error_details")}
        self.summary.set_section("host_lost", {"reason": stop.host_lost, "during": "workload", "outcome": own})
        message = (
            "memray-cli, which ran this run, went away during the window (%s), which ended it after %.1f s: tracking was stopped in every "
            "process and the reports made from what was captured until then" % (stop.host_lost, window.seconds)
        )
        if own["error"]:
            message += "; the run's own outcome: %s" % own["error"]
        details = {"type": "HostLost", "message": stop.host_lost, "traceback": ""}
        self.summary.set_result(contract().exit_code("HOST_LOST"), message, "HOST_LOST", details)

    # -- `memray-cli recover` ------------------------------------------------------------------------------
    def finish_from_capture(self, outcome: Outcome) -> int:
        """`memray-cli recover` of an attach run, from the summary it restored: the reports a process's
        capture lacks made again, the processes' top allocators merged again, the outcome as recovery
        found it. Returns the exit code to write() with."""
        self.t0 = time.perf_counter() - float(self.summary.get("duration_seconds") or 0)
        memray, why = import_memray()
        if memray is None:
            return self.fail(missing_memray_error(why or ""))
        section = dict(self.summary.get("attach") or {})
        entries = [dict(entry) for entry in section.get("processes") or []]
        aggregate = bool(section.get("aggregate"))
        self.tracked = [Tracked.from_entry(entry) for entry in entries]
        remade = False
        for entry, t in zip(entries, self.tracked):
            lacking = process_reports.lacking(t, self.cfg.out_dir, self.cfg.reports, aggregate)
            if not lacking:
                continue
            remade = True
            events.step("reports", "pid %d (%s): %s, made from its capture" % (t.pid, t.role, ", ".join(lacking)))
            self._process_reports(memray, t, aggregate)
            entry.update(
                reports=t.reports, missing_reports=t.missing_reports, top_allocators=t.top_allocators, peak_memory_mb=t.peak_memory_mb, leaked_mb=t.leaked_mb
            )
        if remade:
            self._guard("merged top allocators", self._merge_top_allocators)
            section["top_allocators"] = self.merged
        self.summary.set_section("attach", dict(section, processes=entries))
        self._record_outcome(outcome)
        code = self.summary.error_code
        return contract().exit_code(code) if code else EXIT_OK

    # -- summary.attach ----------------------------------------------------------------------------------
    def _attach_section(self) -> dict[str, Any]:
        opts = self.options
        window = self.window
        return {
            "method": tracked_mod.overall_method(self.tracked),
            "duration_seconds": window.seconds if window else 0.0,
            "aggregate": opts.aggregate,
            "stopped_by": window.stopped_by if window else "error",
            "processes": [t.entry(self.cfg.out_dir) for t in self.tracked],
            "top_allocators": self.merged,
            "requested_duration_seconds": None if opts.send_requests else opts.duration_seconds,
            "tracking_started_seconds": self.tracking_seconds,
            "discovered": [self._process_event(p) for p in self.discovered],
        }
