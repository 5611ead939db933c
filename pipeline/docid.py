"""Document ids: round + AGS + version + a short MAC, printed as QR code and as text on every page.

Format ``ENG-<ROUND>-<AGS>-V<version>-<MAC>``, e.g. ``ENG-2024-05-05711000-V1-K3Q9ABCD``. It uses only
characters of the QR alphanumeric mode (upper case, digits, '-', '/'), which keeps the code small and
the id easy to read out on the phone. The MAC (8 base32 characters, 40 bits of HMAC-SHA256 under a
secret kept in ``out/``) makes a mistyped or forged id fail the check instead of naming another document.
The QR payload adds the page: ``<doc id>/<page>/<pages>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from .i18n import _

PREFIX = "ENG"
SECRET_FILE = "docid.secret"
MAC_LENGTH = 8
ID_PATTERN = re.compile(rf"^{PREFIX}-(?P<round>[A-Z0-9][A-Z0-9-]*)-(?P<ags>\d{{5}}|\d{{8}})-V(?P<version>\d+)"
                        rf"-(?P<mac>[A-Z2-7]{{{MAC_LENGTH}}})$")
PAYLOAD_PATTERN = re.compile(r"^(?P<doc_id>.+)/(?P<page>\d+)/(?P<pages>\d+)$")
# Finds ids inside extracted text, where a line break may follow.
ID_IN_TEXT = re.compile(rf"{PREFIX}-[A-Z0-9][A-Z0-9-]*-(?:\d{{8}}|\d{{5}})-V\d+-[A-Z2-7]{{{MAC_LENGTH}}}")


class DocIdError(ValueError):
    """An id that cannot be ours: malformed, or its MAC does not match."""


@dataclass(frozen=True)
class DocId:
    round: str
    ags: str
    version: int
    mac: str

    def __str__(self) -> str:
        return f"{PREFIX}-{self.round}-{self.ags}-V{self.version}-{self.mac}"

    def qr_payload(self, page: int, pages: int) -> str:
        return f"{self}/{page}/{pages}"


@dataclass(frozen=True)
class PageRef:
    doc_id: DocId
    page: int
    pages: int


def load_secret(out: Path) -> bytes:
    """The MAC key, created on first use with owner-only permissions; never committed (out/ is ignored)."""
    path = Path(out) / SECRET_FILE
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # O_EXCL: if two processes race, one creates the key and the other reads it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as handle:
        handle.write(key.hex())
    return key


def compute_mac(secret: bytes, round_id: str, ags: str, version: int) -> str:
    digest = hmac.new(secret, f"{round_id}|{ags}|{version}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii")[:MAC_LENGTH]


def make_doc_id(secret: bytes, round_id: str, ags: str, version: int) -> DocId:
    return DocId(round_id, ags, version, compute_mac(secret, round_id, ags, version))


def parse_doc_id(text: str) -> DocId:
    """Parse an id's syntax (no MAC check): raises DocIdError when it is not shaped like ours."""
    match = ID_PATTERN.match(text.strip().upper())
    if not match:
        raise DocIdError(_("'{text}' is not a document id").format(text=text[:60]))
    return DocId(match["round"], match["ags"], int(match["version"]), match["mac"])


def check_doc_id(secret: bytes, doc_id: DocId) -> None:
    expected = compute_mac(secret, doc_id.round, doc_id.ags, doc_id.version)
    if not hmac.compare_digest(expected, doc_id.mac):
        raise DocIdError(_("{doc_id}: the check code does not match (mistyped or forged id)").format(doc_id=doc_id))


def parse_qr_payload(payload: str) -> PageRef:
    match = PAYLOAD_PATTERN.match(payload.strip())
    if not match:
        raise DocIdError(_("QR payload '{payload}' is not one of ours").format(payload=payload[:60]))
    page, pages = int(match["page"]), int(match["pages"])
    if not 1 <= page <= pages:
        raise DocIdError(_("QR payload '{payload}' names page {page} of {pages}").format(
            payload=payload[:60], page=page, pages=pages))
    return PageRef(parse_doc_id(match["doc_id"]), page, pages)
