"""Atomic file writes: a reader never sees a half-written file, a crash leaves the old one."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def _default_mode() -> int:
    """What open() would give a new file (0644 under the usual umask); mkstemp's 0600 would hide our
    PDFs from a print room or a colleague reading the shared drive."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


FILE_MODE = _default_mode()


def write_bytes_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """Write via a temporary file and rename. `durable` also fsyncs (for what cannot be made again,
    like a returned copy); a file that can be re-created exactly, like a rendered PDF, skips it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def sha256_of_file(path: Path) -> str:
    """The file's SHA-256, read in blocks (an upload may be large)."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(directory: Path) -> None:
    """Make a rename in `directory` durable (what a crash must not lose: a returned copy's new name)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def slugify(text: str, max_length: int = 60) -> str:
    """A file-name-safe ASCII form of a municipality name ("Köln" -> "Koeln")."""
    import unicodedata

    for umlaut, ascii_form in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "Ae"), ("Ö", "Oe"),
                               ("Ü", "Ue"), ("ß", "ss")):
        text = text.replace(umlaut, ascii_form)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text)
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return cleaned.strip("-")[:max_length] or "unbenannt"


# Text a spreadsheet would run as a formula when a clerk opens the file (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; anything else is unchanged."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def excel_csv(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """UTF-8 with BOM, ';' separated, CRLF: what German Excel opens with a double click. Cells are
    written as given: text from a signatories file goes through neutralise() first."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
