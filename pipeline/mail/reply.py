"""The answer to a sender ([mail] reply = true): in German, per document the verdict in the words of the
upload page ("angenommen", "wird geprüft", "abgelehnt: <Grund>", "unvollständig: …") and what to do next;
per file that held no document of ours, why.

At most one answer per message, ever: it is planned when the message is recorded (pending), claimed
before it is sent (sending) and marked sent after the server accepted it. A run that dies while sending
leaves it claimed, and a claimed answer is never sent again; one the server refused for now (4xx, or no
connection) is tried again on the next run. No answer to automatic mails, mailing lists, bounces, or the
office's own address (RFC 3834), and every answer says Auto-Submitted: auto-replied, so that an
auto-responder on the other side does not answer it.
"""

from __future__ import annotations

import datetime as dt
import json
import smtplib
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from ..german import long_date, verdict_in_german
from ..i18n import _, deferred
from ..ledger import Ledger
from ..round import MailConfig, RoundConfig
from ..smtp import open_smtp
from ..states import EventKind
from ..templating import TEMPLATES_DIR, environment
from .take import Taken


@dataclass
class ReplyOutcome:
    message_sha256: str
    recipient: str
    state: str          # sent, failed (tried again next run), not_sent
    reason: str = ""
    error: bool = False  # the server refused or broke off (not a rule that says: no answer)


def plan_reply(config: MailConfig, round_cfg: RoundConfig, taken: Taken) -> tuple[str, str] | None:
    """("pending", recipient), ("not_sent", why), or None (no answers configured, or not from the mailbox)."""
    if not config.reply or taken.origin.get("source") != "imap":
        return None
    unpacked = taken.unpacked
    recipient = unpacked.reply_to or unpacked.sender
    own = {address.lower() for address in (round_cfg.sender.email, config.reply_from, config.user) if "@" in address}
    if not recipient:
        return "not_sent", deferred("the mail names no sender")
    if unpacked.auto:
        return "not_sent", deferred("no answer to an automatic mail or a list: {why}", why=unpacked.auto)
    if recipient in own or (unpacked.sender or "") in own:
        return "not_sent", deferred("sent from the office's own address")
    return "pending", recipient


GERMAN_REFUSALS = (
    ("password", "ist mit einem Kennwort geschützt. Bitte senden Sie ihn ohne Kennwort."),
    ("encrypted", "ist verschlüsselt. Bitte senden Sie ihn unverschlüsselt."),
    ("more than the limit", "ist zu groß. Bitte senden Sie einen kleineren Scan (z. B. 200 dpi, Graustufen)."),
    ("bomb", "ist zu groß. Bitte senden Sie einen kleineren Scan (z. B. 200 dpi, Graustufen)."),
    ("cloud", "ist nur ein Link auf eine Datei in der Cloud. Bitte senden Sie die Datei selbst."),
    ("not a scan", "ist keine PDF- oder Bilddatei. Bitte senden Sie einen Scan (PDF) oder ein Foto."),
    ("damaged", "ist beschädigt oder unvollständig und lässt sich nicht öffnen."),
    ("cannot be", "lässt sich nicht öffnen."),
)


def file_text(outcome: str, reason: str) -> str:
    """Why a file of the mail held no document, in German (check-in's reasons are English, for the clerk)."""
    if outcome == "unmatched":
        return ("enthält keine Seite eines unserer Dokumente (kein lesbarer QR-Code). Bitte scannen Sie alle "
                "Seiten vollständig, mit dem QR-Code unten rechts.")
    lowered = reason.lower()
    return next((text for key, text in GERMAN_REFUSALS if key in lowered), "ließ sich nicht lesen.")


def reply_context(ledger: Ledger, round_cfg: RoundConfig, row) -> dict:
    documents, files, seen = [], [], set()
    for part in ledger.message_parts(row["message_sha256"]):
        if part["outcome"] == "skipped" or part["outcome"] == "unpacked":
            continue
        upload = ledger.upload(part["upload_sha256"]) if part["upload_sha256"] else None
        events = ledger.document_events_of_upload(upload["sha256"]) if upload is not None else []
        if not events:
            outcome = upload["outcome"] if upload is not None else "refused"
            reason = (upload["reason"] if upload is not None else part["reason"]) or ""
            if outcome != "duplicate":
                files.append({"name": part["name"].rpartition(" › ")[2], "text": file_text(outcome, reason)})
            continue
        for event in events:
            doc_id = event["doc_id"]
            current = ledger.state_event(doc_id)
            if doc_id in seen or current is None:
                continue
            seen.add(doc_id)
            record = ledger.document(doc_id)
            details = json.loads(current["details"] or "{}")
            verdict, next_step = verdict_in_german(current["state"], details.get("code"), current["reason"], details)
            documents.append({"doc_id": doc_id, "ags": record.ags if record else "", "verdict": verdict,
                              "next": next_step,
                              "bezeichnung": (record.signatory.get("bezeichnung") if record else "") or doc_id})
    received = row["sent_at"] or row["received_at"]
    try:
        received_text = long_date(dt.date.fromisoformat(received[:10])) if received else ""
    except ValueError:
        received_text = ""
    return {"subject": (row["subject"] or "")[:120], "received": received_text, "documents": documents,
            "files": files, "sender": round_cfg.sender, "title": round_cfg.title}


def build_reply(ledger: Ledger, round_cfg: RoundConfig, config: MailConfig, row, now: dt.datetime) \
        -> tuple[EmailMessage, dict]:
    context = reply_context(ledger, round_cfg, row)
    body = environment(TEMPLATES_DIR, text=True, trim_blocks=True, keep_trailing_newline=True,
                       overrides=round_cfg.letter.templates) \
        .get_template("mail_reply.txt.j2").render(**context)
    sender = round_cfg.sender
    from_address = config.reply_from or sender.email
    message = EmailMessage(policy=policy.SMTP)
    subject = " ".join((row["subject"] or "").split())[:120]
    message["Subject"] = f"Re: {subject}" if subject else f"Ihre Rücksendung: {round_cfg.title}"
    message["From"] = formataddr((" ".join(sender.organisation.split()), from_address))
    message["To"] = row["recipient"]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring="antwort", domain=from_address.rpartition("@")[2] or "invalid")
    if row["message_id"]:
        message["In-Reply-To"] = f"<{row['message_id']}>"
        message["References"] = f"<{row['message_id']}>"
    message["Auto-Submitted"] = "auto-replied"        # RFC 3834: an auto-responder must not answer this
    message["X-Auto-Response-Suppress"] = "All"       # the same, as Exchange and Outlook understand it
    message.set_content(body)
    message.policy = policy.SMTP.clone(max_line_length=200)
    return message, context


def send_replies(ledger: Ledger, round_cfg: RoundConfig, out: Path, config: MailConfig,
                 password: str) -> list[ReplyOutcome]:
    """Send every answer due (this run's, and any the server refused for now last time)."""
    due = ledger.replies_due(round_cfg.id)
    if not due:
        return []
    host, port = config.smtp_server
    login = config.smtp_login
    # A server that cannot be reached raises MailServerError: the answers stay pending for the next run.
    connection = open_smtp(host, port, tls=config.smtp_tls, user=login, password=password if login else "",
                           ca_file=config.ca_file,
                           afterwards=_("no answer was sent; the answers are sent on the next run"))
    outcomes: list[ReplyOutcome] = []
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with connection:
        for row in due:
            sha, recipient = row["message_sha256"], row["recipient"]
            with ledger.transaction() as cursor:
                if not Ledger.claim_reply(cursor, sha):
                    continue  # another run took it
            message, context = build_reply(ledger, round_cfg, config, row, now)
            state, reason, error = "sent", "", False
            try:
                connection.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (0, b""))
                state, error = "not_sent", True
                reason = deferred("the server refused {recipient}: {code} {text}", recipient=recipient, code=code,
                                  text=_text(text))
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                temporary = 400 <= exc.smtp_code < 500
                state = "failed" if temporary else "not_sent"
                reason, error = deferred("the server refused the answer: {code} {text}", code=exc.smtp_code,
                                         text=_text(exc.smtp_error)), True
            except (OSError, smtplib.SMTPException) as exc:
                # It may or may not have gone out: never sent again (one answer at most); the rest wait.
                reason = deferred("the connection broke while sending ({error}); it may not have arrived, and is not "
                                  "sent again", error=str(exc))
                _finish(ledger, round_cfg, row, "not_sent", reason, message, context)
                outcomes.append(ReplyOutcome(sha, recipient, "not_sent", reason, error=True))
                break
            _finish(ledger, round_cfg, row, state, reason, message, context)
            outcomes.append(ReplyOutcome(sha, recipient, state, reason, error))
    return outcomes


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _finish(ledger: Ledger, round_cfg: RoundConfig, row, state: str, reason: str, message: EmailMessage,
            context: dict) -> None:
    sha = row["message_sha256"]
    reply_id = str(message["Message-ID"]).strip()
    documents = context["documents"]
    with ledger.transaction() as cursor:
        Ledger.finish_reply(cursor, sha, state=state, reason=reason or None,
                            reply_message_id=reply_id if state == "sent" else None)
        Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.REPLY, file_sha256=sha,
                         ags=documents[0]["ags"] if len({d["ags"] for d in documents}) == 1 else None,
                         reason=deferred("answered {recipient}", recipient=row["recipient"]) if state == "sent" else
                         deferred("answer to {recipient} not sent: {reason}", recipient=row["recipient"], reason=reason)
                         if state == "not_sent" else
                         deferred("answer to {recipient} failed for now: {reason}", recipient=row["recipient"],
                                  reason=reason),
                         details={"to": row["recipient"], "state": state, "reply_message_id": reply_id,
                                  "verdicts": [f"{d['doc_id']}: {d['verdict']}" for d in documents]})
