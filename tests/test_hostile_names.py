"""Names as hostile as a spreadsheet can hold (issue 7): printed literally in the PDFs and letters, never
interpreted as markup, and never steering a file path."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from pipeline.cli import cli

from .helpers import nrw_rows, person, write_csv

HOSTILE = '<b>Fett</b> & <script>alert("x")</script>'


def test_markup_and_path_tricks_in_names_are_printed_literally(runner, round_file, tmp_path):
    row = nrw_rows("Gemeinde Alfter")[0]
    row = person(row, "Herr", "Jan", HOSTILE, strasse="../../etc/passwd 1", plz="53347", ort="Alfter")
    row["name"] = "../../Alfter"
    csv_path = write_csv(tmp_path / "hostile.csv", [row])
    out = tmp_path / "out"
    rendered = runner.invoke(cli, ["render", "--signatories", str(csv_path), "--round", str(round_file), "--out",
                                   str(out), "-q"])
    assert rendered.exit_code == 0, rendered.output
    documents = list((out / "2024-05" / "documents").iterdir())
    assert len(documents) == 1 and documents[0].resolve().parent == (out / "2024-05" / "documents").resolve()
    assert ".." not in documents[0].name
    text = "".join(page.extract_text() for page in PdfReader(documents[0]).pages)
    assert "<b>Fett</b> &" in text and '<script>alert("x")</script>' in text.replace("\n", "")

    bundled = runner.invoke(cli, ["bundle", "--round", str(round_file), "--out", str(out), "-q",
                                  "--group-by", "none"])
    assert bundled.exit_code == 0, bundled.output
    bundles = list((out / "2024-05" / "print").glob("*.pdf"))
    assert all(path.resolve().parent == (out / "2024-05" / "print").resolve() for path in bundles)
    letter = PdfReader(bundles[0]).pages[0].extract_text().replace("\n", " ")
    assert "<b>Fett</b>" in letter
    assert not list(Path(tmp_path).rglob("passwd*"))


def test_formulas_in_names_are_neutralised_in_the_bundle_csvs(runner, round_file, tmp_path):
    """A manifest or the no-address list opened in Excel must not run a cell from the signatories file."""
    import csv

    rows = [person(row, "Frau", "Eva", "=HYPERLINK(\"http://x.example\";\"klick\")", strasse="Markt 1",
                   plz=row["plz"] or "53347", ort="Ort") for row in nrw_rows("Gemeinde Alfter", "Stadt Bonn")]
    rows[1]["name"], rows[1]["strasse"] = "@SUMME(1;2)", ""
    csv_path = write_csv(tmp_path / "formeln.csv", rows)
    out = tmp_path / "out"
    rendered = runner.invoke(cli, ["render", "--signatories", str(csv_path), "--round", str(round_file), "--out",
                                   str(out), "-q"])
    assert rendered.exit_code == 0, rendered.output
    bundled = runner.invoke(cli, ["bundle", "--round", str(round_file), "--out", str(out), "-q", "--group-by",
                                  "none", "--signatories", str(csv_path)])
    assert bundled.exit_code == 1, bundled.output  # Bonn has no street
    print_dir = out / "2024-05" / "print"
    cells = [cell for path in print_dir.glob("*.csv")
             for row in csv.reader(path.read_text(encoding="utf-8-sig").splitlines(), delimiter=";") for cell in row]
    assert any("HYPERLINK" in cell for cell in cells) and any("SUMME" in cell for cell in cells)
    assert not [cell for cell in cells if cell.startswith(("=", "@", "+", "-"))]
