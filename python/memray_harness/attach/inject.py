"""Way (b) into a process where no agent runs: memray's own injection, with our payload.

memray.commands.attach picks how to run code in another process (sys.remote_exec on Python >= 3.14,
else gdb, else lldb: `_DebuggerCommand.resolve_debugger`) and opens a control channel into it
(`inject_control_channel`: the debugger loads memray's `_inject` library into the process, which
connects back to a loopback port, reads Python source until EOF and runs it, then sends back the
error, if any, and closes: `recvall`). `memray attach` sends its PAYLOAD there, which starts a
Tracker; we send ours (PAYLOAD below), which loads agent.py by its path (without touching the
process's sys.path or importing memray_harness there) and starts an agent for one session: from
then on the process speaks the agent protocol, as one started with MEMRAY_CLI_AGENT=1 does, and the
agent closes its socket after that session.

The injection runs in a process of its own (`python -m memray_harness.attach.inject`), so that the
debugger's output (memray prints it with --verbose) is ours to read, injections into several
processes run side by side, and one that hangs can be killed with its debugger after a timeout.
Its last stdout line is `@inject {"ok", "error", "output"}`.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
from typing import Any, Optional

from ..errors import HarnessError
from . import agent, checks
from .discovery import ProcessInfo, alive

RESULT_PREFIX = "@inject "
INJECT_TIMEOUT = 120.0
OUTPUT_TAIL = 8000
PAYLOAD = """
import importlib.util as _util, sys as _sys
_agent = _sys.modules.get("memray_harness.attach.agent") or _sys.modules.get("memray_cli_agent")
if _agent is None:
    _spec = _util.spec_from_file_location("memray_cli_agent", {path!r})
    _agent = _util.module_from_spec(_spec)
    _sys.modules["memray_cli_agent"] = _agent
    _spec.loader.exec_module(_agent)
_agent.start_session(idle_seconds={idle!r})
"""
# Lines of a debugger's output that say what went wrong.
TELLING = ("ptrace", "couldn't", "cannot", "can't", "error", "failed", "no symbol", "not permitted", "no such process", "bad address")


def payload(idle_seconds: float = agent.SESSION_IDLE_SECONDS) -> str:
    return PAYLOAD.format(path=os.path.abspath(agent.__file__), idle=float(idle_seconds))


# -- the controller's side ---------------------------------------------------------------------------
def inject_agent(info: ProcessInfo, method: str, timeout: float = INJECT_TIMEOUT) -> None:
    """Start a one-session agent in the process through `method`; HarnessError (ATTACH_*) when it fails."""
    harness_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([harness_root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    argv = [sys.executable, "-m", "memray_harness.attach.inject", "--pid", str(info.pid), "--method", method]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)  # the injector and its debugger
        proc.communicate()
        raise HarnessError(
            "ATTACH_DEBUGGER_FAILED",
            "%s did not enter %s within %ds (%s); it was stopped" % (method, info.describe(), timeout, checks.method_version(method)),
        ) from None
    result = _result(out)
    if result.get("ok"):
        return
    if result.get("stage") == "payload":
        raise HarnessError("ATTACH_DEBUGGER_FAILED", "%s entered %s, but the agent could not start there: %s" % (method, info.describe(), result.get("error")))
    raise classify(info, method, str(result.get("error") or ""), str(result.get("output") or out[-OUTPUT_TAIL:]))


def _result(out: str) -> dict[str, Any]:
    for line in reversed(out.splitlines()):
        if line.startswith(RESULT_PREFIX):
            try:
                return dict(json.loads(line[len(RESULT_PREFIX) :]))
            except ValueError:
                break
    return {"ok": False, "error": "the injector ended without a result", "output": out[-OUTPUT_TAIL:]}


def telling_lines(output: str, limit: int = 3) -> list[str]:
    lines = [line.strip() for line in output.splitlines() if line.strip() and not line.startswith(("Debugger command line", "debugger return code"))]
    found = [line for line in lines if any(word in line.lower() for word in TELLING)]
    return found[:limit]


def classify(info: ProcessInfo, method: str, error: str, output: str) -> HarnessError:
    """The ATTACH_* error a failed injection stands for, from memray's message and the debugger's output."""
    text = "%s\n%s" % (error, output)
    lower = text.lower()
    said = "; ".join(telling_lines(output)) or error.strip().replace("\n", " ")
    where = "%s into %s" % (method, info.describe())
    if "operation not permitted" in lower or "permissionerror" in lower:
        return HarnessError("ATTACH_PTRACE_DENIED", "%s: ptrace was refused (%s)" % (where, said))
    if "no such process" in lower:
        if alive(info):
            return HarnessError(
                "ATTACH_PTRACE_DENIED",
                "%s: the debugger cannot trace the process (%s): in a container without SYS_PTRACE, ptrace reports a running process as missing"
                % (where, said),
            )
        return HarnessError("ATTACH_NO_PROCESS", "%s: the process ended before it could be entered" % where)
    if "does not seem to be running python" in lower or 'no symbol "pymem_malloc"' in lower:
        return HarnessError("ATTACH_UNSUPPORTED_INTERPRETER", "%s: the debugger finds no CPython in the process (%s)" % (where, said))
    if "cannot open shared object file" in lower:
        return HarnessError(
            "ATTACH_DEBUGGER_FAILED",
            "%s: the process cannot read memray's injection library (memray installed by another user?): %s" % (where, said),
        )
    version = checks.method_version(method)
    hint = "; Debian trixie's gdb 16 works on this kernel" if method == "gdb" else ""
    return HarnessError("ATTACH_DEBUGGER_FAILED", "%s failed with %s: %s%s" % (where, version, said or "no output", hint))


# -- the injector process ------------------------------------------------------------------------------
def run_injection(pid: int, method: str, idle_seconds: float) -> dict[str, Any]:
    from memray._errors import MemrayCommandError
    from memray.commands import attach as memray_attach

    debugger_output = io.StringIO()
    result: dict[str, Any] = {"ok": False, "error": None, "stage": "inject"}
    try:
        with contextlib.redirect_stdout(debugger_output):  # memray prints the debugger's output with verbose
            client = memray_attach._DebuggerCommand().inject_control_channel(method, pid, verbose=True)
        with contextlib.closing(client):
            client.sendall(payload(idle_seconds).encode("utf-8"))
            client.shutdown(socket.SHUT_WR)
            client.settimeout(60)
            error = memray_attach.recvall(client)
        result.update(ok=not error, error=error or None, stage="payload")
    except MemrayCommandError as exc:
        result["error"] = str(exc)
    except Exception as exc:  # noqa: BLE001 - reported to the harness, which maps it
        result["error"] = "%s: %s" % (type(exc).__name__, exc)
    result["output"] = debugger_output.getvalue()[-OUTPUT_TAIL:]
    return result


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m memray_harness.attach.inject", description="Inject memray-cli's agent into a running Python process.")
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--method", choices=checks.METHODS, required=True)
    parser.add_argument("--idle-seconds", type=float, default=agent.SESSION_IDLE_SECONDS)
    args = parser.parse_args(argv)
    result = run_injection(args.pid, args.method, args.idle_seconds)
    sys.stdout.write(RESULT_PREFIX + json.dumps(result, allow_nan=False) + "\n")
    sys.stdout.flush()
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
