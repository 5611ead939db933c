"""Loading and validating the signatories file in the shapes Excel writes."""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from pipeline.signatories import SignatoriesInvalid, load_signatories

from .helpers import COLUMNS, NRW_CSV, nrw_rows, person, write_csv


def test_the_real_nrw_list_loads_with_every_type():
    result = load_signatories(NRW_CSV)
    assert len(result.signatories) == 427
    types = {s.typ for s in result.signatories}
    assert types == {"kreisfreie Stadt", "Stadt", "Gemeinde", "Kreis", "Städteregion"}
    aachen = next(s for s in result.signatories if s.ags == "05334")
    assert aachen.bezeichnung == "StädteRegion Aachen" and aachen.office == "Städteregionsrätin / Städteregionsrat"
    # no office holders in that file: one warning per row, never an error
    assert sum(w.column == "nachname" for w in result.warnings) == 427


def test_exactly_the_contract_headers_work(tmp_path):
    row = person(nrw_rows("Gemeinde Alfter")[0], "Frau", "Anna", "Beispiel", "Dr.", strasse="Am Rathaus 7",
                 plz="53347", ort="Alfter", email="buergermeisterin@alfter.example")
    path = write_csv(tmp_path / "s.csv", [row], columns=COLUMNS)
    [signatory] = load_signatories(path).signatories
    assert signatory.office == "Bürgermeisterin"
    assert signatory.signer_name == "Dr. Anna Beispiel"
    assert signatory.has_postal_address


def test_only_the_four_required_columns_are_needed(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ags,name,bezeichnung,typ\n05382004,Alfter,Gemeinde Alfter,Gemeinde\n", encoding="utf-8")
    [signatory] = load_signatories(path).signatories
    assert signatory.regierungsbezirk == "Köln"  # derived from the key's third digit
    assert signatory.office == "Bürgermeisterin / Bürgermeister"


def test_windows_1252_semicolon_export_reads_like_its_utf8_twin(tmp_path):
    rows = [person(r, "Herr", "Jörg", "Müßig") for r in nrw_rows("Stadt Köln", "Stadt Lüdenscheid", "Kreis Düren")]
    utf8 = write_csv(tmp_path / "utf8.csv", rows)
    excel = write_csv(tmp_path / "excel.csv", rows, delimiter=";", encoding="cp1252")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + utf8.read_bytes())
    expected = load_signatories(utf8).signatories
    assert expected[1].name == "Lüdenscheid" and expected[0].nachname == "Müßig"
    assert load_signatories(excel).signatories == expected
    assert load_signatories(bom).signatories == expected


def test_xlsx_with_keys_stored_as_numbers(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["AGS", "Name", "Bezeichnung", "Typ", "PLZ", "Anrede", "Nachname"])
    sheet.append([5111000, "Düsseldorf", "Stadt Düsseldorf", "kreisfreie Stadt", 40213, "frau", "Muster"])
    sheet.append([5554, "Borken", "Kreis Borken", "Kreis", None, "Herr", "Beispiel"])
    path = tmp_path / "s.xlsx"
    workbook.save(path)
    result = load_signatories(path)
    assert [s.ags for s in result.signatories] == ["05111000", "05554"]
    assert result.signatories[0].office == "Oberbürgermeisterin"
    assert result.signatories[1].office == "Landrat"
    assert any("leading zero" in w.message and w.row == 2 for w in result.warnings)


def test_every_problem_is_listed_with_excel_row_and_column(tmp_path):
    good = nrw_rows("Stadt Köln", "Gemeinde Alfter", "Kreis Borken")
    rows = [
        person(good[0], "Frau", "A", "B"),                           # row 2 ok
        {**good[1], "ags": "05A82004"},                              # row 3 letters in key
        {**good[1], "typ": "Dorf"},                                  # row 4 unknown type
        {**good[2], "anrede": "Divers"},                             # row 5 unknown Anrede
        {**good[0], "ags": "05315000", "email": "kein-at-zeichen"},  # row 6 duplicate key + bad e-mail
        {**good[2], "ags": "05554000"},                              # row 7 district with 8 digits
        {**good[1], "ags": "05382068", "plz": "5334A"},              # row 8 bad postcode
        {**good[1], "ags": "05382072", "bezeichnung": ""},           # row 9 required value empty
    ]
    path = write_csv(tmp_path / "s.csv", rows)
    with pytest.raises(SignatoriesInvalid) as caught:
        load_signatories(path)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {(3, "ags"), (4, "typ"), (5, "anrede"), (6, "email"), (7, "ags"), (8, "plz"), (9, "bezeichnung")}
    assert "row 3, column 'ags'" in caught.value.message
    assert caught.value.exit_code == 2


def test_duplicate_key_names_the_first_row(tmp_path):
    rows = nrw_rows("Stadt Köln", "Gemeinde Alfter") + nrw_rows("Stadt Köln")
    with pytest.raises(SignatoriesInvalid) as caught:
        load_signatories(write_csv(tmp_path / "s.csv", rows))
    [problem] = caught.value.problems
    assert (problem.row, problem.column) == (4, "ags") and "row 2" in problem.message


def test_blank_lines_are_skipped_but_counted_like_excel(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ags;name;bezeichnung;typ\n\n05382004;Alfter;Gemeinde Alfter;Gemeinde\n;;;\n"
                    "05382X;Bonn;Stadt Bonn;kreisfreie Stadt\n", encoding="utf-8")
    with pytest.raises(SignatoriesInvalid) as caught:
        load_signatories(path)
    assert [(p.row, p.column) for p in caught.value.problems] == [(5, "ags")]


def test_stray_spaces_and_case_are_normalised(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("  AGS ; Name ;Bezeichnung;TYP;Anrede;Nachname\n"
                    " 05382004 ;  Alfter ; Gemeinde\u00a0 Alfter ; gemeinde ; HERR ;  Muster  \n", encoding="utf-8")
    [s] = load_signatories(path).signatories
    assert (s.ags, s.name, s.bezeichnung, s.typ, s.anrede, s.nachname) == (
        "05382004", "Alfter", "Gemeinde Alfter", "Gemeinde", "Herr", "Muster")


@pytest.mark.parametrize("content, expected", [
    ("", "empty"),
    ("ags,name,bezeichnung,typ\n", "no data rows"),
    ("ags,name,typ\n05382004,Alfter,Gemeinde\n", "required column is missing"),
    ("ags,name,bezeichnung,typ,name\n05382004,Alfter,Gemeinde Alfter,Gemeinde,x\n", "appears twice"),
    ("\n\n\n", "empty"),
])
def test_unusable_files_are_refused_with_a_reason(tmp_path, content, expected):
    path = tmp_path / "s.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SignatoriesInvalid) as caught:
        load_signatories(path)
    assert expected in caught.value.message


def test_a_junk_xlsx_is_refused(tmp_path):
    path = tmp_path / "s.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(Exception) as caught:
        load_signatories(path)
    assert getattr(caught.value, "exit_code", None) == 2
    assert "s.xlsx" in str(caught.value)


def test_hostile_cells_are_refused(tmp_path):
    rows = nrw_rows("Stadt Köln", "Gemeinde Alfter")
    rows[0]["name"] = "x" * 1_000_000
    rows[1]["nachname"] = "Evil\u202eName"  # right-to-left override
    with pytest.raises(SignatoriesInvalid) as caught:
        load_signatories(write_csv(tmp_path / "s.csv", rows))
    assert {(p.row, p.column) for p in caught.value.problems} >= {(2, "name"), (3, "nachname")}


def test_the_excel_template_lists_nrw_validates_and_keeps_keys_as_text(tmp_path):
    from openpyxl import load_workbook

    from pipeline.cli import cli

    target = tmp_path / "vorlage.xlsx"
    from click.testing import CliRunner

    runner = CliRunner()
    result = runner.invoke(cli, ["template", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert "427 municipalities" in result.output
    again = runner.invoke(cli, ["template", "--output", str(target)])
    assert again.exit_code == 2 and "exists already" in again.output  # never overwritten by accident
    loaded = load_signatories(target)
    assert len(loaded.signatories) == 427
    by_ags = {s.ags: s for s in loaded.signatories}
    assert by_ags["05111000"].bezeichnung == "Stadt Düsseldorf" and by_ags["05111000"].ort == "Düsseldorf"
    assert by_ags["05334"].typ == "Städteregion"
    sheet = load_workbook(target)["Unterzeichner"]
    assert sheet["A2"].value == "05111000" and sheet["A2"].number_format == "@"
    lists = {str(v.sqref).split(":")[0][0]: v.formula1 for v in sheet.data_validations.dataValidation}
    header = [cell.value for cell in sheet[1]]
    typ_column = chr(ord("A") + header.index("typ"))
    anrede_column = chr(ord("A") + header.index("anrede"))
    assert "Städteregion" in lists[typ_column] and lists[anrede_column] == '"Frau,Herr"'


def test_validate_warns_about_letters_lost_to_a_wrong_encoding(tmp_path):
    rows = nrw_rows("Stadt Bielefeld", "Gemeinde Alfter", "Stadt Dortmund")
    rows = [person(rows[0], "Herr", "Mehmet", "Y?lmaz"), person(rows[1], "Frau", "Jürgen", "MÃ¼ller"),
            person(rows[2], "Frau", "Anna", "Schmitz")]
    result = load_signatories(write_csv(tmp_path / "s.csv", rows))
    messages = {(w.row, w.column): w.message for w in result.warnings}
    assert "a letter seems lost" in messages[(2, "nachname")]
    assert "looks like UTF-8 read in another encoding (probably 'Müller')" in messages[(3, "nachname")]
    assert (4, "nachname") not in messages  # a clean name is not suspected


def test_validate_reports_completeness_with_what_each_gap_blocks(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import cli

    rows = nrw_rows("Stadt Bielefeld", "Gemeinde Alfter", "Stadt Dortmund")
    rows = [person(rows[0], "Frau", "Maria", "Schmitz", strasse="Niederwall 23", plz="33602", ort="Bielefeld",
                   email="post@bielefeld.example"),
            person(rows[1], "", "", ""), person(rows[2], "Herr", "Tom", "Westphal")]
    csv_path = write_csv(tmp_path / "s.csv", rows)
    round_path = tmp_path / "round.toml"
    from .helpers import ROUND_TOML

    round_path.write_bytes(ROUND_TOML.read_bytes())
    result = CliRunner().invoke(cli, ["validate", "--signatories", str(csv_path), "--round", str(round_path)])
    assert result.exit_code == 0, result.output
    assert "1 of 3 without office holder (row 3): their documents get an empty name line" in result.output
    assert "2 of 3 without a complete postal address (row 3, row 4): no cover letter" in result.output
    assert "2 of 3 without e-mail address (row 3, row 4): no reminder by e-mail" in result.output


def test_a_quote_left_open_is_named_as_the_cause(tmp_path):
    rows = nrw_rows("Stadt Bielefeld", "Gemeinde Alfter", "Stadt Dortmund", "Kreis Borken", "Stadt Köln",
                    "Gemeinde Kalletal", "Stadt Detmold")
    path = write_csv(tmp_path / "s.csv", rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = '"' + lines[2]  # an opening quote, never closed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SignatoriesInvalid) as caught:
        load_signatories(path)
    assert "a quote (\") opened in this cell is never closed" in str(caught.value)


def test_the_template_is_only_written_as_xlsx(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import cli

    result = CliRunner().invoke(cli, ["template", "--output", str(tmp_path / "vorlage.csv")])
    assert result.exit_code == 2 and "ending in .xlsx" in result.output
    assert not (tmp_path / "vorlage.csv").exists()
