"""Read rendered PDFs back the way a person or a scanner would: text, pages, QR codes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
NRW_CSV = SHARED / "data" / "nrw-kommunen.csv"
ROUND_TOML = REPO / "round.toml"
COLUMNS = ["ags", "name", "bezeichnung", "typ", "kreis", "regierungsbezirk", "anrede", "titel", "vorname",
           "nachname", "funktion", "strasse", "plz", "ort", "email"]


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def rasterise(path: Path, page_index: int, dpi: int = 150):
    document = pdfium.PdfDocument(str(path))
    try:
        return document[page_index].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()


def qr_payloads(path: Path, dpi: int = 150) -> list[list[str]]:
    """The QR texts found on each page of a PDF rasterised at `dpi`."""
    document = pdfium.PdfDocument(str(path))
    try:
        result = []
        for page in document:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            result.append([code.text for code in zxingcpp.read_barcodes(image)
                           if code.format == zxingcpp.BarcodeFormat.QRCode])
        return result
    finally:
        document.close()


def write_csv(path: Path, rows: list[dict], *, columns=COLUMNS, delimiter=",", encoding="utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, delimiter=delimiter, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row.get(key, "") for key in columns})
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def nrw_rows(*bezeichnungen: str) -> list[dict]:
    """Rows of the real NRW list, picked by official designation, in the order asked."""
    rows = {row["bezeichnung"]: row for row in csv.DictReader(NRW_CSV.open(encoding="utf-8"))}
    return [dict(rows[name]) for name in bezeichnungen]


def person(row: dict, anrede: str, vorname: str, nachname: str, titel: str = "", **extra) -> dict:
    return {**row, "anrede": anrede, "vorname": vorname, "nachname": nachname, "titel": titel, **extra}


def fast_page_texts(path: Path) -> list[str]:
    """Page texts through PDFium (20x faster than pypdf): for tests that read hundreds of files."""
    document = pdfium.PdfDocument(str(path))
    try:
        return [page.get_textpage().get_text_range() for page in document]
    finally:
        document.close()


def read_back(path: Path) -> tuple[str, list[str], list[list[str]]]:
    """(file name, page texts, QR payloads per page at 150 dpi): picklable, for a process pool."""
    return Path(path).name, fast_page_texts(path), qr_payloads(path, dpi=150)
