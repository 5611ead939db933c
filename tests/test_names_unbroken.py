"""Proper names and designations are never hyphenated in a document: a line may break only at a space or
at the name's own hyphen (issue 15). Checked on real renders with the longest NRW designations and long
double-barrelled names."""

from __future__ import annotations

import csv
import re

from pipeline.cli import cli

from .helpers import COLUMNS, NRW_CSV, person, write_csv

LONG_NAMES = [("Frau", "Prof. Dr.", "Anna-Katharina", "Lüdenscheidt-Hövelmann"),
              ("Herr", "Dr.", "Karl-Theodor", "Wertschätzungsbeauftragter-Oberhausen"),
              ("Frau", "", "Maximiliane", "Schwarzenbergerhausen-Niederwiesenthal")]


def longest_designations(count: int) -> list[dict]:
    with open(NRW_CSV, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return sorted(rows, key=lambda row: len(row["bezeichnung"]), reverse=True)[:count]


def signer_lines(pdf_path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        textpage = document[1].get_textpage()
        text = textpage.get_text_range()
    finally:
        document.close()
    # PDFium reports a hyphen that ends a line as U+FFFE and joins the lines: put the break back.
    text = text.replace("\r", "").replace("\ufffe", "-\n")
    return [line.strip() for line in text.split("\n") if line.strip()]


def test_names_and_designations_break_only_at_spaces_or_their_own_hyphens(tmp_path, round_file, runner):
    rows = [person(row, *LONG_NAMES[index % len(LONG_NAMES)][:1], LONG_NAMES[index % len(LONG_NAMES)][2],
                   LONG_NAMES[index % len(LONG_NAMES)][3], LONG_NAMES[index % len(LONG_NAMES)][1])
            for index, row in enumerate(longest_designations(6))]
    write_csv(tmp_path / "signatories.csv", rows, columns=COLUMNS)
    result = runner.invoke(cli, ["render", "--signatories", str(tmp_path / "signatories.csv"), "--round",
                                 str(round_file), "--out", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    for row in rows:
        pdf = next((tmp_path / "out").rglob(f"{row['ags']}_*.pdf"))
        lines = signer_lines(pdf)
        text = "\n".join(lines)
        words = [word for part in (row["vorname"], row["nachname"], row["bezeichnung"])
                 for word in re.split(r"[\s-]+", part) if word]
        for word in words:  # every word of the name and designation stands whole on one line
            assert re.search(rf"(^|[\s-]){re.escape(word)}($|[\s-])", text, re.M), (word, lines)
        for line in lines:  # a line ending in "-" ends with the name's own hyphen, not a hyphenation
            if line.endswith("-") and not line.endswith(" -"):
                stem = line.split()[-1]
                assert any(f"{stem}" in f"{part}" for part in (row["vorname"], row["nachname"], row["bezeichnung"])
                           ), (line, lines)
