"""Start memray-cli's agent (agent.py) at interpreter start-up when MEMRAY_CLI_AGENT=1.

The opt-in way into a service that no debugger may enter: the service's interpreter imports this
module at start-up and the agent listens from then on, in the process and in every process it forks
(gunicorn's and uwsgi's workers). Two ways to have it imported, with memray_harness importable by
the service (pip install it, or put its directory on PYTHONPATH):

* a .pth file in the interpreter's site-packages holding the one line
  `import memray_harness.attach.boot` (site runs it at every start-up; without MEMRAY_CLI_AGENT=1
  it does nothing but this import);
* or that line in a sitecustomize.py on the service's path.

Then set MEMRAY_CLI_AGENT=1 in the service's environment (a Compose service's `environment:`, a
Deployment's container `env:`). The harness's own processes (`python -m memray_harness...`) never
start one, even when they inherit the variable from a container's environment.
"""

from __future__ import annotations

import os
import sys

TRUE = ("1", "true", "yes", "on")
HARNESS_MODULE = "memray_harness"


def _is_harness() -> bool:
    """`python -m memray_harness[.x]`: the harness, its report engine, its injector (Python >= 3.10
    tells at start-up; 3.9 does not, and an idle agent there costs a thread)."""
    argv = list(getattr(sys, "orig_argv", []) or [])
    return any(arg == "-m" and (argv[i + 1] == HARNESS_MODULE or argv[i + 1].startswith(HARNESS_MODULE + ".")) for i, arg in enumerate(argv[:-1]))


def wanted() -> bool:
    return os.environ.get("MEMRAY_CLI_AGENT", "").strip().lower() in TRUE and not _is_harness()


def _boot() -> None:
    if not wanted():
        return
    try:
        from . import agent

        agent.start_agent()
    except Exception as exc:  # noqa: BLE001 - the service starts whatever happens here
        sys.stderr.write("memray-cli agent not started in pid %d: %s: %s\n" % (os.getpid(), type(exc).__name__, exc))


_boot()
