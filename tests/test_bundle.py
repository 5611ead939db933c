"""`engagiert bundle` and `engagiert mark-sent`: print bundles read back page by page, manifests, the
cover letter's DIN 5008 geometry from text coordinates, salutations, re-runs, dispatch in the ledger."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import sqlite3
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from pipeline import german
from pipeline.cli import cli
from pipeline.dispatch.letters import LetterRenderer, letter_context
from pipeline.errors import InvalidInputError
from pipeline.round import load_round
from pipeline.signatories import Signatory

from .conftest import small_round_rows
from .helpers import fast_page_texts, write_csv

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT = 841.89
SALUTATIONS = {
    "05711000": "Sehr geehrte Frau Oberbürgermeisterin Dr. Schmitz,",
    "05382004": "Sehr geehrter Herr Bürgermeister Muster,",
    "05554": "Sehr geehrte Frau Landrätin Beispiel,",
    "05334": "Sehr geehrter Herr Städteregionsrat Prof. Dr. Exempel,",
    "05754036": "Sehr geehrte Damen und Herren,",
}


def run(runner: CliRunner, base: Path, *args: str, env: dict | None = None):
    return runner.invoke(cli, [*args, "--out", str(base / "out"), "--round", str(base / "round.toml")], env=env)


def print_dir(base: Path) -> Path:
    return base / "out" / "2024-05" / "print"


def read_manifest(path: Path) -> list[dict]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "German Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def page_kinds(texts: list[str]) -> list[str]:
    """'letter', 'doc:<ags>:<page>' or 'blank' for each page, as a person leafing through would see it."""
    kinds = []
    for text in texts:
        match = re.search(r"ENG-2024-05-(\d+)-V\d+-\w+, Seite (\d)/2", text)
        if match:
            kinds.append(f"doc:{match[1]}:{match[2]}")
        elif "Sehr geehrte" in text:
            kinds.append("letter")
        else:
            assert not text.strip(), text
            kinds.append("blank")
    return kinds


@pytest.fixture(scope="module")
def bundled(rendered_round: Path, tmp_path_factory) -> Path:
    """The small round bundled once with the defaults (by Regierungsbezirk, PLZ order, 2 copies, duplex)."""
    base = tmp_path_factory.mktemp("bundled")
    shutil.copytree(rendered_round, base, dirs_exist_ok=True)
    result = run(CliRunner(), base, "bundle")
    assert result.exit_code == 0, result.output
    (base / "stdout.txt").write_text(result.output, encoding="utf-8")
    return base


def test_default_bundles_pages_add_up_with_manifests(bundled: Path):
    files = sorted(path.name for path in print_dir(bundled).iterdir())
    assert files == ["Detmold.csv", "Detmold.pdf", "Koeln.csv", "Koeln.pdf", "Muenster.csv", "Muenster.pdf"]
    seen = []
    for pdf in sorted(print_dir(bundled).glob("*.pdf")):
        rows = read_manifest(pdf.with_suffix(".csv"))
        assert list(rows[0]) == ["position", "ags", "bezeichnung", "empfaenger", "plz", "ort", "first_page",
                                 "last_page", "pages", "sheets", "copies"]
        kinds = page_kinds(fast_page_texts(pdf))
        assert len(PdfReader(pdf).pages) == len(kinds) == sum(int(row["pages"]) for row in rows)
        expected_first = 1
        for position, row in enumerate(rows, start=1):
            first, last = int(row["first_page"]), int(row["last_page"])
            assert (int(row["position"]), first) == (position, expected_first)
            assert int(row["pages"]) == last - first + 1 and int(row["sheets"]) * 2 == int(row["pages"])
            # letter (1 page + blank back), then two copies of the two-page document
            ags = row["ags"]
            assert kinds[first - 1:last] == ["letter", "blank"] + [f"doc:{ags}:1", f"doc:{ags}:2"] * 2
            assert row["copies"] == "2"
            expected_first = last + 1
            seen.append(ags)
        # duplex: every letter and every copy starts on an odd page, i.e. a front side
        for number, kind in enumerate(kinds, start=1):
            if kind == "letter" or kind.endswith(":1"):
                assert number % 2 == 1, (pdf.name, number, kind)
    assert sorted(seen) == sorted(SALUTATIONS)
    output = (bundled / "stdout.txt").read_text(encoding="utf-8")
    assert "Detmold.pdf: 12 pages, 6 sheets, 2 municipalities" in output
    assert "Muenster.pdf: 6 pages, 3 sheets, 1 municipality" in output
    assert "For the print room" in output and "duplex" in output


def test_bundle_order_is_postal_presort_and_groups_by_regierungsbezirk(bundled: Path):
    detmold = read_manifest(print_dir(bundled) / "Detmold.csv")
    assert [row["bezeichnung"] for row in detmold] == ["Stadt Bielefeld", "Stadt Schloß Holte-Stukenbrock"]
    assert [row["plz"] for row in detmold] == sorted(row["plz"] for row in detmold)
    assert {row["ags"] for row in read_manifest(print_dir(bundled) / "Koeln.csv")} == {"05382004", "05334"}
    assert detmold[0]["empfaenger"] == "Frau Oberbürgermeisterin Dr. Maria Schmitz"
    assert detmold[1]["empfaenger"] == "Bürgermeisterin / Bürgermeister"  # vacant: the office, both forms


def test_cover_letter_salutations_and_recipient_block(bundled: Path):
    letters = {}
    for pdf in print_dir(bundled).glob("*.pdf"):
        texts = fast_page_texts(pdf)
        for row in read_manifest(pdf.with_suffix(".csv")):
            letters[row["ags"]] = texts[int(row["first_page"]) - 1].replace("\r\n", "\n")
    for ags, salutation in SALUTATIONS.items():
        assert salutation in letters[ags], ags
    bielefeld = letters["05711000"]
    assert "Frau Oberbürgermeisterin\nDr. Maria Schmitz\nStadt Bielefeld\nRathausplatz 1\n33602 Bielefeld" in bielefeld
    assert "Herrn Städteregionsrat\nProf. Dr. Tim Exempel\nStädteRegion Aachen" in letters["05334"]
    for text in letters.values():
        assert "bis zum 30. Juni 2024" in text  # deadline from round.toml in German form
        assert "https://engagiert.nrw.example/upload" in text
        assert "beide Originale" in text and "Düsseldorf, 15. Mai 2024" in text


def occurrences_mm(page, needle: str) -> list[list[tuple[float, float, float, float]]]:
    """Per occurrence of `needle` on the page, the (left, top, right, bottom) of each of its characters
    in mm from the sheet's top left corner."""
    textpage = page.get_textpage()
    searcher = textpage.search(needle, match_case=True)
    found = []
    while match := searcher.get_next():
        index, count = match
        boxes = []
        for i in range(index, index + count):
            left, bottom, right, top = textpage.get_charbox(i)
            if right - left > 0:  # spaces have no box
                boxes.append((left / MM, (A4_HEIGHT - top) / MM, right / MM, (A4_HEIGHT - bottom) / MM))
        found.append(boxes)
    assert found, needle
    return found


def char_boxes_mm(page, needle: str) -> list[tuple[float, float, float, float]]:
    """The character boxes of the first occurrence of `needle` (see occurrences_mm)."""
    return occurrences_mm(page, needle)[0]


def test_recipient_address_lies_in_the_window(bundled: Path):
    document = pdfium.PdfDocument(str(print_dir(bundled) / "Koeln.pdf"))
    try:
        rows = read_manifest(print_dir(bundled) / "Koeln.csv")
        for row in rows:
            page = document[int(row["first_page"]) - 1]
            person = {"05382004": ["Herrn Bürgermeister", "Jan Muster"],
                      "05334": ["Herrn Städteregionsrat", "Prof. Dr. Tim Exempel"]}[row["ags"]]
            address = [*person, row["bezeichnung"], "Rathausplatz 1", f"{row['plz']} {row['ort']}"]
            for line in address:
                for left, top, right, bottom in char_boxes_mm(page, line):
                    # DIN 5008 form B: address field 20 mm from the left, 45 mm from the top, 85 x 45 mm;
                    # the recipient in its lower zone (from 45 + 17.7 mm), text from 25 mm.
                    assert 25 - 1 <= left and right <= 20 + 85 + 1, (line, left, right)
                    assert 45 + 17.7 - 1 <= top and bottom <= 45 + 45 + 1, (line, top, bottom)
            # the return line (the sender's street also appears in the text, lower down)
            assert any(all(20 - 1 <= left and right <= 105 + 1 and 45 - 1 <= top and bottom <= 45 + 17.7 + 1
                           for left, top, right, bottom in boxes)
                       for boxes in occurrences_mm(page, "Horionplatz 1"))
            # fold marks at 105 and 210 mm, the hole mark at 148.5 mm, on the left edge
            marks = sorted((A4_HEIGHT - (bottom + top) / 2) / MM
                           for left, bottom, right, top in (obj.get_bounds() for obj in page.get_objects()
                                                            if obj.type == pdfium_raw.FPDF_PAGEOBJ_PATH)
                           if left < 1 and right < 10 * MM)
            assert marks == pytest.approx([105, 148.5, 210], abs=0.5)
    finally:
        document.close()


def test_rerun_writes_the_same_bytes_and_fixed_metadata(bundled: Path, runner: CliRunner, tmp_path: Path):
    base = tmp_path / "again"
    shutil.copytree(bundled, base)
    shutil.rmtree(print_dir(base))
    assert run(runner, base, "bundle").exit_code == 0
    for path in print_dir(bundled).iterdir():
        assert (print_dir(base) / path.name).read_bytes() == path.read_bytes(), path.name
    metadata = PdfReader(print_dir(base) / "Detmold.pdf").metadata
    assert metadata["/CreationDate"] == "D:20240515000000Z" and "Detmold" in metadata["/Title"]


def test_simplex_and_copies(fresh_round: Path, runner: CliRunner):
    result = run(runner, fresh_round, "bundle", "--simplex", "--copies", "3", "--group-by", "none")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in print_dir(fresh_round).iterdir()) == ["alle.csv", "alle.pdf"]
    kinds = page_kinds(fast_page_texts(print_dir(fresh_round) / "alle.pdf"))
    assert "blank" not in kinds and len(kinds) == 5 * (1 + 3 * 2)
    rows = read_manifest(print_dir(fresh_round) / "alle.csv")
    assert all(row["pages"] == row["sheets"] == "7" and row["copies"] == "3" for row in rows)
    assert [row["plz"] for row in rows] == sorted(row["plz"] for row in rows)
    assert "simplex" in result.output

    result = run(runner, fresh_round, "bundle", "--copies", "1", "--group-by", "none", "--sort", "name")
    assert result.exit_code == 0, result.output
    rows = read_manifest(print_dir(fresh_round) / "alle.csv")
    assert all((row["pages"], row["sheets"], row["copies"]) == ("4", "2", "1") for row in rows)
    names = [row["bezeichnung"] for row in rows]  # by name: Aachen, Alfter, Bielefeld, Borken, Schloß Holte
    assert names == ["StädteRegion Aachen", "Gemeinde Alfter", "Stadt Bielefeld", "Kreis Borken",
                     "Stadt Schloß Holte-Stukenbrock"]
    letter = fast_page_texts(print_dir(fresh_round) / "alle.pdf")[0]
    assert "das Original" in letter and "Ein Original" in letter


def test_group_by_kreis_replaces_the_previous_grouping(fresh_round: Path, runner: CliRunner):
    assert run(runner, fresh_round, "bundle").exit_code == 0
    result = run(runner, fresh_round, "bundle", "--group-by", "kreis")
    assert result.exit_code == 0, result.output
    # A Kreis goes under its own name, a kreisfreie Stadt forms its own group, a municipality whose Kreis
    # has no document in the round is grouped under its 'kreis' column.
    assert sorted(path.stem for path in print_dir(fresh_round).glob("*.pdf")) == [
        "Kreis-Borken", "Kreis-Guetersloh", "Rhein-Sieg-Kreis", "Stadt-Bielefeld", "StaedteRegion-Aachen"]
    assert "Removed 6 outdated file(s)" in result.output


def test_only_and_group_reprint_a_part(bundled: Path, runner: CliRunner, tmp_path: Path):
    base = tmp_path / "part"
    shutil.copytree(bundled, base)
    before = {path.name: path.read_bytes() for path in print_dir(base).iterdir()}

    result = run(runner, base, "bundle", "--group", "detmold")
    assert result.exit_code == 0, result.output
    assert "Detmold.pdf" in result.output and "Koeln" not in result.output
    assert {path.name: path.read_bytes() for path in print_dir(base).iterdir()} == before

    result = run(runner, base, "bundle", "--only", "5711000")  # Excel dropped the leading zero
    assert result.exit_code == 0, result.output
    reprint = read_manifest(print_dir(base) / "Detmold_nachdruck.csv")
    assert [row["ags"] for row in reprint] == ["05711000"]
    assert len(PdfReader(print_dir(base) / "Detmold_nachdruck.pdf").pages) == int(reprint[0]["pages"]) == 6
    assert (print_dir(base) / "Detmold.pdf").read_bytes() == before["Detmold.pdf"]  # full bundle untouched

    result = run(runner, base, "bundle", "--only", "05999999")
    assert result.exit_code == 2 and "05999999" in result.output
    result = run(runner, base, "bundle", "--group", "Mallorca")
    assert result.exit_code == 2 and "Detmold, Köln, Münster" in result.output


def test_mark_sent_records_events_once(fresh_round: Path, runner: CliRunner):
    env = {"ENGAGIERT_NOW": "2024-05-20T09:30:00+00:00"}
    result = run(runner, fresh_round, "mark-sent", "--date", "2024-05-17", "--only", "05711000", env=env)
    assert result.exit_code == 0, result.output
    assert "1 marked sent on 2024-05-17, 0 already sent" in result.output
    result = run(runner, fresh_round, "mark-sent", env=env)  # default: today
    assert "4 marked sent on 2024-05-20, 1 already sent" in result.output
    result = run(runner, fresh_round, "mark-sent", env=env)
    assert "0 marked sent on 2024-05-20, 5 already sent" in result.output

    with sqlite3.connect(fresh_round / "out" / "ledger.sqlite") as db:
        events = db.execute("SELECT ags, at, state, details FROM events WHERE kind = 'sent' ORDER BY id").fetchall()
        states = {row[0] for row in db.execute("SELECT state FROM document_status WHERE round = '2024-05'")}
    assert len(events) == 5 and states == {"sent"}
    assert events[0] == ("05711000", "2024-05-17T00:00:00+00:00", "sent", '{"date": "2024-05-17"}')
    assert all(at == "2024-05-20T09:30:00+00:00" for _, at, _, _ in events[1:])

    result = run(runner, fresh_round, "mark-sent", "--date", "2024-05-21", env=env)
    assert result.exit_code == 2 and "future" in result.output


def test_changed_rows_funktion_override_and_missing_address(fresh_round: Path, runner: CliRunner):
    rows = {row["ags"]: row for row in small_round_rows()}
    rows["05382004"].update(anrede="Frau", vorname="Eva", nachname="Kranz", funktion="Erste Beigeordnete")
    rows["05554"].update(anrede="Herr", vorname="Karl", nachname="Müller")
    rows["05754036"].update(anrede="Frau", vorname="Petra", nachname="Schmitz", titel="Dr.")
    rows["05334"].update(strasse="")
    write_csv(fresh_round / "signatories.csv", list(rows.values()))
    result = runner.invoke(cli, ["render", "--signatories", str(fresh_round / "signatories.csv"), "--out",
                                 str(fresh_round / "out"), "--round", str(fresh_round / "round.toml"), "-q"])
    assert result.exit_code == 0, result.output

    env = {"ENGAGIERT_NOW": "2024-05-20T09:30:00+00:00"}
    # An address is not printed on the document: no new version, so the current file must supply it.
    result = run(runner, fresh_round, "bundle", "--group-by", "none", "--signatories",
                 str(fresh_round / "signatories.csv"), "--mark-sent", "--sent-date", "2024-05-18", env=env)
    assert result.exit_code == 1, result.output  # finished, but a municipality needs attention
    assert "05334 StädteRegion Aachen: strasse missing" in result.output
    assert "4 marked sent on 2024-05-18, 0 already sent" in result.output
    missing = read_manifest(print_dir(fresh_round) / "ohne-anschrift.csv")
    assert [(row["ags"], row["fehlt"]) for row in missing] == [("05334", "strasse")]
    # A reprint of some municipalities lists its own and leaves the full list of the last complete run.
    full_list = (print_dir(fresh_round) / "ohne-anschrift.csv").read_bytes()
    result = run(runner, fresh_round, "bundle", "--group-by", "none", "--signatories",
                 str(fresh_round / "signatories.csv"), "--only", "05334,05554")
    assert result.exit_code == 1, result.output
    assert "ohne-anschrift_nachdruck.csv" in result.output
    assert [row["ags"] for row in read_manifest(print_dir(fresh_round) / "ohne-anschrift_nachdruck.csv")] == ["05334"]
    assert (print_dir(fresh_round) / "ohne-anschrift.csv").read_bytes() == full_list

    rows_by_ags = {row["ags"]: row for row in read_manifest(print_dir(fresh_round) / "alle.csv")}
    assert "05334" not in rows_by_ags and len(rows_by_ags) == 4
    texts = fast_page_texts(print_dir(fresh_round) / "alle.pdf")
    letter = {ags: texts[int(row["first_page"]) - 1] for ags, row in rows_by_ags.items()}
    assert "Sehr geehrte Frau Erste Beigeordnete Kranz," in letter["05382004"]
    assert "Frau Erste Beigeordnete\r\nEva Kranz\r\nGemeinde Alfter" in letter["05382004"]
    assert "Sehr geehrter Herr Landrat Müller," in letter["05554"]
    assert "Herrn Landrat\r\nKarl Müller\r\nKreis Borken" in letter["05554"]
    assert "Sehr geehrte Frau Bürgermeisterin Dr. Schmitz," in letter["05754036"]
    # the bundle carries the new versions
    assert "ENG-2024-05-05554-V2-" in texts[int(rows_by_ags["05554"]["first_page"]) + 1]

    result = run(runner, fresh_round, "mark-sent", "--signatories", str(fresh_round / "signatories.csv"), env=env)
    assert "0 marked sent on 2024-05-20, 4 already sent, 1 not marked (no postal address)" in result.output

    # the file is corrected: the next full run takes the address from it and clears the list
    rows["05334"].update(strasse="Zollernstraße 10")
    write_csv(fresh_round / "signatories.csv", list(rows.values()))
    result = run(runner, fresh_round, "bundle", "--group-by", "none", "--signatories",
                 str(fresh_round / "signatories.csv"))
    assert result.exit_code == 0, result.output
    assert not (print_dir(fresh_round) / "ohne-anschrift.csv").exists()
    assert "Zollernstraße 10" in "".join(fast_page_texts(print_dir(fresh_round) / "alle.pdf"))

    # a row whose document would change must be rendered first
    rows["05554"].update(nachname="Maier")
    write_csv(fresh_round / "signatories.csv", list(rows.values()))
    result = run(runner, fresh_round, "bundle", "--signatories", str(fresh_round / "signatories.csv"))
    assert result.exit_code == 2
    assert "05554 (Borken, row 4)" in result.output and "run `engagiert render` first" in result.output


def test_bundle_without_documents_says_render_first(tmp_path: Path, runner: CliRunner, round_file: Path):
    result = runner.invoke(cli, ["bundle", "--out", str(tmp_path / "out"), "--round", str(round_file)])
    assert result.exit_code == 2
    assert "no ledger here; run `engagiert render --out" in result.output
    assert not (tmp_path / "out").exists()  # nothing left behind, not even an empty ledger


def test_address_too_long_for_the_window_is_refused(round_file: Path):
    signatory = Signatory(row=2, ags="05711000", name="Bielefeld", bezeichnung="Stadt Bielefeld",
                          typ="kreisfreie Stadt", anrede="Frau", vorname="Maria", nachname="Schmitz",
                          funktion="Allgemeine Vertreterin der Oberbürgermeisterin und Beigeordnete für "
                                   "Finanzen, Personal, Organisation und Digitalisierung",
                          strasse="Niederwall 23", plz="33602", ort="Bielefeld")
    context = letter_context(signatory, "ENG-2024-05-05711000-V1-AAAAAAAA", load_round(round_file), 2)
    with pytest.raises(InvalidInputError, match="too long for the envelope window"):
        LetterRenderer().render([context], {"title": "t", "author": "a", "created": "2024-05-15"}, "x")


def test_german_letter_helpers():
    assert german.long_date(dt.date(2024, 6, 30)) == "30. Juni 2024"
    assert german.long_date(dt.date(2024, 3, 1)) == "1. März 2024"
    assert german.count_words(2, "Original", "Originale") == "zwei Originale"
    assert german.count_words(1, "Original", "Originale") == "ein Original"
    assert german.count_words(13, "Original", "Originale") == "13 Originale"
    assert german.addressee_lines("m", "Landrat", "Jan Müller") == ["Herrn Landrat", "Jan Müller"]
    assert german.addressee_lines("f", "Landrätin", "") == ["Frau Landrätin"]
    assert german.addressee_lines(None, "Landrätin / Landrat", "") == ["Landrätin / Landrat"]


def test_letter_settings_from_round_toml(round_file: Path):
    signatory = Signatory(row=2, ags="05554", name="Borken", bezeichnung="Kreis Borken", typ="Kreis",
                          anrede="Herr", vorname="Jan", nachname="Müller", strasse="Burloer Straße 93",
                          plz="46325", ort="Borken")
    default = letter_context(signatory, "ENG-X", load_round(round_file), 2)
    assert default["subject"] == "Kommunen-Netzwerk: engagiert in NRW: Gemeinsame Erklärung zur Unterzeichnung"
    assert default["signature_name"] == "Erika Beispiel" and default["place_date"] == "Düsseldorf, 15. Mai 2024"
    assert default["salutation"] == "Sehr geehrter Herr Landrat Müller,"

    without_letter = round_file.read_text(encoding="utf-8").split("\n[letter]")[0]  # [letter] is the last table
    round_file.write_text(without_letter + '\n[letter]\nsubject = "Bitte unterschreiben"\n'
                          'date = 2024-05-20\nsignature_title = "Referatsleiterin"\n', encoding="utf-8")
    custom = letter_context(signatory, "ENG-X", load_round(round_file), 1)
    assert (custom["subject"], custom["signature_title"]) == ("Bitte unterschreiben", "Referatsleiterin")
    assert custom["place_date"] == "Düsseldorf, 20. Mai 2024"
    assert custom["enclosures"] == "Ein Original Präambel und Gemeinsame Erklärung"

    round_file.write_text(round_file.read_text(encoding="utf-8") + 'sender = "x"\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"\[letter\] has unknown key\(s\) sender"):
        load_round(round_file)


def test_a_reprint_after_a_correction_says_it_replaces_the_earlier_copy(fresh_round: Path, runner: CliRunner):
    """The letter of a corrected version names the version it replaces and what was corrected, is dated the day
    the correction was made (not the round's date), and gives the round's current deadline."""
    rows = {row["ags"]: row for row in small_round_rows()}
    rows["05554"].update(vorname="Karla", nachname="Beispiel-Maier")
    write_csv(fresh_round / "signatories.csv", list(rows.values()))
    result = runner.invoke(cli, ["render", "--signatories", str(fresh_round / "signatories.csv"), "--out",
                                 str(fresh_round / "out"), "--round", str(fresh_round / "round.toml"), "-q"],
                           env={"ENGAGIERT_NOW": "2024-06-04T10:00:00+00:00"})
    assert result.exit_code == 0, result.output
    result = run(runner, fresh_round, "bundle", "--group-by", "none", "--only", "05554,05382004")
    assert result.exit_code == 0, result.output
    rows_by_ags = {row["ags"]: row for row in read_manifest(print_dir(fresh_round) / "alle_nachdruck.csv")}
    texts = fast_page_texts(print_dir(fresh_round) / "alle_nachdruck.pdf")
    reprint = " ".join(texts[int(rows_by_ags["05554"]["first_page"]) - 1].split())
    assert "Düsseldorf, 4. Juni 2024" in reprint
    assert "(berichtigte Fassung V2)" in reprint
    assert "anbei erhalten Sie zwei Originale der berichtigten Fassung V2 der Präambel und der Gemeinsamen " \
           "Erklärung" in reprint
    assert ("Diese Fassung V2 ersetzt die Fassung V1, die wir Ihnen zuvor geschickt haben: Der Vorname und der "
            "Nachname wurden berichtigt. Bitte unterschreiben Sie nur noch die beiliegende Fassung V2") in reprint
    assert "bis zum 30. Juni 2024 zurück" in reprint
    first = " ".join(texts[int(rows_by_ags["05382004"]["first_page"]) - 1].split())  # an unchanged V1: as before
    assert "Düsseldorf, 15. Mai 2024" in first and "ersetzt" not in first and "berichtigt" not in first
