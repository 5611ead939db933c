"""`engagiert template`: an Excel workbook to fill in as the signatories file, with the real NRW list in it.

The 427 local authorities of North Rhine-Westphalia come pre-filled from the copy of
``shared/data/nrw-kommunen.csv`` shipped in the package (keys, designations, types, districts, postcodes;
sources and licence in ``pipeline/data/SOURCE.md``). The clerk adds the office holders, postal addresses
and e-mail addresses. The AGS column is text (Excel would otherwise drop the leading zero of 05…), and
`typ` and `anrede` offer drop-down lists of exactly the values `validate` accepts.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from . import german
from .fileio import write_bytes_atomic
from .signatories import KNOWN_COLUMNS

NRW_LIST = Path(__file__).resolve().parent / "data" / "nrw-kommunen.csv"
SHEET = "Unterzeichner"
#: What each column is for, in the clerk's words (the second sheet).
COLUMN_NOTES = {
    "ags": "Amtlicher Gemeindeschlüssel (8 Ziffern), für Kreise der Kreisschlüssel (5 Ziffern). Pflicht.",
    "name": "Kurzname, z. B. Düsseldorf (für Dateinamen und Sortierung). Pflicht.",
    "bezeichnung": "Amtliche Bezeichnung wie in der Unterschriftszeile, z. B. Stadt Düsseldorf. Pflicht.",
    "typ": "kreisfreie Stadt, Stadt, Gemeinde, Kreis oder Städteregion (Auswahlliste). Pflicht.",
    "kreis": "Kreis, zu dem die Gemeinde gehört (leer bei kreisfreien Städten und Kreisen).",
    "regierungsbezirk": "Düsseldorf, Köln, Münster, Detmold oder Arnsberg (leer: aus dem Schlüssel).",
    "anrede": "Frau oder Herr (Auswahlliste): bestimmt Amtsbezeichnung und Anrede; leer: beide Formen.",
    "titel": "Akademischer Titel, z. B. Dr.",
    "vorname": "Vorname der Amtsinhaberin oder des Amtsinhabers.",
    "nachname": "Nachname; leer: das Dokument erhält eine leere Namenszeile zum Ausfüllen von Hand.",
    "funktion": "Nur wenn abweichend: Amtsbezeichnung, z. B. Erste Beigeordnete (ersetzt die automatische).",
    "strasse": "Postanschrift: Straße und Hausnummer (für das Anschreiben; ohne sie kein Versand).",
    "plz": "Postleitzahl (5 Ziffern).",
    "ort": "Ort der Postanschrift.",
    "email": "E-Mail-Adresse für Erinnerungen (ohne sie keine Erinnerung per E-Mail).",
}


def nrw_rows() -> list[dict[str, str]]:
    with open(NRW_LIST, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def template_workbook(prefill: bool = True) -> bytes:
    """The workbook as bytes: the header, the NRW rows (unless not `prefill`), lists, notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    columns = list(KNOWN_COLUMNS)
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    rows = nrw_rows() if prefill else []
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(columns, start=1):
            value = row.get(column, "") or ""
            if column == "ort" and row.get("typ") != german.KREIS and row.get("plz"):
                value = row.get("name", "")  # the seat of a municipality is the town itself
            if value:
                cell = sheet.cell(row=number, column=index, value=value)
                cell.data_type = "s"  # text, never a number or a formula
    last = max(len(rows) + 1, 1000)
    for column in ("ags", "plz"):  # keys and postcodes are text: a leading zero must survive
        letter = get_column_letter(columns.index(column) + 1)
        for (cell,) in sheet[f"{letter}2:{letter}{last}"]:
            cell.number_format = "@"
    lists = {"typ": ",".join(german.KNOWN_TYPES), "anrede": "Frau,Herr"}
    for column, values in lists.items():
        letter = get_column_letter(columns.index(column) + 1)
        validation = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True, showErrorMessage=True,
                                    errorTitle="Ungültiger Wert", error=f"Bitte einen Wert aus der Liste wählen: "
                                                                        f"{values.replace(',', ', ')}")
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)
    widths = {column: max([len(column)] + [len(row.get(column, "") or "") for row in rows]) for column in columns}
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(widths[column], 10) + 2, 45)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    notes = workbook.create_sheet("Hinweise")
    notes.append(["Spalte", "Bedeutung"])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for column in columns:
        notes.append([column, COLUMN_NOTES.get(column, "")])
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 100
    notes.append([])
    notes.append(["Quelle", "Schlüssel, Bezeichnungen, Typen, Kreise und Postleitzahlen: Statistisches Bundesamt, "
                            "Gemeindeverzeichnis 31.12.2021 (Datenlizenz Deutschland – Namensnennung 2.0), und die "
                            "Warnzellen-Tabelle des Deutschen Wetterdienstes."])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def write_template(path: Path, prefill: bool = True) -> int:
    """Write the workbook atomically; returns how many municipalities it lists."""
    write_bytes_atomic(Path(path), template_workbook(prefill))
    return len(nrw_rows()) if prefill else 0
