"""The host's presence, watched for the whole run: when memray-cli (the host) goes away, the harness
finishes the run on its own (HOST_LOST) instead of running the workload for nobody.

The signs, whichever comes first:

* the parent process ended (where the host started the harness itself, as on this host):
  prctl(PR_SET_PDEATHSIG) sends the wake-up signal at once (Linux), and the parent's pid is checked
  every POLL_SECONDS everywhere (a parent outside the target's pid namespace reads as 0: not watched);
* standard input, held open by the host and never written (`--host-stdin`), reads end-of-file: the
  host's end of the pipe closed, with the host (any target whose exec holds stdin open);
* the pipe of the progress events (events.py) reports an error (poll's POLLERR, EPIPE on a write):
  nobody reads it any more.

Then: the output of the workload and of the harness goes on into out_dir's harness.log (nobody reads
the pipes; a print must not fail the workload with BrokenPipeError), progress events stop, and the
workload is stopped as by a first Ctrl-C (interrupts.lose_host). The run's reports and summary.json
are still made; the summary says HOST_LOST, and `memray-cli recover RUN_DIR` completes the run later.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import threading
from typing import Optional

from . import events, interrupts, main_thread
from .contract import contract

POLL_SECONDS = 0.25
PR_SET_PDEATHSIG = 1


class HostLink:
    def __init__(self, out_dir: Optional[str], stdin_fd: Optional[int]) -> None:
        self.out_dir = out_dir
        self.stdin_fd = stdin_fd
        self.parent = os.getppid()
        self._gone = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="memray-harness-host-link", daemon=True)

    def start(self) -> None:
        _parent_death_signal()
        main_thread.current().on_wake.append(self._check_parent)
        events.on_broken = self.lost
        self._thread.start()
        self._check_parent()  # it may have ended before the parent-death signal was asked for

    def lost(self, reason: str) -> None:
        """From any thread, once: the host is gone."""
        with self._lock:
            if self._gone:
                return
            self._gone = True
        self._detach_output()
        events.say("memray-harness: memray-cli (the host of this run) is gone: %s; finishing the run without it" % reason)
        interrupts.current().lose_host(reason)

    def _check_parent(self) -> None:
        if self.parent > 1 and os.getppid() != self.parent:
            self.lost("its parent process %d (memray-cli) ended" % self.parent)

    def _watch(self) -> None:
        poller = select.poll() if hasattr(select, "poll") else None
        channel = events.channel_fd()
        if poller is not None:
            if self.stdin_fd is not None:
                poller.register(self.stdin_fd, select.POLLIN | select.POLLPRI)
            if channel is not None:
                poller.register(channel, 0)  # errors only: POLLERR once no process reads the pipe
        while not self._gone:
            ready = poller.poll(POLL_SECONDS * 1000) if poller is not None else _sleep()
            for fd, mask in ready:
                if mask & select.POLLNVAL:
                    poller.unregister(fd)  # type: ignore[union-attr]
                elif fd == self.stdin_fd:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:
                        data = b""
                    if not data:
                        return self.lost("its standard input, held open by memray-cli, was closed")
                elif mask & (select.POLLERR | select.POLLHUP):
                    return self.lost("nothing reads its progress events any more")
            self._check_parent()
        return None

    def _detach_output(self) -> None:
        """fd 1 and 2 (the workload's output and the harness's lines) to harness.log in out_dir, or nowhere."""
        target = os.devnull
        if self.out_dir and os.path.isdir(self.out_dir):
            target = os.path.join(self.out_dir, contract().artifact("harness_log").file)
        try:
            fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError:
            fd = os.open(os.devnull, os.O_WRONLY)
        for std in (1, 2):
            with contextlib.suppress(OSError):
                os.dup2(fd, std)
        events.silence(fd)
        os.close(fd)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()


def _sleep() -> list:
    threading.Event().wait(POLL_SECONDS)
    return []


def _parent_death_signal() -> None:
    """Linux: the wake-up signal when the parent ends (main_thread's handler then checks the parent)."""
    if not sys.platform.startswith("linux") or main_thread.WAKE_SIGNAL is None:
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(main_thread.WAKE_SIGNAL), 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        pass


_link: Optional[HostLink] = None


def start(out_dir: Optional[str], stdin_fd: Optional[int]) -> HostLink:
    """Watch the host from now on (once per process)."""
    global _link
    if _link is None:
        _link = HostLink(out_dir, stdin_fd)
        _link.start()
    return _link


def take_stdin() -> int:
    """The host's stdin for the link alone: the workload gets /dev/null as fd 0 (as before), the link a
    private copy (not inherited by the workload's children) it watches for end-of-file."""
    private = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return private
