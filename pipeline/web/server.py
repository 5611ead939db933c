"""`engagiert serve`: the web app on waitress, a production WSGI server in pure Python (threads, no fork of
its own), which fits this synchronous code: a request that checks in an upload simply waits for it.

On start it finishes what a killed server left behind (uploads stored but not checked in), then serves.
It binds to 127.0.0.1 unless told otherwise: in production a TLS reverse proxy (nginx) stands in front.
Without [portal] public_url it serves the clerks' desk alone (no municipality has a link yet), and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..i18n import _
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
    from .desk import round_status

    with app.app_context():
        round_status()  # the clerks' first page need not wait for a full read; nothing rendered: a clear error
    checkin = app.extensions["engagiert"].checkin
    checkin.pool.start()  # before the first upload, which need not wait for the readers to start
    recovered = recover(checkin)
    if recovered:
        announce(_("Checked in {count} upload(s) that an interrupted server had stored.").format(count=recovered))
    public = round_cfg.portal.public_url
    if public:
        announce(_("Serving round {round} from {out} on http://{host}:{port}/ (public address {public}; clerks: "
                   "{public}/admin/). Ctrl-C stops.").format(round=round_cfg.id, out=out, host=host, port=port,
                                                            public=public))
    else:
        announce(_("Serving round {round} from {out} on http://{host}:{port}/ (clerks: /admin/). Ctrl-C stops.")
                 .format(round=round_cfg.id, out=out, host=host, port=port))
        announce(_("Note: {file} has no [portal] public_url, so the municipalities have no private links and the "
                   "letters print [sender] upload_url; the clerks' desk works. To issue links, set public_url to "
                   "the address people reach this server at (behind the TLS proxy) and run `engagiert links`.")
                 .format(file=round_cfg.source))
    # The app answers an oversized request with its own (German) 413 page; waitress's cap, twice as high,
    # only stops a body that would not even fit its buffer.
    limit = int(round_cfg.portal.max_request_mb * 1024 * 1024)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="engagiert",
                       max_request_body_size=2 * limit, clear_untrusted_proxy_headers=True, channel_timeout=120)
    finally:
        checkin.close()
