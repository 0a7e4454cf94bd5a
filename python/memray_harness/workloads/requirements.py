"""Per-script requirements.txt: installed with the target's own pip before the run."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Optional

from ..errors import HarnessError


def requirements_for(script_path: str) -> Optional[str]:
    path = os.path.join(os.path.dirname(script_path), "requirements.txt")
    return path if os.path.isfile(path) else None


def install(requirements: str) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-r", requirements]
    # pip's output goes to stderr so the workload's stdout stays its own.
    proc = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr, check=False)
    if proc.returncode != 0:
        raise HarnessError(
            "INSTALL_FAILED",
            "`%s` failed with exit code %d; fix %s or install its packages into the target by hand" % (" ".join(cmd), proc.returncode, requirements),
        )
