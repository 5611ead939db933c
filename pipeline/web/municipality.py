"""The municipality's side: its private link's page, uploads through it, receipts, its blank document.

A link's token is the only thing that authorises these requests (no cookie, no CSRF token: a form can
only post to a link whose secret the page already knows). An unknown, revoked or expired token gets the
same 404 as any page that does not exist.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, request, send_file

from ..german import designation_with_article
from ..links import resolve_token, token_hash
from ..states import STATE_LABELS_DE, State
from . import answers
from .context import ledger, render, state, too_many, wants_json
from .security import client_address
from .uploads import check_in_received, receive

blueprint = Blueprint("municipality", __name__)


def _municipality(token: str) -> str:
    """The AGS the token opens; counts the request against the link's own limit; 404 otherwise."""
    web = state()
    wait = web.limiter.hit(("link", token_hash(token)), web.portal.link_requests_per_minute, 60)
    if wait:
        abort(too_many(wait))
    ags = resolve_token(ledger(), web.round_cfg, token, web.today())
    if ags is None:
        abort(404)
    return ags


def current_document(ags: str):
    """The municipality's current version (its newest that is not superseded) and its newest state event."""
    versions = sorted(ledger().versions(state().round_cfg.id, ags).items(), key=lambda item: -item[1])
    chosen = None
    for doc_id, _version in versions:
        event = ledger().state_event(doc_id)
        if chosen is None or (event is not None and event["state"] != State.SUPERSEDED):
            chosen = (doc_id, event)
            if event is not None and event["state"] != State.SUPERSEDED:
                break
    if chosen is None:
        abort(404)
    return ledger().document(chosen[0]), chosen[1]


def state_in_words(ags: str, record, event) -> dict:
    current = event["state"] if event else State.RENDERED
    details = json.loads(event["details"] or "{}") if event else {}
    if current in (State.RENDERED, State.SENT):
        return {"state": current, "label": "noch nicht eingegangen", "css": "open",
                "text": "Bitte unterschreiben Sie das Dokument auf Seite "
                        f"{record.geometry.signature_box.page} im Unterschriftsfeld und laden Sie beide "
                        "Seiten hier hoch, als Scan oder als Foto."}
    answer = answers.document_answer(record.doc_id, ags, current, event["kind"], event["reason"], details, True)
    if current == State.VERIFIED:
        answer.text = f"Eingegangen und geprüft am {answers._date(event['at'])}. Vielen Dank, Sie müssen nichts " \
                      "weiter tun."
    return {"state": current, "label": STATE_LABELS_DE.get(current, current) if current != State.VERIFIED
            else "unterschrieben eingegangen", "css": {State.VERIFIED: "ok", State.NEEDS_REVIEW: "review",
                                                        State.INCOMPLETE: "problem", State.REJECTED: "problem"}.get(
                current, "open"), "text": answer.text}


def earlier_uploads(ags: str) -> list[answers.FileAnswer]:
    found = []
    for row in ledger().web_uploads(state().round_cfg.id, ags):
        details = json.loads(row["details"] or "{}")
        found.append(answers.file_answer(ledger(), row["file_sha256"], ags, row["id"], details.get("name", ""),
                                         details.get("size", 0), row["at"]))
    return found


def page(token: str, ags: str, results: list[answers.FileAnswer] | None = None, status: int = 200) -> Response:
    record, event = current_document(ags)
    round_cfg = state().round_cfg
    return render("municipality.html.j2", status=status, token=token, record=record,
                  bezeichnung=record.signatory.get("bezeichnung", ags), now=state_in_words(ags, record, event),
                  for_municipality=designation_with_article(record.signatory.get("bezeichnung", ags),
                                                            record.signatory.get("typ", ""), "acc"),
                  uploads=earlier_uploads(ags), results=results,
                  deadline=round_cfg.deadline.strftime("%d.%m.%Y") if round_cfg.deadline else "",
                  max_mb=state().portal.max_request_mb, sender=round_cfg.sender)


@blueprint.get("/k/<token>")
def show(token: str):
    return page(token, _municipality(token))


@blueprint.post("/k/<token>")
def upload(token: str):
    ags = _municipality(token)
    files = [item for item in request.files.getlist("file") if item.filename or item.content_length]
    if not files:
        if wants_json():
            return Response('{"error": 400, "message": "Keine Datei im Feld \\"file\\""}', status=400,
                            mimetype="application/json")
        return page(token, ags, [answers.FileAnswer("", "", 0, "", answers.REJECTED,
                                                    "Bitte wählen Sie zuerst eine Datei aus.", "refused")], 400)
    results = store_and_check(ags, files, actor=f"link:{ags}", via="link")
    if wants_json():
        return Response(json.dumps(answers.json_answer(results, ags), ensure_ascii=False), mimetype="application/json")
    return page(token, ags, results)


def store_and_check(ags: str, files: list, actor: str, via: str) -> list[answers.FileAnswer]:
    """Store the files, check them in (the stage), and read back what the ledger says about each."""
    web = state()
    received = receive(web.out, web.round_cfg, files, ags, actor, client_address(), via)
    check_in_received(received, ags, actor, web.checkin)
    return [answers.file_answer(ledger(), item.sha256, ags, item.event_id, item.name, item.size, item.at)
            for item in received]


@blueprint.get("/k/<token>/eingang/<sha256>.pdf")
def receipt(token: str, sha256: str):
    ags = _municipality(token)
    if not ledger().web_upload_known(state().round_cfg.id, ags, sha256.lower()):
        abort(404)
    from .receipt import receipt_pdf

    answer = next(item for item in reversed(earlier_uploads(ags)) if item.sha256 == sha256.lower())  # the first
    record, _event = current_document(ags)
    data = receipt_pdf(state().round_cfg, record.signatory.get("bezeichnung", ags), ags, answer)
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="Eingangsbestaetigung-{ags}-{sha256[:12]}.pdf"'})


@blueprint.get("/k/<token>/dokument.pdf")
def blank_document(token: str):
    ags = _municipality(token)
    record, _event = current_document(ags)
    path = state().out / record.path
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=path.name)
