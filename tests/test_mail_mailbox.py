"""`engagiert checkin --mail` against real servers: Dovecot (IMAP) and aiosmtpd (SMTP) on loopback ports.

Mails with signed scans, photos, ZIPs, Outlook files and the bad cases of issue 17 are delivered; the mailbox
check-in runs twice, and the ledger is compared with what was sent: every attachment once, nothing lost,
no answer twice, none to automatic mails, lists or the office itself. A folder renumbered by the server
(a new UIDVALIDITY) takes nothing twice.
"""

from __future__ import annotations

import email
import io
import os
from email import policy
from pathlib import Path

import pytest

from pipeline.cli import cli
from pipeline.ledger import Ledger

from . import mailfiles, scans
from .mailservers import dovecot, smtp_inbox  # noqa: F401 - fixtures
from .test_checkin import ROUND, documents, states
from .test_mail_inbox import ledger_rows, photo_jpeg, scan_pdf

OFFICE = "engagiert@stk.nrw.example"
PASSWORD_ENV = "ENGAGIERT_TEST_MAIL_PASSWORD"


def configure(base: Path, user: str, imap_port: int, smtp_port: int | None, *, folder="Eingang", extra="") -> None:
    section = (f'\n[mail]\nhost = "127.0.0.1"\nport = {imap_port}\ntls = "none"\nuser = "{user}"\n'
               f'folder = "{folder}"\npassword_env = "{PASSWORD_ENV}"\n')
    if smtp_port:
        section += f'reply = true\nsmtp_port = {smtp_port}\nsmtp_tls = "none"\nsmtp_user = ""\n'
    with open(base / "round.toml", "a", encoding="utf-8") as handle:
        handle.write(section + extra)


def check_in_mail(runner, base: Path, *args: str):
    return runner.invoke(cli, ["checkin", "--mail", "--out", str(base / "out"), "--round", str(base / "round.toml"),
                               "-q", *args])


def replies_sent(smtp) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(data, policy=policy.default) for _, data in smtp[0].received]


def body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.fixture
def mailbox(fresh_round, dovecot, monkeypatch):  # noqa: F811 - the fixture
    user, password = dovecot.add_user()
    monkeypatch.setenv(PASSWORD_ENV, password)
    return fresh_round, user, password


def corpus(base: Path) -> tuple[list[bytes], dict]:
    """The mails a municipality (or a machine) sends, and what each must come to."""
    aachen, alfter, borken, bielefeld, shs = documents(base)  # by AGS
    known = "post@example.org"  # every municipality's address in the small round
    pdf = mailfiles.PDF
    forwarded = email.message_from_bytes(mailfiles.eml([("weitergeleitet.pdf", scan_pdf(base, shs), pdf)],
                                                       message_id="<innen@x.example>"), policy=policy.default)
    mails = [
        mailfiles.eml([("Scan Bielefeld.pdf", scan_pdf(base, bielefeld), pdf)], sender=f"Rathaus <{known}>",
                      message_id="<1@bielefeld.example>"),
        mailfiles.eml([("IMG_0001.jpg", photo_jpeg(base, alfter, 1), "image/jpeg"),
                       ("IMG_0002.jpg", photo_jpeg(base, alfter, 2), "image/jpeg")],
                      sender="Jan Muster <jan.muster@gmail.example>", message_id="<2@gmail.example>"),
        mailfiles.eml([("Scans.zip", mailfiles.zip_of([("Borken.pdf", scan_pdf(base, borken, signed=False))]),
                        "application/zip")], sender=known, message_id="<3@borken.example>"),
        mailfiles.smime_signed(("signiert.pdf", scan_pdf(base, aachen), pdf), sender=known,
                               message_id="<4@aachen.example>"),
        mailfiles.eml([("Fwd.eml", forwarded, "message/rfc822")], sender=known, message_id="<5@shs.example>"),
        mailfiles.eml([("Outlook.msg", mailfiles.msg([("leer.pdf", b"%PDF-1.4\n%%EOF", pdf)]),
                        "application/vnd.ms-outlook"), ("winmail.dat", mailfiles.tnef([("notiz.txt", b"Hallo")]),
                                                       "application/ms-tnef")],
                      sender=known, message_id="<6@x.example>"),
        mailfiles.eml(sender=known, message_id="<7@x.example>", subject="Unterschrift folgt per Post"),
        mailfiles.eml(body=None, html="<p>Siehe <img src='cid:x'></p>", sender=known, message_id="<8@x.example>"),
        mailfiles.eml([("riesig.pdf", b"%PDF-1.4\n" + os.urandom(3_200_000), pdf)], sender=known,
                      message_id="<9@x.example>"),
        mailfiles.eml([("geheim.zip", mailfiles.zip_of([("a.pdf", b"%PDF-1.4")], password_flag=frozenset({"a.pdf"})),
                        "application/zip")], sender=known, message_id="<10@x.example>"),
        b"From: kaputt@x.example\r\nMessage-ID: <11@x.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/"
        b"mixed; boundary=\"nie\"\r\n\r\n--falsch\r\nContent-Type: application/pdf\r\n\r\nJVBERi0x\r\n",
        mailfiles.eml([(f"teil{n}.bin", b"x", "application/octet-stream") for n in range(1000)], sender=known,
                      message_id="<12@x.example>"),
        mailfiles.eml([("scan.pdf", scan_pdf(base, bielefeld, dpi=120), pdf)], sender=known,
                      subject="Automatische Antwort: Ihre Nachricht", message_id="<13@x.example>",
                      headers={"Auto-Submitted": "auto-replied"}),
        mailfiles.eml(sender=known, message_id="<14@x.example>", headers={"List-Id": "<rundbrief.x.example>"}),
        mailfiles.eml(sender=f"Staatskanzlei <{OFFICE}>", message_id="<15@stk.example>"),
    ]
    mails.append(mails[0])  # the same message delivered twice (another UID): taken once
    expected = {"uploads": 10, "messages": 15, "replies": 12}
    return mails, expected


def test_the_mailbox_is_read_twice_and_every_attachment_is_taken_once(runner, mailbox, dovecot, smtp_inbox):  # noqa: F811
    base, user, password = mailbox
    mails, expected = corpus(base)
    dovecot.deliver(user, password, mails, folder="Eingang")
    configure(base, user, dovecot.port, smtp_inbox[1])

    first = check_in_mail(runner, base, "--max-mb", "2")
    assert first.exception is None or isinstance(first.exception, SystemExit), first.exception
    assert first.exit_code == 1, first.output  # rejected and refused ones need a person
    assert "Mailbox clerk" in first.output and "16 new messages" not in first.output
    assert "15 new messages, 1 taken before (by UID or Message-ID) and left alone." in first.output
    for text in ("Eingang/9 › riesig.pdf: REFUSED: the file is 3 MB, more than the limit of 2 MB",
                 "Eingang/10: REFUSED: no attachment could be checked in", "a.pdf: refused: protected by a password",
                 "Eingang/11: REFUSED: a broken MIME structure", "Eingang/12: REFUSED: more than 200 MIME parts",
                 "Eingang/8: REFUSED: no attachment: the mail has only HTML text",
                 "Eingang/4 › signiert.pdf:", "Eingang/5 › weitergeleitet.pdf:", "smime.p7s: left out"):
        assert text in first.output, (text, first.output)
    by_ags = {record.ags: record for record in documents(base)}
    final = {doc_id: state for doc_id, (state, _) in states(base).items()}
    assert sorted(final.values()) == ["rejected", "verified", "verified", "verified", "verified"], final
    assert final[by_ags["05554"].doc_id] == "rejected"  # Kreis Borken: the unsigned scan in the ZIP

    uploads, messages = ledger_rows(base, "uploads"), ledger_rows(base, "messages")
    assert len(uploads) == expected["uploads"] and len({row["sha256"] for row in uploads}) == len(uploads)
    assert len(messages) == expected["messages"]
    assert {row["message_id"] for row in messages} == {f"{n}@{domain}" for n, domain in (
        (1, "bielefeld.example"), (2, "gmail.example"), (3, "borken.example"), (4, "aachen.example"),
        (5, "shs.example"), (6, "x.example"), (7, "x.example"), (8, "x.example"), (9, "x.example"),
        (10, "x.example"), (11, "x.example"), (12, "x.example"), (13, "x.example"), (14, "x.example"),
        (15, "stk.example"))}
    assert all((base / "out" / row["stored_path"]).is_file() for row in messages)  # every raw mail kept
    linked = {part["upload_sha256"] for part in ledger_rows(base, "message_parts") if part["upload_sha256"]}
    assert linked == {row["sha256"] for row in uploads}  # every upload belongs to its message
    with Ledger.open(base / "out") as ledger:
        assert len(ledger.mailbox_uids(f"{user}@127.0.0.1/Eingang", _uidvalidity(dovecot, user, password))) == 16

    replies = replies_sent(smtp_inbox)
    assert len(replies) == expected["replies"]
    recipients = [message["To"] for message in replies]
    assert OFFICE not in " ".join(recipients) and len(set(
        message["In-Reply-To"] for message in replies)) == expected["replies"]
    not_answered = {row["message_sha256"]: row["reason"] for row in ledger_rows(base, "replies")
                    if row["state"] == "not_sent"}
    assert sorted(reason.split(":")[0] for reason in not_answered.values()) == [
        "no answer to an automatic mail or a list", "no answer to an automatic mail or a list",
        "sent from the office's own address"]
    to_bielefeld = next(message for message in replies if message["In-Reply-To"] == "<1@bielefeld.example>")
    assert to_bielefeld["Auto-Submitted"] == "auto-replied" and to_bielefeld["Subject"].startswith("Re: ")
    assert "Stadt Bielefeld (Dok.-Nr." in body(to_bielefeld) and "angenommen" in body(to_bielefeld), body(to_bielefeld)
    to_borken = next(message for message in replies if message["In-Reply-To"] == "<3@borken.example>")
    assert "abgelehnt: Das Unterschriftsfeld auf Seite 2 ist leer" in body(to_borken)
    assert "Bitte senden Sie uns das Dokument erneut" in body(to_borken)
    to_empty = next(message for message in replies if message["In-Reply-To"] == "<7@x.example>")
    assert "keinen Anhang, den wir prüfen können" in body(to_empty)
    to_secret = next(message for message in replies if message["In-Reply-To"] == "<10@x.example>")
    assert "Anhang „a.pdf“:" in body(to_secret) and "Kennwort" in body(to_secret)

    second = check_in_mail(runner, base, "--max-mb", "2")
    assert "Mailbox clerk" in second.output and "0 new messages" in second.output, second.output
    assert ledger_rows(base, "uploads") == uploads and len(ledger_rows(base, "messages")) == len(messages)
    assert len(smtp_inbox[0].received) == expected["replies"]  # no answer twice

    # The server renumbers the folder (restored from a backup): new UIDVALIDITY, new UIDs, the same mails.
    client = dovecot.client(user, password)
    client.select_folder("INBOX")
    client.delete_folder("Eingang")
    client.logout()
    dovecot.deliver(user, password, mails, folder="Eingang")
    third = check_in_mail(runner, base, "--max-mb", "2")
    assert "0 new messages, 16 taken before" in third.output, third.output
    assert ledger_rows(base, "uploads") == uploads and len(ledger_rows(base, "messages")) == len(messages)
    assert len(smtp_inbox[0].received) == expected["replies"]
    client = dovecot.client(user, password)
    assert client.select_folder("Eingang", readonly=True)[b"EXISTS"] == 16  # nothing moved, nothing deleted
    assert all(b"\\Seen" not in flags for flags in client.get_flags(client.search("ALL")).values())
    client.logout()
    assert runner.invoke(cli, ["check", "--out", str(base / "out")]).exit_code == 0


def _uidvalidity(dovecot, user, password) -> int:  # noqa: F811
    client = dovecot.client(user, password)
    try:
        return int(client.select_folder("Eingang", readonly=True)[b"UIDVALIDITY"])
    finally:
        client.logout()


def test_marked_read_and_moved_only_when_configured(runner, mailbox, dovecot):  # noqa: F811
    base, user, password = mailbox
    record = documents(base)[0]
    dovecot.deliver(user, password, [mailfiles.eml([("scan.pdf", scan_pdf(base, record), mailfiles.PDF)]),
                                     mailfiles.eml(message_id="<leer@x.example>")], folder="Eingang")
    configure(base, user, dovecot.port, None, extra='mark_seen = true\nmove_to = "Erledigt"\n')
    result = check_in_mail(runner, base)
    assert "2 new messages" in result.output, result.output
    client = dovecot.client(user, password)
    assert client.select_folder("Eingang")[b"EXISTS"] == 0
    assert client.select_folder("Erledigt")[b"EXISTS"] == 2
    assert all(b"\\Seen" in flags for flags in client.get_flags(client.search("ALL")).values())
    client.logout()
    assert len(ledger_rows(base, "replies")) == 0  # answers are off unless configured


def test_server_problems_are_mail_errors_and_answers_wait_for_a_server(runner, mailbox, dovecot, smtp_inbox,  # noqa: F811
                                                                      monkeypatch):
    base, user, password = mailbox
    record = documents(base)[1]
    dovecot.deliver(user, password, [mailfiles.eml([("scan.pdf", scan_pdf(base, record), mailfiles.PDF)])],
                    folder="Eingang")
    from .test_remind import free_port

    closed = free_port()
    configure(base, user, dovecot.port, closed)  # nobody listens on the SMTP port yet
    monkeypatch.setenv(PASSWORD_ENV, "falsch")
    wrong = check_in_mail(runner, base)
    assert wrong.exit_code == 6 and f"refused the login of {user}" in wrong.output, wrong.output
    monkeypatch.delenv(PASSWORD_ENV)
    unset = check_in_mail(runner, base)
    assert unset.exit_code == 2 and PASSWORD_ENV in unset.output
    monkeypatch.setenv(PASSWORD_ENV, password)
    no_smtp = check_in_mail(runner, base)
    assert no_smtp.exit_code == 6, no_smtp.output
    assert "Eingang/1 › scan.pdf:" in no_smtp.output and "VERIFIED" in no_smtp.output  # the check-in stands
    assert "cannot reach the mail server 127.0.0.1" in no_smtp.output and "the answers are sent on the next run" \
        in no_smtp.output
    assert [row["state"] for row in ledger_rows(base, "replies")] == ["pending"]
    text = (base / "round.toml").read_text().replace(f"smtp_port = {closed}", f"smtp_port = {smtp_inbox[1]}")
    (base / "round.toml").write_text(text)
    later = check_in_mail(runner, base)
    assert later.exit_code == 0, later.output
    assert "Answered post@bielefeld.example." in later.output
    assert len(smtp_inbox[0].received) == 1 and [row["state"] for row in ledger_rows(base, "replies")] == ["sent"]
    check_in_mail(runner, base)
    assert len(smtp_inbox[0].received) == 1
    assert io  # noqa - keeps the import list honest for photo helpers
    assert scans and ROUND
