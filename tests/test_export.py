"""track.export, called directly: the CSV and XLSX a clerk opens, pinned cell for cell.

The expected CSV below is what the hand-written writer produced before pandas took over; the XLSX checks
name what a clerk sees: date cells shown TT.MM.JJJJ, empty cells empty, a plain bold heading row, widths
from the content, the heading frozen, an autofilter over the table.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from openpyxl import load_workbook

from pipeline.track.export import COLUMNS, to_csv, to_xlsx
from pipeline.track.status import DocumentStatus, RoundStatus

NOW = dt.datetime(2024, 6, 10, 12, 0, tzinfo=dt.UTC)


def document(number: int, **changes) -> DocumentStatus:
    fields = dict(ags=f"05{number:06d}", name=f"Ort {number}", bezeichnung=f"Stadt Ort {number}",
                  doc_id=f"2024-05-05{number:06d}-V1-ABCD", state="sent", since="2024-05-20T10:00:00+00:00",
                  reason=None, pages_received=[], regierungsbezirk="Köln", kreis="", typ="Stadt",
                  email="post@ort.example", sent_at="2024-05-20", last_reminder=None, version=1, pages=2,
                  path="x.pdf", signatory_json=json.dumps({"anrede": "Frau", "vorname": "Eva", "nachname": "Muster",
                                                      "typ": "Stadt"}))
    return DocumentStatus(**{**fields, **changes})


DOCUMENTS = [
    document(1),
    document(2, state="verified", pages_received=[1, 2], sent_at=None, email=""),
    document(3, state="rejected", reason='=HYPERLINK("http://evil","x")', version=12,
             last_reminder="2024-06-01T08:00:00+00:00"),
    document(4, state="needs_review", reason='+49 211; "zitiert"\nzweite Zeile', name="-1+1", kreis="@SUM(A1)"),
    document(5, state="rendered", sent_at=None, reason="ä;ö", signatory_json="{}"),
]
STATUS = RoundStatus("2024-05", NOW, DOCUMENTS, frozenset())

EXPECTED_CSV = (
    "\ufeffAGS;Name;Bezeichnung;Typ;Kreis;Regierungsbezirk;Dokument-Nr.;Version;Status;Status seit;Grund;"
    "Seiten erhalten;Seiten;Verschickt am;Tage seit Versand;Letzte Erinnerung;E-Mail;Ansprechpartner\r\n"
    "05000001;Ort 1;Stadt Ort 1;Stadt;;Köln;2024-05-05000001-V1-ABCD;1;verschickt;20.05.2024;;;2;20.05.2024;21;;"
    "post@ort.example;Eva Muster (Bürgermeisterin)\r\n"
    "05000002;Ort 2;Stadt Ort 2;Stadt;;Köln;2024-05-05000002-V1-ABCD;1;unterschrieben;20.05.2024;;1, 2;2;;;;;"
    "Eva Muster (Bürgermeisterin)\r\n"
    "05000003;Ort 3;Stadt Ort 3;Stadt;;Köln;2024-05-05000003-V1-ABCD;12;abgelehnt;20.05.2024;"
    "\"'=HYPERLINK(\"\"http://evil\"\",\"\"x\"\")\";;2;20.05.2024;21;01.06.2024;post@ort.example;"
    "Eva Muster (Bürgermeisterin)\r\n"
    "05000004;'-1+1;Stadt Ort 4;Stadt;'@SUM(A1);Köln;2024-05-05000004-V1-ABCD;1;zu prüfen;20.05.2024;"
    "\"'+49 211; \"\"zitiert\"\"\nzweite Zeile\";;2;20.05.2024;21;;post@ort.example;Eva Muster (Bürgermeisterin)\r\n"
    "05000005;Ort 5;Stadt Ort 5;Stadt;;Köln;2024-05-05000005-V1-ABCD;1;erstellt;20.05.2024;\"ä;ö\";;2;;;;"
    "post@ort.example;\r\n"
).encode("utf-8")


def test_csv_is_byte_for_byte_what_excel_opens():
    assert to_csv(STATUS, DOCUMENTS) == EXPECTED_CSV


def test_csv_of_no_documents_is_the_heading_row():
    assert to_csv(STATUS, []) == EXPECTED_CSV.split(b"\r\n")[0] + b"\r\n"


def test_xlsx_cells_as_a_clerk_sees_them():
    sheet = load_workbook(io.BytesIO(to_xlsx(STATUS, DOCUMENTS))).active
    assert sheet.title == "Status 2024-05" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:R6"
    heading = sheet[1]
    assert [cell.value for cell in heading] == [name for name, _ in COLUMNS]
    assert all(cell.font.b and cell.border.left.style is None and cell.alignment.horizontal is None
               for cell in heading)
    rows = [{name: cell for (name, _), cell in zip(COLUMNS, row, strict=True)} for row in sheet.iter_rows(min_row=2)]
    first, verified, rejected, review, rendered = rows
    assert first["AGS"].value == "05000001" and first["AGS"].data_type == "s"  # the leading zero stays
    assert first["Verschickt am"].value == dt.datetime(2024, 5, 20)
    assert first["Verschickt am"].number_format == first["Status seit"].number_format == "DD.MM.YYYY"
    assert rejected["Letzte Erinnerung"].value == dt.datetime(2024, 6, 1)
    assert (rejected["Version"].value, first["Tage seit Versand"].value, first["Seiten"].value) == (12, 21, 2)
    assert verified["Seiten erhalten"].value == "1, 2"
    for empty in (verified["Verschickt am"], verified["Tage seit Versand"], verified["E-Mail"], first["Kreis"],
                  first["Grund"], rendered["Ansprechpartner"]):
        assert empty.value is None, empty.coordinate
    assert verified["Verschickt am"].number_format == "General"
    assert rejected["Grund"].value == "'=HYPERLINK(\"http://evil\",\"x\")" and rejected["Grund"].data_type == "s"
    assert (review["Name"].value, review["Kreis"].value) == ("'-1+1", "'@SUM(A1)")
    widths = {name: sheet.column_dimensions[letter].width
              for (name, _), letter in zip(COLUMNS, "ABCDEFGHIJKLMNOPQR", strict=True)}
    assert widths["AGS"] == len("05000001") + 2 and widths["Verschickt am"] == len("Verschickt am") + 2
    assert widths["Grund"] == max(len(row["Grund"].value or "") for row in rows) + 2
    assert widths["Version"] == len("Version") + 2
    assert widths["Ansprechpartner"] == len("Eva Muster (Bürgermeisterin)") + 2


def test_xlsx_of_no_documents_is_the_heading_row():
    sheet = load_workbook(io.BytesIO(to_xlsx(STATUS, []))).active
    assert sheet.max_row == 1 and sheet.auto_filter.ref == "A1:R1"
