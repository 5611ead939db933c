"""Reading an Internet mail (.eml, or a message fetched over IMAP) with the standard library's `email`
package (policy.default): its sender, subject and Message-ID, and every file it carries.

A file is whatever part is not the mail's own text: an attachment of any Content-Disposition, an inline
PDF or picture, a part named only by Content-Type's ``name``; names in RFC 2231 or encoded-word form are
decoded by the library. A forwarded mail (message/rfc822) is read like the mail itself: its files count.
S/MIME: the parts of ``multipart/signed`` are read as usual and its signature is left out; an opaque
signed mail (``application/pkcs7-mime``, signed-data) is opened and read. An encrypted one cannot be.
The text and HTML of a mail are never rendered, only noted.
"""

from __future__ import annotations

import email
import io
from email import policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from ..i18n import N_, deferred
from .parts import Attachment, MailLimits, Unpacked, Unreadable, display_name, plain_text

SIGNATURES = {"application/pkcs7-signature", "application/x-pkcs7-signature", "application/pgp-signature"}
NOT_A_COPY = {"text/vcard": N_("a business card (vCard)"), "text/x-vcard": N_("a business card (vCard)"),
              "text/calendar": N_("a calendar entry"), "application/pgp-keys": N_("a PGP key"),
              "application/ics": N_("a calendar entry")}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif",
              "image/gif": ".gif", "image/bmp": ".bmp", "image/heic": ".heic", "image/heif": ".heic",
              "image/webp": ".webp", "message/rfc822": ".eml", "application/zip": ".zip",
              "application/ms-tnef": ".dat", "application/vnd.ms-outlook": ".msg"}
AUTO_SUBJECTS = ("automatische antwort", "abwesenheitsnotiz", "abwesend:", "out of office", "autoreply",
                 "auto-reply", "automatic reply", "undeliverable", "unzustellbar", "delivery status notification")
NO_REPLY_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")


def read_eml(data: bytes, limits: MailLimits) -> Unpacked:
    message = email.message_from_bytes(data, policy=policy.default)
    result = Unpacked("eml")
    _headers(message, result)
    _walk(message, result, limits)
    return result


def read_headers(data: bytes) -> Unpacked:
    """Only who sent it and its Message-ID (for a mail whose body cannot be read)."""
    result = Unpacked("eml")
    _headers(email.message_from_bytes(data, policy=policy.default), result)
    return result


def _header(message: Message, name: str) -> str:
    """A header as text; one the library cannot parse is read raw (a broken header never stops a mail)."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a header so broken that even the lenient parser gives up
        value = None
    if value is None:
        raw = [v for k, v in message.raw_items() if k.lower() == name.lower()] if hasattr(message, "raw_items") \
            else []
        return plain_text(raw[0]) if raw else ""
    return plain_text(value)


def _address(message: Message, name: str) -> tuple[str | None, str | None]:
    """(address in lower case, display name) of the first address in a header."""
    text = _header(message, name)
    for display, address in getaddresses([text]):
        if "@" in address:
            return address.strip().lower(), plain_text(display, 120) or None
    return None, None


def _headers(message: Message, result: Unpacked) -> None:
    message_id = _header(message, "Message-ID").strip().strip("<>").strip()
    result.message_id = message_id or None
    result.sender, result.sender_name = _address(message, "From")
    result.reply_to = _address(message, "Reply-To")[0]
    result.subject = _header(message, "Subject") or None
    try:
        date = parsedate_to_datetime(_header(message, "Date")) if _header(message, "Date") else None
        result.sent_at = date.isoformat() if date else None
    except (TypeError, ValueError, IndexError):
        result.sent_at = None
    result.auto = automatic(message, result)


def automatic(message: Message, result: Unpacked) -> str:
    """Why this mail must get no answer (RFC 3834: auto-replies, lists, bounces), or ""."""
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header(message, "Precedence").lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if _header(message, name):
            return deferred("a mailing list ({header})", header=name)
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply"):
        if _header(message, name):
            return deferred("an automatic reply ({header})", header=name)
    suppress = _header(message, "X-Auto-Response-Suppress").lower()
    if any(word in suppress for word in ("all", "autoreply", "oof")):
        return f"X-Auto-Response-Suppress: {suppress}"
    if _header(message, "Return-Path").replace(" ", "") == "<>":
        return deferred("a delivery report (empty Return-Path)")
    if message.get_content_type() == "multipart/report":
        return deferred("a delivery or read report")
    local = (result.sender or "").partition("@")[0]
    if any(local.startswith(prefix) for prefix in NO_REPLY_SENDERS):
        return deferred("sent by {sender}", sender=result.sender)
    subject = (result.subject or "").lower()
    if any(word in subject[:60] for word in AUTO_SUBJECTS):
        return deferred("an automatic reply (subject '{subject}')", subject=(result.subject or "")[:60])
    return ""


def _walk(message: Message, result: Unpacked, limits: MailLimits) -> None:
    """Every part, in order, without recursion (a mail of 10,000 nested parts must not exhaust the stack)."""
    for defect in getattr(message, "defects", [])[:5]:
        result.notes.append(f"MIME: {type(defect).__name__}")
    pending: list[Message] = [message]
    seen = 0
    bodies: set[str] = set()
    while pending:
        part = pending.pop(0)
        seen += 1
        if seen > limits.max_parts:
            raise Unreadable(deferred("more than {limit} MIME parts (a mail bomb?): not unpacked",
                                      limit=limits.max_parts))
        content_type = part.get_content_type()
        if content_type.startswith("multipart/") and not part.is_multipart():
            defects = ", ".join(type(defect).__name__ for defect in part.defects[:3]) or deferred("no boundary")
            raise Unreadable(deferred("a broken MIME structure: its parts cannot be told apart ({defects})",
                                      defects=defects))
        if part.is_multipart():
            if content_type == "multipart/encrypted":
                raise Unreadable(deferred("the mail is encrypted (PGP/MIME): it cannot be read; ask for it "
                                          "unencrypted"))
            children = part.get_payload()
            pending[0:0] = [child for child in children if isinstance(child, Message)] \
                if isinstance(children, list) else []
            continue
        name = _filename(part)
        disposition = _disposition(part)
        if content_type in SIGNATURES:
            result.attachments.append(Attachment(name or "smime.p7s", content_type, _payload(part),
                                                 skipped=deferred("the mail's digital signature (S/MIME or PGP)")))
            continue
        if content_type in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
            inner = _opaque_signed(_payload(part))
            if inner is None:
                raise Unreadable(deferred("the mail is encrypted (S/MIME): it cannot be read; ask for it unencrypted"))
            pending.insert(0, inner)
            continue
        if content_type.startswith("text/") and not name and disposition != "attachment" \
                and content_type in ("text/plain", "text/html"):
            bodies.add(content_type.split("/")[1])  # the mail's own text: noted, never rendered
            continue
        data = _payload(part)
        label = name or f"Anhang {len(result.attachments) + 1}{EXTENSIONS.get(content_type, '')}"
        attachment = Attachment(display_name(label, "Anhang"), content_type, data)
        if content_type in NOT_A_COPY:
            attachment.skipped = deferred(NOT_A_COPY[content_type])
        elif content_type.startswith("image/"):
            attachment.skipped = small_picture(data, limits)
        result.attachments.append(attachment)
    if not result.wanted and not any(a.unpacked for a in result.attachments):
        result.body_only = "html" if bodies == {"html"} else ("text" if bodies else "")


def _filename(part: Message) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # noqa: BLE001 - a name the library cannot decode: the part is kept, unnamed
        return ""


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # noqa: BLE001
        return None


def _payload(part: Message) -> bytes:
    """The part's decoded bytes: a forwarded mail as its bytes; broken base64 decodes as far as it goes
    (the library notes a defect); the file is then refused by check-in as damaged, with a reason."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        data = None
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "replace") if isinstance(payload, str) else b""
    return data


def _opaque_signed(data: bytes) -> EmailMessage | None:
    """The content of an opaque S/MIME signed mail (CMS signed-data), or None when it is encrypted or
    not CMS at all. asn1crypto comes with pyHanko (digital signatures of returned PDFs)."""
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(data)
        if info["content_type"].native != "signed_data":
            return None
        content = info["content"]["encap_content_info"]["content"].native
    except Exception:  # noqa: BLE001 - not CMS, or damaged: treated as unreadable
        return None
    if not isinstance(content, bytes | bytearray):
        return None
    return email.message_from_bytes(bytes(content), policy=policy.default)


def small_picture(data: bytes, limits: MailLimits) -> str:
    """Why a picture is a logo or a signature image rather than a photo of a page (too few pixels to hold a
    readable page), or "" (a picture we cannot measure is checked in: check-in says what is wrong)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except Exception:  # noqa: BLE001
        return ""
    if width * height < limits.min_picture_pixels:
        return deferred("a small picture ({width} × {height} pixels: a logo or an e-mail signature, not a page)",
                        width=width, height=height)
    return ""
