"""Live modes: the Tracker streams to a SocketDestination for `memray live PORT`."""

from __future__ import annotations

from typing import Any, Optional

from .. import events

LIVE_ADDRESS = "0.0.0.0"  # the served app (live-web); the TS side publishes it on host loopback only
# memray's stream: `memray live` and memray-cli's port relay (docker exec in the container) connect on
# loopback, so the tracked process is never reachable from the network.
STREAM_ADDRESS = "127.0.0.1"


def socket_destination(memray: Any, live_port: int) -> Any:
    return memray.SocketDestination(server_port=live_port, address=STREAM_ADDRESS)


def announce(live_port: int, service_port: Optional[int]) -> None:
    """Ready for a client: the Tracker is about to block in its constructor until one connects."""
    events.emit("live", live_port=live_port, service_port=service_port)
    events.step("live", "waiting for a `memray live` client on port %d of the target: the workload starts once one connects" % live_port)
