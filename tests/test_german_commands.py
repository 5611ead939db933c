"""German first, for the commands a clerk runs after rendering (issue 15): check-in of mails and refused files,
remind, history, links, user and their errors read as German with no locale set and with LANG=de_DE.UTF-8;
what is stored (the ledger's reasons) stays English, as the web app's and the mail answers' rules read it."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path

import pytest

from pipeline.cli import cli

from . import mailfiles, scans
from .mailservers import dovecot, smtp_inbox  # noqa: F401 - fixtures
from .test_german_interface import (  # noqa: F401 - fixtures: the committed catalogue, a German locale
    assert_no_english,
    catalogue,
    compiled_catalogue,
    current_documents,
    german,
    in_round,
)
from .web.conftest import add_portal

pytestmark = pytest.mark.usefixtures("german")  # each test twice: no locale set, and LANG=de_DE.UTF-8

#: Words of the English texts of these commands that must not be left in their German output.
ENGLISH_WORDS = ("remind", "municipalit", "sent ", "draft", "days", "Not ", "refused", "left out", "picture", "file",
                 "link", "clerk", "password", "needs", "signature", "page", "reason", "details", "when", "kind")


def german_text(text: str) -> None:
    """No English word outside what a German text quotes: commands (in backticks), paths, addresses, names."""
    spoken = re.sub(r"`[^`]*`|\S*[/@=]\S*|\S+\.(eml|pdf|html|png)\b", "", text)
    left = [word for word in ENGLISH_WORDS if word in spoken]
    assert not left, (left, spoken)
    assert_no_english(spoken)


@pytest.fixture
def returned_round(fresh_round: Path, runner, monkeypatch) -> Path:
    """The small round sent on 20.05.2024; on 03.06.2024 an unsigned scan of the first document came back, a
    web page, and a mail with a signed scan of the second document and a logo."""
    documents = current_documents(fresh_round)
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-05-20T08:00:00+00:00")
    assert in_round(runner, fresh_round, "mark-sent", "--date", "20.05.2024").exit_code == 0
    inbox = fresh_round / "inbox"
    inbox.mkdir()
    unsigned, signed = documents[0], documents[1]
    pages = scans.signed_scan(fresh_round / "out" / unsigned.path, unsigned.geometry, dpi=150, signed=False)
    scans.to_pdf(pages, inbox / "Scan ohne Unterschrift.pdf", dpi=150)
    (inbox / "webseite.html").write_text("<!DOCTYPE html><html><body>Upload</body></html>", encoding="utf-8")
    scan = scans.to_pdf(scans.signed_scan(fresh_round / "out" / signed.path, signed.geometry, dpi=150),
                        fresh_round / "scan.pdf", dpi=150)
    logo = io.BytesIO()
    scans.blank_page(20).resize((120, 40)).save(logo, format="PNG")
    (inbox / "Rücksendung.eml").write_bytes(mailfiles.eml([("Scan.pdf", scan.read_bytes(), "application/pdf"),
                                                           ("logo.png", logo.getvalue(), "image/png")]))
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-03T10:00:00+00:00")
    return fresh_round


def test_a_check_in_of_mails_and_refused_files_reads_as_german(runner, returned_round):
    result = in_round(runner, returned_round, "checkin", "-q")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert ("Rücksendung.eml: E-MAIL von Maria Schmitz <post@bielefeld.example>, 'Unterschriebene Erklärung': "
            "1 Datei zu prüfen, 1 ausgelassen") in lines
    assert ("  logo.png: ausgelassen: ein kleines Bild (120 × 40 Pixel: ein Logo oder eine E-Mail-Signatur, keine "
            "Seite)") in lines
    assert "webseite.html: ABGEWIESEN: kein Scan: die Datei ist eine Webseite oder XML-Datei" in lines
    assert any(line.endswith(": ABGELEHNT: Das Unterschriftsfeld auf Seite 2 ist leer: das Exemplar wurde nicht "
                             "unterschrieben.") for line in lines), lines
    german_text(result.output)
    # What is stored stays English: the web app's and the mail answers' rules read it.
    with sqlite3.connect(returned_round / "out" / "ledger.sqlite") as ledger:
        reasons = {name: reason for name, reason in ledger.execute("SELECT original_name, reason FROM uploads")}
    assert reasons["webseite.html"] == "not a scan: the file is a web page or XML file"


def test_remind_and_history_read_as_german(runner, returned_round, monkeypatch):
    assert in_round(runner, returned_round, "checkin", "-q").exit_code == 1
    first = current_documents(returned_round)[0]
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-12T09:00:00+00:00")
    dry = in_round(runner, returned_round, "remind", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0] == ("Würde 4 Kommunen der Runde 2024-05 erinnern (vor mehr als 21 Tagen verschickt, nicht "
                        "unterschrieben zurück; in den letzten 7 Tagen nicht erinnert):")
    assert (f"  {first.ags:<8}  {first.signatory['bezeichnung']} (abgelehnt: Das Unterschriftsfeld auf Seite 2 ist "
            f"leer: das Exemplar wurde nicht unterschrieben.), verschickt 20.05.2024, 23 Tage -> post@example.org"
            ) in lines
    drafts = in_round(runner, returned_round, "remind")
    assert drafts.output.splitlines()[-1].startswith("4 Entwürfe nach ")
    recorded = in_round(runner, returned_round, "remind", "--record-sent")
    assert recorded.output.startswith("4 Erinnerungen als am 12.06.2024 verschickt vermerkt: ")
    again = in_round(runner, returned_round, "remind", "--dry-run").output.splitlines()
    assert again[1] == "Nicht erinnert:" and again[2].endswith(": am 12.06.2024 erinnert (innerhalb von 7 Tagen)")
    for output in (dry.output, drafts.output, again[0]):
        german_text(output)

    history = in_round(runner, returned_round, "history", first.ags)
    assert history.exit_code == 0, history.output
    lines = history.output.splitlines()
    assert lines[2].split() == ["Zeitpunkt", "Art", "Status", "Version", "Wer"]
    assert max(map(len, lines)) <= 100
    text = " ".join(history.output.split())
    assert "Grund: Das Unterschriftsfeld auf Seite 2 ist leer: das Exemplar wurde nicht unterschrieben." in text
    assert "12.06.2024, 11:00 Uhr Erinnerungsentwurf" in text
    german_text(re.sub(r"Einzelheiten: .*?(?=\n\S|$)", "", history.output, flags=re.S))  # details: the ledger's keys


def add_clerk(runner, base: Path, password: str, *name: str):
    return runner.invoke(cli, ["user", "--out", str(base / "out"), "--round", str(base / "round.toml"), "add",
                               *name], input=password, prog_name="engagiert")


def test_links_user_and_their_errors_read_as_german(runner, fresh_round):
    missing = in_round(runner, fresh_round, "links")
    assert missing.exit_code == 2
    assert missing.output.startswith(f"Fehler: {fresh_round / 'round.toml'}: Links brauchen [portal] public_url")
    add_portal(fresh_round)
    first = current_documents(fresh_round)[0].ags
    assert in_round(runner, fresh_round, "links").exit_code == 0
    revoked = in_round(runner, fresh_round, "links", "--revoke", first)
    assert revoked.output == f"Link von {first} gesperrt\n"
    assert in_round(runner, fresh_round, "links", "--revoke", first).output == f"{first} hatte keinen gültigen Link\n"
    reissued = in_round(runner, fresh_round, "links", "--reissue", first, "--format", "json")
    assert reissued.output.startswith(f"Neue(r) Link(s) für {first} ausgegeben; die alten antworten jetzt mit 404.")
    unknown = in_round(runner, fresh_round, "links", "--revoke", "05999999")
    assert unknown.output == "Fehler: AGS „05999999“: kein Dokument der Runde 2024-05 hat diesen Schlüssel\n"
    workbook = in_round(runner, fresh_round, "links", "--format", "xlsx")
    assert workbook.output == ("Fehler: --format xlsx braucht --output DATEI.xlsx (eine Arbeitsmappe ist kein Text "
                               "für das Terminal)\n")
    written = in_round(runner, fresh_round, "links", "--format", "xlsx", "--output", str(fresh_round / "links.xlsx"))
    assert written.output == f"Links nach {fresh_round / 'links.xlsx'} geschrieben\n"

    nobody = in_round(runner, fresh_round, "user", "list")
    assert nobody.exit_code == 0 and nobody.stdout == ""  # a script reading the list reads an empty one
    assert nobody.stderr == "Noch keine Konten: engagiert user add NAME legt eines an.\n"
    assert add_clerk(runner, fresh_round, "geheim-geheim-1\n").output == (
        "Fehler: user add braucht einen NAMEN, z. B. engagiert user add erika\n")
    assert add_clerk(runner, fresh_round, "kurz\n", "erika").output == (
        "Fehler: das Kennwort braucht mindestens 10 Zeichen\n")
    assert add_clerk(runner, fresh_round, "geheim-geheim-1\n", "erika").output == (
        "Sachbearbeitung erika angelegt.\n")
    assert add_clerk(runner, fresh_round, "geheim-geheim-2\n", "erika").output == (
        "Kennwort von erika geändert.\n")
    assert in_round(runner, fresh_round, "user", "list").stdout == "erika\n"


def test_a_mailbox_without_settings_and_a_broken_map_file_are_german_errors(runner, fresh_round):
    mail = in_round(runner, fresh_round, "checkin", "--mail")
    assert mail.exit_code == 2
    assert mail.output == (f"Fehler: {fresh_round / 'round.toml'}: kein Abschnitt [mail]: bitte angeben, welches "
                           "Postfach gelesen wird (host, user, folder; das Kennwort in einer Umgebungsvariablen oder "
                           "einer Datei)\n")
    both = in_round(runner, fresh_round, "checkin", "--mail", "--inbox", str(fresh_round))
    assert both.output.startswith("Fehler: --mail liest das Postfach aus [mail] in round.toml")
    broken = in_round(runner, fresh_round, "report", "--geojson", str(fresh_round / "round.toml"))
    assert broken.exit_code == 2
    assert broken.output.startswith(f"Fehler: {fresh_round / 'round.toml'}: keine GeoJSON-FeatureCollection mit "
                                    "„ags“-Eigenschaften")


def test_validate_names_the_mail_settings_in_german(runner, tmp_path, monkeypatch):
    from .test_mail_settings import GOOD
    from .test_round_file import round_with, validate

    monkeypatch.delenv("ENGAGIERT_MAIL_PASSWORD", raising=False)
    round_file = round_with(tmp_path, GOOD + 'folder = "Rücksendungen"\nreply = true\nmove_to = "Erledigt"')
    result = validate(runner, tmp_path, round_file)
    assert result.exit_code == 0, result.output
    assert ("E-Mail: Rücksendungen von engagiert@stk.nrw.example auf imap.stk.nrw.example:993 (ssl), Kennwort aus "
            "$ENGAGIERT_MAIL_PASSWORD (nicht gesetzt); übernommene Nachrichten werden nach Erledigt verschoben; "
            "Antworten von engagiert@stk.nrw.example über imap.stk.nrw.example:587 (starttls).") in result.output
    secret = tmp_path / "kennwort.txt"
    round_file = round_with(tmp_path, GOOD + f'password_file = "{secret}"')
    result = validate(runner, tmp_path, round_file)
    assert (f"Kennwort aus der Datei {secret} (noch nicht vorhanden); übernommene Nachrichten werden nicht "
            "verändert; keine Antworten an die Absender.") in result.output
    german_text(result.output)


def test_history_says_in_german_who_sent_a_copy_by_mail(runner, returned_round, monkeypatch):
    assert in_round(runner, returned_round, "checkin", "-q").exit_code == 1
    second = current_documents(returned_round)[1]
    history = in_round(runner, returned_round, "history", second.ags)
    assert history.exit_code == 0, history.output
    text = " ".join(history.output.split())
    assert ("Grund: kam per E-Mail von post@bielefeld.example: nicht die bekannte Adresse post@example.org der "
            "Kommune; trotzdem geprüft") in text
    assert "reason_source" not in text  # the English text's source is for the program, not the table
    german_text(re.sub(r"Einzelheiten: .*?(?=\n\S|$)", "", history.output, flags=re.S))
    # Stored in English, and shown in English where the locale asks for it.
    with sqlite3.connect(returned_round / "out" / "ledger.sqlite") as ledger:
        stored = ledger.execute("SELECT reason FROM events WHERE kind = 'mail' AND ags = ?", (second.ags,)).fetchone()
    english = ("came by e-mail from post@bielefeld.example: not the municipality's known address post@example.org; "
               "checked in all the same")
    assert stored == (english,)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert english in " ".join(in_round(runner, returned_round, "history", second.ags).output.split())


def nested_mail(depth: int) -> bytes:
    """A saved mail attached to a mail, `depth` times over, a PDF in the innermost."""
    data = mailfiles.eml([("scan.pdf", b"%PDF-1.4\n%%EOF", mailfiles.PDF)], message_id="<innen@x.example>")
    for level in range(depth):
        data = mailfiles.eml([(f"Fwd{level}.eml", data, "application/octet-stream")],
                             message_id=f"<{level}@x.example>")
    return data


def test_mail_bombs_nesting_and_files_that_break_a_library_are_refused_in_german(runner, fresh_round, monkeypatch):
    import pypdfium2 as pdfium

    from pipeline.checkin import intake

    inbox = fresh_round / "inbox"
    inbox.mkdir()
    (inbox / "bombe.eml").write_bytes(mailfiles.eml([(f"teil{n}.pdf", b"%PDF-1.4", mailfiles.PDF)
                                                     for n in range(1000)], message_id="<bombe@x.example>"))
    (inbox / "verschachtelt.eml").write_bytes(nested_mail(6))
    (inbox / "zip-bombe.zip").write_bytes(mailfiles.zip_of([("null.pdf", bytes(20_000_000))]))
    (inbox / "viele.zip").write_bytes(mailfiles.zip_of([(f"{n}.pdf", b"%PDF-1.4") for n in range(201)]))
    documents = current_documents(fresh_round)
    scans.to_pdf(scans.signed_scan(fresh_round / "out" / documents[0].path, documents[0].geometry, dpi=100),
                 inbox / "scan.pdf", dpi=100)

    def broken_decoder(*args, **kwargs):
        raise pdfium.PdfiumError("Failed to load page.")

    monkeypatch.setattr(intake, "layers_of", broken_decoder)  # the workers are forked: they see it too
    result = in_round(runner, fresh_round, "checkin", "-q", "--inbox", str(inbox))
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert ("bombe.eml: ABGEWIESEN: mehr als 200 MIME-Teile (eine Mail-Bombe?): nicht entpackt (von "
            "post@bielefeld.example)") in lines
    assert "  Fwd5.eml › Fwd4.eml › Fwd3.eml › Fwd2.eml › Fwd1.eml: abgewiesen: E-Mails und Archive mehr als 5-fach " \
           "ineinander verschachtelt: nicht entpackt" in lines
    assert "  null.pdf: abgewiesen: beim Packen auf 1/" in "\n".join(lines)
    assert "viele.zip: ABGEWIESEN: ein ZIP-Archiv mit 201 Dateien, mehr als die Grenze von 200 (eine ZIP-Bombe?): " \
           "nicht entpackt" in lines
    assert "scan.pdf: ABGEWIESEN: die Datei lässt sich nicht lesen (PdfiumError: Failed to load page.)" in lines
    german_text(result.output.replace("(PdfiumError: Failed to load page.)", ""))  # the library's own words
    with sqlite3.connect(fresh_round / "out" / "ledger.sqlite") as ledger:
        reasons = dict(ledger.execute("SELECT original_name, reason FROM uploads"))
    assert reasons["scan.pdf"] == "the file cannot be read (PdfiumError: Failed to load page.)"


def test_answers_to_senders_and_their_failures_read_as_german(runner, fresh_round, dovecot, smtp_inbox,  # noqa: F811
                                                              monkeypatch):
    from .test_mail_mailbox import PASSWORD_ENV, check_in_mail, configure
    from .test_remind import free_port

    user, password = dovecot.add_user()
    monkeypatch.setenv(PASSWORD_ENV, password)
    record = current_documents(fresh_round)[1]
    scan = scans.to_pdf(scans.signed_scan(fresh_round / "out" / record.path, record.geometry, dpi=150),
                        fresh_round / "scan.pdf", dpi=150)
    dovecot.deliver(user, password, [mailfiles.eml([("scan.pdf", scan.read_bytes(), mailfiles.PDF)],
                                                   sender="refuse@alfter.example")], folder="Eingang")
    closed = free_port()
    configure(fresh_round, user, dovecot.port, closed)  # nobody listens on the SMTP port yet
    waiting = check_in_mail(runner, fresh_round)
    assert waiting.exit_code == 6, waiting.output
    error = waiting.output.splitlines()[-1]
    assert error.startswith(f"Fehler: Mailserver 127.0.0.1:{closed} nicht erreichbar (") and error.endswith(
        "); keine Antwort wurde verschickt; die Antworten gehen beim nächsten Lauf hinaus"), error
    text = (fresh_round / "round.toml").read_text().replace(f"smtp_port = {closed}", f"smtp_port = {smtp_inbox[1]}")
    (fresh_round / "round.toml").write_text(text)
    refused = check_in_mail(runner, fresh_round)
    assert ("Antwort an refuse@alfter.example nicht verschickt: der Server hat refuse@alfter.example abgelehnt: 550 "
            "5.1.1 mailbox unavailable") in refused.output.splitlines(), refused.output
    history = " ".join(in_round(runner, fresh_round, "history", record.ags).output.split())
    assert ("Grund: Antwort an refuse@alfter.example nicht verschickt: der Server hat refuse@alfter.example "
            "abgelehnt: 550 5.1.1 mailbox unavailable") in history
    assert "Grund: kam per E-Mail von refuse@alfter.example: nicht die bekannte Adresse post@example.org" in history
    german_text(refused.output.replace("mailbox unavailable", ""))
    with sqlite3.connect(fresh_round / "out" / "ledger.sqlite") as ledger:
        stored = ledger.execute("SELECT state, reason FROM replies").fetchone()
    assert stored == ("not_sent", "the server refused refuse@alfter.example: 550 5.1.1 mailbox unavailable")


def test_the_error_paths_of_round_file_arguments_and_ledger_are_german(runner, fresh_round, tmp_path):
    from .test_round_file import round_with, validate

    broken = tmp_path / "kaputt.toml"
    broken.write_text("[round]\ntitel = Wahl\n", encoding="utf-8")
    assert in_round(runner, fresh_round, "status").exit_code == 0
    result = engagiert_in(runner, "status", "--out", str(fresh_round / "out"), "--round", str(broken))
    assert result.exit_code == 2
    assert result.output == f"Fehler: {broken}: kein gültiges TOML in Zeile 2, Spalte 9 (Invalid value)\n"
    broken.write_text("titel = [\n", encoding="utf-8")
    end = engagiert_in(runner, "status", "--out", str(fresh_round / "out"), "--round", str(broken))
    assert end.output == f"Fehler: {broken}: kein gültiges TOML am Ende der Datei (Invalid value)\n"
    mail = validate(runner, tmp_path, round_with(tmp_path, '[mail]\nhost = "x.example"\nuser = "u"\nport = "993"'))
    assert mail.output == f"Fehler: {tmp_path / 'round.toml'}: [mail] port muss eine Zahl sein, nicht '993'\n"
    portal = validate(runner, tmp_path, round_with(tmp_path, '[portal]\npublic_url = "engagiert.nrw"'))
    assert portal.output == (f"Fehler: {tmp_path / 'round.toml'}: [portal] public_url muss eine http(s)-Adresse wie "
                             "\"https://engagiert.nrw.example\" sein, nicht 'engagiert.nrw'\n")
    backup = engagiert_in(runner, "backup", "--out", str(fresh_round / "out"))
    assert backup.exit_code == 2 and backup.output.splitlines()[0] == "Aufruf: engagiert backup [OPTIONEN] ZIEL"
    assert backup.output.splitlines()[-1] == "Fehler: Fehlendes Argument 'ZIEL'."
    user = engagiert_in(runner, "user", "--out", str(fresh_round / "out"))
    assert "Fehler: Fehlendes Argument '{add|list}'. Zur Auswahl:" in user.output
    with sqlite3.connect(fresh_round / "out" / "ledger.sqlite") as ledger:
        ledger.execute("PRAGMA user_version = 99")
    newer = in_round(runner, fresh_round, "status")
    assert newer.exit_code == 4
    assert newer.output == (f"Fehler: {fresh_round / 'out' / 'ledger.sqlite'}: von einem neueren engagiert "
                            "geschrieben (Schema 99); bitte zuerst aktualisieren\n")
    for output in (result.output, mail.output, portal.output, backup.output, newer.output):
        german_text(output)


def engagiert_in(runner, *args: str):
    return runner.invoke(cli, list(args), prog_name="engagiert")


def test_a_file_the_account_may_not_read_is_refused_in_german(runner, fresh_round, monkeypatch):
    from pipeline.checkin import archive

    inbox = fresh_round / "inbox"
    inbox.mkdir()
    (inbox / "gesperrt.pdf").write_bytes(b"%PDF-1.7 whatever")

    def claim(path):  # as root, file modes do not stop us: a share's refusal, simulated
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(archive, "claim", claim)
    result = in_round(runner, fresh_round, "checkin", "-q", "--inbox", str(inbox))
    lines = result.output.splitlines()
    assert ("gesperrt.pdf: ABGEWIESEN: lässt sich nicht lesen (Zugriff verweigert); die Datei bleibt im "
            "Eingangsordner: bitte diesem Benutzerkonto Leserechte geben und erneut prüfen") in lines
    german_text(result.output)


def test_pages_that_match_nothing_are_explained_in_german(runner, fresh_round):
    inbox = fresh_round / "inbox"
    inbox.mkdir()
    blank = scans.blank_page(150)
    blank.save(inbox / "leer.png")
    stranger = scans.blank_page(150).copy()
    from PIL import ImageDraw

    draw = ImageDraw.Draw(stranger)
    for row in range(12):  # lines of someone else's text: not blank, no code of ours
        draw.text((120, 200 + 60 * row), f"Rechnung Nr. 4711, Position {row}: nicht unser Dokument", fill=0,
                  font_size=36)
    scans.to_pdf([blank, stranger], inbox / "fremd.pdf", dpi=150)
    result = in_round(runner, fresh_round, "checkin", "-q")
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert "leer.png: NICHT ZUGEORDNET: nur leere Seiten" in lines, lines
    assert ("fremd.pdf: NICHT ZUGEORDNET: keine Seite von uns gefunden: Seite 2: kein Dokumentcode auf der Seite "
            "gefunden") in lines, lines
    german_text(result.output)
    [note] = (fresh_round / "out" / "unmatched").glob("*-page002.txt")
    assert "Grund: kein Dokumentcode auf der Seite gefunden" in note.read_text(encoding="utf-8")
    with sqlite3.connect(fresh_round / "out" / "ledger.sqlite") as ledger:  # stored in English, as the rules read it
        reasons = {name: reason for name, reason in ledger.execute("SELECT original_name, reason FROM uploads")}
    assert reasons["leer.png"] == "only blank pages"
    assert reasons["fremd.pdf"] == "no page of ours found: page 2: no document code found on the page"
