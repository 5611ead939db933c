"""A CSV or XLSX file as rows of text cells, the way Excel shows it; read by pandas, every cell as text.

CSV: the encoding is ours to find (UTF-8 with or without BOM, Windows-1252, both mixed line by line,
UTF-16 as Excel's "Unicode Text"), and so is the separator (';', ',' or tab, from the header line);
pandas then splits the records. XLSX: pandas through openpyxl. pandas is imported only when a file is
read: it costs ~0.3 s, which `status` and `history` must not pay.
"""

from __future__ import annotations

import io
from pathlib import Path

from .errors import InvalidInputError
from .i18n import _

MAX_FILE_BYTES = 50 * 1024 * 1024


def _decode(raw: bytes, file: str, notes: list[str]) -> str:
    """UTF-8 (with or without BOM), else Windows-1252; a file mixing both is decoded line by line.

    UTF-16 with a BOM is what Excel writes as "Unicode Text" (tab-separated): decoded as such.
    """
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(_("{file}: starts like UTF-16 but is not readable as UTF-16 ({error})").format(
                file=file, error=exc)) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n")
    decoded = []
    utf8_lines = 0
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            utf8_lines += any(byte > 0x7F for byte in line)
        except UnicodeDecodeError:
            decoded.append(line.decode("cp1252", errors="replace"))
    if utf8_lines:
        notes.append(_("the file mixes UTF-8 and Windows-1252 lines; each line was read in its own encoding: "
                       "check umlauts"))
    return "\n".join(decoded)


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_csv_rows(path: Path, notes: list[str]) -> list[list[str]]:
    text = _decode(path.read_bytes(), path.name, notes).replace("\x00", "")
    return parse_csv(text, _sniff_delimiter(text), path.name)


def parse_csv(text: str, delimiter: str, file: str) -> list[list[str]]:
    """One list of cells per record, every cell as text, read by pandas; the same records Python's csv
    module reads (tests/test_csv_reading.py holds the two side by side).

    One record per Excel row: a quoted newline stays inside its cell, a blank line is a row of empty
    cells, so the index + 1 is the row number Excel shows. Every row has the header's width; a row with
    something beyond it keeps its cells up to the last filled one, for the "more cells than the header"
    check. A quote left open runs to the end of the file, as the csv module reads it.
    """
    import pandas as pd  # imported here, see the module docstring

    # A last line without a line break trips pandas' tokenizer in rare shapes ("\r,"): end it with one,
    # which changes no record.
    source = text if text.endswith(("\n", "\r")) or not text else text + "\n"

    def read(**options):
        nonlocal source
        arguments = dict(sep=delimiter, header=None, dtype=str, keep_default_na=False, na_filter=False,
                         skip_blank_lines=False, engine="c", **options)
        try:
            return pd.read_csv(io.StringIO(source), **arguments)
        except pd.errors.ParserError as exc:
            if "EOF inside string" not in str(exc) or source.endswith('"'):  # (or closed already)
                raise
            source = text + '"'  # the csv module ends a quote left open at the end of the file
            return pd.read_csv(io.StringIO(source), **arguments)

    try:
        try:
            header_width = read(nrows=1).shape[1]
        except pd.errors.EmptyDataError:  # nothing, or a blank first line: no header (validation says so)
            header_width = 0
        # pandas needs the widest row's width up front (names=...): a record on one line has at most this
        # many cells; one spanning lines inside quotes may have more, and the parser says so.
        width = max([header_width, *(line.count(delimiter) + 1 for line in text.splitlines())])
        while True:
            try:
                frame = read(names=range(width))
                break
            except pd.errors.EmptyDataError:
                return []
            except pd.errors.ParserError as exc:
                if "Expected" not in str(exc) or width > text.count(delimiter):
                    raise
                width *= 2
    except pd.errors.ParserError as exc:
        raise InvalidInputError(_("{file}: not readable as CSV ({error})").format(
            file=file, error=" ".join(str(exc).split()))) from exc
    cells = frame.to_numpy(dtype=object)
    beyond_header = (cells[:, header_width:] != "").any(axis=1)
    rows = []
    for row, wider in zip(cells.tolist(), beyond_header.tolist(), strict=True):
        while wider and row[-1] == "":
            row.pop()
        rows.append(row if wider else row[:header_width])
    return rows


def _read_xlsx_rows(path: Path) -> list[list[str]]:
    import pandas as pd  # imported here, see the module docstring

    try:
        frame = pd.read_excel(path, header=None, dtype=str, keep_default_na=False, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - any failure of the workbook parser is a bad file, never a crash
        raise InvalidInputError(_("{file}: not a readable Excel workbook ({error})").format(
            file=path.name, error=exc)) from exc
    return [[cell if isinstance(cell, str) else "" for cell in row] for row in frame.to_numpy(dtype=object).tolist()]


def read_rows(path: Path) -> tuple[list[list[str]], list[str]]:
    """The file's rows (index + 1 = the row number Excel shows), and notes on the file as a whole (for
    now: that its lines mix two encodings)."""
    notes: list[str] = []
    if not path.exists():
        raise InvalidInputError(_("{file}: file not found").format(file=path))
    if not path.is_file():
        raise InvalidInputError(_("{file}: not a file").format(file=path))
    if path.stat().st_size > MAX_FILE_BYTES:
        raise InvalidInputError(_("{file}: the file is larger than {limit} MB").format(
            file=path.name, limit=MAX_FILE_BYTES // 2**20))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx_rows(path), notes
    if path.suffix.lower() == ".xls":
        raise InvalidInputError(_("{file}: old .xls workbooks are not supported; save as .xlsx or CSV").format(
            file=path.name))
    return _read_csv_rows(path, notes), notes
