"""Status exports: JSON (the DESIGN.md contract), CSV and XLSX in the form German Excel opens directly.

CSV: UTF-8 with BOM (Excel otherwise reads it as Windows-1252), ';' as separator (German Excel's list
separator), CRLF, German headings, dates TT.MM.JJJJ, German state names. XLSX: the same columns, dates as
date cells, frozen header, autofilter, widths from the content.

Both tables are one pandas frame, typed per column (text, date, whole number) and written by pandas; pandas
and openpyxl are imported only here, only for --format csv/xlsx: `status` itself must start in well under
half a second, and pandas alone takes ~0.3 s to import.

Formula injection: a cell a clerk's spreadsheet would evaluate (=, +, -, @, or a leading tab/CR, which
Excel strips before looking) gets a leading apostrophe, as OWASP recommends, so it stays text.
"""

from __future__ import annotations

import datetime as dt
import io
import json

from ..fileio import neutralise
from ..states import STATE_LABELS_DE
from .status import DocumentStatus, RoundStatus, summary

#: (heading, kind): text (neutralised), date (a date cell; TT.MM.JJJJ in CSV) or int (a whole number)
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
        document.since, document.reason_de or "", ", ".join(str(page) for page in document.pages_received),
        document.pages, document.sent_at, document.days_since_sent(today), document.last_reminder,
        document.email, document.contact,
    ]


def to_json(status: RoundStatus, documents: list[DocumentStatus]) -> str:
    payload = {"round": status.round_id, "as_of": status.now.isoformat(timespec="seconds"),
               "summary": summary(documents), "superseded_versions": status.superseded_versions,
               "documents": [document.as_json() for document in documents]}
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def _frame(status: RoundStatus, documents: list[DocumentStatus]):
    """The export table: text columns neutralised ("" where empty), dates as datetime64 (NaT where empty),
    whole numbers as nullable Int64."""
    import pandas as pd  # imported here, see the module docstring

    headings = [heading for heading, _ in COLUMNS]
    frame = pd.DataFrame([_values(document, status.today) for document in documents], columns=headings,
                         dtype=object)
    for heading, kind in COLUMNS:
        column = frame[heading]
        if kind == "text":
            frame[heading] = column.fillna("").astype(str).map(neutralise)
        elif kind == "date":
            frame[heading] = pd.to_datetime(column.str[:10], format="%Y-%m-%d")
        else:
            frame[heading] = column.astype("Int64")
    return frame


def to_csv(status: RoundStatus, documents: list[DocumentStatus]) -> bytes:
    buffer = io.StringIO()
    _frame(status, documents).to_csv(buffer, sep=";", index=False, lineterminator="\r\n", date_format="%d.%m.%Y")
    return buffer.getvalue().encode("utf-8-sig")


def _shown_widths(frame) -> list[int]:
    """Characters of the widest cell per column, heading included (a date shows as 10)."""
    widths = []
    for heading, kind in COLUMNS:
        column = frame[heading].dropna()
        if kind == "date":
            content = 10 if len(column) else 0
        else:
            content = int(column.astype(str).str.len().max()) if len(column) else 0
        widths.append(max(len(heading), content))
    return widths


def to_xlsx(status: RoundStatus, documents: list[DocumentStatus]) -> bytes:
    import pandas as pd  # imported here, see the module docstring
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    frame = _frame(status, documents)
    title = f"Status {status.round_id}"[:31]
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        # The heading row is written here, in plain bold: pandas would add borders and centring.
        frame.to_excel(writer, sheet_name=title, index=False, header=False, startrow=1)
        sheet = writer.sheets[title]
        for column, (heading, _) in enumerate(COLUMNS, start=1):
            sheet.cell(row=1, column=column, value=heading).font = Font(bold=True)
        dates = {index for index, (_, kind) in enumerate(COLUMNS) if kind == "date"}
        for row in sheet.iter_rows(min_row=2):
            for index, cell in enumerate(row):
                if cell.value == "":
                    cell.value = None  # an empty cell, not an empty text (pandas writes missing values as "")
                elif index in dates:
                    cell.number_format = "DD.MM.YYYY"  # pandas' openpyxl writer drops ExcelWriter(date_format=)
        for column, width in enumerate(_shown_widths(frame), start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, 60)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(documents) + 1}"
    return buffer.getvalue()
