"""Mails and archives as municipalities send them, built in the test: .eml (stdlib email), Outlook .msg (an
OLE file written with extract-msg's OleWriter, with the properties Outlook stores), winmail.dat (TNEF
attributes as Outlook writes them) and ZIP. No binary fixture is checked in."""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from email import policy
from email.message import EmailMessage

PDF = "application/pdf"


def eml(attachments=(), *, sender="Maria Schmitz <post@bielefeld.example>", subject="Unterschriebene Erklärung",
        message_id="<rueck-1@bielefeld.example>", body="Anbei das unterschriebene Dokument.", html=None,
        headers=None, to="engagiert@stk.nrw.example") -> bytes:
    """A mail with `attachments` [(name, bytes, content type)]; `html`: an HTML alternative (or the only body
    when body is None)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 03 Jun 2024 10:15:00 +0200"
    if message_id:
        message["Message-ID"] = message_id
    for name, value in (headers or {}).items():
        message[name] = value
    if body is not None:
        message.set_content(body)
        if html:
            message.add_alternative(html, subtype="html")
    elif html:
        message.set_content(html, subtype="html")
    for name, data, content_type in attachments:
        if isinstance(data, EmailMessage):
            message.add_attachment(data, filename=name)
            continue
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def eml_encoded_word_name(name: str, data: bytes, **kwargs) -> bytes:
    """An attachment named the way older Outlook versions do: an RFC 2047 encoded word in filename=."""
    encoded = "=?UTF-8?B?" + base64.b64encode(name.encode("utf-8")).decode() + "?="
    raw = eml(**kwargs).decode()
    boundary = "grenze-0815"
    head, _, text = raw.partition("\r\n\r\n")
    head = "\r\n".join(line for line in head.split("\r\n") if not line.lower().startswith(
        ("content-type", "content-transfer-encoding", "mime-version")))
    return (f"{head}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Type: application/octet-stream; name=\"{encoded}\"\r\n"
            f"Content-Disposition: inline; filename=\"{encoded}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(data).decode().replace("\n", "\r\n") + f"\r\n--{boundary}--\r\n").encode()


def smime_signed(attachment: tuple[str, bytes, str], *, opaque: bool = False, **kwargs) -> bytes:
    """An S/MIME signed mail: multipart/signed (content and signature side by side), or opaque
    (application/pkcs7-mime: the content inside a CMS signed-data structure)."""
    inner = EmailMessage(policy=policy.SMTP)
    inner.set_content("Anbei das unterschriebene Dokument.")
    name, data, content_type = attachment
    maintype, _, subtype = content_type.partition("/")
    inner.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    del inner["MIME-Version"]
    content = inner.as_bytes()
    outer = eml(**kwargs).decode()
    head = outer.partition("\r\n\r\n")[0]
    head = "\r\n".join(line for line in head.split("\r\n") if not line.lower().startswith(
        ("content-type", "content-transfer-encoding", "mime-version")))
    if opaque:
        from asn1crypto import cms

        signed = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData({
            "version": "v1", "digest_algorithms": [], "signer_infos": [],
            "encap_content_info": {"content_type": "data", "content": content}})}).dump()
        return (f"{head}\r\nMIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=signed-data; "
                f"name=\"smime.p7m\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                + base64.encodebytes(signed).decode().replace("\n", "\r\n")).encode()
    boundary = "signiert-4711"
    signature = base64.encodebytes(b"\x30\x82" + bytes(200)).decode().replace("\n", "\r\n")
    return (f"{head}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-"
            f"signature\"; micalg=sha-256; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n").encode() + content + (
        f"\r\n--{boundary}\r\nContent-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
        f"Content-Disposition: attachment; filename=\"smime.p7s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{signature}\r\n--{boundary}--\r\n").encode()


# --- Outlook .msg -------------------------------------------------------------------------------


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")


def msg(attachments=(), *, sender="post@alfter.example", subject="Rücksendung Gemeinde Alfter",
        message_id="<outlook-1@alfter.example>") -> bytes:
    """A received mail saved from Outlook: properties, the transport headers, attachments by value."""
    from extract_msg import OleWriter

    def variable(prop_id: int, prop_type: int, size: int) -> bytes:
        return struct.pack("<IIII", (prop_id << 16) | prop_type, 6, size, 0)

    writer = OleWriter()
    headers = (f"From: {sender}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
               "Date: Mon, 03 Jun 2024 10:15:00 +0200\r\n\r\n")
    strings = {0x001A: "IPM.Note", 0x0037: subject, 0x0C1F: sender, 0x1035: message_id, 0x1000: "Anbei der Scan.",
               0x007D: headers}
    entries = b""
    for prop_id, text in strings.items():
        data = _utf16(text)
        writer.addEntry(f"__substg1.0_{prop_id:04X}001F", data)
        entries += variable(prop_id, 0x001F, len(data) + 2)
    writer.addEntry("__properties_version1.0", struct.pack("<8sIIII8s", bytes(8), 0, len(attachments), 0,
                                                            len(attachments), bytes(8)) + entries)
    writer.addEntry("__nameid_version1.0", storage=True)
    for stream in ("00020102", "00030102", "00040102"):
        writer.addEntry(f"__nameid_version1.0/__substg1.0_{stream}", b"")
    for number, (name, data, content_type) in enumerate(attachments):
        base = f"__attach_version1.0_#{number:08X}"
        writer.addEntry(base, storage=True)
        properties = struct.pack("<IIQ", (0x3705 << 16) | 0x0003, 6, 1)  # attached by value
        writer.addEntry(f"{base}/__substg1.0_37010102", data)
        properties += variable(0x3701, 0x0102, len(data))
        for prop_id, text in ((0x3707, name), (0x370E, content_type)):
            writer.addEntry(f"{base}/__substg1.0_{prop_id:04X}001F", _utf16(text))
            properties += variable(prop_id, 0x001F, len(_utf16(text)) + 2)
        writer.addEntry(f"{base}/__properties_version1.0", bytes(8) + properties)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


# --- winmail.dat (TNEF) ---------------------------------------------------------------------------


def tnef(attachments=()) -> bytes:
    """winmail.dat as Outlook sends it to a mail program that is not Outlook: each attachment as
    rendering data, title (its name) and data attributes."""

    def attribute(level: int, attr_id: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)

    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attribute(1, 0x00089006, struct.pack("<I", 0x00010000))  # TNEF version
    out += attribute(1, 0x00069007, struct.pack("<II", 1252, 0))     # OEM code page
    for name, data in attachments:
        out += attribute(2, 0x00069002, bytes(14))                   # rendering: an attachment starts
        out += attribute(2, 0x00018010, name.encode("cp1252") + b"\x00")
        out += attribute(2, 0x0006800F, data)
    return out


# --- ZIP -------------------------------------------------------------------------------------------


def zip_of(members, *, password_flag: frozenset = frozenset()) -> bytes:
    """A ZIP of [(name, bytes)]; members named in `password_flag` carry the "encrypted" flag as a
    password-protected ZIP from Windows or 7-Zip does (their bytes are not really encrypted here)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    for name in password_flag:
        encoded = name.encode()
        for signature, flag_offset, length_offset, name_offset in ((b"PK\x03\x04", 6, 26, 30),
                                                                   (b"PK\x01\x02", 8, 28, 46)):
            start = 0
            while (start := data.find(signature, start)) != -1:
                length = struct.unpack_from("<H", data, start + length_offset)[0]
                if data[start + name_offset:start + name_offset + length] == encoded:
                    flags = struct.unpack_from("<H", data, start + flag_offset)[0]
                    struct.pack_into("<H", data, start + flag_offset, flags | 0x1)
                start += 4
    return bytes(data)
