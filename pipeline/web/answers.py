"""What the municipality is told about one uploaded file, in German, read back from the ledger.

The answer right after an upload and the list of earlier uploads on the municipality's page are the same
function of what check-in recorded for the file's SHA-256 (the upload row and the events naming it), so
the two can never disagree. A document of another municipality is mentioned without its name or state:
a link sees only its own municipality.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..german import reason_in_german
from ..ledger import Ledger
from ..states import EventKind, Outcome, Reason, State

ACCEPTED, IN_REVIEW, REJECTED, INCOMPLETE, REPEAT, PENDING = (
    "angenommen", "wird geprüft", "abgelehnt", "unvollständig", "bereits eingegangen", "wird verarbeitet")
UPLOAD_AGAIN = "Bitte laden Sie das Dokument danach erneut hoch."
FORMATS = "PDF, JPEG, PNG oder TIFF"

_REFUSALS = [
    (r"empty", "Die Datei ist leer (0 Byte)."),
    (r"not a scan|not a PDF or image", f"Die Datei ist kein Scan und kein Foto. Bitte laden Sie {FORMATS} hoch."),
    (r"the file is (\d+) MB, more than the limit of (\d+) MB",
     "Die Datei ist zu groß ({0} MB; höchstens {1} MB). Bitte scannen Sie mit geringerer Auflösung (300 dpi "
     "genügen)."),
    (r"has (\d+) pages, more than the limit of (\d+)", "Die Datei hat zu viele Seiten ({0}; höchstens {1})."),
    (r"no pages", "Die Datei enthält keine Seite."),
    (r"pixels", "Ein Bild ist zu groß (zu viele Bildpunkte). Bitte scannen Sie mit 300 dpi."),
    (r"longer than", "Die Datei konnte nicht in angemessener Zeit gelesen werden."),
    (r"password", "Die PDF-Datei ist mit einem Passwort geschützt. Bitte laden Sie sie ohne Schutz hoch."),
    (r"damaged|cannot be read|cannot be opened", "Die Datei ist beschädigt und kann nicht gelesen werden."),
]


@dataclass
class DocumentAnswer:
    doc_id: str
    ags: str
    state: str          # machine id (verified, needs_review, …)
    label: str          # German word
    text: str           # German: why, and what to do next
    own: bool


@dataclass
class FileAnswer:
    sha256: str
    name: str
    size: int
    at: str
    label: str
    text: str
    state: str                      # machine id of the whole file's result
    documents: list[DocumentAnswer] = field(default_factory=list)

    @property
    def css(self) -> str:
        return {ACCEPTED: "ok", IN_REVIEW: "review", REPEAT: "repeat", PENDING: "review"}.get(self.label, "problem")


def refusal_in_german(reason: str | None) -> str:
    for pattern, text in _REFUSALS:
        found = re.search(pattern, reason or "")
        if found:
            return text.format(*found.groups())
    return "Die Datei konnte nicht gelesen werden."


def document_answer(doc_id: str, ags: str, state: str | None, kind: str, reason: str | None, details: dict,
                    own: bool) -> DocumentAnswer:
    if not own:
        return DocumentAnswer(doc_id, ags, State.NEEDS_REVIEW, IN_REVIEW,
                              "Die Datei enthält das Dokument einer anderen Kommune. Sie wurde gespeichert und wird "
                              "von uns geprüft; für Ihre Kommune zählt sie nicht.", own)
    code = details.get("code")
    if kind == EventKind.DUPLICATE or (state is None and kind == EventKind.OLD_VERSION):
        return DocumentAnswer(doc_id, ags, State.VERIFIED, REPEAT,
                              "Ihr Dokument ist bereits unterschrieben eingegangen; diese Kopie ändert nichts.", own)
    if state == State.VERIFIED:
        return DocumentAnswer(doc_id, ags, state, ACCEPTED,
                              "Vielen Dank: das unterschriebene Dokument ist vollständig eingegangen. Sie müssen "
                              "nichts weiter tun.", own)
    if state == State.INCOMPLETE:
        missing = details.get("missing") or []
        pages = " und ".join(f"Seite {page}" for page in missing) or "eine Seite"
        return DocumentAnswer(doc_id, ags, state, INCOMPLETE,
                              f"Es fehlt noch {pages}. Bitte laden Sie {pages} hoch (als Scan oder Foto); die "
                              "bereits eingegangenen Seiten müssen Sie nicht noch einmal senden.", own)
    if state == State.REJECTED:
        why = reason_in_german(code, reason, details)
        todo = (" Bitte unterschreiben Sie auf Seite "
                f"{details.get('signature_page', 2)} im Unterschriftsfeld. {UPLOAD_AGAIN}") \
            if code in (Reason.UNSIGNED, None) else f" {UPLOAD_AGAIN}"
        return DocumentAnswer(doc_id, ags, state, REJECTED, f"{why}{todo}", own)
    if state == State.NEEDS_REVIEW:
        return DocumentAnswer(doc_id, ags, state, IN_REVIEW,
                              "Wir sehen uns Ihr Dokument an und melden uns, falls etwas fehlt. Sie müssen jetzt "
                              "nichts weiter tun.", own)
    return DocumentAnswer(doc_id, ags, state or "", PENDING, "Die Datei wird noch verarbeitet.", own)


def file_answer(ledger: Ledger, sha256: str, uploader_ags: str, after_event: int, name: str, size: int,
                at: str) -> FileAnswer:
    """The answer for one file sent through the web, from what the ledger says about its bytes;
    `after_event` is the id of its web_upload event (what check-in recorded after it is this upload's)."""
    answer = FileAnswer(sha256, name, size, at, PENDING, "Die Datei ist gespeichert und wird verarbeitet.", "pending")
    upload = ledger.upload(sha256)
    if upload is None:
        return answer
    events = ledger.events_of_file(sha256)
    if any(event["kind"] == EventKind.UPLOAD and event["id"] < after_event for event in events):
        answer.label, answer.state = REPEAT, Outcome.DUPLICATE
        answer.text = (f"Diese Datei ist bereits am {_date(upload['received_at'])} eingegangen "
                       f"(als „{upload['original_name']}“); es ändert sich nichts.")
        return answer
    if upload["outcome"] == Outcome.REFUSED:
        answer.label, answer.state, answer.text = REJECTED, Outcome.REFUSED, refusal_in_german(upload["reason"])
        return answer
    if upload["outcome"] == Outcome.UNMATCHED:
        answer.label, answer.state = REJECTED, Outcome.UNMATCHED
        answer.text = ("Auf keiner Seite wurde der QR-Code unseres Dokuments gefunden. Bitte laden Sie beide Seiten "
                       "vollständig hoch, mit dem QR-Code unten rechts gut lesbar, nicht verkleinert.")
        return answer
    newest: dict[str, object] = {}
    for event in events:
        if event["id"] > after_event and event["doc_id"] and (event["state"] is not None or event["kind"] in (
                EventKind.DUPLICATE, EventKind.OLD_VERSION)):
            newest[event["doc_id"]] = event
    for doc_id, event in newest.items():
        details = json.loads(event["details"] or "{}")
        answer.documents.append(document_answer(doc_id, event["ags"], event["state"], event["kind"],
                                                event["reason"], details, event["ags"] == uploader_ags))
    own = [doc for doc in answer.documents if doc.own] or answer.documents
    if own:
        first = own[0]
        answer.label, answer.text, answer.state = first.label, first.text, first.state
    return answer


def _date(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}.{iso[:4]}"


def json_answer(answers: list[FileAnswer], uploader_ags: str) -> dict:
    """The DESIGN.md contract: {"upload": sha256, "results": [{doc_id, ags, state, reason}]}; with several
    files "upload" is the first one's and "files" lists each."""
    results = []
    for answer in answers:
        if answer.documents:
            results += [{"doc_id": doc.doc_id, "ags": doc.ags, "state": doc.state, "reason": doc.text,
                         "status": doc.label, "upload": answer.sha256} for doc in answer.documents]
        else:
            results.append({"doc_id": None, "ags": uploader_ags, "state": answer.state, "reason": answer.text,
                            "status": answer.label, "upload": answer.sha256})
    return {"upload": answers[0].sha256 if answers else None, "results": results,
            "files": [{"upload": a.sha256, "name": a.name, "size": a.size, "status": a.label, "message": a.text}
                      for a in answers]}
