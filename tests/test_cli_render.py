"""`engagiert render` end to end: real PDFs read back (text, pages, QR at 150 dpi, metadata), the ledger."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader

from pipeline.cli import cli

from .conftest import small_round_rows
from .helpers import nrw_rows, page_texts, person, qr_payloads, rasterise, write_csv


def render(runner, base: Path, *extra: str, out: Path | None = None):
    return runner.invoke(cli, ["render", "--signatories", str(base / "signatories.csv"), "--round",
                               str(base / "round.toml"), "--out", str(out or base / "out"), "-q", *extra])


def documents(base: Path) -> list[Path]:
    return sorted((base / "out" / "2024-05" / "documents").glob("*.pdf"))


def test_one_two_page_document_per_row_with_designation_office_and_name(rendered_round):
    files = documents(rendered_round)
    assert len(files) == 5
    by_ags = {path.name.split("_")[0]: path for path in files}
    assert set(by_ags) == {"05711000", "05382004", "05554", "05334", "05754036"}
    expectations = {
        "05711000": ("Dr. Maria Schmitz", "Oberbürgermeisterin", "Stadt Bielefeld",
                     "Die Unterzeichnerinnen erklären:"),
        "05382004": ("Jan Muster", "Bürgermeister", "Gemeinde Alfter",
                     "Die Unterzeichnerin und der Unterzeichner erklären:"),
        "05554": ("Eva Beispiel", "Landrätin", "Kreis Borken", "Die Unterzeichnerinnen erklären:"),
        "05334": ("Prof. Dr. Tim Exempel", "Städteregionsrat", "StädteRegion Aachen",
                  "Die Unterzeichnerin und der Unterzeichner erklären:"),
        "05754036": ("", "Bürgermeisterin / Bürgermeister", "Stadt Schloß Holte-Stukenbrock",
                     "Die Unterzeichnenden erklären:"),
    }
    for ags, (name, office, bezeichnung, sentence) in expectations.items():
        pages = page_texts(by_ags[ags])
        assert len(pages) == 2
        assert "Präambel" in pages[0].replace(" ", "") and "Düsseldorf, im Mai 2024" in pages[0]
        flat = " ".join(pages[1].split())
        assert f"{office} {bezeichnung}" in flat, flat[-300:]
        assert name in flat and sentence in flat
        assert "Andrea Milz" in flat and "Musterstadt" not in flat


def test_every_page_has_a_qr_code_and_the_id_as_text(rendered_round):
    for path in documents(rendered_round):
        ags = path.name.split("_")[0]
        payloads = qr_payloads(path, dpi=150)
        assert [len(found) for found in payloads] == [1, 1], path.name
        doc_id = payloads[0][0].rsplit("/", 2)[0]
        assert f"-{ags}-V1-" in doc_id
        assert payloads == [[f"{doc_id}/1/2"], [f"{doc_id}/2/2"]]
        texts = page_texts(path)
        assert f"Dok.-Nr. {doc_id}, Seite 1/2" in texts[0]
        assert f"Dok.-Nr. {doc_id}, Seite 2/2" in texts[1]


def test_metadata_names_the_document(rendered_round):
    path = next(p for p in documents(rendered_round) if p.name.startswith("05711000"))
    reader = PdfReader(path)
    info = reader.metadata
    doc_id = qr_payloads(path)[0][0].rsplit("/", 2)[0]
    assert info.title == "Gemeinsame Erklärung – Stadt Bielefeld"
    assert info.author == "Staatskanzlei des Landes Nordrhein-Westfalen"
    assert "Stadt Bielefeld" in info.subject
    assert doc_id in info["/Keywords"]
    assert reader.pages[0].mediabox.width == 595.28 or abs(float(reader.pages[0].mediabox.width) - 595.28) < 0.1
    fonts = {str(font) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert fonts, "fonts must be embedded"
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor


def test_same_input_gives_byte_identical_files(rendered_round, runner, tmp_path):
    second_out = tmp_path / "out"
    second_out.mkdir()
    shutil.copy(rendered_round / "out" / "docid.secret", second_out / "docid.secret")
    assert render(runner, rendered_round, out=second_out).exit_code == 0
    first = {p.name: p.read_bytes() for p in documents(rendered_round)}
    second = {p.name: p.read_bytes() for p in sorted((second_out / "2024-05" / "documents").glob("*.pdf"))}
    assert first == second


def test_second_run_renders_nothing_and_changes_nothing(fresh_round, runner):
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in documents(fresh_round)}
    events_before = _count(fresh_round, "SELECT count(*) FROM events")
    result = render(runner, fresh_round)
    assert result.exit_code == 0
    assert "Rendered 0 document(s), 5 unchanged" in result.output
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in documents(fresh_round)} == before
    assert _count(fresh_round, "SELECT count(*) FROM events") == events_before


def test_a_lost_file_is_rendered_again_to_the_same_bytes(fresh_round, runner):
    victim = documents(fresh_round)[0]
    original = victim.read_bytes()
    victim.unlink()
    result = render(runner, fresh_round)
    assert "Rendered 1 document(s), 4 unchanged" in result.output
    assert victim.read_bytes() == original
    assert _count(fresh_round, "SELECT count(*) FROM documents") == 5


def test_a_changed_row_makes_a_new_version_and_supersedes_the_old(fresh_round, runner):
    rows = small_round_rows()
    rows[1]["nachname"] = "Neumann"  # Alfter has a new mayor
    write_csv(fresh_round / "signatories.csv", rows)
    result = render(runner, fresh_round)
    assert result.exit_code == 0, result.output
    assert "Rendered 1 document(s), 4 unchanged, 1 superseded" in result.output
    new_file = next(p for p in documents(fresh_round) if p.name.startswith("05382004") and "_V2" in p.name)
    assert "Jan Neumann" in page_texts(new_file)[1]
    assert any(p.name.startswith("05382004") and "_V1" in p.name for p in documents(fresh_round))  # kept
    states = dict(_rows(fresh_round, "SELECT version, state FROM document_status WHERE ags = '05382004'"))
    assert states == {1: "superseded", 2: "rendered"}
    [(reason,)] = _rows(fresh_round, "SELECT reason FROM document_status WHERE ags='05382004' AND version=1")
    assert "version 2" in reason


def test_ledger_records_hash_pages_and_signature_box(rendered_round):
    rows = _rows(rendered_round, "SELECT doc_id, sha256, path, pages, geometry FROM documents")
    assert len(rows) == 5
    import json

    for doc_id, sha256, path, pages, geometry in rows:
        file = rendered_round / "out" / path
        assert hashlib.sha256(file.read_bytes()).hexdigest() == sha256
        assert pages == 2
        box = json.loads(geometry)["signature_box"]
        assert box["page"] == 2
        x0, y0, x1, y1 = box["box"]
        assert 0 < x0 < x1 < 595.28 and 0 < y0 < y1 < 841.89
        assert 150 < (x1 - x0) < 260 and 50 < (y1 - y0) < 90  # about 80 x 24 mm
        # the box is blank on paper, and the signer's designation is printed right under it
        with pdfium.PdfDocument(str(file)) as document:
            text_page = document[1].get_textpage()
            inside = text_page.get_text_bounded(left=x0 + 1, bottom=y0 + 2, right=x1 - 1, top=y1 - 1)
            below = text_page.get_text_bounded(left=x0, bottom=y0 - 60, right=x1, top=y0)
        assert inside.strip() == ""
        signatory_name = json.loads(_rows(rendered_round, f"SELECT signatory FROM documents "
                                                          f"WHERE doc_id='{doc_id}'")[0][0])["bezeichnung"]
        assert signatory_name.split()[-1] in " ".join(below.split())
        image = rasterise(file, 1, dpi=72)
        crop = image.crop((int(x0) + 2, int(841.89 - y1) + 2, int(x1) - 2, int(841.89 - y0) - 3))
        assert crop.getextrema()[0] > 200  # nothing printed inside the box


def test_invalid_file_exits_2_lists_all_errors_and_writes_nothing(tmp_path, runner, round_file):
    rows = nrw_rows("Stadt Köln", "Gemeinde Alfter", "Kreis Borken")
    rows[0]["ags"] = "5315"
    rows[2]["typ"] = "Landkreis"
    write_csv(tmp_path / "signatories.csv", rows)
    result = render(runner, tmp_path)
    assert result.exit_code == 2
    assert "row 2, column 'ags'" in result.output and "row 4, column 'typ'" in result.output
    assert not (tmp_path / "out").exists()


def test_missing_round_file_is_a_clear_error(tmp_path, runner):
    write_csv(tmp_path / "signatories.csv", nrw_rows("Stadt Köln"))
    result = render(runner, tmp_path)
    assert result.exit_code == 2 and "round file not found" in result.output
    assert not (tmp_path / "out").exists()


def test_hostile_names_print_literally(tmp_path, runner, round_file):
    row = person(nrw_rows("Stadt Köln")[0], "Herr", 'Tom "Tommy" <b>Bold</b>', "Smith & Sons </section>",
                 funktion="Bürgermeister & <i>Kämmerer</i>")
    write_csv(tmp_path / "signatories.csv", [row])
    result = render(runner, tmp_path)
    assert result.exit_code == 0, result.output
    [path] = documents(tmp_path)
    text = " ".join(page_texts(path)[1].split())
    assert 'Tom "Tommy" <b>Bold</b> Smith & Sons </section>' in text
    assert "Bürgermeister & <i>Kämmerer</i>" in text


def test_the_longest_names_stay_on_their_two_pages(tmp_path, runner, round_file):
    longest = nrw_rows("Stadt Schloß Holte-Stukenbrock", "Gemeinde Neunkirchen-Seelscheid",
                       "Gemeinde Nachrodt-Wiblingwerde", "Oberbergischer Kreis")
    rows = [
        person(longest[0], "Frau", "Maria-Magdalena Anna-Katharina", "von Hohenzollern-Sigmaringen-Wittgenstein",
               "Prof. Dr. Dr. h. c. mult."),
        person(longest[1], "Herr", "Karl-Theodor Maria Nikolaus", "Freiherr von und zu Guttenberg-Ostwestfalen"),
        person(longest[2], "Frau", "A" * 60, "B" * 60),
        person(longest[3], "Herr", "Hans", "Muster", funktion="Allgemeiner Vertreter des Landrats in Vertretung"),
    ]
    write_csv(tmp_path / "signatories.csv", rows)
    result = render(runner, tmp_path)
    assert result.exit_code == 0, result.output
    for path in documents(tmp_path):
        assert len(PdfReader(path).pages) == 2
        with pdfium.PdfDocument(str(path)) as document:
            for page in document:
                width, height = page.get_size()
                text_page = page.get_textpage()
                for index in range(text_page.count_chars()):
                    left, bottom, right, top = text_page.get_charbox(index)
                    if right > left:  # skip zero-width (spaces, line breaks)
                        assert 0 <= left and right <= width - 40 and bottom >= 0 and top <= height, path.name
        text = " ".join(page_texts(path)[1].split()).replace("-", "").replace("\u00ad", "")
        assert "Gemeinde NachrodtWiblingwerde" in text or "Nachrodt" not in path.name


def test_a_row_too_long_for_the_signature_block_is_named_and_the_others_are_recorded(tmp_path, runner,
                                                                                     round_file):
    rows = small_round_rows()
    words = " ".join(["Verbandsgemeindeverwaltungsangelegenheiten"] * 6)  # 6 x 43 characters, under the CSV's 300
    rows[2] = {**rows[2], "funktion": words, "nachname": words, "vorname": words}
    write_csv(tmp_path / "signatories.csv", rows)
    result = render(runner, tmp_path)
    assert result.exit_code == 2, result.output  # bad input
    assert "row 4 " in result.output and "too long for the signature block" in result.output
    assert "The other 4 document(s) were rendered and recorded." in result.output
    recorded = {ags for (ags,) in _rows(tmp_path, "SELECT ags FROM documents")}
    assert len(recorded) == 4 and rows[2]["ags"] not in recorded
    assert len(documents(tmp_path)) == 4
    # Shortened, the row renders alone; the other four are unchanged.
    rows[2] = {**rows[2], "funktion": "", "nachname": "Muster", "vorname": "Eva"}
    write_csv(tmp_path / "signatories.csv", rows)
    result = render(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Rendered 1 document(s), 4 unchanged" in result.output


def _rows(base: Path, sql: str):
    with sqlite3.connect(base / "out" / "ledger.sqlite") as connection:
        return connection.execute(sql).fetchall()


def _count(base: Path, sql: str) -> int:
    return _rows(base, sql)[0][0]


def test_a_missing_system_library_is_an_instruction_not_a_traceback(tmp_path, runner, round_file, monkeypatch):
    import sys

    from pipeline.render import layout as render_module

    render_module.renderer_for.cache_clear()
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if Pango could not be loaded
    write_csv(tmp_path / "signatories.csv", nrw_rows("Stadt Köln"))
    try:
        result = render(runner, tmp_path)
    finally:
        render_module.renderer_for.cache_clear()
    assert result.exit_code == 3, result.output
    assert "apt-get install" in result.output and "Traceback" not in result.output


def test_an_unwritable_output_folder_names_the_file(tmp_path, runner, round_file):
    write_csv(tmp_path / "signatories.csv", nrw_rows("Stadt Köln"))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "2024-05").write_text("a file where the round's folder should be")
    result = render(runner, tmp_path)
    assert result.exit_code == 5, result.output
    assert "2024-05" in result.output and "Traceback" not in result.output
