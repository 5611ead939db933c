"""Which files are mails or archives (from their bytes, never their names), and unpacking one whole:
mails in mails, archives in mails, mails in archives, each opened in turn up to a depth, every part
counted against the limits, so that a bomb of any shape is refused with a reason instead of filling
the disk or the memory.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from ..i18n import N_, deferred, deferred_n
from .parts import Attachment, MailLimits, Unpacked, Unreadable

KINDS = {"eml": N_("an e-mail"), "msg": N_("an Outlook message"), "tnef": N_("a winmail.dat (Outlook)"),
         "zip": N_("a ZIP archive")}
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
HEAD_BYTES = 8192
_FIELD = re.compile(rb"^([!-9;-~]+):")
# Headers a mail begins with; two of them, one a sender's or a transport's, make a file a mail.
MAIL_FIELDS = {b"from", b"to", b"subject", b"date", b"message-id", b"received", b"return-path", b"mime-version",
               b"delivered-to", b"content-type", b"reply-to", b"x-mailer", b"dkim-signature", b"cc", b"sender",
               b"authentication-results", b"arc-seal", b"x-received", b"thread-topic", b"user-agent"}
MAIL_ORIGINS = {b"from", b"received", b"message-id", b"mime-version", b"return-path", b"delivered-to"}


def looks_like_mail(head: bytes) -> bool:
    lines = head.splitlines()
    if lines and lines[0].startswith(b"From "):  # an mbox "From " line, as some programs save a single mail
        lines = lines[1:]
    names: set[bytes] = set()
    for line in lines[:200]:
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            continue  # a folded header line
        match = _FIELD.match(line)
        if not match:
            return False
        names.add(match.group(1).lower())
    return len(names & MAIL_FIELDS) >= 2 and bool(names & MAIL_ORIGINS)


def kind_of(data: bytes) -> str | None:
    """eml, msg, tnef or zip when `data` is a mail or an archive of files; None for anything else (a PDF, a
    picture, a Word file: check-in reads or refuses those)."""
    head = data[:HEAD_BYTES]
    if head.startswith(TNEF_SIGNATURE):
        return "tnef"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return None if _office_document(data) else "zip"
    if head.startswith(OLE_SIGNATURE):
        return "msg" if _outlook_message(data) else None
    if head.lstrip()[:5] in (b"%PDF-",) or b"%PDF-" in head[:1024]:
        return None
    return "eml" if looks_like_mail(head) else None


def kind_of_file(path: Path) -> str | None:
    """kind_of for a file: reads the head, and the whole file only for a ZIP or OLE file (to tell an archive
    from a Word file, an Outlook message from an Excel file)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
            if head.startswith((b"PK\x03\x04", b"PK\x05\x06", OLE_SIGNATURE)):
                return kind_of(head + handle.read())
    except OSError:
        return None  # check-in says why it cannot read the file
    return kind_of(head)


def _office_document(data: bytes) -> bool:
    import zipfile

    from .zips import is_office_document

    try:
        return is_office_document(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except Exception:  # noqa: BLE001 - a damaged ZIP is an archive we will refuse with a reason
        return False


def _outlook_message(data: bytes) -> bool:
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            return ole.exists("__properties_version1.0") and any(
                ole.exists(f"__substg1.0_001A{kind}") for kind in ("001F", "001E"))
    except Exception:  # noqa: BLE001 - a damaged OLE file: check-in refuses it as an old Office file
        return False


def _reader(kind: str):
    from .mime import read_eml
    from .outlook import read_msg, read_tnef
    from .zips import read_zip

    return {"eml": read_eml, "msg": read_msg, "tnef": read_tnef, "zip": read_zip}[kind]


@dataclass
class _Budget:
    parts: int
    total: int


DEFAULT_LIMITS = MailLimits()


def unpack(data: bytes, kind: str, limits: MailLimits = DEFAULT_LIMITS) -> Unpacked:
    """The mail or archive with every file inside, nested mails and archives opened. Raises Unreadable for
    one that cannot be read at all or breaks a limit as a whole."""
    top = _reader(kind)(data, limits)
    budget = _Budget(limits.max_parts, limits.max_total_bytes)
    top.attachments = _expand(top.attachments, limits, 1, budget)
    for attachment in top.attachments:
        attachment.label = attachment.label or attachment.name
    return top


def _expand(attachments: list[Attachment], limits: MailLimits, depth: int, budget: _Budget) -> list[Attachment]:
    found: list[Attachment] = []
    for attachment in attachments:
        budget.parts -= 1
        budget.total -= attachment.size
        if budget.parts < 0:
            raise Unreadable(deferred("more than {limit} files in all, mails and archives inside included (a mail "
                                      "bomb?): not unpacked", limit=limits.max_parts))
        if budget.total < 0:
            raise Unreadable(deferred("more than {limit:.0f} MB in all once unpacked: not unpacked",
                                      limit=limits.max_total_bytes / 1e6))
        found.append(attachment)
        inner_kind = None if (attachment.skipped or attachment.refused) else kind_of(attachment.data)
        if inner_kind is None:
            continue
        if depth >= limits.max_depth:
            attachment.refused = deferred("mails and archives nested more than {depth} deep: not unpacked",
                                          depth=limits.max_depth)
            continue
        try:
            inner = _reader(inner_kind)(attachment.data, limits)
        except Unreadable as exc:
            attachment.refused = exc.args[0]  # as raised: a DeferredText is shown in the reader's language
            continue
        attachment.unpacked = deferred_n("{kind} with {count} file, listed after it",
                                         "{kind} with {count} files, listed after it", len(inner.attachments),
                                         kind=deferred(KINDS[inner_kind]))
        children = _expand(inner.attachments, limits, depth + 1, budget)
        for child in children:
            child.label = f"{attachment.label or attachment.name} › {child.label or child.name}"
        found.extend(children)
    return found
