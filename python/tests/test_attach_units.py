"""Mode attach's parts on their own: discovery's roles and choice over made-up process tables, the
refusals from made-up maps and capabilities, the debugger's output mapped to error codes, the merges."""

from __future__ import annotations

import os
from typing import Optional

import pytest

from memray_harness.attach import boot, checks, discovery, inject, merge, process_reports
from memray_harness.attach.discovery import ProcessInfo
from memray_harness.contract import contract
from memray_harness.errors import HarnessError

PY = "/usr/bin/python3.11"
GUNICORN = [PY, "/opt/venv/bin/gunicorn", "--workers", "2", "app:app"]


def proc(pid: int, ppid: int, cmdline: list[str], exe: Optional[str] = PY, uid: int = 1000) -> ProcessInfo:
    return ProcessInfo(pid, ppid, uid, uid, cmdline, exe, start_time=pid)


def table_of(*infos: ProcessInfo) -> dict[int, ProcessInfo]:
    table = {p.pid: p for p in infos}
    for p in infos:
        if p.ppid in table:
            table[p.ppid].children.append(p.pid)
    return table


def container(*extra: ProcessInfo) -> dict[int, ProcessInfo]:
    """pid 1 a gunicorn master with two workers; the harness exec'd beside it (parent outside: ppid 0)."""
    return table_of(
        proc(1, 0, GUNICORN),
        proc(7, 1, GUNICORN),
        proc(8, 1, GUNICORN),
        proc(30, 0, ["/bin/sh", "-c", "python -m memray_harness"], exe="/bin/dash"),
        proc(31, 30, [PY, "-m", "memray_harness", "--config", "c.json"]),
        proc(32, 31, [PY, "-m", "memray_harness.report_engine", "-"]),
        *extra,
    )


# -- discovery -------------------------------------------------------------------------------------------
def test_gunicorn_in_a_container_its_workers_are_chosen_and_the_harness_is_never_a_candidate() -> None:
    table = container()
    found = discovery.discover("docker", table, me=31, proc="/nonexistent")
    assert [(p.pid, p.role) for p in found] == [(1, "master"), (7, "worker"), (8, "worker")]
    assert [p.pid for p in discovery.choose(found, [], "docker", table, me=31)] == [7, 8]


def test_workers_that_dropped_privileges_are_still_workers() -> None:
    # gunicorn --user 1000: the master stays root, the workers run as uid 1000, and without CAP_SYS_PTRACE
    # their /proc/<pid>/exe cannot be read: the same command still makes them the master's workers.
    table = table_of(proc(1, 0, GUNICORN, uid=0), proc(8, 1, GUNICORN, exe=None), proc(9, 1, GUNICORN, exe=None))
    found = discovery.discover("docker", table, me=999, proc="/nonexistent")
    assert [(p.pid, p.role) for p in found] == [(1, "master"), (8, "worker"), (9, "worker")]


def test_retitled_workers_and_multiprocessing_children_are_workers() -> None:
    table = table_of(
        proc(1, 0, ["gunicorn:", "master", "[app:app]"]),
        proc(5, 1, ["gunicorn:", "worker", "[app:app]"]),
        proc(10, 0, [PY, "/venv/bin/uvicorn", "app:app", "--workers", "2"]),
        proc(11, 10, [PY, "-c", "from multiprocessing.spawn import spawn_main; spawn_main()", "--multiprocessing-fork"]),
    )
    found = discovery.discover("local", table, me=999, proc="/nonexistent")
    assert {p.pid: p.role for p in found} == {1: "master", 5: "worker", 10: "master", 11: "worker"}


def test_a_lone_process_is_main_and_chosen_when_there_are_no_workers() -> None:
    table = table_of(proc(1, 0, ["/usr/bin/tini", "--"], exe="/usr/bin/tini"), proc(6, 1, [PY, "/venv/bin/waitress-serve", "app:app"]))
    found = discovery.discover("kubernetes", table, me=999, proc="/nonexistent")
    assert [(p.pid, p.role) for p in found] == [(6, "main")]
    assert [p.pid for p in discovery.choose(found, [], "kubernetes", table, me=999)] == [6]


def test_pids_pick_exactly_those_and_anything_else_is_refused_with_the_listing() -> None:
    table = container(proc(40, 1, ["/usr/bin/nginx"], exe="/usr/sbin/nginx"))
    found = discovery.discover("docker", table, me=31, proc="/nonexistent")
    assert [p.pid for p in discovery.choose(found, [8, 1], "docker", table, me=31)] == [8, 1]
    for pid, why in [(40, "pid 40 is not a Python process (/usr/bin/nginx)"), (31, "is the harness itself"), (4242, "pid 4242 does not exist")]:
        with pytest.raises(HarnessError) as err:
            discovery.choose(found, [pid], "docker", table, me=31)
        assert err.value.code == "ATTACH_NO_PROCESS" and why in err.value.message
        assert "pid 7 (worker, uid 1000) /usr/bin/python3.11 /opt/venv/bin/gunicorn" in err.value.message


def test_on_this_host_without_pids_the_processes_are_listed() -> None:
    table = container()
    found = discovery.discover("local", table, me=31, proc="/nonexistent")
    with pytest.raises(HarnessError) as err:
        discovery.choose(found, [], "local", table, me=31)
    assert err.value.code == "ATTACH_NO_PROCESS" and "--pid" in err.value.message and "pid 1 (master" in err.value.message


def test_no_python_in_the_container_is_no_process() -> None:
    table = table_of(proc(1, 0, ["/usr/sbin/nginx"], exe="/usr/sbin/nginx"))
    found = discovery.discover("docker", table, me=999, proc="/nonexistent")
    with pytest.raises(HarnessError) as err:
        discovery.choose(found, [], "docker", table, me=999)
    assert err.value.code == "ATTACH_NO_PROCESS"


def test_this_process_is_read_from_proc() -> None:
    me = discovery.read_process(os.getpid())
    assert me is not None and me.ppid == os.getppid() and me.uid == os.geteuid()
    assert discovery.is_python(me) and discovery.alive(me)


# -- refusals -----------------------------------------------------------------------------------------------
GLIBC_MAPS = "7f00-7f01 r-xp 0 08:01 1 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2\n7f02-7f03 r-xp 0 08:01 2 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
MUSL_MAPS = "7f00-7f01 r-xp 0 08:01 1 /lib/ld-musl-x86_64.so.1\n"
STATIC_MAPS = "00400000-00600000 r-xp 0 08:01 1 /usr/local/bin/python3.11\n7ffd-7ffe rw-p 0 0 0 [stack]\n"
QEMU_MAPS = "5500-5600 r-xp 0 08:01 1 /usr/bin/qemu-x86_64-static\n" + GLIBC_MAPS
ROSETTA_MAPS = "5500-5600 r-xp 0 00:2f 1 /run/rosetta/rosetta\n" + GLIBC_MAPS
CAP_SYS_PTRACE = 1 << 19


def test_ptrace_is_refused_for_another_uid_without_the_capability() -> None:
    other = proc(7, 1, GUNICORN, uid=1000)
    assert "runs as uid 1000" in (checks.ptrace_refusal(other, caps=0, euid=0, yama=None) or "")
    assert checks.ptrace_refusal(other, caps=CAP_SYS_PTRACE, euid=0, yama=None) is None
    assert checks.ptrace_refusal(other, caps=0, euid=1000, yama=None) is None
    assert "ptrace_scope is 1" in (checks.ptrace_refusal(other, caps=0, euid=1000, yama=1) or "")
    assert "ptrace_scope is 3" in (checks.ptrace_refusal(other, caps=CAP_SYS_PTRACE, euid=0, yama=3) or "")
    assert checks.effective_capabilities("Name:\tx\nCapEff:\t00000000a80425fb\n") == 0xA80425FB
    assert not checks.has_ptrace_capability(0xA80425FB)  # Docker's default set: no SYS_PTRACE
    assert checks.has_ptrace_capability(0xA80C25FB)


def test_emulation_and_unsupported_interpreters_are_found_in_the_maps() -> None:
    p = proc(7, 1, GUNICORN)
    assert checks.emulation(p, GLIBC_MAPS, proc="/nonexistent") is None
    assert "qemu-x86_64-static" in (checks.emulation(p, QEMU_MAPS, proc="/nonexistent") or "")
    assert "rosetta" in (checks.emulation(p, ROSETTA_MAPS, proc="/nonexistent") or "")
    assert checks.interpreter_problem(p, GLIBC_MAPS) is None
    assert "musl" in (checks.interpreter_problem(p, MUSL_MAPS) or "")
    assert "statically linked" in (checks.interpreter_problem(p, STATIC_MAPS) or "")


def test_the_checks_pass_for_a_process_of_ours() -> None:
    me = discovery.read_process(os.getpid())
    assert me is not None
    checks.refuse_injection(me)  # our own interpreter: glibc, dynamic, same uid, not emulated
    assert checks.refuse_without_memray(me)  # this interpreter imports memray


def test_an_embedded_interpreter_is_not_run_to_ask_for_memray() -> None:
    uwsgi = proc(7, 1, ["uwsgi", "--http", ":8000", "--module", "app:app"], exe="/usr/bin/uwsgi")
    assert checks.memray_in_process(uwsgi, proc="/nonexistent") == ("unknown", None)


def test_a_forced_method_must_be_known() -> None:
    os.environ[checks.METHOD_ENV] = "strace"
    try:
        with pytest.raises(HarnessError) as err:
            checks.wanted_method()
        assert err.value.code == "INVALID_CONFIG"
    finally:
        del os.environ[checks.METHOD_ENV]
    assert checks.wanted_method() is None


# -- the debugger's output ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("error", "output", "code", "says"),
    [
        ("Failed to attach a debugger to the process.", "ptrace: Operation not permitted.", "ATTACH_PTRACE_DENIED", "ptrace was refused"),
        ("Failed to attach a debugger to the process.", "ptrace: No such process.", "ATTACH_PTRACE_DENIED", "without SYS_PTRACE"),
        (
            "The process does not seem to be running Python 3.7 or newer.",
            'No symbol "PyMem_Malloc" in current context.',
            "ATTACH_UNSUPPORTED_INTERPRETER",
            "no CPython",
        ),
        (
            "Failed to execute our gdb script.",
            'Couldn\'t write extended state status: Bad address.\n$1 = "MEMRAY: Attached to process."',
            "ATTACH_DEBUGGER_FAILED",
            "Couldn't write extended state status: Bad address",
        ),
    ],
)
def test_a_failed_injection_maps_to_its_code(error: str, output: str, code: str, says: str) -> None:
    me = discovery.read_process(os.getpid())  # alive: "No such process" is then ptrace's doing
    assert me is not None
    err = inject.classify(me, "gdb", error, output)
    assert err.code == code and says in err.message, err.message
    if code == "ATTACH_DEBUGGER_FAILED":
        assert "gdb" in err.message.lower() and "trixie's gdb 16" in err.message


def test_the_payload_loads_the_agent_by_its_path() -> None:
    text = inject.payload(5.0)
    compile(text, "<payload>", "exec")
    assert os.path.abspath(inject.agent.__file__) in text and "start_session(idle_seconds=5.0)" in text
    assert "sys.path" not in text


# -- merges -------------------------------------------------------------------------------------------------
def test_top_allocators_merge_by_site_and_name_their_processes() -> None:
    merged = merge.merge_top_allocators(
        {
            7: [("app.py:10", "leak", 300.0, 3), ("json/encoder.py:200", "encode", 5.0, 1)],
            8: [("app.py:10", "leak", 500.0, 5), ("app.py:20", "other", 50.0, 1)],
        }
    )
    assert merged[0] == {"file": "app.py:10", "size_kb": 800.0, "count": 8, "function": "leak", "processes": [8, 7]}
    assert [m["file"] for m in merged] == ["app.py:10", "app.py:20", "json/encoder.py:200"]
    assert merged[1]["processes"] == [8]


def test_the_heap_per_request_is_summed_over_the_processes() -> None:
    # Snapshots every 10 ms from t=1000.000 s; pid 7 grows by 100 KB at each request, pid 8 never moves.
    times = [1_000_000 + 10 * k for k in range(100)]
    grow = [0] * 100
    for k in range(100):
        grow[k] = 100 * 1024 * (1 + k // 20)
    series = {7: merge.HeapSeries(times, grow), 8: merge.HeapSeries(times, [50 * 1024] * 100)}
    requests = [{"request_num": i + 1, "started_at": 1000.0 + 0.2 * i + 0.19, "ended_at": 1000.0 + 0.2 * i + 0.195} for i in range(4)]
    assert merge.apply_heap(requests, series) == 0
    assert [r["heap_after"] for r in requests] == [250.0, 350.0, 450.0, 550.0]
    assert [r["heap_delta"] for r in requests] == [100.0, 100.0, 100.0, 100.0]
    assert [r["served_by"] for r in requests] == [7, 7, 7, 7]


def test_a_request_without_a_snapshot_of_every_process_has_no_heap() -> None:
    series = {7: merge.HeapSeries([1000, 1010, 1020], [1, 2, 3]), 8: merge.HeapSeries([1000], [1])}
    requests = [{"request_num": 1, "started_at": 1.001, "ended_at": 1.005}]
    assert merge.apply_heap(requests, series) == 1
    assert requests[0]["heap_after"] is None and requests[0]["served_by"] is None


# -- reports -------------------------------------------------------------------------------------------------
def test_an_aggregated_capture_cannot_make_the_temporal_reports_nor_statistics() -> None:
    blocked = {name for name, spec in contract().reports.items() if process_reports.aggregate_blocker(spec)}
    assert blocked == {"temporal", "temp-allocs", "stats"}
    assert process_reports.per_process(list(contract().mode("attach").reports)) == ["flamegraph", "leaks", "temporal", "temp-allocs", "table", "tree"]


def test_the_harness_own_processes_never_boot_an_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEMRAY_CLI_AGENT", "1")
    monkeypatch.setattr("sys.orig_argv", [PY, "-m", "memray_harness", "--config", "c.json"], raising=False)
    assert not boot.wanted()
    monkeypatch.setattr("sys.orig_argv", [PY, "-m", "memray_harness.report_engine", "-"], raising=False)
    assert not boot.wanted()
    monkeypatch.setattr("sys.orig_argv", [PY, "/venv/bin/gunicorn", "app:app"], raising=False)
    assert boot.wanted()
    monkeypatch.setenv("MEMRAY_CLI_AGENT", "0")
    assert not boot.wanted()
