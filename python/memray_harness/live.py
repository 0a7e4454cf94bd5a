"""Live modes: the Tracker streams to a SocketDestination for `memray live PORT`."""
from __future__ import annotations

import socket
from typing import Any, Optional

from . import events

LIVE_ADDRESS = "0.0.0.0"  # the TS side publishes the port on host loopback only


def socket_destination(memray: Any, live_port: int) -> Any:
    return memray.SocketDestination(server_port=live_port, address=LIVE_ADDRESS)


def free_port(requested: Optional[int]) -> int:
    """The service port, known before the Tracker blocks (0 or None = pick an ephemeral one now)."""
    if requested:
        return requested
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LIVE_ADDRESS, 0))
        return int(s.getsockname()[1])


def announce(live_port: int, service_port: Optional[int]) -> None:
    """Ready for a client: the Tracker is about to block in its constructor until one connects."""
    events.emit("live", live_port=live_port, service_port=service_port)
    events.step("live", "waiting for `memray live %d` to connect" % live_port)
