"""`engagiert remind`: who is reminded, the German text, the attached PDF, the ledger events, the
minimum interval, --dry-run, and real delivery to an SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import json
import socket
from email import policy
from pathlib import Path

import pytest

from pipeline.cli import cli
from pipeline.ledger import DocumentRecord, Ledger

from .test_status import AACHEN, ALFTER, BIELEFELD, BORKEN, ROUND_ID, SHS, prepare_mixed_round


@pytest.fixture
def mixed_round(fresh_round: Path, monkeypatch) -> Path:
    return prepare_mixed_round(fresh_round, monkeypatch)

NOW = "2024-06-14T09:00:00+00:00"  # 25 days after dispatch on 20 May; default remind_after_days is 21
NO_MAIL, REFUSED = "05382990", "05382991"
SENDER = "engagiert@stk.nrw.example"


def add_municipality(out: Path, ags: str, *, email: str, bezeichnung: str, state: str = "sent") -> None:
    """One more document (a copy of Alfter's, its PDF included) sent on 20 May."""
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        template = ledger.latest_documents(ROUND_ID)[ALFTER]
        doc_id = template.doc_id.replace(ALFTER, ags)
        signatory = {**template.signatory, "ags": ags, "email": email, "bezeichnung": bezeichnung,
                     "name": bezeichnung, "anrede": "", "vorname": "", "nachname": ""}
        Ledger.add_document(cursor, DocumentRecord(**{**template.__dict__, "doc_id": doc_id, "ags": ags,
                                                      "signatory": signatory}))
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="rendered", ags=ags, doc_id=doc_id, state="rendered")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="sent", ags=ags, doc_id=doc_id, state=state,
                         details={"date": "2024-05-20"}, at="2024-05-20T00:00:00+00:00")


@pytest.fixture
def overdue_round(mixed_round: Path, monkeypatch) -> Path:
    monkeypatch.setenv("ENGAGIERT_NOW", NOW)
    add_municipality(mixed_round / "out", NO_MAIL, email="", bezeichnung="Gemeinde Ohnepost")
    return mixed_round


def remind(runner, base: Path, *args: str):
    return runner.invoke(cli, ["remind", "--out", str(base / "out"), "--round", str(base / "round.toml"), *args])


def reminder_events(out: Path, kind: str = "reminder") -> list[dict]:
    with Ledger.open(out) as ledger:
        return [{**dict(row), "details": json.loads(row["details"])} for row in ledger.events(ROUND_ID)
                if row["kind"] == kind]


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=policy.default)


def body(message) -> str:
    """The plain text as a reader sees it (on the wire its lines end in CRLF)."""
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def pdf_of(out: Path, ags: str) -> bytes:
    with Ledger.open(out) as ledger:
        return (out / ledger.latest_documents(ROUND_ID)[ags].path).read_bytes()


def test_eml_reminders_texts_attachments_and_ledger(runner, overdue_round):
    out = overdue_round / "out"
    result = remind(runner, overdue_round)
    assert result.exit_code == 1, result.output  # one municipality has no e-mail address
    assert "Prepared reminders to 3 municipalities" in result.output
    assert "send them, then run `engagiert remind --record-sent`" in result.output
    assert f"{NO_MAIL}  Gemeinde Ohnepost: no e-mail address in the signatories file" in result.output
    assert f"{AACHEN}     StädteRegion Aachen: needs review" in result.output

    files = sorted((out / ROUND_ID / "reminders").glob("*.eml"))
    assert [f.name for f in files] == [f"{ALFTER}_Alfter_2024-06-14.eml", f"{BORKEN}_Borken_2024-06-14.eml",
                                       f"{SHS}_Schloss-Holte-Stukenbrock_2024-06-14.eml"]
    messages = {file.name.split("_")[0]: parse(file.read_bytes()) for file in files}
    for ags, message in messages.items():
        assert message["From"].addresses[0].addr_spec == SENDER
        assert message["To"].addresses[0].addr_spec == "post@example.org"
        assert message["X-Engagiert-Document"].startswith(f"ENG-2024-05-{ags}-V1-")
        assert message["X-Unsent"] == "1"  # Outlook opens it as a draft to send, not as a received mail
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1 and attachments[0].get_content_type() == "application/pdf"
        assert attachments[0].get_content() == pdf_of(out, ags)  # the document itself, byte for byte
        assert attachments[0].get_filename().startswith(ags)
        assert "  " not in message["Subject"] and "\n" not in message["Subject"]

    alfter = body(messages[ALFTER])
    assert alfter.startswith("Sehr geehrter Herr Bürgermeister Muster,\n")
    flowing = " ".join(alfter.split())  # the text is wrapped at 76 characters
    assert "nur Seite 1 erhalten; es fehlt noch Seite 2." in flowing
    assert "bis zum 30. Juni 2024" in flowing and "am 20. Mai 2024" in flowing
    assert messages[ALFTER]["Subject"] == "Erinnerung: Kommunen-Netzwerk: engagiert in NRW – Gemeinde Alfter"

    borken = body(messages[BORKEN])
    assert borken.startswith("Sehr geehrte Frau Landrätin Beispiel,\n")
    assert "Der Grund:\n  page 2 is not signed\n" in borken and "am 03.06.2024" in " ".join(borken.split())
    assert "Was zu tun ist:" in borken
    assert messages[BORKEN]["Subject"].startswith("Bitte erneut unterschreiben:")

    shs = body(messages[SHS])
    assert shs.startswith("Sehr geehrte Damen und Herren,\n")
    assert "Ein unterschriebenes Exemplar ist bei uns bisher nicht eingegangen." in " ".join(shs.split())
    assert max(len(line) for line in shs.splitlines()) <= 80

    assert reminder_events(out) == []  # nothing went out yet: drafts are not reminders
    status = json.loads(runner.invoke(cli, ["status", "--format", "json", "--out", str(out), "--round",
                                            str(overdue_round / "round.toml")]).output)
    assert not any(d["last_reminder"] for d in status["documents"])
    recorded = remind(runner, overdue_round, "--record-sent", "--date", "14.06.2024")
    assert recorded.exit_code == 0 and "Recorded 3 reminders as sent on 14.06.2024" in recorded.output
    assert "No reminder drafts are waiting" in remind(runner, overdue_round, "--record-sent").output  # once only
    events = reminder_events(out)
    assert len(reminder_events(out, "reminder_prepared")) == 3
    assert {event["ags"]: event["details"]["file"] for event in events} == \
        {ags: f"{ROUND_ID}/reminders/{name}" for ags, name in zip((ALFTER, BORKEN, SHS), (f.name for f in files),
                                                                   strict=True)}
    assert {event["details"]["channel"] for event in events} == {"eml"}
    assert all(event["state"] is None and event["details"]["to"] == "post@example.org" for event in events)

    # status shows the reminder; its figures agree with the .eml files
    status = json.loads(runner.invoke(cli, ["status", "--format", "json", "--out", str(out), "--round",
                                            str(overdue_round / "round.toml")]).output)
    reminded = {d["ags"] for d in status["documents"] if d["last_reminder"]}
    assert reminded == set(messages)
    assert {d["state"] for d in status["documents"] if d["ags"] in reminded} == {"sent", "incomplete", "rejected"}


def test_nobody_is_reminded_twice_within_the_interval(runner, overdue_round, monkeypatch):
    out = overdue_round / "out"
    assert remind(runner, overdue_round).exit_code == 1
    waiting = remind(runner, overdue_round)  # drafts not yet recorded as sent: no second draft meanwhile
    assert "Reminded 0 municipalities" in waiting.output
    assert f"{BORKEN}     Kreis Borken: a draft of 14.06.2024 is waiting" in waiting.output
    assert remind(runner, overdue_round, "--record-sent").exit_code == 0
    again = remind(runner, overdue_round)
    assert "Reminded 0 municipalities" in again.output
    assert f"{BORKEN}     Kreis Borken: reminded on 14.06.2024 (within 7 days)" in again.output
    assert len(reminder_events(out)) == 3 and len(list((out / ROUND_ID / "reminders").iterdir())) == 3

    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-20T09:00:00+00:00")  # six days later: still too soon
    assert "Reminded 0" in remind(runner, overdue_round).output
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-21T09:00:00+00:00")  # seven days later: due again
    assert "Prepared reminders to 3" in remind(runner, overdue_round).output
    assert remind(runner, overdue_round, "--record-sent").exit_code == 0
    assert len(reminder_events(out)) == 6
    assert "Reminded 0" in remind(runner, overdue_round, "--min-interval", "0", "--after", "40").output
    assert "Prepared reminders to 3" in remind(runner, overdue_round, "--min-interval", "0").output
    names = sorted(path.name for path in (out / ROUND_ID / "reminders").iterdir())
    assert f"{SHS}_Schloss-Holte-Stukenbrock_2024-06-21_2.eml" in names and len(names) == 9


def test_dry_run_lists_and_writes_nothing(runner, overdue_round):
    out = overdue_round / "out"
    before = (out / "ledger.sqlite").stat().st_size, len(reminder_events(out))
    result = remind(runner, overdue_round, "--dry-run")
    assert result.exit_code == 1
    assert "Would remind 3 municipalities" in result.output
    listed = [line.split()[0] for line in result.output.splitlines()[1:4]]
    assert listed == [ALFTER, BORKEN, SHS]
    assert f"{BORKEN}     Kreis Borken (rejected: page 2 is not signed), sent 20.05.2024, 25 days" in result.output
    assert not (out / ROUND_ID / "reminders").exists()
    assert len(reminder_events(out)) == before[1] == 0
    assert "Would remind 0" in remind(runner, overdue_round, "--dry-run", "--after", "25").output  # not *more*


class Inbox:
    """An aiosmtpd handler that keeps what it received and refuses one address."""

    def __init__(self):
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refuse"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, f"127.0.0.1:{controller.port}"
    finally:
        controller.stop()


def test_smtp_delivers_records_each_accepted_message_and_reports_refusals(runner, overdue_round, smtp_server):
    inbox, address = smtp_server
    out = overdue_round / "out"
    add_municipality(out, REFUSED, email="refuse@example.org", bezeichnung="Gemeinde\nBcc: x@evil.example")
    result = remind(runner, overdue_round, "--smtp", address)
    assert result.exit_code == 1, result.output
    assert "Reminded 3 municipalities" in result.output and "Sent 3 messages" in result.output
    assert "refused by the mail server: 550 5.1.1 mailbox unavailable" in result.output

    assert len(inbox.received) == 3
    messages = [parse(data) for _, data in inbox.received]
    assert {m["X-Engagiert-Document"].split("-")[3] for m in messages} == {ALFTER, BORKEN, SHS}
    for (recipients, _), message in zip(inbox.received, messages, strict=True):
        assert recipients == ["post@example.org"]
        ags = message["X-Engagiert-Document"].split("-")[3]
        assert next(message.iter_attachments()).get_content() == pdf_of(out, ags)
    events = reminder_events(out)
    assert {event["ags"] for event in events} == {ALFTER, BORKEN, SHS}  # not the refused one
    assert {event["details"]["message_id"] for event in events} == {m["Message-ID"].strip() for m in messages}
    assert {event["details"]["channel"] for event in events} == {"smtp"}
    assert not (out / ROUND_ID / "reminders").exists()  # nothing written to disk when sending


def test_header_injection_is_impossible(overdue_round):
    """A line break in a name (from a spreadsheet) cannot add a header such as Bcc."""
    import datetime as dt

    from pipeline.round import load_round
    from pipeline.track.remind import build_message
    from pipeline.track.status import collect_status

    out = overdue_round / "out"
    add_municipality(out, REFUSED, email="x@example.org", bezeichnung="Gemeinde\r\nBcc: spy@evil.example")
    document = next(d for d in collect_status(out, ROUND_ID).documents if d.ags == REFUSED)
    message = build_message(document, load_round(overdue_round / "round.toml"), out,
                            dt.datetime(2024, 6, 14, tzinfo=dt.UTC))
    parsed = parse(message.as_bytes())
    assert parsed["Bcc"] is None
    assert parsed["Subject"].endswith("Gemeinde Bcc: spy@evil.example")


def test_unreachable_server_and_missing_pdf_are_clear_errors(runner, overdue_round):
    out = overdue_round / "out"
    result = remind(runner, overdue_round, "--smtp", f"127.0.0.1:{free_port()}")  # connection refused
    assert result.exit_code == 6 and "cannot reach the mail server 127.0.0.1" in result.output  # mail, not file
    assert "Traceback" not in result.output
    assert reminder_events(out) == []
    assert remind(runner, overdue_round, "--smtp", "nohost").exit_code == 2
    with Ledger.open(out) as ledger:
        pdf = out / ledger.latest_documents(ROUND_ID)[SHS].path
    pdf.unlink()
    result = remind(runner, overdue_round)
    assert result.exit_code == 5 and str(pdf) in result.output and "nothing was sent" in result.output
    assert reminder_events(out) == [] and not (out / ROUND_ID / "reminders").exists()


def test_a_session_the_mail_server_refuses_is_a_mail_error_and_sends_nothing(runner, overdue_round, smtp_server,
                                                                             monkeypatch):
    """A login the server does not offer (this one has no AUTH): the session fails before any message."""
    inbox, address = smtp_server
    monkeypatch.setenv("ENGAGIERT_SMTP_USER", "clerk")
    result = remind(runner, overdue_round, "--smtp", address)
    assert result.exit_code == 6, result.output
    assert f"mail server {address} refused the session" in result.output and "nothing was sent" in result.output
    assert inbox.received == [] and reminder_events(overdue_round / "out") == []


def test_verified_and_unsent_documents_are_never_reminded(runner, overdue_round):
    result = remind(runner, overdue_round, "--dry-run", "--after", "0")
    assert BIELEFELD not in result.output  # verified
    add_municipality(overdue_round / "out", "05382992", email="a@example.org", bezeichnung="Gemeinde Neu",
                     state="sent")
    with Ledger.open(overdue_round / "out") as ledger, ledger.transaction() as cursor:
        # a corrected version, rendered but not yet posted: nothing to remind about
        record = ledger.latest_documents(ROUND_ID)["05382992"]
        new_id = record.doc_id.replace("-V1-", "-V2-")
        Ledger.add_document(cursor, DocumentRecord(**{**record.__dict__, "doc_id": new_id, "version": 2}))
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="rendered", ags="05382992", doc_id=new_id,
                         state="rendered")
    assert "05382992" not in remind(runner, overdue_round, "--dry-run").output


def test_letters_and_reminders_use_articles_as_german_needs(runner, overdue_round):
    out = overdue_round / "out"
    assert remind(runner, overdue_round).exit_code == 1
    texts = {file.name.split("_")[0]: " ".join(body(parse(file.read_bytes())).split())
             for file in (out / ROUND_ID / "reminders").glob("*.eml")}
    assert "für die Gemeinde Alfter zur Unterzeichnung" in texts[ALFTER]
    assert "für den Kreis Borken." in texts[BORKEN]
    assert "für Gemeinde" not in " ".join(texts.values()) and "für Kreis" not in " ".join(texts.values())
    assert all("per Post an die Staatskanzlei des Landes Nordrhein-Westfalen" in text for text in texts.values())


def test_a_round_may_word_its_reminders_itself(runner, overdue_round):
    folder = overdue_round / "vorlagen"
    folder.mkdir()
    from pipeline.templating import TEMPLATES_DIR

    shipped = (TEMPLATES_DIR / "reminder.txt.j2").read_text(encoding="utf-8")
    (folder / "reminder.txt.j2").write_text(shipped.replace("{{ salutation }}", "{{ salutation }}\n\nUNSER EIGENER "
                                                            "TEXT."), encoding="utf-8")
    toml = overdue_round / "round.toml"
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[letter]", '[letter]\ntemplates = "vorlagen"') if "[letter]" in text
                    else text + '\n[letter]\ntemplates = "vorlagen"\n', encoding="utf-8")
    assert remind(runner, overdue_round).exit_code == 1
    out = overdue_round / "out"
    bodies = {file.name.split("_")[0]: body(parse(file.read_bytes()))
              for file in (out / ROUND_ID / "reminders").glob("*.eml")}
    assert "UNSER EIGENER TEXT." in bodies[ALFTER]            # the round's own reminder text
    assert "UNSER EIGENER TEXT." not in bodies[BORKEN]        # the rejected one is still the shipped text

    (folder / "reminder_typo.txt.j2").write_text("x", encoding="utf-8")
    refused = remind(runner, overdue_round, "--dry-run")
    assert refused.exit_code == 2 and "reminder_typo.txt.j2, which replace nothing" in refused.output
