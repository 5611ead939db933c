"""Status exports: JSON (the DESIGN.md contract), CSV and XLSX in the form German Excel opens directly.

CSV: UTF-8 with BOM (Excel otherwise reads it as Windows-1252), ';' as separator (German Excel's list
separator), German headings, dates TT.MM.JJJJ, German state names. XLSX: the same columns, frozen header,
autofilter, widths from the content; openpyxl is imported only here, only for --format xlsx.

Formula injection: a cell a clerk's spreadsheet would evaluate (=, +, -, @, or a leading tab/CR, which
Excel strips before looking) gets a leading apostrophe, as OWASP recommends, so it stays text.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from ..fileio import excel_csv, neutralise
from ..states import STATE_LABELS_DE
from .status import DocumentStatus, RoundStatus, german_date, summary

#: (heading, how to get the value); kinds: text, date, int
COLUMNS: list[tuple[str, str]] = [
    ("AGS", "text"), ("Name", "text"), ("Bezeichnung", "text"), ("Typ", "text"), ("Kreis", "text"),
    ("Regierungsbezirk", "text"), ("Dokument-Nr.", "text"), ("Version", "int"), ("Status", "text"),
    ("Status seit", "date"), ("Grund", "text"), ("Seiten erhalten", "text"), ("Seiten", "int"),
    ("Verschickt am", "date"), ("Tage seit Versand", "int"), ("Letzte Erinnerung", "date"),
    ("E-Mail", "text"), ("Ansprechpartner", "text"),
]


def _values(document: DocumentStatus, today: dt.date) -> list:
    """One row in COLUMNS order: str for text, ISO date str (or None) for dates, int (or None) for numbers."""
    return [
        document.ags, document.name, document.bezeichnung, document.typ, document.kreis,
        document.regierungsbezirk, document.doc_id, document.version, STATE_LABELS_DE.get(document.state,
                                                                                          document.state),
        document.since, document.reason or "", ", ".join(str(page) for page in document.pages_received),
        document.pages, document.sent_at, document.days_since_sent(today), document.last_reminder,
        document.email, document.contact,
    ]


def to_json(status: RoundStatus, documents: list[DocumentStatus]) -> str:
    payload = {"round": status.round_id, "as_of": status.now.isoformat(timespec="seconds"),
               "summary": summary(documents), "superseded_versions": status.superseded_versions,
               "documents": [document.as_json() for document in documents]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def to_csv(status: RoundStatus, documents: list[DocumentStatus]) -> bytes:
    rows = []
    for document in documents:
        cells = []
        for (_, kind), value in zip(COLUMNS, _values(document, status.today), strict=True):
            if value is None:
                cells.append("")
            elif kind == "date":
                cells.append(german_date(value))
            elif kind == "int":
                cells.append(str(value))
            else:
                cells.append(neutralise(str(value)))
        rows.append(cells)
    return excel_csv([heading for heading, _ in COLUMNS], rows)


def to_xlsx(status: RoundStatus, documents: list[DocumentStatus]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Status {status.round_id}"[:31]
    sheet.append([heading for heading, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(heading) for heading, _ in COLUMNS]
    for row_number, document in enumerate(documents, start=2):
        for column, ((_, kind), value) in enumerate(zip(COLUMNS, _values(document, status.today), strict=True),
                                                    start=1):
            cell = sheet.cell(row=row_number, column=column)
            if value is None or value == "":
                continue
            if kind == "date":
                cell.value = dt.date.fromisoformat(value[:10])
                cell.number_format = "DD.MM.YYYY"
                shown = 10
            elif kind == "int":
                cell.value = int(value)
                shown = len(str(value))
            else:
                # explicitly a string cell: openpyxl would otherwise store "=…" as a formula
                cell.value = neutralise(str(value))
                cell.data_type = "s"
                shown = len(cell.value)
            widths[column - 1] = max(widths[column - 1], shown)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(len(documents) + 1, 1)}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
