"""Send one request to the in-process server (loopback only, never through a proxy)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Optional

from ..config import Endpoint

# An empty ProxyHandler: http_proxy in the target's environment must not capture loopback calls.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def body_and_headers(endpoint: Endpoint) -> tuple[Optional[bytes], dict[str, str]]:
    """The request's body (None without one) and headers: a body is JSON unless a Content-Type says otherwise."""
    data = endpoint.body.encode("utf-8") if endpoint.body is not None else None
    headers = dict(endpoint.headers)
    if data is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    return data, headers


def send(port: int, endpoint: Endpoint, timeout: float) -> tuple[Optional[int], float, Optional[str]]:
    """(status or None, duration_s, error message or None). The body is read fully."""
    url = "http://127.0.0.1:%d%s" % (port, endpoint.path)
    data, headers = body_and_headers(endpoint)
    req = urllib.request.Request(url, data=data, headers=headers, method=endpoint.method)
    started = time.perf_counter()
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            resp.read()
            return resp.status, time.perf_counter() - started, None
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code, time.perf_counter() - started, None
    except Exception as exc:  # connection refused, timeout, ...
        return None, time.perf_counter() - started, "%s %s failed: %s: %s" % (endpoint.method, endpoint.path, type(exc).__name__, exc)
