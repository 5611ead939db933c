"""`engagiert serve`: the web app on waitress, a production WSGI server in pure Python (threads, no fork of
its own), which fits this synchronous code: a request that checks in an upload simply waits for it.

On start it finishes what a killed server left behind (uploads stored but not checked in), then serves.
It binds to 127.0.0.1 unless told otherwise: in production a TLS reverse proxy (nginx) stands in front.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..round import RoundConfig

THREADS = 16


def serve(out: Path, round_cfg: RoundConfig, host: str = "127.0.0.1", port: int = 8080,
          announce: Callable[[str], object] = print, threads: int = THREADS) -> None:
    import waitress

    from ..checkin import load_settings
    from .app import create_app
    from .uploads import recover

    settings = load_settings(round_cfg)
    app = create_app(out, round_cfg, settings)
    checkin = app.extensions["engagiert"].checkin
    checkin.pool.start()  # before the first upload, which need not wait for the readers to start
    with app.app_context():
        recovered = recover(checkin)
        from .desk import round_status

        round_status()  # the clerks' first page need not wait for a full read
    if recovered:
        announce(f"Checked in {recovered} upload(s) that an interrupted server had stored.")
    public = round_cfg.portal.public_url or f"http://{host}:{port}"
    announce(f"Serving round {round_cfg.id} from {out} on http://{host}:{port}/ (public address {public}; "
             f"clerks: {public}/admin/). Ctrl-C stops.")
    # The app answers an oversized request with its own (German) 413 page; waitress's cap, twice as high,
    # only stops a body that would not even fit its buffer.
    limit = int(round_cfg.portal.max_request_mb * 1024 * 1024)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="engagiert",
                       max_request_body_size=2 * limit, clear_untrusted_proxy_headers=True, channel_timeout=120)
    finally:
        checkin.close()
