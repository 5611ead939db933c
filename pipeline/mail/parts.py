"""What unpacking a mail or an archive yields: the message's headers, its attachments, what was left out.

Names from a mail or an archive are for people only: `display_name` makes one safe to print and to store
as text, and nothing ever turns it into a path on disk (attachments are written under names we make).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field


class Unreadable(Exception):
    """The whole mail or archive cannot be read (broken, encrypted, a bomb): the reason is for the clerk."""


@dataclass(frozen=True)
class MailLimits:
    """What one mail or archive may cost: nested mails and archives, parts, bytes after unpacking."""

    max_parts: int = 200            # a "mail bomb" of 1,000 parts is refused whole
    max_depth: int = 5              # a mail in a ZIP in a forwarded mail in a mail …
    max_total_bytes: int = 300 * 1024 * 1024
    max_ratio: int = 200            # a ZIP member may unpack to at most this many times its packed size
    min_picture_pixels: int = 400 * 400  # a smaller picture is a logo or a signature image, not a page


@dataclass
class Attachment:
    """One file found in a message, in the order found; `label` says where (mail › archive › file)."""

    name: str
    content_type: str
    data: bytes
    label: str = ""
    skipped: str = ""               # why it is harmlessly left out (a logo, the S/MIME signature)
    refused: str = ""               # why it cannot be checked in (encrypted, too large, damaged): a person looks
    unpacked: str = ""              # a mail or archive inside: what it was (its parts follow it)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class Unpacked:
    """A mail (or archive) read: its headers (None where it has none) and everything it carried."""

    kind: str                       # eml, msg, tnef, zip
    message_id: str | None = None
    sender: str | None = None       # lower-case address
    sender_name: str | None = None
    reply_to: str | None = None
    subject: str | None = None
    sent_at: str | None = None      # ISO
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # MIME defects and the like, for the clerk
    auto: str = ""                  # why this looks like an automatic mail or a list (no answer to it)
    refused: str = ""               # why it could not be unpacked at all
    body_only: str = ""             # "html" / "text" when it had a body but no attachment

    @property
    def wanted(self) -> list[Attachment]:
        return [attachment for attachment in self.attachments
                if not (attachment.skipped or attachment.refused or attachment.unpacked)]


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def display_name(raw: str | None, fallback: str) -> str:
    """A name from a mail or archive, fit to show: its last path component, no control characters or
    separators, NFC, at most 120 characters; `fallback` when nothing is left."""
    text = unicodedata.normalize("NFC", str(raw or ""))
    text = re.split(r"[/\\]", text.strip())[-1] if text.strip() else ""
    text = _UNSAFE.sub(" ", text).strip(" .")
    if len(text) > 120:
        stem, dot, suffix = text.rpartition(".")
        text = (stem[: 110] + "…" + dot + suffix[:8]) if dot and len(suffix) <= 8 else text[:119] + "…"
    return text or fallback


def plain_text(value: object, limit: int = 300) -> str:
    """A header value for the ledger: one line, no control characters, bounded."""
    text = " ".join(str(value or "").split())
    return _CONTROL.sub(" ", text)[:limit] if text else ""
