"""ZIP archives of scans (a town hall's "send as compressed folder"), read with the standard library's
`zipfile` under limits of our own: members, bytes after unpacking, packing ratio (a ZIP bomb), and how deep
archives nest (containers.py). A member's name is shown to the clerk and never becomes a path: its bytes
are read into memory and written under a name we make.
"""

from __future__ import annotations

import io
import zipfile

from ..i18n import deferred
from .parts import Attachment, MailLimits, Unpacked, Unreadable, display_name

CHUNK = 1 << 20
FOLDER_LITTER = ("__macosx/", ".ds_store", "thumbs.db", "desktop.ini")
# A Word, Excel or LibreOffice file is a ZIP too, but no archive of scans: check-in refuses it as what it is.
DOCUMENT_MARKERS = ("[Content_Types].xml", "mimetype", "META-INF/manifest.xml")


def is_office_document(names: list[str]) -> bool:
    return any(marker in names for marker in DOCUMENT_MARKERS)


def read_zip(data: bytes, limits: MailLimits) -> Unpacked:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise Unreadable(deferred("a ZIP archive that cannot be opened (damaged or incomplete: {error})",
                                  error=str(exc))) from exc
    result = Unpacked("zip")
    if len(members) > limits.max_parts:
        raise Unreadable(deferred("a ZIP archive of {count} files, more than the limit of {limit} (a ZIP bomb?): "
                                  "not unpacked", count=len(members), limit=limits.max_parts))
    budget = limits.max_total_bytes
    for number, member in enumerate(members, start=1):
        if member.is_dir():
            continue
        name = display_name(member.filename, f"Datei {number}")
        lowered = member.filename.lower()
        if lowered.startswith(FOLDER_LITTER) or "/__macosx/" in lowered or name.lower() in FOLDER_LITTER \
                or name.startswith("._"):
            result.attachments.append(Attachment(name, "", b"",
                                                 skipped=deferred("folder information of macOS or Windows")))
            continue
        attachment = Attachment(name, "", b"")
        attachment.refused = _why_not(member, limits, budget)
        if not attachment.refused:
            attachment.data, attachment.refused = _read_member(archive, member, min(budget, member.file_size))
        budget -= len(attachment.data)
        result.attachments.append(attachment)
    return result


def _why_not(member: zipfile.ZipInfo, limits: MailLimits, budget: int) -> str:
    if member.flag_bits & 0x1:
        return deferred("protected by a password: ask for it without a password")
    if member.file_size > budget:
        return deferred("would unpack to {size:.0f} MB, more than the {limit:.0f} MB one mail or archive may hold",
                        size=member.file_size / 1e6, limit=limits.max_total_bytes / 1e6)
    if member.compress_size and member.file_size / member.compress_size > limits.max_ratio:
        return deferred("packed {ratio} times smaller than it is (a ZIP bomb?): not unpacked",
                        ratio=member.file_size // member.compress_size)
    return ""


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, allowed: int) -> tuple[bytes, str]:
    """The member's bytes, read no further than it says it is (its header may lie)."""
    buffer = io.BytesIO()
    try:
        with archive.open(member) as stream:
            while block := stream.read(CHUNK):
                buffer.write(block)
                if buffer.tell() > allowed:
                    return b"", deferred("unpacks to more than the archive says (a ZIP bomb?): not unpacked")
    except RuntimeError as exc:  # encrypted without the flag we checked, or similar
        return b"", deferred("cannot be unpacked ({error})", error=str(exc))
    except NotImplementedError as exc:
        return b"", deferred("packed with a method we cannot unpack ({error}): ask for a plain ZIP or the file itself",
                             error=str(exc))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        return b"", deferred("damaged in the archive ({error})", error=str(exc))
    return buffer.getvalue(), ""
