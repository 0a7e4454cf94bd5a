"""`python -m memray_harness --config FILE` (the TypeScript side's entry point)."""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

from . import summary as summary_mod
from .config import ConfigError, load_config, peek_out_dir
from .errors import EXIT_BAD_INPUT
from .runner import run


def _write_config_error(config_path: str, message: str) -> None:
    """A summary even for a bad config, when the config at least names a usable out_dir."""
    raw = peek_out_dir(config_path) or {}
    out_dir = raw.get("out_dir")
    if not isinstance(out_dir, str) or not os.path.isabs(out_dir):
        return
    run_id = raw.get("run_id") if isinstance(raw.get("run_id"), str) and raw.get("run_id") else "invalid-config"
    mode = raw.get("mode") if isinstance(raw.get("mode"), str) else "script"
    import time

    s = summary_mod.new_summary(run_id, raw.get("script") if isinstance(raw.get("script"), str) else None,
                                mode, time.time())
    s.update({"exit_code": EXIT_BAD_INPUT, "error": message, "duration_seconds": 0.0,
              "error_details": {"type": "ConfigError", "message": message, "traceback": ""}})
    try:
        summary_mod.write(out_dir, s)
    except OSError:
        pass


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m memray_harness",
                                     description="Run a workload under memray and write summary.json + reports.")
    parser.add_argument("--config", required=True, help="config.json (docs/harness-protocol.md)")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as exc:
        print("memray-harness: %s" % exc.message, file=sys.stderr)
        _write_config_error(args.config, exc.message)
        return exc.exit_code
    return run(cfg)
