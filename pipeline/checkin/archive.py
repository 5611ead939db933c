"""Where returned files live: claiming an upload from the inbox, storing it by content hash, writing the
signed document and unmatched pages. Nothing here ever deletes a returned copy; it only moves it.

Two check-in processes may look at the same inbox. A file is claimed by taking an exclusive ``flock``
on it *before* moving it; the lock belongs to the open file, so it follows the rename and is released by
the kernel when its process ends, even by SIGKILL. The next run then finds the file unlocked in
``received/`` without a ledger row and finishes the job (see checkin.reconcile).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..fileio import fsync_dir as _fsync_dir
from ..paths import received_dir, review_dir, signed_dir, unmatched_dir  # noqa: F401 - where the stage's files go
from .intake import eight_bit

EXTENSIONS = {"pdf": ".pdf", "jpeg": ".jpg", "png": ".png", "tiff": ".tif", "gif": ".gif", "bmp": ".bmp"}
# Not uploads: Office and LibreOffice lock files, macOS and Windows folder metadata.
SKIPPED_NAMES = ("~$", ".~lock.", "._")
SKIPPED_FILES = (".ds_store", "thumbs.db", "desktop.ini")
SKIPPED_FOLDERS = ("__macosx", ".trash", ".trashes", ".git")
SKIPPED_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial")  # still being copied or downloaded


def inbox_files(paths: list[Path]) -> list[Path]:
    """Every candidate upload under the given files and folders, in a stable order. Files that are still
    being written (browser downloads, scanner temp files) are left for the next run."""
    found: list[Path] = []
    for path in paths:
        if path.is_symlink() or path.is_file():
            found.append(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if d.lower() not in SKIPPED_FOLDERS)
                for name in sorted(files):
                    lowered = name.lower()
                    if name.startswith(SKIPPED_NAMES) or lowered in SKIPPED_FILES or lowered.endswith(SKIPPED_SUFFIXES):
                        continue
                    found.append(Path(root) / name)
                for name in sorted(dirs):  # links to folders are uploads too (refused), never walked into
                    if (Path(root) / name).is_symlink():
                        found.append(Path(root) / name)
    return found


@dataclass
class Claim:
    """An upload this process holds the lock on; `path` follows it as it moves."""

    path: Path
    original_name: str
    handle: object
    sha256: str = ""
    size: int = 0

    def release(self) -> None:
        try:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
        finally:
            self.handle.close()


def claim(path: Path) -> Claim | None:
    """Lock an upload for this process, or None if another process has it or it has gone."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - kept open as the lock's owner
    except (FileNotFoundError, IsADirectoryError):
        return None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    # The file may have been moved away while we waited to open it: only the file still at `path` counts.
    try:
        if not os.path.samestat(os.fstat(handle.fileno()), os.stat(path)):
            raise FileNotFoundError(path)
    except FileNotFoundError:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()
        return None
    return Claim(path=path, original_name=path.name, handle=handle)


def hash_claimed(claimed: Claim) -> None:
    digest = hashlib.sha256()
    claimed.handle.seek(0)
    size = 0
    for block in iter(lambda: claimed.handle.read(1 << 20), b""):
        digest.update(block)
        size += len(block)
    claimed.sha256, claimed.size = digest.hexdigest(), size


def store(claimed: Claim, target: Path) -> None:
    """Move the upload to `target` (same bytes there already: they are replaced by themselves)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if claimed.path == target:
        return
    try:
        os.replace(claimed.path, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:  # the inbox is on another disk: copy durably, then remove the original
            raise
        _copy_across_disks(claimed, target)
    _fsync_dir(target.parent)
    claimed.path = target


def _copy_across_disks(claimed: Claim, target: Path) -> None:
    """The copy is locked before it appears under its name, and the claim moves over to it: another run's
    reconcile must not take a stored upload whose check-in is still going on."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    copy = open(temporary, "w+b")  # noqa: SIM115 - becomes the claim's handle, the lock's owner
    try:
        fcntl.flock(copy.fileno(), fcntl.LOCK_EX)
        claimed.handle.seek(0)
        shutil.copyfileobj(claimed.handle, copy)
        copy.flush()
        os.fsync(copy.fileno())
        os.replace(temporary, target)
    except BaseException:
        copy.close()
        Path(temporary).unlink(missing_ok=True)
        raise
    claimed.path.unlink()
    claimed.release()  # the original's lock; the copy's lock holds on
    claimed.handle = copy


def store_link(link: Path, target_dir: Path) -> tuple[str, Path]:
    """A symbolic link is moved as the link itself (never followed); named by the hash of where it points."""
    pointed = os.readlink(link)
    sha = hashlib.sha256(b"symlink:" + os.fsencode(pointed)).hexdigest()
    target = target_dir / f"{sha}.link"
    target_dir.mkdir(parents=True, exist_ok=True)
    if target.is_symlink() or target.exists():
        target = target_dir / f"{sha}-{os.getpid()}-{abs(hash(str(link))) % 10**8}.link"
    try:
        os.replace(link, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        os.symlink(pointed, target)  # the inbox is on another disk: the same link made again, then removed
        os.unlink(link)
    return sha, target


def free_name(directory: Path, stem: str, suffix: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for counter in range(1, 100000):
        candidate = directory / f"{stem}-{counter}{suffix}"
        if not candidate.exists():
            return candidate
    raise OSError(f"{directory}: too many files named {stem}")


def remove_stale_temporaries(directories: list[Path], older_than_seconds: float = 3600) -> None:
    """Half-written temporary files (".name.xxxx.tmp") of a run killed mid-write. Only our own temporary
    names, and only old ones: a parallel run may be writing one right now. Never an upload: an upload is
    renamed, not copied, unless the inbox is on another disk, and then the original stays in the inbox
    until the copy is complete."""
    import time

    limit = time.time() - older_than_seconds
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in directory.glob(".*.tmp"):
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
            except FileNotFoundError:
                pass



# --- derived files --------------------------------------------------------------------------------


def page_as_pdf(source: Path, kind: str, source_page: int, reader=None) -> bytes:
    """One page of an upload as a one-page PDF: copied from a PDF, or an image frame wrapped in one.
    `reader`, a PDFium document of `source`, saves opening it again for each page of a long upload."""
    if kind == "pdf":
        import pypdfium2 as pdfium

        document = reader or pdfium.PdfDocument(str(source))
        try:
            return _save_pdf([(document, source_page - 1)])
        finally:
            if reader is None:
                document.close()
    from PIL import Image, ImageOps

    with Image.open(source) as picture:
        picture.seek(source_page - 1)
        frame = ImageOps.exif_transpose(picture.copy()) if source_page == 1 else picture.copy()
    frame = eight_bit(frame)
    if frame.mode not in ("L", "RGB", "1"):
        frame = frame.convert("RGB")
    width, height = frame.size
    dpi = max(72.0, max(width, height) / (297 / 25.4))  # fit the longer side to A4
    buffer = io.BytesIO()
    frame.save(buffer, format="PDF", resolution=dpi, **({"quality": 85} if frame.mode != "1" else {}))
    return buffer.getvalue()


def open_pdf(source: Path):
    import pypdfium2 as pdfium

    return pdfium.PdfDocument(str(source))


def assemble_pages(pages: list[tuple[Path, str, int]]) -> bytes:
    """One PDF from pages of uploads (path, kind, page number): PDF pages are copied as they are (each
    source opened once; PDFium copies any stream, however large, where pypdf stops at its safety limits),
    image frames wrapped in a page."""
    import pypdfium2 as pdfium

    opened: dict[Path, object] = {}
    try:
        parts = []
        for source, kind, number in pages:
            if kind != "pdf":
                wrapped = pdfium.PdfDocument(page_as_pdf(source, kind, number))
                opened[Path(f"{source}#{number}")] = wrapped
                parts.append((wrapped, 0))
                continue
            if source not in opened:
                opened[source] = pdfium.PdfDocument(str(source))
            parts.append((opened[source], number - 1))
        return _save_pdf(parts)
    finally:
        for document in opened.values():
            document.close()


def _save_pdf(parts: list[tuple[object, int]]) -> bytes:
    import pypdfium2 as pdfium

    target = pdfium.PdfDocument.new()
    try:
        for document, index in parts:
            target.import_pages(document, [index])
        buffer = io.BytesIO()
        target.save(buffer)
        return buffer.getvalue()
    finally:
        target.close()
