"""The clerk's desk under /admin/: login and logout, the overview, the table of municipalities, one page per
municipality (documents, received pages as images, history, its link), and uploads on its behalf.

Every page needs a live session; every POST needs the session's CSRF token (the login form a token of its
own, bound to a cookie, so nobody can log a clerk into a session of theirs).
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, g, redirect, request, url_for

from ..errors import EngagiertError
from ..links import current_links, issue_links, revoke_link
from ..states import STATE_LABELS_DE, STATES, State
from ..track import (
    RoundStatus,
    collect_status,
    filter_documents,
    geojson_path,
    municipality_history,
    overview_context,
    refresh_status,
)
from .accounts import end_session, find_session, start_session, verify_login
from .context import ledger, render, state, too_many
from .security import client_address, same_token

blueprint = Blueprint("desk", __name__, url_prefix="/admin")
SESSION_COOKIE, LOGIN_COOKIE = "engagiert_sitzung", "engagiert_anmeldung"
PAGE_SIZE = 100
OPEN_ENDPOINTS = ("desk.login", "desk.login_form")


def guard():
    """Before every /admin/ request: a live session, and on POST its CSRF token."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    session = find_session(ledger(), request.cookies.get(SESSION_COOKIE))
    if session is None:
        if request.method == "GET":
            return redirect(url_for("desk.login_form", next=request.full_path.rstrip("?")), 303)
        abort(403)
    if request.method == "POST" and not same_token(request.form.get("csrf"), session.csrf):
        abort(403)
    g.clerk = session
    return None


blueprint.before_request(guard)


def page(template: str, **context) -> Response:
    return render(template, clerk=g.clerk.clerk, csrf=g.clerk.csrf, **context)


def safe_next(target: str | None, default: str = "/admin/") -> str:
    """Only a path on this server (no scheme, no host, no //): a login must not send a clerk elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else default


def _cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/admin", httponly=True, samesite="Strict",
                        secure=state().portal.secure_cookies)


@blueprint.get("/login")
def login_form(error: str = "", status: int = 200):
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    response = render("login.html.j2", status=status, error=error, login_csrf=token,
                      next=safe_next(request.values.get("next")))
    _cookie(response, LOGIN_COOKIE, token, 3600)
    return response


@blueprint.post("/login")
def login():
    web = state()
    if not same_token(request.form.get("csrf"), request.cookies.get(LOGIN_COOKIE)):
        abort(403)
    wait = web.limiter.hit(("login", client_address()), web.portal.login_attempts_per_hour, 3600)
    if wait:
        return too_many(wait)
    clerk = verify_login(ledger(), request.form.get("name", ""), request.form.get("password", ""))
    if clerk is None:
        return login_form("Name oder Passwort ist falsch.", 401)
    session_id, _session = start_session(ledger(), clerk, web.portal.session_hours)
    response = redirect(safe_next(request.form.get("next")), 303)
    _cookie(response, SESSION_COOKIE, session_id, int(web.portal.session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/admin")
    return response


@blueprint.post("/logout")
def logout():
    end_session(ledger(), g.clerk)
    response = redirect(url_for("desk.login_form"), 303)
    response.delete_cookie(SESSION_COOKIE, path="/admin")
    return response


def round_status() -> RoundStatus:
    """The round's status as the ledger says it now (any process may have written to it): read again,
    before the page is made, whenever the ledger changed, but only the municipalities that changed
    (track.refresh_status). One thread reads; the others asking meanwhile wait and use what it read."""
    web = state()
    with web.refresh_lock:
        # Taken before reading (a change made during the read is read next time); a new day is a change too
        # (the page says "Stand <date>", and what counts as a recent return moves on).
        stamp = (web.ledger_stamp(), web.today())
        cached = web.status_cache.get("status")
        if cached is None or cached[0] != stamp:
            status = refresh_status(web.out, cached[1]) if cached else collect_status(web.out, web.round_cfg.id)
            cached = (stamp, status)
            web.status_cache["status"] = cached
        return cached[1]


def _cached(name: str, status: RoundStatus, build):
    """Something derived from one status snapshot (the overview's drawing), made once per snapshot."""
    extras = state().status_cache.setdefault("extras", {})
    if extras.get("for") is not status:
        extras.clear()
        extras["for"] = status
    if name not in extras:
        extras[name] = build()
    return extras[name]


@blueprint.get("/")
def overview():
    status = round_status()
    context = _cached("overview", status, lambda: overview_context(status, state().round_cfg, geojson_path(None)))
    queue = sum(1 for document in status.documents if document.state == State.NEEDS_REVIEW)
    return page("overview.html.j2", report=context, queue=queue)


@blueprint.get("/kommunen")
def table():
    status = round_status()
    chosen_state = request.args.get("status", "")
    bezirk = request.args.get("bezirk", "")
    query = request.args.get("q", "").strip()
    documents = filter_documents(status.documents, states=(chosen_state,) if chosen_state in STATES else (),
                                 regierungsbezirk=bezirk or None)
    if query:
        needle = query.casefold()
        documents = [d for d in documents if needle in d.ags or needle in d.bezeichnung.casefold()
                     or needle in d.name.casefold() or needle in d.kreis.casefold()]
    try:
        number = max(1, int(request.args.get("seite", "1")))
    except ValueError:
        number = 1
    pages = max(1, -(-len(documents) // PAGE_SIZE))
    number = min(number, pages)
    shown = documents[(number - 1) * PAGE_SIZE: number * PAGE_SIZE]
    bezirke = _cached("bezirke", status,
                      lambda: sorted({d.regierungsbezirk for d in status.documents if d.regierungsbezirk}))
    return page("table.html.j2", documents=shown, total=len(documents), all_count=len(status.documents),
                number=number, pages=pages, query=query, chosen_state=chosen_state, bezirk=bezirk, bezirke=bezirke,
                states=[(s, STATE_LABELS_DE[s]) for s in STATES], labels=STATE_LABELS_DE)


@blueprint.get("/kommunen/<ags>")
def municipality(ags: str, results=None):
    web = state()
    round_id = web.round_cfg.id
    try:
        history = municipality_history(web.out, round_id, ags)
    except EngagiertError:
        abort(404)
    ags = history["ags"]
    documents = []
    for doc_id, version in sorted(ledger().versions(round_id, ags).items(), key=lambda item: -item[1]):
        event = ledger().state_event(doc_id)
        pages = [{"page": row["page"], "ink": row["ink"], "sha": row["upload_sha256"], "source": row["source_page"]}
                 for row in ledger().received_pages(doc_id)]
        documents.append({"doc_id": doc_id, "version": version, "state": event["state"] if event else "",
                          "label": STATE_LABELS_DE.get(event["state"], "") if event else "",
                          "reason": event["reason"] if event else "", "pages": pages})
    link = current_links(web.out, web.round_cfg).get(ags)
    return page("desk_municipality.html.j2", ags=ags, history=history, documents=documents, link=link,
                labels=STATE_LABELS_DE, portal=bool(web.portal.public_url), results=results,
                reasons=REJECTION_REASONS)


REJECTION_REASONS = (
    "Nicht unterschrieben (Unterschriftsfeld leer)",
    "Unterschrift nicht im Unterschriftsfeld",
    "Seite fehlt oder ist unvollständig",
    "Falsche oder veraltete Fassung unterschrieben",
    "Unterschrift nicht erkennbar (Scan zu hell oder unscharf)",
    "Nicht die zeichnungsberechtigte Person",
)


@blueprint.post("/kommunen/<ags>/hochladen")
def upload_for(ags: str):
    from .municipality import store_and_check

    files = [item for item in request.files.getlist("file") if item.filename]
    if not files:
        return municipality(ags)
    results = store_and_check(ags, files, actor=g.clerk.clerk, via="clerk")
    return municipality(ags, results)


@blueprint.post("/kommunen/<ags>/link")
def link_action(ags: str):
    web = state()
    try:
        if request.form.get("action") == "revoke":
            revoke_link(web.out, web.round_cfg, ags, actor=g.clerk.clerk)
        else:
            issue_links(web.out, web.round_cfg, only=[ags], reissue=True, actor=g.clerk.clerk)
    except EngagiertError:
        abort(400)
    return redirect(url_for("desk.municipality", ags=ags), 303)


@blueprint.get("/seite/<sha256>/<int:number>.png")
def page_image(sha256: str, number: int):
    from ..checkin import page_png

    upload = ledger().upload(sha256.lower())
    if upload is None or not upload["stored_path"]:
        abort(404)
    kind = json.loads(upload["details"] or "{}").get("kind", "")
    if kind not in ("pdf", "jpeg", "png", "tiff", "gif", "bmp", "heif", "webp"):
        abort(404)
    cached = state().cache_dir() / "pages" / f"{upload['sha256']}-{number}.png"
    if not cached.is_file():
        from ..fileio import write_bytes_atomic

        try:
            write_bytes_atomic(cached, page_png(state().out / upload["stored_path"], kind, number), durable=False)
        except (IndexError, OSError, ValueError):
            abort(404)
    return Response(cached.read_bytes(), mimetype="image/png")
