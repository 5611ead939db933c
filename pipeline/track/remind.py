"""`engagiert remind`: a German reminder to each municipality whose signed copy is overdue.

Who: the current document was sent more than `after_days` days ago and is in state sent, incomplete
or rejected. A rejected copy gets its own text (why it was refused, what to do). `needs_review` is
not reminded: the office has not decided yet, and a municipality should not be asked again for a copy
that may well be fine. Nobody is reminded twice within `min_interval_days` (any channel, any version).

How: one message per municipality (stdlib `email`, policy SMTP), the document's PDF attached, written
as out/<round>/reminders/<ags>_<slug>_<date>.eml (atomically) for the office's mail program, or sent
with SMTP. Every message is built (and every PDF found) before anything is written or sent.
Ledger: one "reminder" event per message. .eml files: all events in one transaction after the files
are written (those written before a Ctrl-C or a full disk too). SMTP: each event is committed right after
the server accepted that message, so a crash mid-run never forgets a mail that went out (and never records
one that did not). A server that cannot be reached or breaks off is a ``MailServerError`` (exit code 6).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

from ..errors import EngagiertError, ExitCode, InvalidInputError, MailServerError
from ..fileio import slugify, write_bytes_atomic
from ..german import name_of_row, pages_de
from ..i18n import _, ngettext, state_label
from ..ledger import Ledger
from ..links import current_links
from ..round import RoundConfig
from ..smtp import open_smtp
from ..states import REMINDABLE, EventKind, State
from ..templating import TEMPLATES_DIR, environment
from .status import DocumentStatus, collect_status, german_date

SMTP_USER_ENV, SMTP_PASSWORD_ENV = "ENGAGIERT_SMTP_USER", "ENGAGIERT_SMTP_PASSWORD"
HEADER_POLICY = policy.SMTP.clone(max_line_length=200)


class ReminderError(EngagiertError):
    """A document's PDF is missing: nothing was sent."""

    exit_code = ExitCode.file_error


@dataclass
class ReminderPlan:
    due: list[DocumentStatus] = field(default_factory=list)
    no_email: list[DocumentStatus] = field(default_factory=list)
    recently_reminded: list[DocumentStatus] = field(default_factory=list)
    in_review: list[DocumentStatus] = field(default_factory=list)
    draft_waiting: list[tuple[DocumentStatus, str]] = field(default_factory=list)  # (document, draft's date)


@dataclass
class ReminderResult:
    round_id: str
    today: dt.date
    plan: ReminderPlan
    delivered: list[tuple[DocumentStatus, str]] = field(default_factory=list)  # (document, file or message id)
    refused: list[tuple[DocumentStatus, str]] = field(default_factory=list)  # SMTP recipient refused: why
    dry_run: bool = False
    after_days: int = 0  # the rules the plan followed, for the report line
    min_interval_days: int = 0

    @property
    def needs_attention(self) -> bool:
        return bool(self.plan.no_email or self.refused)


def plan_reminders(documents: list[DocumentStatus], today: dt.date, after_days: int,
                   min_interval_days: int, drafts: dict[str, str] | None = None) -> ReminderPlan:
    """`drafts`: AGS → date of a draft written but not yet recorded as sent (no second draft meanwhile)."""
    plan = ReminderPlan()
    drafts = drafts or {}
    for document in documents:
        days = document.days_since_sent(today)
        if days is None or days <= after_days or document.state not in (*REMINDABLE, State.NEEDS_REVIEW):
            continue
        if document.ags in drafts:
            plan.draft_waiting.append((document, drafts[document.ags]))
        elif document.state == State.NEEDS_REVIEW:
            plan.in_review.append(document)
        elif not document.email:
            plan.no_email.append(document)
        elif document.last_reminder and \
                (today - dt.date.fromisoformat(document.last_reminder[:10])).days < min_interval_days:
            plan.recently_reminded.append(document)
        else:
            plan.due.append(document)
    return plan


def _environment(round_cfg: RoundConfig | None = None):
    # Plain text: no HTML escaping (a "&" in a name stays "&"); the round's own wording first, if it has one.
    return environment(TEMPLATES_DIR, text=True, trim_blocks=True, keep_trailing_newline=True,
                       overrides=round_cfg.letter.templates if round_cfg else None)


def reminder_context(document: DocumentStatus, round_cfg: RoundConfig, today: dt.date,
                     outcome: dict | None = None, upload_link: str | None = None) -> dict:
    """`outcome`: details of the document's newest state event (check-in records a reason code there);
    `upload_link`: the municipality's private upload link, printed in place of the general address."""
    from .. import german

    signatory = document.signatory
    office, gender = german.office_of_row({**signatory, "typ": document.typ})
    missing = [page for page in range(1, document.pages + 1) if page not in document.pages_received]
    deadline = round_cfg.deadline
    sender = round_cfg.sender
    return {
        "salutation": german.salutation(gender, office, signatory.get("titel", ""), signatory.get("nachname", "")),
        "title": round_cfg.title, "bezeichnung": document.bezeichnung, "doc_id": document.doc_id,
        # "für die Gemeinde Kirchlengern", "für den Kreis Lippe": the designation with its article
        "for_municipality": german.designation_with_article(document.bezeichnung, document.typ, "acc"),
        "ags": document.ags, "state": document.state,
        "reason": german.reason_in_german((outcome or {}).get("code"), document.reason, outcome),
        "sent_date": german.long_date(dt.date.fromisoformat(document.sent_at[:10])) if document.sent_at else "",
        "refused_date": german_date(document.since),
        "received": pages_de(document.pages_received), "missing": pages_de(missing),
        "missing_count": len(missing),
        "deadline": german.long_date(deadline) if deadline else "",
        "deadline_passed": bool(deadline and deadline < today),
        "attachment": Path(document.path).name, "sender": sender,
        "postal": german.organisation_with_article(sender.postal, "acc"),  # "per Post an die Staatskanzlei …"
        "upload_url": upload_link or sender.upload_url, "own_link": bool(upload_link),
    }


def _header_text(text: str) -> str:
    """Header values must not carry line breaks (header injection); collapse all whitespace."""
    return " ".join(text.split())


def build_message(document: DocumentStatus, round_cfg: RoundConfig, out: Path, now: dt.datetime,
                  environment=None, outcome: dict | None = None, upload_link: str | None = None) -> EmailMessage:
    environment = environment or _environment(round_cfg)
    context = reminder_context(document, round_cfg, now.date(), outcome, upload_link)
    template = "reminder_rejected.txt.j2" if document.state == State.REJECTED else "reminder.txt.j2"
    body = environment.get_template(template).render(**context)
    pdf = Path(out) / document.path
    if not pdf.is_file():
        raise ReminderError(_("{file}: the document of {designation} ({ags}) is missing; run `engagiert render` "
                              "again before reminding (nothing was sent)").format(
            file=pdf, designation=document.bezeichnung, ags=document.ags))
    sender = round_cfg.sender
    prefix = "Bitte erneut unterschreiben" if document.state == State.REJECTED else "Erinnerung"
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = _header_text(f"{prefix}: {round_cfg.title} – {document.bezeichnung}")
    message["From"] = formataddr((_header_text(sender.organisation), sender.email))
    person = name_of_row(document.signatory)
    message["To"] = formataddr((_header_text(person or document.bezeichnung), document.email))
    if sender.email:
        message["Reply-To"] = sender.email
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(idstring=f"{document.ags}.{now:%Y%m%d}",
                                       domain=sender.email.rpartition("@")[2] or "engagiert.invalid")
    message["X-Engagiert-Document"] = document.doc_id
    message.set_content(body)
    message.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename=pdf.name)
    # Headers are written on one line up to 200 characters (RFC 5322 allows 998): the stdlib's folding at
    # 78 leaves a doubled space in some subjects ("NRW  – Stadt …"). The body is already encoded at 76.
    message.policy = HEADER_POLICY
    return message


def eml_path(out: Path, round_cfg: RoundConfig, document: DocumentStatus, today: dt.date) -> Path:
    """<ags>_<slug>_<date>.eml; a second reminder on the same day (--min-interval 0) gets _2, _3, …"""
    stem = f"{document.ags}_{slugify(document.name or document.bezeichnung)}_{today.isoformat()}"
    folder = round_cfg.round_dir(out) / "reminders"
    path, number = folder / f"{stem}.eml", 1
    while path.exists():
        number += 1
        path = folder / f"{stem}_{number}.eml"
    return path


def parse_smtp(value: str) -> tuple[str, int]:
    host, _sep, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidInputError(_("--smtp '{value}': expected HOST:PORT, e.g. mail.example.org:587").format(
            value=value))
    return host.strip("[]"), int(port)


def _record(cursor, round_cfg: RoundConfig, document: DocumentStatus, details: dict,
            kind: EventKind = EventKind.REMINDER) -> None:
    Ledger.add_event(cursor, round_id=round_cfg.id, kind=kind, ags=document.ags, doc_id=document.doc_id,
                     details={**details, "to": document.email, "state": document.state})


@dataclass
class RecordedDrafts:
    date: dt.date
    recorded: list[tuple[str, str]]  # (AGS, file)

    def line(self) -> str:
        if not self.recorded:
            return _("No reminder drafts are waiting to be recorded as sent.")
        files = ", ".join(Path(file).name for _ags, file in self.recorded)
        return ngettext("Recorded {count} reminder as sent on {date}: {files}",
                        "Recorded {count} reminders as sent on {date}: {files}", len(self.recorded)).format(
            count=len(self.recorded), date=f"{self.date:%d.%m.%Y}", files=files)


def record_sent_drafts(out: Path, round_cfg: RoundConfig, date: dt.date | None = None) -> RecordedDrafts:
    """The clerk sent the drafts from the mail program: each waiting draft becomes a reminder (one
    transaction), dated `date` (default today), so the interval and the status count it from then."""
    from ..ledger import now_iso

    now = dt.datetime.fromisoformat(now_iso())
    when = date or now.date()
    if when > now.date():  # a reminder dated ahead would silence the next ones until then
        raise InvalidInputError(_("--date {date}: the reminders cannot have gone out in the future").format(
            date=when.strftime("%d.%m.%Y")))
    # The moment it went out: now, when that is today; else noon of the day given.
    at = now.isoformat(timespec="seconds") if when == now.date() else f"{when.isoformat()}T12:00:00+00:00"
    recorded = []
    with Ledger.existing(out) as ledger:
        drafts = ledger.pending_drafts(round_cfg.id)
        with ledger.transaction() as cursor:
            for draft in drafts:
                details = json.loads(draft["details"] or "{}")
                Ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.REMINDER, ags=draft["ags"],
                                 doc_id=draft["doc_id"], at=at,
                                 details={**details, "recorded_sent": True})
                recorded.append((draft["ags"], details.get("file", "")))
    return RecordedDrafts(when, recorded)


def send_reminders(out: Path, round_cfg: RoundConfig, *, after_days: int | None = None,
                   min_interval_days: int = 7, smtp: str | None = None, dry_run: bool = False) -> ReminderResult:
    after_days = round_cfg.remind_after_days if after_days is None else after_days
    if after_days < 0 or min_interval_days < 0:
        raise InvalidInputError(_("--after and --min-interval must be 0 or more days"))
    server = parse_smtp(smtp) if smtp else None
    status = collect_status(out, round_cfg.id)
    with Ledger.existing(out) as ledger:
        drafts = {row["ags"]: row["at"][:10] for row in ledger.pending_drafts(round_cfg.id)}
    plan = plan_reminders(status.documents, status.today, after_days, min_interval_days, drafts)
    result = ReminderResult(round_cfg.id, status.today, plan, dry_run=dry_run, after_days=after_days,
                            min_interval_days=min_interval_days)
    if dry_run or not plan.due:
        return result
    if not round_cfg.sender.email:
        raise InvalidInputError(_("{file}: [sender] email is needed for reminders (their From address)").format(
            file=round_cfg.source))
    environment = _environment(round_cfg)
    outcomes = latest_outcomes(out, [document.doc_id for document in plan.due])
    links = current_links(out, round_cfg)
    messages = [(document, build_message(document, round_cfg, out, status.now, environment,
                                         outcomes.get(document.doc_id),
                                         links[document.ags].url if document.ags in links else None))
                for document in plan.due]
    if server is None:
        _write_emls(out, round_cfg, messages, status.today, result)
    else:
        _send_smtp(out, round_cfg, messages, server, result)
    return result


def latest_outcomes(out: Path, doc_ids: list[str]) -> dict[str, dict]:
    """The details (reason code, missing pages, versions) of each document's newest state event."""
    import json

    found: dict[str, dict] = {}
    with Ledger.existing(out) as ledger:
        for doc_id in doc_ids:
            row = ledger.state_event(doc_id)
            if row and row["details"]:
                found[doc_id] = json.loads(row["details"])
    return found


def _write_emls(out: Path, round_cfg: RoundConfig, messages, today: dt.date, result: ReminderResult) -> None:
    """Drafts for the office's mail program: `X-Unsent: 1` makes Outlook open each as a draft to send, not as
    a received mail. They are recorded as prepared; they count as reminders once recorded as sent
    (`record_sent_drafts`), because nothing has gone out yet."""
    written = []
    try:
        for document, message in messages:
            message["X-Unsent"] = "1"
            path = eml_path(out, round_cfg, document, today)
            write_bytes_atomic(path, message.as_bytes())
            written.append((document, path))
    finally:  # also when stopped half-way (Ctrl-C, a full disk): every .eml on disk has its event
        if written:
            with Ledger.existing(out) as ledger, ledger.transaction() as cursor:
                for document, path in written:
                    _record(cursor, round_cfg, document, {"channel": "eml",
                                                          "file": path.relative_to(out).as_posix()},
                            kind=EventKind.REMINDER_PREPARED)
    result.delivered.extend((document, str(path)) for document, path in written)


def _send_smtp(out: Path, round_cfg: RoundConfig, messages, server: tuple[str, int],
               result: ReminderResult) -> None:
    host, port = server
    connection = open_smtp(host, port, user=os.environ.get(SMTP_USER_ENV, ""),
                           password=os.environ.get(SMTP_PASSWORD_ENV, ""))
    with connection, Ledger.existing(out) as ledger:
        for document, message in messages:
            try:
                connection.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                refusal = next(iter(exc.recipients.values()), (0, b""))
                result.refused.append((document, f"{refusal[0]} {refusal[1].decode('utf-8', 'replace')}"))
                continue
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                result.refused.append((document, f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"))
                continue
            except (OSError, smtplib.SMTPException) as exc:  # connection lost: what was accepted is recorded
                raise MailServerError(_("mail server {server} failed after {count} message(s) ({error}); run remind "
                                        "again for the rest").format(server=f"{host}:{port}",
                                                                     count=len(result.delivered), error=exc)) from exc
            with ledger.transaction() as cursor:  # accepted: record it now, before the next one goes out
                _record(cursor, round_cfg, document, {"channel": "smtp", "server": f"{host}:{port}",
                                                      "message_id": str(message["Message-ID"]).strip()})
            result.delivered.append((document, str(message["Message-ID"]).strip()))


def format_result(result: ReminderResult) -> str:
    plan, min_interval_days = result.plan, result.min_interval_days
    eml = bool(result.delivered) and result.delivered[0][1].endswith(".eml")
    lines = [_heading(result, eml, len(plan.due) if result.dry_run else len(result.delivered))]
    targets = {id(document) for document, _ in result.delivered}
    for document in plan.due:
        if not result.dry_run and id(document) not in targets:
            continue
        why = state_label(document.state) + (f": {document.reason_shown}" if document.reason else "")
        days = document.days_since_sent(result.today)
        lines.append(f"  {document.ags:<8}  " + ngettext(
            "{designation} ({why}), sent {date}, {days} day -> {email}",
            "{designation} ({why}), sent {date}, {days} days -> {email}", days).format(
            designation=document.bezeichnung, why=why, date=german_date(document.sent_at), days=days,
            email=document.email))
    skipped = [(d, _("no e-mail address in the signatories file")) for d in plan.no_email]
    skipped += [(d, _("refused by the mail server: {why}").format(why=why)) for d, why in result.refused]
    skipped += [(d, ngettext("reminded on {date} (within {days} day)", "reminded on {date} (within {days} days)",
                             min_interval_days).format(date=german_date(d.last_reminder), days=min_interval_days))
                for d in plan.recently_reminded]
    skipped += [(d, _("needs review ({why}): the office decides first").format(
        why=d.reason_shown or _("no reason given"))) for d in plan.in_review]
    skipped += [(d, _("a draft of {date} is waiting: send it, then `engagiert remind --record-sent`").format(
        date=german_date(day))) for d, day in plan.draft_waiting]
    if skipped:
        lines += [_("Not reminded:")] + [f"  {d.ags:<8}  {d.bezeichnung}: {why}" for d, why in skipped]
    if result.delivered:
        first, count = result.delivered[0][1], len(result.delivered)
        lines.append(ngettext("Wrote {count} draft to {folder}/ (the mail program opens it as a draft); send it, then "
                              "run `engagiert remind --record-sent` so that it counts as a reminder.",
                              "Wrote {count} drafts to {folder}/ (the mail program opens them as drafts); send them, "
                              "then run `engagiert remind --record-sent` so that they count as reminders.",
                              count).format(count=count, folder=Path(first).parent) if first.endswith(".eml") else
                     ngettext("Sent {count} message and recorded it in the ledger.",
                              "Sent {count} messages and recorded them in the ledger.", count).format(count=count))
    return "\n".join(lines)


def _heading(result: ReminderResult, eml: bool, count: int) -> str:
    """The first line of a run's report: what was done, to how many, by which rules."""
    if result.dry_run:
        text = ngettext("Would remind {count} municipality of round {round} (sent more than {after} days ago, not "
                        "verified; none reminded within {interval} days):",
                        "Would remind {count} municipalities of round {round} (sent more than {after} days ago, "
                        "not verified; none reminded within {interval} days):", count)
    elif eml:
        text = ngettext("Prepared a reminder to {count} municipality of round {round} (sent more than {after} days "
                        "ago, not verified; none reminded within {interval} days):",
                        "Prepared reminders to {count} municipalities of round {round} (sent more than {after} days "
                        "ago, not verified; none reminded within {interval} days):", count)
    else:
        text = ngettext("Reminded {count} municipality of round {round} (sent more than {after} days ago, not "
                        "verified; none reminded within {interval} days):",
                        "Reminded {count} municipalities of round {round} (sent more than {after} days ago, not "
                        "verified; none reminded within {interval} days):", count)
    return text.format(count=count, round=result.round_id, after=result.after_days,
                       interval=result.min_interval_days)
