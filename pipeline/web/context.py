"""What every request handler shares: the round's state, this request's ledger connection, rendering a
page, and the answers for too many requests (kept apart from ``app`` so the blueprints can import them)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response, g, request

from ..checkin import Settings
from ..ledger import LEDGER_FILE, Ledger, now_iso
from ..round import RoundConfig
from ..templating import environment
from .security import RateLimiter
from .uploads import ServerCheckin

WEB_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "web"
STATIC = Path(__file__).resolve().parent / "static"


@dataclass
class WebState:
    """What every request handler needs: the round, its files, the check-in settings, the limits."""

    out: Path
    round_cfg: RoundConfig
    settings: Settings
    checkin: ServerCheckin
    limiter: RateLimiter = field(default_factory=RateLimiter)
    status_cache: dict = field(default_factory=dict)
    refresh_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def portal(self):
        return self.round_cfg.portal

    def today(self) -> dt.date:
        return dt.datetime.fromisoformat(now_iso()).date()

    def cache_dir(self) -> Path:
        return self.round_cfg.round_dir(self.out) / "web" / "cache"

    def ledger_stamp(self) -> tuple:
        """Changes whenever anyone commits to the ledger (WAL appends, checkpoints): a cache key."""
        stamp = []
        for suffix in ("", "-wal"):
            try:
                info = (self.out / (LEDGER_FILE + suffix)).stat()
                stamp.append((info.st_mtime_ns, info.st_size))
            except FileNotFoundError:
                stamp.append(None)
        return tuple(stamp)


def state() -> WebState:
    from flask import current_app

    return current_app.extensions["engagiert"]


def ledger() -> Ledger:
    """This request's ledger connection (opened on first use, closed when the request ends)."""
    if "ledger" not in g:
        g.ledger = Ledger.open(state().out)
    return g.ledger


def _local_time(value: str) -> str:
    """An ISO time from the ledger (UTC) as the office reads it: "30.11.2026, 06:54 Uhr"."""
    import datetime as dt

    from ..german import local_time

    moment = dt.datetime.fromisoformat(value)
    return local_time(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))


def render(template: str, status: int = 200, **context) -> Response:
    templates = environment(WEB_TEMPLATES, trim_blocks=True)
    templates.filters.setdefault("local_time", _local_time)
    html = templates.get_template(template).render(round_title=state().round_cfg.title, **context)
    return Response(html, status=status, mimetype="text/html")


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes["application/json"] > \
        request.accept_mimetypes["text/html"]


def too_many(wait: int) -> Response:
    if wants_json():
        response = Response('{"error": 429, "message": "Zu viele Anfragen"}', status=429, mimetype="application/json")
    else:
        response = render("error.html.j2", status=429, code=429, title="Zu viele Anfragen",
                          text=f"Bitte warten Sie {wait} Sekunden und versuchen Sie es dann noch einmal.")
    response.headers["Retry-After"] = str(wait)
    return response
