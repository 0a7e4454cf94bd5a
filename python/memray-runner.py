#!/usr/bin/env python3
"""The seed's instrumented test runner: profile one script with memray + tracemalloc + RSS.

    python memray-runner.py [--out DIR] [--run-id ID] [--artifact-prefix P]
                            [--no-trace-python-allocators] [--allow-no-memray] [--tracemalloc]
                            [--requests-file FILE] script.py [args...]

Everything after the script goes to the script untouched. Builds the same config as the
TypeScript side (mode `script`) and runs the memray_harness package that sits beside this file.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from memray_harness import events  # noqa: E402
from memray_harness.config import Config, Endpoint, TargetInfo, default_run_id  # noqa: E402
from memray_harness.contract import ContractError, contract  # noqa: E402
from memray_harness.run.runner import run  # noqa: E402

MODE = "script"  # the seed's runner: one script, the script mode's rule from contract.json


def build_parser() -> argparse.ArgumentParser:
    defaults = contract().defaults
    p = argparse.ArgumentParser(prog="memray-runner.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", help="output directory (default /tmp/memray-run/<run_id>)")
    p.add_argument("--run-id", help="run id (default <script stem>-<YYYYMMDD-HHMMSS>)")
    p.add_argument("--artifact-prefix", help="prefix of summary.artifacts paths (default runs/<run_id>)")
    p.add_argument("--no-trace-python-allocators", action="store_true", help="Tracker(trace_python_allocators=False)")
    p.add_argument("--no-native-traces", action="store_true", help="Tracker(native_traces=False)")
    p.add_argument(
        "--allow-no-memray", "--no-memray-ok", dest="allow_no_memray", action="store_true", help="run with tracemalloc + RSS only when memray does not import"
    )
    p.add_argument(
        "--tracemalloc", action="store_true", help="run tracemalloc beside memray for memory.tracemalloc_* (slower; default: derived from the capture)"
    )
    p.add_argument("--no-install-requirements", action="store_true", help="do not pip-install requirements.txt next to the script")
    p.add_argument("--requests-file", default=defaults.requests_file, help="per-request JSON the script writes (default %(default)s)")
    p.add_argument("--timeout", type=float, default=None, help="bound on the script, seconds")
    p.add_argument("script", help="the Python script to profile")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed to the script")
    return p


def build_config(ns: argparse.Namespace) -> Config:
    """The Config TypeScript would write for a local script run, with contract.json's defaults."""
    rule, defaults = contract().mode(MODE), contract().defaults
    script_path = os.path.abspath(ns.script)
    run_id = ns.run_id or default_run_id(os.path.splitext(os.path.basename(script_path))[0])
    return Config(
        mode=MODE,
        run_id=run_id,
        out_dir=os.path.abspath(ns.out or os.path.join("/tmp/memray-run", run_id)),
        artifact_prefix=ns.artifact_prefix or "runs/%s" % run_id,
        script=ns.script,
        script_path=script_path,
        script_args=list(ns.args),
        app=None,
        app_dir=None,
        modules=[],
        endpoint=Endpoint(path="/", method="GET", body=None, headers={}),
        requests=rule.defaults.requests,
        delay_seconds=rule.defaults.delay_seconds,
        native_traces=not ns.no_native_traces,
        trace_python_allocators=not ns.no_trace_python_allocators,
        allow_no_memray=ns.allow_no_memray,
        install_requirements=not ns.no_install_requirements,
        requests_file=os.path.abspath(ns.requests_file),
        reports=list(rule.reports),
        live_port=defaults.live_port,
        service_port=None,
        timeout_seconds=ns.timeout,
        target=TargetInfo(kind="local", name="local", python=sys.executable, service_port=None),
        host_artifacts=[],
        host_sections_wait_seconds=None,
        host_warnings=[],
        tracemalloc=ns.tracemalloc,
    )


def main(argv: Optional[list[str]] = None) -> int:
    events.open_channel()  # progress events survive a script that closes fd 2
    try:
        cfg = build_config(build_parser().parse_args(argv))
    except ContractError as exc:
        print("memray-runner: %s" % exc, file=sys.stderr)
        return 3  # no contract, no exit-code table: the environment's code
    code = run(cfg)
    print(cfg.out_dir)
    return code


if __name__ == "__main__":
    sys.exit(main())
