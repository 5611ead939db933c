"""Hostile and broken uploads (issue 7): every one ends as a ledger outcome with a reason a clerk
understands and its file in a defined place. No traceback, no hang. The corpus is generated here.

All uploads go through ONE check-in run (module fixture); each test then checks one kind.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfWriter

from pipeline.cli import cli
from pipeline.ledger import Ledger
from pipeline.round import load_round

from . import scans
from .test_checkin import ROUND

CORPUS: dict[str, tuple[str, str]] = {}  # name -> (expected outcome, text the reason or result must contain)


def corpus_item(name: str, outcome: str, says: str):
    def register(builder):
        CORPUS[name] = (outcome, says)
        builder.corpus_name = name
        BUILDERS.append(builder)
        return builder

    return register


BUILDERS: list = []


def _signed_scan_pdf(base: Path, record, dpi=150, signed=True) -> bytes:
    buffer = base / ".tmp-scan.pdf"
    scans.to_pdf(scans.signed_scan(base / "out" / record.path, record.geometry, dpi=dpi, signed=signed), buffer,
                 dpi=dpi)
    data = buffer.read_bytes()
    buffer.unlink()
    return data


def _pdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@corpus_item("empty.pdf", "refused", "empty (0 bytes)")
def _empty(inbox, base, records):
    (inbox / "empty.pdf").write_bytes(b"")


@corpus_item("truncated.pdf", "refused", "damaged")
def _truncated(inbox, base, records):
    data = (base / "out" / records[0].path).read_bytes()
    (inbox / "truncated.pdf").write_bytes(data[: len(data) // 3])


@corpus_item("really-a-jpeg.pdf", "matched", "page(s) 2: INCOMPLETE")
def _jpeg_named_pdf(inbox, base, records):
    page2 = scans.signed_scan(base / "out" / records[1].path, records[1].geometry, dpi=150)[1]
    page2.save(inbox / "really-a-jpeg.pdf", format="JPEG", quality=85)


@corpus_item("webpage.pdf", "refused", "web page")
def _html(inbox, base, records):
    (inbox / "webpage.pdf").write_text("<!DOCTYPE html><html><body>Upload failed</body></html>")


@corpus_item("password.pdf", "refused", "password")
def _encrypted_user(inbox, base, records):
    writer = PdfWriter(clone_from=base / "out" / records[0].path)
    writer.encrypt(user_password="geheim", owner_password="owner", algorithm="AES-256")
    (inbox / "password.pdf").write_bytes(_pdf_bytes(writer))


@corpus_item("owner-password-only.pdf", "matched", "VERIFIED")
def _encrypted_owner(inbox, base, records):
    writer = PdfWriter(clone_from=io.BytesIO(_signed_scan_pdf(base, records[2])))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    (inbox / "owner-password-only.pdf").write_bytes(_pdf_bytes(writer))


@corpus_item("broken-xref.pdf", "matched", "VERIFIED")
def _broken_xref(inbox, base, records):
    data = bytearray(_signed_scan_pdf(base, records[3]))
    start = data.rindex(b"startxref")
    data[start + 10: start + 14] = b"9999"  # the cross-reference table is not where the file says
    (inbox / "broken-xref.pdf").write_bytes(bytes(data))


@corpus_item("2000-pages.pdf", "refused", "2000 pages, more than the limit")
def _many_pages(inbox, base, records):
    writer = PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(width=595, height=842)
    (inbox / "2000-pages.pdf").write_bytes(_pdf_bytes(writer))


@corpus_item("5-metres-wide.pdf", "unmatched", "larger than any printed page")
def _wide_page(inbox, base, records):
    writer = PdfWriter()
    writer.add_blank_page(width=5000 / 25.4 * 72, height=842)
    (inbox / "5-metres-wide.pdf").write_bytes(_pdf_bytes(writer))


@corpus_item("bomb-50000px.png", "refused", "50000 × 50000 pixels")
def _png_bomb(inbox, base, records):
    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", 50000, 50000, 1, 0, 0, 0, 0)  # 1-bit grey; the data would be 312 MB
    (inbox / "bomb-50000px.png").write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                                             + chunk(b"IDAT", zlib.compress(b"\x00" * 10000)) + chunk(b"IEND", b""))


@corpus_item("bomb-in-pdf.pdf", "unmatched", "more than the limit")
def _pdf_bomb(inbox, base, records):
    side = 50000
    compressor, parts = zlib.compressobj(9), []
    row = b"\x00" * (side // 8)
    for _ in range(side):
        parts.append(compressor.compress(row))
    parts.append(compressor.flush())
    stream = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 1 "
        b"/Filter /FlateDecode /Length %d >>\nstream\n" % (side, side, len(stream)) + stream + b"\nendstream",
        b"<< /Length 29 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer << /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    (inbox / "bomb-in-pdf.pdf").write_bytes(bytes(out))


@corpus_item("javascript-launch.pdf", "matched", "VERIFIED")
def _javascript(inbox, base, records):
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=io.BytesIO(_signed_scan_pdf(base, records[4])))
    marker = base / "javascript-ran"
    script = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                               NameObject("/JS"): TextStringObject(f"app.launchURL('file://{marker}');")})
    launch = DictionaryObject({NameObject("/S"): NameObject("/Launch"),
                               NameObject("/F"): TextStringObject(f"/usr/bin/touch {marker}")})
    writer._root_object[NameObject("/OpenAction")] = writer._add_object(script)
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): writer._add_object(launch)})
    (inbox / "javascript-launch.pdf").write_bytes(_pdf_bytes(writer))


@corpus_item("signature-broken-after-signing.pdf", "matched", "REJECTED: the digital signature does not match")
def _tampered_signature(inbox, base, records):
    from .digital import make_ca_and_signer, sign_pdf

    credentials = make_ca_and_signer(base / "pki")
    original = (base / "out" / records[0].path).read_bytes()
    signed = bytearray(sign_pdf(original, credentials))
    # Change one covered byte of the signature's update (the field name), after our original bytes:
    # the file still starts with our PDF, but the signed hash no longer matches.
    field = signed.index(b"(Unterschrift)", len(original))
    signed[field + 1] = ord("X")
    (inbox / "signature-broken-after-signing.pdf").write_bytes(bytes(signed))


@corpus_item("forged-code.png", "unmatched", "fails its check")
def _forged(inbox, base, records):
    _code_page(inbox / "forged-code.png", f"ENG-{ROUND}-{records[0].ags}-V1-ABCDEFGH/2/2")


@corpus_item("other-round.png", "unmatched", "a document of round 2023-11")
def _other_round(inbox, base, records):
    from pipeline.docid import load_secret, make_doc_id

    doc_id = make_doc_id(load_secret(base / "out"), "2023-11", records[0].ags, 1)
    _code_page(inbox / "other-round.png", f"{doc_id}/1/2")


@corpus_item("same-bytes-1.pdf", "matched", "VERIFIED")
def _same_twice(inbox, base, records):
    data = _signed_scan_pdf(base, records[5], dpi=200)
    (inbox / "same-bytes-1.pdf").write_bytes(data)
    (inbox / "same-bytes-2.pdf").write_bytes(data)


CORPUS["same-bytes-2.pdf"] = ("duplicate", "the same file is already being checked in")


@corpus_item("second-copy-a.pdf", "matched", "VERIFIED")
def _two_copies(inbox, base, records):
    (inbox / "second-copy-a.pdf").write_bytes(_signed_scan_pdf(base, records[6], dpi=150))
    (inbox / "second-copy-b.pdf").write_bytes(_signed_scan_pdf(base, records[6], dpi=200))


CORPUS["second-copy-b.pdf"] = ("matched", "second, different copy")


@corpus_item("..\\..\\windows-path.pdf", "refused", "damaged")
def _dotdot(inbox, base, records):
    (inbox / "..\\..\\windows-path.pdf").write_bytes(b"%PDF-1.4\n% nothing else")


@corpus_item("....pdf", "refused", "web page")
def _dots(inbox, base, records):
    (inbox / "....pdf").write_text("<html></html>")


@corpus_item("Rücksendung Gemeinde Übach-Palenberg (Kopie).pdf", "refused", "ZIP archive")
def _umlauts(inbox, base, records):
    (inbox / "Rücksendung Gemeinde Übach-Palenberg (Kopie).pdf").write_bytes(b"PK\x03\x04" + b"\x00" * 100)


LONG_NAME = "x" * 240 + ".pdf"


@corpus_item(LONG_NAME, "refused", "unknown content")
def _long_name(inbox, base, records):
    deep = inbox / ("ordner-" + "y" * 60) / ("unterordner-" + "z" * 60)
    deep.mkdir(parents=True)
    (deep / LONG_NAME).write_bytes(b"\x00\x01\x02 not a file we know")


@corpus_item("link-outside.pdf", "refused", "not followed")
def _symlink(inbox, base, records):
    os.symlink("/etc/passwd", inbox / "link-outside.pdf")


@corpus_item("link-to-folder", "refused", "not followed")
def _symlink_dir(inbox, base, records):
    os.symlink("/etc", inbox / "link-to-folder")


@corpus_item("truncated.jpg", "refused", "damaged")
def _truncated_jpeg(inbox, base, records):
    buffer = io.BytesIO()
    Image.new("L", (800, 1100), 200).save(buffer, format="JPEG")
    (inbox / "truncated.jpg").write_bytes(buffer.getvalue()[:300])


@corpus_item("bad-crc.png", "refused", "damaged")
def _bad_png(inbox, base, records):
    buffer = io.BytesIO()
    Image.new("L", (400, 500), 255).save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    data[29] ^= 0xFF  # inside the IHDR checksum
    (inbox / "bad-crc.png").write_bytes(bytes(data))


@corpus_item("junk.tif", "refused", "damaged")
def _junk_tiff(inbox, base, records):
    (inbox / "junk.tif").write_bytes(b"II*\x00" + os.urandom(500))


@corpus_item("holiday.gif", "unmatched", "no document code")
def _gif(inbox, base, records):
    picture = Image.new("RGB", (600, 800), (255, 255, 255))
    from PIL import ImageDraw

    ImageDraw.Draw(picture).ellipse((50, 50, 550, 750), fill=(20, 60, 160))
    picture.save(inbox / "holiday.gif")


@corpus_item("no-pages.pdf", "refused", "cannot be opened")
def _no_pages(inbox, base, records):
    (inbox / "no-pages.pdf").write_bytes(_pdf_bytes(PdfWriter()))


@corpus_item("junk-before-header.pdf", "matched", "VERIFIED")
def _junk_header(inbox, base, records):
    (inbox / "junk-before-header.pdf").write_bytes(b"\r\n\x00SCANNER v1\r\n" + _signed_scan_pdf(base, records[7]))


@corpus_item("garbage-content.pdf", "unmatched", "only blank pages")
def _garbage_content(inbox, base, records):
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(b"BT /F9 12 Tf (unterminated ET q q q 1 0 0 cm re f f f \xff\xfe Do Do BI ID " + os.urandom(200))
    page[__import__("pypdf").generic.NameObject("/Contents")] = writer._add_object(stream)
    (inbox / "garbage-content.pdf").write_bytes(_pdf_bytes(writer))


@corpus_item("landscape-photo.jpg", "matched", "page(s) 2")
def _rotated_photo(inbox, base, records):
    page2 = scans.signed_scan(base / "out" / records[8].path, records[8].geometry, dpi=150)[1]
    scans.to_jpeg(scans.photograph(page2).rotate(90, expand=True), inbox / "landscape-photo.jpg")


@corpus_item("unsigned-copy.pdf", "matched", "not signed")
def _unsigned(inbox, base, records):
    (inbox / "unsigned-copy.pdf").write_bytes(_signed_scan_pdf(base, records[9], signed=False))


@corpus_item("only-blank-pages.pdf", "unmatched", "only blank pages")
def _only_blank(inbox, base, records):
    scans.to_pdf([scans.blank_page(150), scans.blank_page(150)], inbox / "only-blank-pages.pdf", dpi=150)


# --- forged, sealed and as people send them (issue 13) ---


@corpus_item("IMG_0815.HEIC", "matched", "VERIFIED")
def _heic_photo(inbox, base, records):
    page2 = scans.signed_scan(base / "out" / records[10].path, records[10].geometry, dpi=150)[1]
    scans.to_heic(scans.photograph(page2, seed=6), inbox / "IMG_0815.HEIC")
    page1 = scans.signed_scan(base / "out" / records[10].path, records[10].geometry, dpi=150)[0]
    scans.to_jpeg(page1, inbox / "IMG_0814.jpg")


CORPUS["IMG_0814.jpg"] = ("matched", "page(s) 1")


@corpus_item("unterschrift-transparent.png", "matched", "VERIFIED")
def _transparent(inbox, base, records):
    pages = scans.signed_scan(base / "out" / records[11].path, records[11].geometry, dpi=150)
    scans.to_pdf([pages[0]], inbox / "seite1-zu-transparent.pdf", dpi=150)
    scans.on_transparency(pages[1]).save(inbox / "unterschrift-transparent.png")


CORPUS["seite1-zu-transparent.pdf"] = ("matched", "page(s) 1")


@corpus_item("negativ-mit-decode.pdf", "matched", "VERIFIED")
def _decode_inverted(inbox, base, records):
    pages = scans.signed_scan(base / "out" / records[12].path, records[12].geometry, dpi=150)
    scans.to_pdf([pages[0]], inbox / "negativ-0-seite1.pdf", dpi=150)
    scans.to_pdf_inverted_jpeg(pages[1], inbox / "negativ-mit-decode.pdf", dpi=150)


CORPUS["negativ-0-seite1.pdf"] = ("matched", "page(s) 1")


def _sealed_scan(base, record) -> bytes:
    from .digital import make_ca_and_signer, sign_pdf

    dms = make_ca_and_signer(base / "dms", "DMS Siegel", "Kommunales Rechenzentrum")
    return sign_pdf(_signed_scan_pdf(base, record), dms, field_name="Siegel")


@corpus_item("vom-dms-versiegelt.pdf", "matched", "electronically sealed by DMS Siegel")
def _sealed(inbox, base, records):
    (inbox / "vom-dms-versiegelt.pdf").write_bytes(_sealed_scan(base, records[13]))


@corpus_item("siegel-gebrochen.pdf", "matched", "REJECTED: the electronic seal of the scan is broken")
def _seal_broken(inbox, base, records):
    sealed = bytearray(_sealed_scan(base, records[14]))
    field = sealed.rindex(b"(Siegel)")
    sealed[field + 1] = ord("Z")   # a byte the seal covers, changed after sealing
    (inbox / "siegel-gebrochen.pdf").write_bytes(bytes(sealed))


@corpus_item("code-einer-anderen-stadt.pdf", "matched", "NEEDS REVIEW: the page does not match its code")
def _pasted_code(inbox, base, records):
    named, shown = records[15], records[16]
    ours = scans.signed_scan(base / "out" / named.path, named.geometry, dpi=150, signed=False)
    theirs = scans.signed_scan(base / "out" / shown.path, shown.geometry, dpi=150)
    pasted = [scans.paste_code(page, ours[index], named.geometry.qr[index + 1], 150)
              for index, page in enumerate(theirs)]
    scans.to_pdf(pasted, inbox / "code-einer-anderen-stadt.pdf", dpi=150)


@corpus_item("code-und-nummer-einer-anderen-stadt.pdf", "matched", "NEEDS REVIEW: the page does not match its code")
def _pasted_code_and_id_line(inbox, base, records):
    """The QR codes and the printed id lines cut from town A's unsigned copy, stuck on town B's signed pages."""
    named, shown = records[17], records[18]
    ours = scans.signed_scan(base / "out" / named.path, named.geometry, dpi=150, signed=False)
    theirs = scans.signed_scan(base / "out" / shown.path, shown.geometry, dpi=150)
    pasted = [scans.paste_code(scans.paste_code(page, ours[index], named.geometry.qr[index + 1], 150), ours[index],
                               [55.0, 30.0, 310.0, 58.0], 150) for index, page in enumerate(theirs)]
    scans.to_pdf(pasted, inbox / "code-und-nummer-einer-anderen-stadt.pdf", dpi=150)


@corpus_item("unsichtbarer-text.pdf", "unmatched", "no readable QR code")
def _invisible_text(inbox, base, records):
    from . import pdfedit

    named, shown = records[15], records[16]
    pages = [scans.blot_code(page, shown.geometry.qr[index + 1], 150) for index, page in
             enumerate(scans.signed_scan(base / "out" / shown.path, shown.geometry, dpi=150))]
    path = scans.to_pdf([scans.blot_code(pages[1], [0, 0, 595, 60], 150)],   # the id line too
                        inbox / "unsichtbarer-text.pdf", dpi=150)
    pdfedit.add_invisible_text(path, 0, f"Dok.-Nr. {named.doc_id}, Seite 2/2")


# --- mails and archives (issue 17): unpacked, each file checked in, every bad one refused with a reason ---

MAIL_ATTACHMENTS = 1  # files checked in from the mails below (each is an upload of its own, under received/)


@corpus_item("ohne-anhang.eml", "refused", "no attachment: nothing to check in")
def _mail_without_attachment(inbox, base, records):
    from . import mailfiles

    (inbox / "ohne-anhang.eml").write_bytes(mailfiles.eml(message_id="<ohne@corpus.example>"))


@corpus_item("nur-html.eml", "refused", "only HTML text (never shown here)")
def _mail_html_only(inbox, base, records):
    from . import mailfiles

    (inbox / "nur-html.eml").write_bytes(mailfiles.eml(
        body=None, html="<script>alert(1)</script><img src='http://tracker.example/x.png'>",
        message_id="<html@corpus.example>"))


@corpus_item("bombe-1000-teile.eml", "refused", "more than 200 MIME parts (a mail bomb?)")
def _mail_bomb(inbox, base, records):
    from . import mailfiles

    (inbox / "bombe-1000-teile.eml").write_bytes(mailfiles.eml(
        [(f"teil{n}.pdf", b"%PDF-1.4", "application/pdf") for n in range(1000)], message_id="<bombe@corpus.example>"))


@corpus_item("kaputtes-mime.eml", "refused", "a broken MIME structure")
def _broken_mime(inbox, base, records):
    (inbox / "kaputtes-mime.eml").write_bytes(
        b"From: a@corpus.example\r\nMessage-ID: <kaputt@corpus.example>\r\nMIME-Version: 1.0\r\nContent-Type: "
        b"multipart/mixed; boundary=\"nie\"\r\n\r\n--anders\r\nContent-Type: application/pdf\r\n\r\nJVBERi0x\r\n")


@corpus_item("passwort.zip", "refused", "protected by a password")
def _zip_with_password(inbox, base, records):
    from . import mailfiles

    (inbox / "passwort.zip").write_bytes(mailfiles.zip_of([("scan.pdf", b"%PDF-1.4 geheim")],
                                                          password_flag=frozenset({"scan.pdf"})))


@corpus_item("zip-bombe.zip", "refused", "(a ZIP bomb?)")
def _zip_bomb(inbox, base, records):
    from . import mailfiles

    (inbox / "zip-bombe.zip").write_bytes(mailfiles.zip_of([("null.pdf", bytes(20_000_000))]))


@corpus_item("urlaubsfoto.msg", "unpacked", "OUTLOOK MAIL from post@alfter.example")
def _outlook_photo(inbox, base, records):
    from . import mailfiles

    picture = io.BytesIO()
    Image.new("RGB", (900, 700), (40, 120, 200)).save(picture, format="PNG")
    (inbox / "urlaubsfoto.msg").write_bytes(mailfiles.msg([("Strand.png", picture.getvalue(), "image/png")]))


def _code_page(path: Path, payload: str) -> None:
    code = scans.qr_image(payload)
    page = scans.blank_page(150)
    page.paste(code, (page.width - code.width - 80, page.height - code.height - 80))
    page.save(path)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory, request):
    """A round of 17 municipalities, the corpus in its inbox, one check-in run."""
    from click.testing import CliRunner

    from .conftest import small_round_rows  # noqa: F401 - the session round has 5; we need 10
    from .helpers import ROUND_TOML, nrw_rows, person, write_csv

    base = tmp_path_factory.mktemp("corpus")
    shutil.copy(ROUND_TOML, base / "round.toml")
    names = ["Stadt Bielefeld", "Gemeinde Alfter", "Kreis Borken", "StädteRegion Aachen", "Stadt Köln",
             "Stadt Monschau", "Gemeinde Kalletal", "Kreis Kleve", "Stadt Dülmen", "Gemeinde Wachtberg",
             "Stadt Dortmund", "Stadt Bochum", "Stadt Essen", "Gemeinde Hünxe", "Stadt Münster", "Stadt Hamm",
             "Stadt Herne", "Stadt Hagen", "Stadt Witten"]
    rows = [person(row, "Frau", "Eva", f"Muster{index}", strasse="Markt 1", plz=row["plz"] or "40213",
                   ort=row["name"]) for index, row in enumerate(nrw_rows(*names))]
    write_csv(base / "signatories.csv", rows)
    runner = CliRunner()
    rendered = runner.invoke(cli, ["render", "--signatories", str(base / "signatories.csv"), "--round",
                                   str(base / "round.toml"), "--out", str(base / "out"), "-q"])
    assert rendered.exit_code == 0, rendered.output
    with Ledger.open(base / "out") as ledger:
        records = [ledger.latest_documents(ROUND)[row["ags"]] for row in rows]
    inbox = base / "inbox"
    inbox.mkdir()
    for builder in BUILDERS:
        builder(inbox, base, records)
    inputs = sorted(str(path.relative_to(inbox)) for path in inbox.rglob("*") if path.is_file() or path.is_symlink())
    result = runner.invoke(cli, ["checkin", "--out", str(base / "out"), "--round", str(base / "round.toml"), "-q",
                                 "--inbox", str(inbox), "--max-megapixels", "100", "--max-pages", "300"])
    with Ledger.open(base / "out") as ledger:
        uploads = {row["original_name"]: dict(row) for row in ledger.connection.execute("SELECT * FROM uploads")}
        uploads.update({row["original_name"]: dict(row) for row in ledger.all_messages()})  # mails and archives
        events = [dict(row) for row in ledger.events(ROUND)]
    return {"base": base, "result": result, "uploads": uploads, "events": events, "inputs": inputs}


def _lines_for(output: str, name: str) -> str:
    lines, taking = [], False
    for line in output.splitlines():
        if line.startswith(f"{name}:"):
            taking = True
            lines.append(line)
        elif taking and line.startswith("  "):
            lines.append(line)
        else:
            taking = False
    return "\n".join(lines)


def test_corpus_has_at_least_30_kinds():
    assert len(CORPUS) >= 30, len(CORPUS)


def test_the_corpus_holds_the_forged_sealed_and_phone_cases_of_issue_13():
    issue_13 = {"IMG_0815.HEIC", "unterschrift-transparent.png", "negativ-mit-decode.pdf", "vom-dms-versiegelt.pdf",
                "siegel-gebrochen.pdf", "code-einer-anderen-stadt.pdf", "code-und-nummer-einer-anderen-stadt.pdf",
                "unsichtbarer-text.pdf"}
    assert issue_13 <= set(CORPUS), issue_13 - set(CORPUS)
    assert len(CORPUS) >= 48, len(CORPUS)


def test_no_traceback_and_needs_attention_exit(corpus_run):
    result = corpus_run["result"]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    assert f"Checked in {len(CORPUS)} upload(s)" in result.output, result.output


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_bad_upload_has_an_outcome_a_reason_and_a_place(corpus_run, name):
    expected_outcome, says = CORPUS[name]
    lines = _lines_for(corpus_run["result"].output, name)
    assert lines, f"no result line for {name}:\n{corpus_run['result'].output}"
    assert says in lines, lines
    base = corpus_run["base"]
    if expected_outcome == "duplicate":
        assert any(event["kind"] == "upload_repeat" and name in (event["details"] or "")
                   for event in corpus_run["events"])
        stored = next(event for event in corpus_run["events"] if event["kind"] == "upload_repeat"
                      and name in event["details"])
        assert (base / "out" / json.loads(stored["details"])["stored"]).is_file()
        return
    upload = corpus_run["uploads"][name]
    assert upload["outcome"] == expected_outcome, (upload["outcome"], upload["reason"])
    assert (base / "out" / upload["stored_path"]).is_symlink() or (base / "out" / upload["stored_path"]).is_file()


def test_nothing_left_in_the_inbox_nothing_lost(corpus_run):
    base = corpus_run["base"]
    assert [p for p in (base / "inbox").rglob("*") if p.is_file() or p.is_symlink()] == []
    stored = [p for p in (base / "out" / ROUND / "received").rglob("*") if p.is_file() or p.is_symlink()]
    assert len(stored) == len(corpus_run["inputs"]) + MAIL_ATTACHMENTS


def test_javascript_and_launch_actions_are_never_run(corpus_run):
    assert not (corpus_run["base"] / "javascript-ran").exists()


def test_links_are_moved_not_followed(corpus_run):
    assert Path("/etc/passwd").exists() and Path("/etc").is_dir()
    links = list((corpus_run["base"] / "out" / ROUND / "received" / "links").iterdir())
    assert len(links) == 2 and all(link.is_symlink() for link in links)


def test_time_limit_sets_a_slow_file_aside(fresh_round, runner):
    from .test_checkin import documents, inbox

    record = documents(fresh_round)[0]
    pages = scans.signed_scan(fresh_round / "out" / record.path, record.geometry, dpi=300) * 10
    scans.to_pdf(pages, inbox(fresh_round) / "20-seiten.pdf", dpi=300)
    result = runner.invoke(cli, ["checkin", "--out", str(fresh_round / "out"), "--round",
                                 str(fresh_round / "round.toml"), "-q", "--max-seconds", "0.2"])
    assert "took longer than" in result.output, result.output
    assert result.exit_code == 1


def test_a_single_upload_that_hangs_a_decoder_is_given_up(fresh_round, runner, monkeypatch):
    """The hard limit needs a separate process, also for one file: a decoder stuck inside one page never
    reaches intake's check between pages."""
    import time

    from pipeline.checkin import identify

    from .test_checkin import documents, inbox

    record = documents(fresh_round)[0]
    scans.to_pdf(scans.signed_scan(fresh_round / "out" / record.path, record.geometry, dpi=150),
                 inbox(fresh_round) / "haengt.pdf", dpi=150)

    def stuck(path, context):
        time.sleep(3600)  # a decoder that never returns (the forked worker inherits this)

    monkeypatch.setattr(identify, "analyse", stuck)
    started = time.monotonic()
    result = runner.invoke(cli, ["checkin", "--out", str(fresh_round / "out"), "--round",
                                 str(fresh_round / "round.toml"), "-q", "--max-seconds", "0.5"])
    assert "haengt.pdf: REFUSED: reading the file took longer than" in result.output, result.output
    assert time.monotonic() - started < 60
    assert result.exit_code == 1


def test_a_pool_shared_by_threads_gives_up_the_hanging_file_and_reads_the_others_again(fresh_round, monkeypatch):
    """A server's threads share one pool: when one file hangs, the pool is replaced, and the file another
    thread was waiting for (queued behind it, so lost with the old pool) is read again, not refused."""
    import threading
    import time

    from pipeline.checkin import AnalysisPool, identify, load_settings

    def analyse(path, context):
        if path.name == "haengt.pdf":
            time.sleep(3600)
        return f"gelesen: {path.name}"

    monkeypatch.setattr(identify, "analyse", analyse)  # the forked workers inherit this
    round_cfg = load_round(fresh_round / "round.toml")
    pool = AnalysisPool(round_cfg, fresh_round / "out", load_settings(round_cfg, max_seconds=0.5), workers=1)
    answers, closed = {}, threading.Event()

    def read(name: str) -> None:
        answers[name] = pool.result(pool.submit(fresh_round / name))
        # A forked worker dies with the thread that forked it (PR_SET_PDEATHSIG): the thread that replaced
        # the pool stays until it is closed. (A server's workers come from its fork server, not a thread.)
        closed.wait(60)

    threads = [threading.Thread(target=read, args=(name,)) for name in ("haengt.pdf", "gut.pdf")]
    with pool:
        threads[0].start()
        time.sleep(2)  # the second file waits behind the hanging one, and for longer than its own limit
        threads[1].start()
        deadline = time.monotonic() + 60
        while len(answers) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    closed.set()
    for thread in threads:
        thread.join(60)
    assert "took longer than" in answers["haengt.pdf"].refused
    assert answers["gut.pdf"] == "gelesen: gut.pdf"
