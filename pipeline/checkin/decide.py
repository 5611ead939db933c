"""A clerk settles a case by hand: accept or reject a document, with a reason, recorded as a decision.

Every decision needs a reason and names who made it. Accepting a document of which no page was ever
received needs the explicit `without_copy` (the paper original is in the file, say): the ledger then
says "accepted by hand, no copy on file", and so do status, report and history. A decision stands until
a newer decision: check-in never turns a hand acceptance back, and a copy that arrives after a hand
rejection goes to review, not straight to verified (judge.py).

An outdated signed copy (a municipality signed V1 after V2 replaced it) is a question for the clerk:
accepting V1 makes the signed old version count (V2 is set aside, superseded by the decision);
rejecting V1 asks for V2, which goes back to the state it had (sent, say) and is reminded as usual.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..docid import DocIdError, parse_doc_id
from ..errors import InvalidInputError
from ..i18n import N_, _
from ..ledger import DocumentRecord, Ledger, current_actor
from ..round import RoundConfig
from ..states import EventKind, State
from .context import Context
from .judge import digitally_signed_upload, keep_signed_upload, write_signed
from .results import DocumentOutcome

#: Recorded (in the clerk's language, like the clerk's own reason) before the reason of such an acceptance.
NO_COPY_NOTE = N_("accepted by hand, no copy on file")


def decide(round_cfg: RoundConfig, out: Path, doc_id: str, accept: bool, reason: str, *,
           without_copy: bool = False, clerk: str | None = None) -> DocumentOutcome:
    """Record a clerk's decision on one document; returns its new state."""
    out = Path(out)
    text = (reason or "").strip()
    if not text:
        raise InvalidInputError(
            _("--accept needs --reason \"…\": every decision is recorded with its reason") if accept else
            _("--reject needs --reason \"…\": every decision is recorded with its reason (and the municipality is "
              "told why)"))
    try:
        parsed = parse_doc_id(doc_id)
    except DocIdError as exc:
        raise InvalidInputError(str(exc)) from exc
    who = (clerk or "").strip() or current_actor()
    with Ledger.existing(out) as ledger:
        record = ledger.document(str(parsed))
        if record is None or record.round != round_cfg.id:
            raise InvalidInputError(_("{doc_id}: no such document in round {round}").format(doc_id=doc_id,
                                                                                             round=round_cfg.id))
        context = Context(round_cfg, out, ledger)
        current = context.current_document(record.ags)
        question = _outdated_question(ledger, current)
        if current is not None and current.doc_id != record.doc_id:
            if question is None or question["outdated_doc_id"] != record.doc_id:
                raise InvalidInputError(_("{doc_id} is superseded by {current}; decide on the current version").format(
                    doc_id=doc_id, current=current.doc_id))
            return _settle_outdated(context, record, current, question, accept, text, who)
        if question is not None:
            raise InvalidInputError(_(
                "{doc_id} was not returned: the municipality signed the outdated version {outdated}. Accept that "
                "one to let it count (--accept {outdated}), or reject it to ask for {doc_id} (--reject {outdated})"
            ).format(doc_id=doc_id, outdated=question["outdated_doc_id"]))
        return _decide_current(context, record, accept, text, who, without_copy)


def _decide_current(context: Context, record: DocumentRecord, accept: bool, text: str, who: str,
                    without_copy: bool) -> DocumentOutcome:
    ledger = context.ledger
    rows = ledger.received_pages(record.doc_id)
    details: dict = {"clerk": who, "pages_on_file": sorted({row["page"] for row in rows})}
    if accept and not rows and not without_copy:
        raise InvalidInputError(_(
            "{doc_id}: no page of this document was ever received. If the signed original is on file (it came by "
            "post, say), accept it with --without-copy; the ledger will say '{note}'").format(
            doc_id=record.doc_id, note=_(NO_COPY_NOTE)))
    with ledger.transaction() as cursor:
        state = State.VERIFIED if accept else State.REJECTED
        if accept and not rows:
            details["without_copy"] = True
            text = f"{_(NO_COPY_NOTE)}: {text}"
        elif accept:
            signed = _write_signed_copy(context, record, rows)
            if signed is not None:
                details["signed_file"] = signed.relative_to(context.out).as_posix()
        Ledger.add_event(cursor, round_id=context.round_cfg.id, kind=EventKind.DECISION, ags=record.ags,
                         doc_id=record.doc_id, state=state, reason=text, details=details, actor=who)
    return DocumentOutcome(record.doc_id, record.ags, record.signatory.get("bezeichnung", record.ags), state,
                           text, [])


def _write_signed_copy(context: Context, record: DocumentRecord, rows) -> Path | None:
    digital_upload = digitally_signed_upload(context, record.doc_id)
    if digital_upload is not None:
        return keep_signed_upload(context, record, digital_upload)
    if {row["page"] for row in rows} >= set(range(1, record.pages + 1)):
        return write_signed(context, record, rows, record.geometry.signature_box.page)
    return None


def _outdated_question(ledger: Ledger, current: DocumentRecord | None) -> dict | None:
    """The open question "an outdated version was signed" on the current document, if that is its state."""
    if current is None:
        return None
    event = ledger.state_event(current.doc_id)
    if event is None or event["kind"] != EventKind.OUTDATED_COPY or event["state"] != State.NEEDS_REVIEW:
        return None
    return json.loads(event["details"] or "{}")


def _settle_outdated(context: Context, old: DocumentRecord, current: DocumentRecord, question: dict, accept: bool,
                     text: str, who: str) -> DocumentOutcome:
    ledger, round_id = context.ledger, context.round_cfg.id
    name = old.signatory.get("bezeichnung", old.ags)
    with ledger.transaction() as cursor:
        if accept:
            details: dict = {"clerk": who, "outdated_copy_of": current.doc_id}
            signed = _write_signed_copy(context, old, ledger.received_pages(old.doc_id))
            if signed is not None:
                details["signed_file"] = signed.relative_to(context.out).as_posix()
            Ledger.add_event(cursor, round_id=round_id, kind=EventKind.DECISION, ags=old.ags, doc_id=old.doc_id,
                             state=State.VERIFIED, reason=_("the signed outdated version V{version} counts: {reason}")
                             .format(version=old.version, reason=text),
                             details=details, actor=who)
            Ledger.add_event(cursor, round_id=round_id, kind=EventKind.DECISION, ags=current.ags,
                             doc_id=current.doc_id, state=State.SUPERSEDED, actor=who,
                             reason=_("set aside: the signed V{version} was accepted instead ({reason})").format(
                                 version=old.version, reason=text),
                             details={"clerk": who, "accepted_instead": old.doc_id})
            return DocumentOutcome(old.doc_id, old.ags, name, State.VERIFIED, text, [])
        back_to = question.get("state_before") or State.RENDERED
        Ledger.add_event(cursor, round_id=round_id, kind=EventKind.DECISION, ags=old.ags, doc_id=old.doc_id,
                         reason=_("outdated copy V{version} not accepted: {reason}").format(version=old.version,
                                                                                           reason=text),
                         details={"clerk": who},
                         actor=who)
        Ledger.add_event(cursor, round_id=round_id, kind=EventKind.DECISION, ags=current.ags, doc_id=current.doc_id,
                         state=back_to, actor=who,
                         reason=_("V{version} must be signed; the outdated V{outdated} was not accepted ({reason})")
                         .format(version=current.version, outdated=old.version, reason=text),
                         details={"clerk": who, "outdated_doc_id": old.doc_id})
        return DocumentOutcome(current.doc_id, current.ags, name, back_to, text, [])
