"""The Flask application: one per round and output folder, with its security rules in one place.

Every response carries the security headers (a Content-Security-Policy that allows no inline script and no
framing, nosniff, no referrer, no caching of dynamic pages). Every request is counted per client address
(and a link's requests per link): over the limit it gets 429 with Retry-After. A request larger than
[portal] max_request_mb gets 413 before its body is read. Every POST under /admin/ needs the session's CSRF
token (403 without). X-Forwarded-For and -Proto are believed only from [portal] trusted_proxies proxies.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, g, request

from ..checkin import Settings, load_settings
from ..round import RoundConfig
from .context import STATIC, WebState, render, state, too_many, wants_json
from .security import client_address, security_headers
from .uploads import ServerCheckin, incoming_dir


def create_app(out: Path, round_cfg: RoundConfig, settings: Settings | None = None,
               checkin_slots: int | None = None) -> Flask:
    from ..workers import default_workers

    out = Path(out)
    app = Flask(__name__, static_folder=str(STATIC), static_url_path="/static")
    app.config.update(MAX_CONTENT_LENGTH=int(round_cfg.portal.max_request_mb * 1024 * 1024),
                      SEND_FILE_MAX_AGE_DEFAULT=3600)
    settings = settings or load_settings(round_cfg)
    # The readers start with the first upload (or when `engagiert serve` starts), and end with the process.
    checkin = ServerCheckin(out, round_cfg, settings, checkin_slots or default_workers())
    app.extensions["engagiert"] = WebState(out, round_cfg, settings, checkin)
    incoming_dir(out, round_cfg.id).mkdir(parents=True, exist_ok=True)
    if round_cfg.portal.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = round_cfg.portal.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from . import desk, municipality, review

    app.register_blueprint(municipality.blueprint)
    app.register_blueprint(desk.blueprint)
    app.register_blueprint(review.blueprint)

    @app.before_request
    def count_request():
        if request.path.startswith("/static/"):
            return None
        wait = state().limiter.hit(("address", client_address()), state().portal.address_requests_per_minute, 60)
        return too_many(wait) if wait else None

    @app.after_request
    def headers(response: Response) -> Response:
        return security_headers(response, secure=state().portal.secure_cookies,
                                static=request.path.startswith("/static/"))

    @app.teardown_request
    def close_ledger(_exc):
        connection = g.pop("ledger", None)
        if connection is not None:
            connection.close()

    @app.route("/")
    def home():
        return render("home.html.j2")

    for code, title, text in (
            (400, "Ungültige Anfrage", "Die Anfrage konnte nicht verstanden werden."),
            (403, "Nicht erlaubt", "Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die Seite neu "
                                   "und versuchen Sie es noch einmal."),
            (404, "Seite nicht gefunden", "Diese Seite gibt es nicht. Bitte prüfen Sie die Adresse aus Ihrem "
                                          "Anschreiben."),
            (405, "Nicht erlaubt", "Diese Seite kann so nicht aufgerufen werden."),
            (413, "Zu groß", f"Die Sendung ist größer als {round_cfg.portal.max_request_mb:g} MB. Bitte scannen Sie "
                             "mit 300 dpi in Graustufen oder laden Sie die Dateien einzeln hoch."),
            (500, "Fehler", "Etwas ist schiefgegangen. Ihre Datei ist gespeichert, falls sie vollständig ankam; "
                            "bitte versuchen Sie es später noch einmal.")):
        app.register_error_handler(code, _error_page(code, title, text))
    return app


def _error_page(code: int, title: str, text: str):
    def handler(_error):
        if wants_json():
            return Response(f'{{"error": {code}, "message": "{title}"}}', status=code, mimetype="application/json")
        return render("error.html.j2", status=code, title=title, text=text, code=code)

    return handler
