"""Refusing well: why a process cannot be entered by injection, found before anything is touched.

Each refusal is a HarnessError with its ATTACH_* code (contract.json), saying what was found and
what fixes it (the code's hint follows the message). In the order they are checked:

* ATTACH_PTRACE_DENIED: the process's memory maps cannot be read (that takes ptrace-read access);
  or ptrace would be refused: the process's uid is not ours and our effective capabilities
  (/proc/self/status CapEff) lack CAP_SYS_PTRACE (bit 19), or kernel.yama.ptrace_scope forbids it;
  the debugger's own "ptrace: Operation not permitted" / "No such process" later maps here too;
* ATTACH_EMULATED: the process runs under CPU emulation (qemu or Rosetta in its maps, or an
  executable for another machine than ours);
* ATTACH_UNSUPPORTED_INTERPRETER: no dynamic loader in its maps (a static interpreter) or musl's;
* ATTACH_DEBUGGER_MISSING: no sys.remote_exec (Python >= 3.14), gdb or lldb here;
* MEMRAY_NOT_INSTALLED: memray does not import with the process's interpreter and environment.

A process with an agent listening needs none of this: the agent's socket is the way in.
"""

from __future__ import annotations

import contextlib
import os
import re
import struct
import subprocess
import sys
from typing import Any, Optional

from ..errors import HarnessError
from .discovery import PYTHON_EXE, ProcessInfo

CAP_SYS_PTRACE = 19
EMULATOR = re.compile(r"(qemu-[\w.-]+|/rosetta\b|rosetta(d)?$)", re.MULTILINE)
MUSL_LOADER = re.compile(r"/ld-musl-[\w.-]+\.so")
DYNAMIC_LOADER = re.compile(r"/(ld-linux[\w.-]*\.so[\w.]*|ld64\.so[\w.]*|ld-[\w.-]+\.so[\w.]*)\s*$", re.MULTILINE)
# memray.commands.attach's order on Linux.
METHODS = ("sys.remote_exec", "gdb", "lldb")
METHOD_ENV = "MEMRAY_CLI_ATTACH_METHOD"  # auto (default) | sys.remote_exec | gdb | lldb
PROBE_TIMEOUT = 60
PROBE = """import memray, sys
try:
    from memray._version import __version__ as v
except Exception:
    v = getattr(memray, "__version__", "unknown")
sys.stdout.write(str(v))
"""
# What a probe of the process's interpreter takes from the process's environment.
PROBE_ENV = ("PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "VIRTUAL_ENV", "HOME", "LD_LIBRARY_PATH")


# -- what we may do ------------------------------------------------------------------------------------
def effective_capabilities(status: Optional[str] = None) -> int:
    if status is None:
        try:
            with open("/proc/self/status", encoding="ascii", errors="replace") as f:
                status = f.read()
        except OSError:
            return 0
    for line in status.splitlines():
        if line.startswith("CapEff:"):
            try:
                return int(line.split()[1], 16)
            except (IndexError, ValueError):
                return 0
    return 0


def has_ptrace_capability(caps: Optional[int] = None) -> bool:
    return bool((effective_capabilities() if caps is None else caps) >> CAP_SYS_PTRACE & 1)


def yama_scope() -> Optional[int]:
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope", encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None  # no Yama: ptrace follows uids and capabilities only


def ptrace_refusal(info: ProcessInfo, caps: Optional[int] = None, euid: Optional[int] = None, yama: Any = "read") -> Optional[str]:
    """Why ptrace(PTRACE_ATTACH) on the process would be refused, or None."""
    capable = has_ptrace_capability(caps)
    euid = os.geteuid() if euid is None else euid
    scope = yama_scope() if yama == "read" else yama
    who = "the harness (uid %d, %s CAP_SYS_PTRACE)" % (euid, "with" if capable else "without")
    if scope == 3:
        return "kernel.yama.ptrace_scope is 3 on this kernel: no process may be traced, whatever its capabilities"
    if capable:
        return None
    if info.uid is not None and info.uid != euid:
        return "pid %d runs as uid %d and %s may trace only its own uid's processes" % (info.pid, info.uid, who)
    if scope == 2:
        return "kernel.yama.ptrace_scope is 2: only a process with CAP_SYS_PTRACE may trace, and %s has none" % who
    if scope == 1:
        return "kernel.yama.ptrace_scope is 1: without CAP_SYS_PTRACE a process may trace only its own descendants, and pid %d is not the harness's" % info.pid
    return None


# -- what the process is -------------------------------------------------------------------------------
def read_maps(pid: int, proc: str = "/proc") -> str:
    """Raises OSError (PermissionError: no ptrace-read access) when unreadable."""
    with open("%s/%d/maps" % (proc, pid), encoding="utf-8", errors="replace") as f:
        return f.read()


def elf_machine(path: str) -> Optional[int]:
    """e_machine of an ELF file (62 x86-64, 183 aarch64), None when not readable or not ELF."""
    try:
        with open(path, "rb") as f:
            head = f.read(20)
    except OSError:
        return None
    if len(head) < 20 or head[:4] != b"\x7fELF":
        return None
    return int(struct.unpack("<H" if head[5] == 1 else ">H", head[18:20])[0])


def emulation(info: ProcessInfo, maps: str, proc: str = "/proc") -> Optional[str]:
    found = EMULATOR.search(maps) or EMULATOR.search(os.path.basename(info.exe or ""))
    if found:
        return "pid %d runs under CPU emulation (%s in its memory maps)" % (info.pid, found.group(0).lstrip("/"))
    theirs, ours = elf_machine("%s/%d/exe" % (proc, info.pid)), elf_machine("/proc/self/exe")
    if theirs is not None and ours is not None and theirs != ours:
        return "pid %d's executable is built for another machine (ELF machine %d, ours %d): it runs under emulation (binfmt_misc)" % (info.pid, theirs, ours)
    return None


def interpreter_problem(info: ProcessInfo, maps: str) -> Optional[str]:
    if MUSL_LOADER.search(maps):
        return "pid %d's interpreter runs on musl libc (ld-musl in /proc/%d/maps)" % (info.pid, info.pid)
    if not DYNAMIC_LOADER.search(maps):
        return "pid %d's interpreter is statically linked (no dynamic loader in /proc/%d/maps): the injection loads a library into it with dlopen" % (
            info.pid,
            info.pid,
        )
    return None


def refuse_injection(info: ProcessInfo, proc: str = "/proc", caps: Optional[int] = None, euid: Optional[int] = None, yama: Any = "read") -> None:
    """Raises the HarnessError that says why the process cannot be entered by a debugger (or
    sys.remote_exec, which uses ptrace too); returns when nothing found stands in the way."""
    try:
        maps = read_maps(info.pid, proc)
    except PermissionError as exc:
        why = ptrace_refusal(info, caps, euid, yama) or "reading /proc/%d/maps was refused (%s)" % (info.pid, exc.strerror)
        raise HarnessError("ATTACH_PTRACE_DENIED", "cannot enter %s: %s" % (info.describe(), why)) from exc
    except OSError as exc:
        raise HarnessError("ATTACH_NO_PROCESS", "%s ended before it could be entered (%s)" % (info.describe(), exc.strerror)) from exc
    problem = emulation(info, maps, proc)
    if problem:
        raise HarnessError("ATTACH_EMULATED", "cannot enter %s: %s; debuggers cannot attach to an emulated process" % (info.describe(), problem))
    problem = interpreter_problem(info, maps)
    if problem:
        raise HarnessError("ATTACH_UNSUPPORTED_INTERPRETER", "cannot enter %s: %s" % (info.describe(), problem))
    problem = ptrace_refusal(info, caps, euid, yama)
    if problem:
        raise HarnessError("ATTACH_PTRACE_DENIED", "cannot enter %s: %s" % (info.describe(), problem))


# -- the debugger ----------------------------------------------------------------------------------
def wanted_method() -> Optional[str]:
    """The injection method forced by MEMRAY_CLI_ATTACH_METHOD, None for memray's own choice."""
    value = os.environ.get(METHOD_ENV, "").strip()
    if value in ("", "auto"):
        return None
    if value not in METHODS:
        raise HarnessError("INVALID_CONFIG", "%s=%s: expected auto, %s" % (METHOD_ENV, value, ", ".join(METHODS)))
    return value


def _available(method: str) -> bool:
    from memray.commands.attach import debugger_available

    return bool(debugger_available(method))


def resolve_method(forced: Optional[str], pids: list[int]) -> str:
    """memray's choice (sys.remote_exec, then gdb, then lldb) or the forced one; ATTACH_DEBUGGER_MISSING."""
    which = ", ".join(str(p) for p in pids)
    if forced is not None:
        if _available(forced):
            return forced
        why = (
            "sys.remote_exec needs Python >= 3.14 (this is %s)" % sys.version.split()[0]
            if forced == "sys.remote_exec"
            else "no usable %s on PATH (%s)" % (forced, os.environ.get("PATH", ""))
        )
        raise HarnessError("ATTACH_DEBUGGER_MISSING", "%s=%s was asked for, but %s: nothing can enter pid %s" % (METHOD_ENV, forced, why, which))
    for method in METHODS:
        if _available(method):
            return method
    raise HarnessError(
        "ATTACH_DEBUGGER_MISSING",
        "no agent listens in pid %s and nothing here can inject one: no gdb or lldb on PATH and no sys.remote_exec (Python %s < 3.14)"
        % (which, sys.version.split()[0]),
    )


def method_version(method: str) -> str:
    """`GNU gdb (Debian 13.1-3) 13.1`, `lldb version 16...`, or the Python version for sys.remote_exec."""
    if method == "sys.remote_exec":
        return "Python %s" % sys.version.split()[0]
    try:
        out = subprocess.run([method, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30, check=False).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        return "%s (version unknown: %s)" % (method, exc)
    return (out.strip().splitlines() or [method])[0]


# -- memray in the process -------------------------------------------------------------------------
def environ_of(pid: int, proc: str = "/proc") -> dict[str, str]:
    try:
        with open("%s/%d/environ" % (proc, pid), "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    env = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            env[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return env


def interpreter_of(info: ProcessInfo, proc: str = "/proc") -> str:
    """The process's interpreter as it was started (a venv's bin/python keeps its venv), else its exe."""
    first = info.cmdline[0] if info.cmdline else ""
    if os.path.isabs(first) and os.access(first, os.X_OK) and os.path.basename(first).startswith(("python", "pypy")):
        return first
    return "%s/%d/exe" % (proc, info.pid) if info.exe is None else info.exe.replace(" (deleted)", "")


def memray_in_process(info: ProcessInfo, proc: str = "/proc") -> tuple[Optional[str], Optional[str]]:
    """(memray's version as the process's interpreter imports it, None) or (None, why not): the
    interpreter run with the process's PYTHONPATH & co, in its directory, as its user when we can.
    An interpreter embedded in another program (uwsgi) cannot be asked: ("unknown", None), and the
    injected agent says it instead."""
    interpreter = interpreter_of(info, proc)
    if not PYTHON_EXE.match(os.path.basename(interpreter)):
        return "unknown", None
    theirs = environ_of(info.pid, proc)
    env = {k: v for k, v in os.environ.items() if k not in PROBE_ENV and not k.startswith("PYTHON")}
    env.update({k: v for k, v in theirs.items() if k in PROBE_ENV})
    kwargs: dict[str, Any] = {}
    with contextlib.suppress(OSError):
        kwargs["cwd"] = os.readlink("%s/%d/cwd" % (proc, info.pid))
    if os.geteuid() == 0 and info.uid not in (None, 0):
        kwargs["user"], kwargs["group"] = info.uid, info.gid  # can it read memray's files?
    try:
        done = subprocess.run([interpreter, "-c", PROBE], env=env, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False, **kwargs)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, "%s could not be run: %s" % (interpreter, exc)
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip(), None
    tail = (done.stderr.strip().splitlines() or ["exit code %d" % done.returncode])[-1]
    return None, "%s: %s" % (interpreter, tail)


def probe_key(info: ProcessInfo, proc: str = "/proc") -> tuple[Any, ...]:
    """Processes with the same key import the same memray (one probe for a service's workers)."""
    env = environ_of(info.pid, proc)
    return (interpreter_of(info, proc), info.uid, tuple((k, env.get(k)) for k in PROBE_ENV))


def refuse_without_memray(info: ProcessInfo, proc: str = "/proc") -> str:
    """memray's version in the process; MEMRAY_NOT_INSTALLED when its interpreter cannot import it."""
    version, why = memray_in_process(info, proc)
    if version is None:
        raise HarnessError(
            "MEMRAY_NOT_INSTALLED",
            "memray is not importable by %s's interpreter (%s); install it into the service's environment" % (info.describe(), why),
        )
    return version
