"""Mode attach: the service's own running processes, tracked in place (docs/harness-protocol.md).

Nothing is imported here: boot.py runs at every start-up of a service that opted in.

    agent.py       the in-process agent (stdlib only, standalone): its control socket and protocol
    boot.py        starts the agent at start-up when MEMRAY_CLI_AGENT=1 (.pth or sitecustomize)
    discovery.py   the service's Python processes from /proc, their roles, the ones to track
    checks.py      why a process cannot be entered, before anything is touched (ATTACH_* codes)
    inject.py      the other way in: memray's injection (gdb, lldb, sys.remote_exec) of the agent
    client.py      the controller's side of the agent protocol, and the lease kept alive
    tracked.py     one tracked process: its way in, its session, its capture and its reports
    window.py      the window: a duration, an interrupt, or requests sent to the service's port
    process_reports.py  each process's reports (the report engine), and what cannot be made, with why
    merge.py       what the captures say together: merged top allocators, heap per request
    attach_run.py  the run: discover, start everywhere, the window, stop everywhere, reports, summary
"""
