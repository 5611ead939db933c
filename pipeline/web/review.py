"""The review queue: the documents that need a person, one at a time, oldest first.

Each item shows the signature box of the received page cut out and aligned on our blank box (the page in
full at a click), the reason check-in gave, and a form to accept or reject with a reason (a list of the
usual rejection reasons plus free text). The decision is the check-in stage's ``decide``, naming the clerk;
then the next item loads. Crops are made once and kept in ``out/<round>/web/cache/``; the next item's crop
is requested while the clerk looks at this one, so it is there when the decision is made.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, g, redirect, request, url_for

from ..checkin import decide, signature_crop
from ..errors import EngagiertError
from ..fileio import write_bytes_atomic
from ..states import EventKind, State
from .context import ledger, state
from .desk import REJECTION_REASONS, guard, page, round_status, safe_next

blueprint = Blueprint("review", __name__, url_prefix="/admin")
blueprint.before_request(guard)
ACCEPT_DEFAULT = "Unterschrift im Ausschnitt von Hand geprüft"


def queue() -> list:
    documents = [d for d in round_status().documents if d.state == State.NEEDS_REVIEW]
    return sorted(documents, key=lambda d: (d.since, d.ags))


def item(document) -> dict:
    """What the clerk needs to decide on one queued document."""
    event = ledger().state_event(document.doc_id)
    details = json.loads(event["details"] or "{}") if event else {}
    target = document.doc_id
    if event is not None and event["kind"] == EventKind.OUTDATED_COPY and details.get("outdated_doc_id"):
        target = details["outdated_doc_id"]  # the signed old version is what is decided on
    record = ledger().document(target)
    signature_page = record.geometry.signature_box.page
    rows = [row for row in ledger().received_pages(target) if row["page"] == signature_page]
    newest = rows[-1] if rows else None
    return {"document": document, "target": target, "reason": event["reason"] if event else "",
            "digital": "digital" in details, "signature_page": signature_page,
            "page": ({"sha": newest["upload_sha256"], "source": newest["source_page"], "ink": newest["ink"]}
                     if newest else None)}


@blueprint.get("/pruefen")
def show():
    waiting = queue()
    after = request.args.get("nach", "")
    position = next((index + 1 for index, d in enumerate(waiting) if d.doc_id == after), 0)
    remaining = waiting[position:] or waiting
    current = item(remaining[0]) if remaining else None
    following = item(remaining[1]) if len(remaining) > 1 else None
    return page("review.html.j2", item=current, following=following, count=len(waiting),
                done=request.args.get("erledigt", ""), reasons=REJECTION_REASONS, error="")


@blueprint.post("/pruefen/<doc_id>")
def decision(doc_id: str):
    choice = request.form.get("decision")
    if choice not in ("accept", "reject"):
        abort(400)
    accept = choice == "accept"
    listed, text = request.form.get("reason_choice", "").strip(), request.form.get("reason", "").strip()
    if listed and listed not in REJECTION_REASONS:
        abort(400)
    reason = ": ".join(part for part in (listed, text) if part) if not accept else (text or ACCEPT_DEFAULT)
    back = safe_next(request.form.get("next"), url_for("review.show"))
    web = state()
    try:
        if not reason:
            raise EngagiertError("Bitte einen Grund für die Ablehnung wählen oder eingeben.")
        outcome = decide(web.round_cfg, web.out, doc_id, accept, reason,
                         without_copy=accept and request.form.get("without_copy") == "1", clerk=g.clerk.clerk)
    except EngagiertError as exc:
        return page("review.html.j2", item=None, following=None, count=len(queue()), done="", reasons=REJECTION_REASONS,
                    error=exc.message, back=back), 400
    separator = "&" if "?" in back else "?"
    return redirect(f"{back}{separator}erledigt={outcome.doc_id}", 303)


def _crop_files(doc_id: str, sha256: str, source: int):
    folder = state().cache_dir() / "crops"
    return folder / f"{doc_id}-{sha256[:16]}-{source}-scan.png", folder / f"{doc_id}-{sha256[:16]}-{source}-blank.png"


@blueprint.get("/ausschnitt/<doc_id>/<sha256>/<int:source>/<part>.png")
def crop(doc_id: str, sha256: str, source: int, part: str):
    if part not in ("scan", "leer"):
        abort(404)
    record = ledger().document(doc_id)
    upload = ledger().upload(sha256.lower())
    if record is None or upload is None or record.round != state().round_cfg.id:
        abort(404)
    if not any(row["upload_sha256"] == upload["sha256"] and row["source_page"] == source
               for row in ledger().received_pages(doc_id)):
        abort(404)
    scan_file, blank_file = _crop_files(doc_id, upload["sha256"], source)
    if not scan_file.is_file() or not blank_file.is_file():
        web = state()
        made = signature_crop(web.out / upload["stored_path"], source, record, web.out / record.path)
        if made.scan:
            write_bytes_atomic(scan_file, made.scan, durable=False)
        write_bytes_atomic(blank_file, made.blank, durable=False)
    path = scan_file if part == "scan" else blank_file
    if not path.is_file():
        abort(404)
    return Response(path.read_bytes(), mimetype="image/png")
