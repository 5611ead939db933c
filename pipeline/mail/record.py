"""Recording a mail or archive after its files were checked in: the message, each part and the upload it
became, where the mailbox holds it, who sent it (on every document it touched, so the history shows the
sender), and the answer to send. One transaction per message, written after its uploads: a run that
dies before it leaves the stored mail without a row, and the next run finishes it (run.py).
"""

from __future__ import annotations

from pathlib import Path

from ..i18n import N_, DeferredText, deferred, deferred_join, deferred_n
from ..ledger import Ledger, now_iso
from ..round import RoundConfig
from ..states import EventKind, Outcome
from .parts import Unpacked
from .results import MessageResult, PartLine
from .take import Taken


def summary_of(taken: Taken) -> tuple[str, str]:
    """(outcome, reason) of a mail or archive as a whole."""
    unpacked = taken.unpacked
    if unpacked.refused:
        return Outcome.REFUSED, unpacked.refused
    files = sum(1 for staged in taken.staged if staged.sha256)
    if files:
        return Outcome.UNPACKED, ""
    if any(staged.attachment.refused for staged in taken.staged):
        return Outcome.REFUSED, deferred("no attachment could be checked in (see its parts)")
    if unpacked.body_only == "html":
        return Outcome.REFUSED, deferred("no attachment: the mail has only HTML text (never shown here); nothing to "
                                         "check in")
    if taken.staged:
        return Outcome.REFUSED, deferred("no attachment to check in: {parts}", parts=deferred_join("; ", (
            deferred_join(": ", (staged.attachment.label, staged.attachment.skipped)) for staged in taken.staged[:3])))
    return Outcome.REFUSED, deferred("no attachment: nothing to check in")


HEADLINES = {"eml": N_("MAIL"), "msg": N_("OUTLOOK MAIL"), "tnef": N_("WINMAIL.DAT"), "zip": N_("ZIP ARCHIVE")}


def headline(taken: Taken) -> str:
    unpacked = taken.unpacked
    files = sum(1 for staged in taken.staged if staged.sha256)
    left_out = sum(1 for staged in taken.staged if staged.attachment.skipped or staged.attachment.refused)
    sender = f"{unpacked.sender_name} <{unpacked.sender}>" if unpacked.sender_name else unpacked.sender
    kind = deferred(HEADLINES[taken.kind]) if taken.kind in HEADLINES else taken.kind.upper()
    who = deferred(" from {sender}", sender=sender) if sender else ""
    subject = f", '{unpacked.subject[:80]}'" if unpacked.subject else ""
    left = deferred_n(", {count} left out", ", {count} left out", left_out) if left_out else ""
    return deferred_n("{kind}{who}{subject}: {count} file to check in{left}",
                      "{kind}{who}{subject}: {count} files to check in{left}", files, kind=kind, who=who,
                      subject=subject, left=left)


def message_result(taken: Taken) -> MessageResult:
    outcome, reason = summary_of(taken)
    result = MessageResult(taken.display, taken.sha256, outcome, reason if outcome != Outcome.UNPACKED else
                           headline(taken), sender=taken.unpacked.sender or "", subject=taken.unpacked.subject or "")
    if outcome == Outcome.REFUSED and taken.unpacked.sender:
        result.reason = deferred("{reason} (from {sender})", reason=reason, sender=taken.unpacked.sender)
    for staged in taken.staged:
        attachment = staged.attachment
        for part_outcome, why in (("refused", attachment.refused), ("left out", attachment.skipped),
                                  ("unpacked", attachment.unpacked)):
            if why:
                result.parts.append(PartLine(attachment.label, part_outcome, why))
    result.files = sum(1 for staged in taken.staged if staged.sha256)
    return result


def record_message(ledger: Ledger, round_cfg: RoundConfig, out: Path, taken: Taken, *,
                   reply: tuple[str, str] | None = None) -> None:
    """`reply`: (state, why) of the answer to plan: ("pending", recipient) or ("not_sent", reason)."""
    out_relative = taken.stored.relative_to(out).as_posix()
    unpacked: Unpacked = taken.unpacked
    outcome, reason = summary_of(taken)
    at = now_iso()
    uploads = ledger.upload_outcomes([staged.sha256 for staged in taken.staged if staged.sha256])
    with ledger.transaction() as cursor:
        if ledger.message(taken.sha256) is not None:
            return  # recorded a moment ago (the same message twice in one mailbox run)
        details = {"source": taken.origin.get("source"), "notes": unpacked.notes[:10], "auto": unpacked.auto,
                   "body_only": unpacked.body_only}
        Ledger.add_message(cursor, sha256=taken.sha256, round_id=round_cfg.id, kind=taken.kind,
                           message_id=unpacked.message_id if unpacked.message_id and
                           ledger.message_with_id(unpacked.message_id) is None else None,
                           sender=unpacked.sender, sender_name=unpacked.sender_name, reply_to=unpacked.reply_to,
                           subject=unpacked.subject, sent_at=unpacked.sent_at, original_name=taken.original_name,
                           stored_path=out_relative, size=taken.size, received_at=at, outcome=outcome,
                           reason=reason or None, details={k: v for k, v in details.items() if v})
        for staged in taken.staged:
            attachment = staged.attachment
            upload = uploads.get(staged.sha256)
            if attachment.unpacked:
                part_outcome, why = "unpacked", attachment.unpacked
            elif attachment.skipped or attachment.refused:
                part_outcome, why = ("skipped", attachment.skipped) if attachment.skipped else \
                    ("refused", attachment.refused)
            elif upload is not None:
                part_outcome, why = "checked_in", None
            else:
                part_outcome, why = "refused", deferred("not checked in (another run had the file, or it vanished)")
            Ledger.add_message_part(cursor, message_sha256=taken.sha256, position=staged.position,
                                    name=attachment.label, content_type=attachment.content_type or None,
                                    size=attachment.size, sha256=staged.sha256 or None,
                                    upload_sha256=upload["sha256"] if upload is not None else None,
                                    outcome=part_outcome, reason=why)
        origin = taken.origin
        if origin.get("source") == "imap":
            Ledger.add_mailbox_message(cursor, mailbox=origin["mailbox"], uidvalidity=origin["uidvalidity"],
                                       uid=origin["uid"], message_sha256=taken.sha256)
        Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.MAIL, file_sha256=taken.sha256, at=at,
                         reason=reason or headline(taken),
                         details={"stored": out_relative, "upload": taken.original_name, "from": unpacked.sender,
                                  "subject": unpacked.subject, "message_id": unpacked.message_id,
                                  "outcome": outcome})
        _sender_on_documents(ledger, cursor, round_cfg, taken, uploads, out_relative, at)
        if reply is not None:
            state, text = reply
            Ledger.add_reply(cursor, taken.sha256, state=state, recipient=text if state == "pending" else None,
                             reason=None if state == "pending" else text)


def _sender_on_documents(ledger: Ledger, cursor, round_cfg: RoundConfig, taken: Taken, uploads: dict, stored: str,
                         at: str) -> None:
    """A "mail" event on each document an attachment of this message gave its pages to: who sent it, and
    whether that is the municipality's known address (a copy from another address still counts)."""
    sender = taken.unpacked.sender
    done: set[str] = set()
    for staged in taken.staged:
        upload = uploads.get(staged.sha256)
        if upload is None or upload["original_name"] != taken.label(staged):
            continue  # known from an earlier upload: its documents heard about it then
        for event in ledger.document_events_of_upload(staged.sha256):
            if event["doc_id"] in done:
                continue
            done.add(event["doc_id"])
            document = ledger.document(event["doc_id"])
            known = (document.signatory.get("email") or "").strip().lower() if document else ""
            Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.MAIL, ags=event["ags"],
                             doc_id=event["doc_id"], file_sha256=taken.sha256, at=at,
                             reason=sender_note(sender, known),
                             details={"from": sender, "subject": taken.unpacked.subject, "message": stored,
                                      "known_address": known or None, "sender_known": bool(sender) and
                                      sender == known})


def sender_note(sender: str | None, known: str) -> DeferredText:
    if not sender:
        return deferred("came in a mail or archive without a sender")
    if sender == known:
        return deferred("came by e-mail from {sender}, the municipality's known address", sender=sender)
    if known and sender.rpartition("@")[2] == known.rpartition("@")[2]:
        return deferred("came by e-mail from {sender}: not the known address {known}, but the same domain",
                        sender=sender, known=known)
    if known:
        return deferred("came by e-mail from {sender}: not the municipality's known address {known}; checked in all "
                        "the same", sender=sender, known=known)
    return deferred("came by e-mail from {sender} (the signatories file has no address for this municipality)",
                    sender=sender)
