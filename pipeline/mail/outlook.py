"""Outlook's own files: a saved message (.msg, read with extract-msg) and ``winmail.dat`` (TNEF, read with
tnefparse), the form in which Outlook sometimes sends attachments to other mail programs.

An embedded message (a mail attached to a mail) is handed on as its own .msg bytes; containers.py opens it.
"""

from __future__ import annotations

import logging
from email.utils import getaddresses

from ..i18n import deferred
from .parts import Attachment, MailLimits, Unpacked, Unreadable, display_name, plain_text

# Both libraries log every oddity of a file at WARNING or worse; the clerk reads our reasons instead.
for _name in ("extract_msg", "tnefparse", "RTFDE"):
    logging.getLogger(_name).setLevel(logging.CRITICAL + 1)


def too_many_attachments(limits: MailLimits):
    return deferred("more than {limit} attachments (a mail bomb?): not unpacked", limit=limits.max_parts)


def read_msg(data: bytes, limits: MailLimits) -> Unpacked:
    import extract_msg
    from extract_msg.enums import AttachmentType

    try:
        message = extract_msg.openMsg(data, strict=False)
    except Exception as exc:  # noqa: BLE001 - the library raises many kinds for a damaged file
        raise Unreadable(deferred("an Outlook message (.msg) that cannot be read ({error}); ask for the attachment "
                                  "itself", error=type(exc).__name__)) from exc
    result = Unpacked("msg")
    try:
        _msg_headers(message, result)
        try:
            attachments = list(getattr(message, "attachments", []) or [])
        except Exception as exc:  # noqa: BLE001
            raise Unreadable(deferred("the attachments of this Outlook message cannot be read ({error})",
                                      error=type(exc).__name__)) from exc
        if len(attachments) > limits.max_parts:
            raise Unreadable(too_many_attachments(limits))
        for number, attachment in enumerate(attachments, start=1):
            result.attachments.append(_msg_attachment(attachment, number, AttachmentType))
        if not result.attachments:
            body = _quiet(lambda: message.htmlBody) and "html" or (_quiet(lambda: message.body) and "text")
            result.body_only = body or ""
    finally:
        _quiet(message.close)
    return result


def _quiet(call):
    """A property of a damaged file that raises is simply absent."""
    try:
        return call()
    except Exception:  # noqa: BLE001
        return None


def _msg_headers(message, result: Unpacked) -> None:
    message_id = plain_text(_quiet(lambda: message.messageId)).strip().strip("<>").strip()
    result.message_id = message_id or None
    sender = plain_text(_quiet(lambda: message.sender))
    for name, address in getaddresses([sender]):
        if "@" in address:
            result.sender, result.sender_name = address.lower(), plain_text(name, 120) or None
            break
    result.subject = plain_text(_quiet(lambda: message.subject)) or None
    date = _quiet(lambda: message.date)
    result.sent_at = date.isoformat() if hasattr(date, "isoformat") else None
    header = _quiet(lambda: message.header)
    if header is not None:
        from .mime import automatic

        result.auto = automatic(header, result)


def _msg_attachment(attachment, number: int, kinds) -> Attachment:
    name = display_name(_quiet(lambda: attachment.longFilename) or _quiet(lambda: attachment.shortFilename)
                        or _quiet(lambda: attachment.name), f"Anhang {number}")
    content_type = plain_text(_quiet(lambda: attachment.mimetype), 100) or "application/octet-stream"
    kind = _quiet(lambda: attachment.type)
    if kind in (kinds.MSG, kinds.SIGNED_EMBEDDED):
        embedded = _quiet(lambda: attachment.data)
        data = _quiet(lambda: embedded.exportBytes()) if embedded is not None else None
        if not data:
            return Attachment(name, "application/vnd.ms-outlook", b"",
                              refused=deferred("an attached Outlook message that cannot be read"))
        return Attachment(name if name.lower().endswith(".msg") else f"{name}.msg", "application/vnd.ms-outlook",
                          data)
    if kind == kinds.WEB:
        return Attachment(name, content_type, b"", refused=deferred(
            "a link to a file in the cloud (OneDrive, SharePoint), not the file: ask for the file itself"))
    data = _quiet(lambda: attachment.data)
    if not isinstance(data, bytes | bytearray):
        return Attachment(name, content_type, b"",
                          refused=deferred("an attachment Outlook stored in a form we cannot read"))
    return Attachment(name, content_type, bytes(data))


def read_tnef(data: bytes, limits: MailLimits) -> Unpacked:
    from tnefparse import TNEF

    try:
        tnef = TNEF(data)
    except Exception as exc:  # noqa: BLE001
        raise Unreadable(deferred("a winmail.dat (Outlook TNEF) that cannot be read ({error})",
                                  error=type(exc).__name__)) from exc
    result = Unpacked("tnef")
    if len(tnef.attachments) > limits.max_parts:
        raise Unreadable(too_many_attachments(limits))
    for number, attachment in enumerate(tnef.attachments, start=1):
        name = _quiet(attachment.long_filename) or _quiet(lambda attachment=attachment: attachment.name) or ""
        if isinstance(name, bytes):
            name = name.decode("utf-8", "replace")
        payload = attachment.data if isinstance(attachment.data, bytes | bytearray) else b""
        result.attachments.append(Attachment(display_name(str(name).strip("\x00"), f"Anhang {number}"),
                                             "application/octet-stream", bytes(payload)))
    if not result.attachments:
        result.body_only = "html" if tnef.htmlbody else ("text" if tnef.body else "")
    return result
