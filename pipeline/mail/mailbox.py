"""`engagiert checkin --mail`: the new messages of the office's mailbox, read over IMAP (IMAPClient).

New means: a UID not seen under the folder's current UIDVALIDITY, whose Message-ID (or, without one, whose
bytes) we have not taken either. So a server that renumbers its folder (a new UIDVALIDITY after a restore
or a migration) costs one look at each message's Message-ID, and takes nothing twice. Messages are read
with BODY.PEEK: reading marks nothing as read; nothing is flagged, moved or deleted unless [mail] says
so (mark_seen, move_to), and then only after the message is recorded.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .. import checkin
from ..errors import InvalidInputError, MailServerError
from ..i18n import _, deferred, ngettext, shown
from ..ledger import Ledger
from ..round import MailConfig, RoundConfig
from ..smtp import tls_context
from .containers import kind_of
from .reply import ReplyOutcome, plan_reply, send_replies
from .run import Batch, mail_lock, require_documents
from .take import Taker

IMAP_TIMEOUT_SECONDS = 60
FETCH_CHUNK = 50


@dataclass
class MailboxRun:
    """What a mailbox run did: the check-in (mails and their files), what it skipped, the answers."""

    summary: checkin.CheckinSummary
    mailbox: str
    new: int = 0
    known: int = 0
    replies: list[ReplyOutcome] = field(default_factory=list)
    reply_error: str = ""   # the SMTP server could not be reached: the answers wait for the next run

    @property
    def results(self):
        return self.summary.results

    def lines(self) -> list[str]:
        known = ngettext(", {count} taken before (by UID or Message-ID) and left alone",
                         ", {count} taken before (by UID or Message-ID) and left alone", self.known).format(
            count=self.known) if self.known else ""
        lines = [ngettext("Mailbox {mailbox}: {count} new message{known}.",
                          "Mailbox {mailbox}: {count} new messages{known}.", self.new).format(
            mailbox=self.mailbox, count=self.new, known=known)]
        for reply in self.replies:
            text = (_("Answered {recipient}.") if reply.state == "sent" else
                    _("Answer to {recipient} failed for now: {reason}") if reply.state == "failed" else
                    _("Answer to {recipient} not sent: {reason}"))
            lines.append(text.format(recipient=reply.recipient, reason=shown(reply.reason)))
        return lines

    @property
    def needs_attention(self) -> bool:
        return self.summary.needs_attention or any(reply.error for reply in self.replies)


def mail_password(config: MailConfig) -> str:
    """The password from password_file (its first line) or the environment variable password_env."""
    if config.password_file:
        try:
            lines = config.password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise InvalidInputError(_("[mail] password_file {file}: cannot be read ({error})").format(
                file=config.password_file, error=exc.strerror)) from exc
        if not lines or not lines[0].strip():
            raise InvalidInputError(_("[mail] password_file {file} is empty").format(file=config.password_file))
        return lines[0].strip()
    password = os.environ.get(config.password_env, "")
    if not password:
        raise InvalidInputError(_("[mail] the password is read from the environment variable {variable}, which is "
                                  "not set; set it (or name a password_file in [mail])").format(
            variable=config.password_env))
    return password


def mail_settings_line(round_cfg: RoundConfig) -> str:
    """What `checkin --mail` would use: for `validate`, before the first run asks any server."""
    config = round_cfg.mail
    if config.password_file:
        where = (_("the file {file}") if config.password_file.is_file() else
                 _("the file {file} (not there yet)")).format(file=config.password_file)
    else:
        where = (_("${variable} (set)") if os.environ.get(config.password_env) else
                 _("${variable} (not set)")).format(variable=config.password_env)
    answers = _("no answers to senders")
    if config.reply:
        host, port = config.smtp_server
        answers = _("answers from {address} through {server} ({tls})").format(
            address=config.reply_from or round_cfg.sender.email, server=f"{host}:{port}", tls=config.smtp_tls)
    after = ", ".join(filter(None, [_("marked read") if config.mark_seen else "",
                                    _("moved to {folder}").format(folder=config.move_to) if config.move_to else ""]))
    return _("Mail: {folder} of {user} at {server} ({tls}), password from {where}; messages taken are {after}; "
             "{answers}.").format(folder=config.folder, user=config.user, server=f"{config.host}:{config.imap_port}",
                                  tls=config.tls, where=where, after=after or _("left as they are"), answers=answers)


@contextmanager
def imap_session(config: MailConfig, password: str, *, readonly: bool) -> Iterator[tuple[object, int]]:
    """A logged-in IMAP session with the folder selected: (client, UIDVALIDITY)."""
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError

    where = f"{config.host}:{config.imap_port}"
    try:
        context = tls_context(config.ca_file) if config.tls != "none" else None
        client = IMAPClient(config.host, port=config.imap_port, ssl=config.tls == "ssl", ssl_context=context,
                            timeout=IMAP_TIMEOUT_SECONDS)
        if config.tls == "starttls":
            client.starttls(context)
    except (TimeoutError, OSError, ssl.SSLError, IMAPClientError) as exc:
        raise MailServerError(_("cannot reach the mail server {server} ({error}); nothing was taken").format(
            server=where, error=exc)) from exc
    try:
        try:
            client.login(config.user, password)
        except (IMAPClientError, OSError) as exc:
            raise MailServerError(_("the mail server {server} refused the login of {user} ({error}); nothing was "
                                    "taken").format(server=where, user=config.user, error=exc)) from exc
        try:
            selected = client.select_folder(config.folder, readonly=readonly)
        except (IMAPClientError, OSError) as exc:
            raise MailServerError(_("the mail server {server} has no folder '{folder}' for {user} ({error}); "
                                    "nothing was taken").format(server=where, folder=config.folder,
                                                                user=config.user, error=exc)) from exc
        yield client, int(selected[b"UIDVALIDITY"])
    except (IMAPClientError, OSError) as exc:
        raise MailServerError(_("the mail server {server} broke off the session ({error}); what was recorded "
                                "stays recorded, run again for the rest").format(server=where, error=exc)) from exc
    finally:
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the session is over either way
            pass


def _message_id(header: bytes) -> str | None:
    import email
    from email import policy

    value = email.message_from_bytes(header, policy=policy.compat32).get("Message-ID", "")
    value = " ".join(str(value).split()).strip().strip("<>").strip()
    return value or None


def check_in_mailbox(round_cfg: RoundConfig, out: Path, settings: checkin.Settings, *, progress=None,
                     on_result=None, workers: int | None = None,
                     on_total: Callable[[int], object] | None = None) -> MailboxRun:
    config = round_cfg.mail
    if not config.configured:
        raise InvalidInputError(_("{file}: no [mail] section: say which mailbox to read (host, user, folder; the "
                                  "password in an environment variable or a file)").format(file=round_cfg.source))
    password = mail_password(config)
    out = Path(out)
    with mail_lock(out, round_cfg.id), Ledger.existing(out) as ledger:
        require_documents(ledger, round_cfg, out)
        taker = Taker(out, round_cfg.id, ledger, settings)
        batch = Batch(taker, round_cfg, out, plan_reply=lambda taken: plan_reply(config, round_cfg, taken))
        batch.recover()
        run = MailboxRun(checkin.CheckinSummary([]), config.mailbox)
        with imap_session(config, password, readonly=True) as (client, uidvalidity):
            twins = _fetch_new(client, uidvalidity, config, taker, batch, run)
        run.summary = batch.check_in([], settings, progress=progress, on_result=on_result, workers=workers,
                                     on_total=on_total)
        for uid, message_id in twins:  # a second copy of a message taken in this run: known now
            row = ledger.message_with_id(message_id)
            if row is not None:
                _note_known(ledger, config, uidvalidity, uid, row["sha256"])
        taken_uids = [taken.origin["uid"] for taken in batch.taken if taken.origin.get("source") == "imap"
                      and taken.origin.get("uidvalidity") == uidvalidity]
        if taken_uids and (config.mark_seen or config.move_to):
            with imap_session(config, password, readonly=False) as (client, current):
                if current == uidvalidity:  # renumbered meanwhile: the UIDs no longer name our messages
                    _after_taking(client, config, taken_uids)
        if config.reply:
            try:
                run.replies = send_replies(ledger, round_cfg, out, config, password)
            except MailServerError as exc:
                run.reply_error = exc.message
    return run


def _fetch_new(client, uidvalidity: int, config: MailConfig, taker: Taker, batch: Batch,
               run: MailboxRun) -> list[tuple[int, str]]:
    """Take every new message into `batch`; returns (UID, Message-ID) of copies of a message taken in this run."""
    ledger = taker.ledger
    twins: list[tuple[int, str]] = []
    seen = ledger.mailbox_uids(config.mailbox, uidvalidity)
    new = sorted(uid for uid in client.search("ALL") if uid not in seen)
    ids_now: set[str] = set()
    for start in range(0, len(new), FETCH_CHUNK):
        chunk = new[start:start + FETCH_CHUNK]
        heads = client.fetch(chunk, ["RFC822.SIZE", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        for uid in chunk:
            head = heads.get(uid, {})
            message_id = _message_id(next((value for key, value in head.items()
                                           if key.startswith(b"BODY[HEADER")), b"") or b"")
            origin = {"source": "imap", "mailbox": config.mailbox, "uidvalidity": uidvalidity, "uid": uid}
            known = ledger.message_with_id(message_id) if message_id else None
            if known is not None or (message_id and message_id in ids_now):
                run.known += 1
                if known is not None:
                    _note_known(ledger, config, uidvalidity, uid, known["sha256"])
                else:
                    twins.append((uid, message_id))
                continue
            size = int(head.get(b"RFC822.SIZE", 0))
            if size > taker.max_message_bytes:
                data = client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]", b"")
                taken = taker.take_bytes(data, "eml", f"{config.mailbox} UID {uid}", f"{config.folder}/{uid}",
                                         origin)
                taken.unpacked.refused = deferred("the message is {size:.0f} MB, more than a mail may be ({limit:.0f} "
                                                  "MB): not downloaded (only its header is kept); it stays in the "
                                                  "mailbox", size=size / 1e6, limit=taker.max_message_bytes / 1e6)
                taken.staged.clear()
                batch.add(taken)
                run.new += 1
                continue
            data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]", b"")
            sha = hashlib.sha256(data).hexdigest()
            row = ledger.message(sha)
            if row is not None:
                run.known += 1
                _note_known(ledger, config, uidvalidity, uid, sha)
                continue
            if message_id:
                ids_now.add(message_id)
            batch.add(taker.take_bytes(data, kind_of(data) or "eml", f"{config.mailbox} UID {uid}",
                                       f"{config.folder}/{uid}", origin))
            run.new += 1
    return twins


def _note_known(ledger: Ledger, config: MailConfig, uidvalidity: int, uid: int, sha256: str) -> None:
    """A message we have, under a UID we had not seen (the folder was renumbered, or a copy): remembered, so
    the next run does not even look."""
    with ledger.transaction() as cursor:
        Ledger.add_mailbox_message(cursor, mailbox=config.mailbox, uidvalidity=uidvalidity, uid=uid,
                                   message_sha256=sha256)


def _after_taking(client, config: MailConfig, uids: list[int]) -> None:
    """What [mail] asks for once messages are recorded: flag them read, or move them to another folder."""
    if config.mark_seen:
        client.add_flags(uids, [b"\\Seen"], silent=True)
    if config.move_to:
        if not client.folder_exists(config.move_to):
            client.create_folder(config.move_to)
        if b"MOVE" in client.capabilities():
            client.move(uids, config.move_to)
        else:  # copy, then remove only these (never an EXPUNGE of what others flagged for deletion)
            client.copy(uids, config.move_to)
            client.delete_messages(uids, silent=True)
            if b"UIDPLUS" in client.capabilities():
                client.uid_expunge(uids)
