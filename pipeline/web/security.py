"""Rate limits, security headers, CSRF tokens and the client's address.

The limiter is a sliding window in memory: one server process (waitress, threads) sees every request.
"""

from __future__ import annotations

import hmac
import math
import threading
import time
from collections import deque

from flask import Response, request

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'")


class RateLimiter:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.hits: dict[tuple, deque] = {}
        self.lock = threading.Lock()

    def hit(self, key: tuple, limit: int, window: float) -> int:
        """Count a request for `key`; 0 if it is within `limit` per `window` seconds, else the seconds to
        wait (for Retry-After). A refused request is not counted, so waiting is enough to get through."""
        now = self.clock()
        with self.lock:
            times = self.hits.setdefault(key, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return max(1, math.ceil(times[0] + window - now))
            times.append(now)
            if len(self.hits) > 100_000:  # many addresses: forget the idle ones
                for stale in [k for k, v in self.hits.items() if not v or v[-1] <= now - 3600]:
                    del self.hits[stale]
            return 0


def client_address() -> str:
    """The client's address: the socket's peer, or X-Forwarded-For's as ProxyFix vouched for it."""
    return request.remote_addr or "unknown"


def security_headers(response: Response, *, secure: bool, static: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if not static:  # token pages and the clerk's pages: never kept by a browser or a proxy
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return response


def same_token(given: str | None, expected: str | None) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))
