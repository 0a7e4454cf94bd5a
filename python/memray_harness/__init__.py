"""memray_harness: the code memray-cli runs inside the target (stdlib + memray, Python >= 3.9).

Contract: docs/harness-protocol.md; core's tables arrive as contract.json (contract.py). Entry
points: `python -m memray_harness --config FILE` (cli.py), the report engine's process
`python -m memray_harness.report_engine` (report_engine.py), and the standalone `memray-runner.py`.

At the top: the entry points and what every part shares (config, contract, errors, events, paths,
interrupts, JSON helpers). The parts, each depending only on those below it:

    attach/       mode attach: the service's own processes tracked in place (agent, injection, merge)
    run/          one run: Run's phases, summary.json, the checkpoint, recovery
    workloads/    what runs under memray (script, import, request(s) to a WSGI or ASGI app, serving) and what it
                  needs: the app and its interface, its routes, the per-request data a script writes
    reports/      the reports made from session.bin (report engine, table/tree, stats) and requests.txt
    analysis/     heap growth per request and the leak verdict
    measurement/  the measurement window: Tracker, RSS, tracemalloc, object census, live stream
"""

__version__ = "0.1.0"
