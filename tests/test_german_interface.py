"""German first (issue 15): help, errors, render, check-in and status read as German with no locale set and with
LANG=de_DE.UTF-8, as English with LANG=en_GB.UTF-8; and the German catalogue is complete, sound and up to date
with the code (what `make i18n` would extract)."""

from __future__ import annotations

import csv
import io
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from pipeline import i18n
from pipeline.cli import cli
from pipeline.ledger import Ledger

from . import scans
from .helpers import REPO

POT = REPO / "pipeline" / "locale" / "engagiert.pot"
PO = REPO / "pipeline" / "locale" / "de" / "LC_MESSAGES" / "engagiert.po"
ROUND_ID = "2024-05"
#: Words of the English interface that must not be left in its German output.
ENGLISH_WORDS = ("Usage", "Options", "Commands", "document", "municipalit", "Round", " round ", "verified", "rendered",
                 "unchanged", "superseded", "upload", "warning", "row ", "column", "outstanding", "Checked",
                 "Error", "default", "problem")


def read_catalogue(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="de")


@pytest.fixture(scope="session")
def compiled_catalogue(tmp_path_factory) -> Path:
    """The committed .po compiled as `make setup` compiles it, into a folder of the tests' own: the tests read
    the catalogue as committed, not whatever .mo an earlier build left in the package."""
    locale_dir = tmp_path_factory.mktemp("locale")
    target = locale_dir / "de" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / f"{i18n.DOMAIN}.mo").open("wb") as handle:
        write_mo(handle, read_catalogue(PO))
    return locale_dir


@pytest.fixture
def catalogue(compiled_catalogue, monkeypatch):
    monkeypatch.setattr(i18n, "LOCALE_DIR", compiled_catalogue)
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


@pytest.fixture(params=["no locale", "de_DE.UTF-8"])
def german(request, catalogue, monkeypatch):
    """German as a clerk's machine has it: nothing set (the default), or a German locale."""
    if request.param == "no locale":
        monkeypatch.delenv("LANG", raising=False)
    else:
        monkeypatch.setenv("LANG", request.param)
    assert i18n.language() == "de"


@pytest.fixture
def english(catalogue):
    assert i18n.language() == "en"  # LANG=en_GB.UTF-8, set for every test (conftest.py)


def engagiert(runner, *args: str):
    return runner.invoke(cli, list(args), prog_name="engagiert")


def in_round(runner, base: Path, command: str, *args: str):
    return engagiert(runner, command, "--out", str(base / "out"), "--round", str(base / "round.toml"), *args)


def assert_no_english(text: str) -> None:
    left = [word for word in ENGLISH_WORDS if word in text]
    assert not left, (left, text)


# --- help -------------------------------------------------------------------------------------------------

def test_help_is_german(runner, german):
    main = engagiert(runner, "--help")
    assert main.exit_code == 0, main.output
    assert main.output.startswith("Aufruf: engagiert [OPTIONEN] BEFEHL [ARGUMENTE]...\n")
    assert "engagiert: Unterschriftsrunden des Kommunen-Netzwerks „engagiert in NRW“." in main.output
    assert "Befehle:" in main.output and "-h, --help  Diese Hilfe anzeigen und beenden." in main.output
    assert "render     Je Kommune ein persönliches, zweiseitiges PDF erstellen." in main.output

    render = engagiert(runner, "render", "--help")
    assert render.exit_code == 0, render.output
    text = " ".join(render.output.split())  # click wraps the lines
    assert text.startswith("Aufruf: engagiert render [OPTIONEN] Je Kommune ein persönliches, zweiseitiges PDF "
                           "erstellen. Prüft zuerst (nichts wird geschrieben, wenn eine Zeile fehlerhaft ist).")
    assert "Beispiel: engagiert render --dry-run" in text
    assert "--out ORDNER Ausgabeordner: Dokumente, Ledger (Statusbuch), alles Erzeugte. [Standard: out]" in text
    assert "--workers ZAHL Prozesse zum Erstellen (Standard: einer je CPU-Kern). [1<=x<=64]" in text
    assert_no_english(main.output + render.output)


def test_help_is_english_when_the_locale_says_so(runner, english):
    main = engagiert(runner, "--help")
    assert main.output.startswith("Usage: engagiert [OPTIONS] COMMAND [ARGS]...\n")
    assert "-h, --help  Show this message and exit." in main.output
    assert "render     Render one personalised two-page PDF per municipality." in main.output
    text = " ".join(engagiert(runner, "render", "--help").output.split())
    assert "--out DIRECTORY Output folder: documents, ledger, everything generated. [default: out]" in text
    assert "--workers INTEGER RANGE Rendering processes (default: one per CPU core). [1<=x<=64]" in text


def test_click_errors_are_german(runner, german):
    typo = engagiert(runner, "statu")
    assert typo.exit_code == 2
    assert "Fehler: Unbekannter Befehl 'statu'. Meinten Sie 'status'?" in typo.output
    assert "Hilfe mit 'engagiert --help'." in typo.output
    wrong = engagiert(runner, "mark-sent", "--date", "31.02.2024")
    assert wrong.exit_code == 2
    assert ("Ungültiger Wert für '--date': „31.02.2024“ ist kein gültiges Datum (diesen Tag gibt es in dem Monat "
            "nicht)") in wrong.output


def test_a_file_error_is_german(runner, german, tmp_path, monkeypatch):
    def refused(path, prefill=True):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("pipeline.workbook_template.write_template", refused)
    result = engagiert(runner, "template", "--output", str(tmp_path / "vorlage.xlsx"))
    assert result.exit_code == 5
    assert result.output == f"Fehler: Zugriff verweigert: {tmp_path / 'vorlage.xlsx'}\n"


# --- validation -------------------------------------------------------------------------------------------

def broken_signatories(base: Path) -> Path:
    """The small round's file with a postcode mistyped in the first municipality's row (row 2)."""
    rows = list(csv.DictReader(io.StringIO((base / "signatories.csv").read_text(encoding="utf-8"))))
    rows[0]["plz"] = "3360x"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path = base / "fehlerhaft.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_a_validation_error_is_german(runner, german, fresh_round):
    result = in_round(runner, fresh_round, "validate", "--signatories", str(broken_signatories(fresh_round)))
    assert result.exit_code == 2
    assert result.output == ("Fehler: 1 Problem in der Unterzeichnerliste, nichts wurde geschrieben:\n"
                             "  - fehlerhaft.csv, Zeile 2, Spalte 'plz': „3360x“ ist keine deutsche Postleitzahl "
                             "(5 Ziffern)\n")


def test_a_validation_error_is_english_when_the_locale_says_so(runner, english, fresh_round):
    result = in_round(runner, fresh_round, "validate", "--signatories", str(broken_signatories(fresh_round)))
    assert result.output == ("Error: 1 problem(s) in the signatories file, nothing was written:\n"
                             "  - fehlerhaft.csv, row 2, column 'plz': '3360x' is not a German postcode (5 digits)\n")


def test_validate_reports_in_german(runner, german, fresh_round):
    result = in_round(runner, fresh_round, "validate", "--signatories", str(fresh_round / "signatories.csv"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()  # the warnings (stderr) first, then the report
    assert "  Warnung: signatories.csv, Zeile 6, Spalte 'nachname': keine Amtsinhaberin und kein Amtsinhaber " \
           "genannt: das Dokument erhält eine leere Namenszeile zum Ausfüllen von Hand" in lines
    assert (f"{fresh_round / 'signatories.csv'}: 5 Kommunen, keine Fehler (1 Warnung); Runde {ROUND_ID} aus "
            f"{fresh_round / 'round.toml'}.") in lines
    assert "  1 von 5 ohne Amtsinhaberin oder Amtsinhaber (Zeile 6): ihre Dokumente erhalten eine leere " \
           "Namenszeile zum Ausfüllen von Hand" in lines
    assert lines[-1].startswith(f"Eingang prüfen: Rücksendungen aus {fresh_round / 'inbox'}/ (noch nicht "
                                "vorhanden), 0 vertrauenswürdige Zertifikate; höchstens 150 MB, 300 Seiten")
    assert_no_english(result.output)


# --- render -----------------------------------------------------------------------------------------------

def rename_first_head(base: Path) -> None:
    """A correction on paper: the first municipality's head has another first name."""
    path = base / "signatories.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[0]["vorname"] = "Marie"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def render(runner, base: Path):
    return in_round(runner, base, "render", "--signatories", str(base / "signatories.csv"), "-q")


def test_render_reports_in_german(runner, german, fresh_round):
    documents = fresh_round / "out" / ROUND_ID / "documents"
    again = render(runner, fresh_round)
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-1] == (f"0 Dokumente erstellt, 5 unverändert, 0 ersetzt: 5 Dokumente für "
                                             f"Runde {ROUND_ID} in {documents}/")
    rename_first_head(fresh_round)
    changed = render(runner, fresh_round)
    assert changed.exit_code == 0, changed.output
    assert changed.output.splitlines()[-1] == (f"1 Dokument erstellt, 4 unverändert, 1 ersetzt: 5 Dokumente für "
                                               f"Runde {ROUND_ID} in {documents}/")


def test_render_reports_in_english_when_the_locale_says_so(runner, english, fresh_round):
    again = render(runner, fresh_round)
    assert again.output.splitlines()[-1].startswith("Rendered 0 document(s), 5 unchanged, 0 superseded: 5 documents "
                                                    "for round")


# --- check-in ---------------------------------------------------------------------------------------------

def current_documents(base: Path) -> list:
    with Ledger.open(base / "out") as ledger:
        return sorted(ledger.latest_documents(ROUND_ID).values(), key=lambda record: record.ags)


def checkin(runner, base: Path, *args: str):
    return in_round(runner, base, "checkin", "-q", *args)


@pytest.fixture
def one_signed_scan(fresh_round: Path):
    """A signed scan of the first document (by AGS) lying in the inbox; returns that document."""
    record = current_documents(fresh_round)[0]
    inbox = fresh_round / "inbox"
    inbox.mkdir()
    pages = scans.signed_scan(fresh_round / "out" / record.path, record.geometry, dpi=150)
    scans.to_pdf(pages, inbox / "scan.pdf", dpi=150)
    return record


def test_a_check_in_reports_in_german(runner, german, fresh_round, one_signed_scan):
    record = one_signed_scan
    result = checkin(runner, fresh_round)
    assert result.exit_code == 0, result.output
    designation = record.signatory["bezeichnung"]
    assert f"  {designation} ({record.doc_id}), Seite(n) 1, 2: UNTERSCHRIEBEN" in result.output
    assert result.output.splitlines()[-1] == ("1 Rücksendung geprüft: 1 mit unseren Dokumenten, 0 nicht zugeordnet, "
                                              "0 abgewiesen, 0 bereits bekannt. Dokumente: 1 unterschrieben.")
    nothing = checkin(runner, fresh_round)
    assert nothing.output == ("0 Rücksendungen geprüft: 0 mit unseren Dokumenten, 0 nicht zugeordnet, 0 abgewiesen, "
                              "0 bereits bekannt. Dokumente: keine.\n")


def test_a_check_in_reports_in_english_when_the_locale_says_so(runner, english, fresh_round, one_signed_scan):
    result = checkin(runner, fresh_round)
    assert f"({one_signed_scan.doc_id}), page(s) 1, 2: VERIFIED" in result.output
    assert result.output.splitlines()[-1] == ("Checked in 1 upload(s): 1 with our documents, 0 unmatched, "
                                              "0 refused, 0 already known. Documents: 1 verified.")


def test_a_decision_by_hand_is_reported_in_german(runner, german, fresh_round):
    record = current_documents(fresh_round)[1]
    refused = checkin(runner, fresh_round, "--accept", record.doc_id, "--reason", "Original per Post")
    assert refused.exit_code == 2
    assert refused.output.startswith(f"Fehler: {record.doc_id}: von diesem Dokument ist nie eine Seite "
                                     "eingegangen.")
    accepted = checkin(runner, fresh_round, "--accept", record.doc_id, "--reason", "Original per Post",
                       "--without-copy")
    assert accepted.exit_code == 0, accepted.output
    assert accepted.output == (f"{record.signatory['bezeichnung']} ({record.doc_id}): von Hand auf UNTERSCHRIEBEN "
                               "gesetzt: von Hand angenommen, keine Kopie vorhanden: Original per Post\n")


# --- status -----------------------------------------------------------------------------------------------

def test_status_is_german(runner, german, fresh_round, monkeypatch):
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-10T09:00:00+00:00")
    result = in_round(runner, fresh_round, "status", "--outstanding")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Runde 2024-05: 5 Dokumente, 0 unterschrieben (0 %), 5 ausstehend (Stand 10.06.2024)"
    assert lines[2].split() == ["Status", "Dokumente"]
    assert lines[4].split() == ["erstellt", "5"] and lines[9].split() == ["zu", "prüfen", "0"]
    assert "Gezählt: die aktuelle Fassung jeder Kommune. Ältere, durch eine neuere ersetzte Fassungen (ersetzt, " \
           "nicht gezählt): 0" in lines
    assert "In den letzten 7 Tagen zurückgekommen: 0 (0 unterschrieben)" in lines
    assert ["Regierungsbezirk", "Dokumente", "unterschrieben", "ausstehend", "erledigt"] in [line.split()
                                                                                            for line in lines]
    assert "Ausstehend: 5 von 5" in lines
    assert re.search(r"^AGS\s+Kommune\s+Status\s+verschickt\s+Tage\s+letzte Erinnerung\s+E-Mail\s+Ansprechpartner$",
                     result.output, re.MULTILINE)
    assert_no_english(result.output)


def test_status_is_english_when_the_locale_says_so(runner, english, fresh_round, monkeypatch):
    monkeypatch.setenv("ENGAGIERT_NOW", "2024-06-10T09:00:00+00:00")
    lines = in_round(runner, fresh_round, "status").output.splitlines()
    assert lines[0] == "Round 2024-05: 5 documents, 0 verified (0 %), 5 outstanding (as of 2024-06-10)"
    assert lines[2].split() == ["state", "documents"] and lines[4].split() == ["rendered", "5"]


# --- the catalogue ----------------------------------------------------------------------------------------

def _fields(text: str) -> set[str]:
    """The {placeholders} of a text as written ("{mb:g}", "{value!r}"), and any %(name)s."""
    fields = {f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
              for _, name, spec, conversion in string.Formatter().parse(text) if name is not None}
    return fields | set(re.findall(r"%\(\w+\)s", text))


def test_every_message_has_a_sound_german_translation():
    template, german = read_catalogue(POT), read_catalogue(PO)
    problems = []
    for message in template:
        if not message.id:
            continue
        translated = german.get(message.id)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = translated.string if translated and isinstance(translated.string, tuple) else (
            (translated.string,) if translated else ())
        if translated is None or len(strings) != len(ids) or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        if translated.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for source, text in zip(ids, strings, strict=True):
            if _fields(source) != _fields(text):
                problems.append(f"placeholders differ: {source!r} -> {text!r}")
    assert not problems, "\n".join(problems)
    assert len(template) > 300  # every text of the interface, not a handful


def test_the_committed_catalogue_is_what_make_i18n_extracts(tmp_path):
    """`make i18n` run now would change nothing: the .pot and the .po hold exactly the texts in the code."""
    extracted = tmp_path / "engagiert.pot"
    subprocess.run([Path(sys.executable).with_name("pybabel"), "extract", "-F", "babel.cfg", "-o", extracted,
                    "--no-location", "--sort-output", "--project", "engagiert", "pipeline"], cwd=REPO, check=True,
                   capture_output=True, env={"PYTHONPATH": str(REPO / "scripts"), "PATH": "/usr/bin:/bin"})

    def ids(path: Path) -> set:
        return {message.id for message in read_catalogue(path) if message.id}

    in_code = ids(extracted)
    assert ids(POT) == in_code, (sorted(map(str, in_code - ids(POT))), sorted(map(str, ids(POT) - in_code)))
    assert ids(PO) == in_code, (sorted(map(str, in_code - ids(PO))), sorted(map(str, ids(PO) - in_code)))
