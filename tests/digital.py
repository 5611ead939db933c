"""A test certificate authority and two independent PDF signers, made in the test (no key material checked in).

`sign_pdf` signs with pyHanko, as most PDF editors' signatures look; `sign_pdf_independently` builds the
incremental update by hand and the CMS signature with the `cryptography` package, so that the checks are
not tuned to one signing library's output.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID


def _name(common_name: str, organisation: str | None = "Testkommune") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "DE")]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _key_usage(**granted: bool) -> x509.KeyUsage:
    flags = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
             "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{flag: granted.get(flag, False) for flag in flags})


def make_ca_and_signer(directory: Path, signer_name: str = "Maria Schmitz",
                       organisation: str | None = "Testkommune", rsa: bool = False) -> dict[str, Path]:
    """Root CA + signer certificate (digital signature + non-repudiation) as PEM files."""
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name("Test Root CA")).issuer_name(_name("Test Root CA"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
               .sign(ca_key, hashes.SHA256()))
    paths = {"ca": directory / "ca.pem", "ca_key": directory / "ca.key"}
    paths["ca"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths["ca_key"].write_bytes(ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    return {**paths, **issue_signer(paths, signer_name, organisation, directory / "signer", rsa=rsa)}


def issue_signer(ca: dict[str, Path], signer_name: str, organisation: str | None, stem: Path,
                 rsa: bool = False) -> dict[str, Path]:
    """Another signer certificate from the same CA (e.g. the mayor of another town, or a town's seal).
    `rsa`: an RSA-2048 key instead of EC P-256 (endesive labels every signature RSA)."""
    ca_cert = x509.load_pem_x509_certificate(ca["ca"].read_bytes())
    ca_key = serialization.load_pem_private_key(ca["ca_key"].read_bytes(), password=None)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    if rsa:
        from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys

        key = rsa_keys.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name(signer_name, organisation)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"cert": stem.with_suffix(".pem"), "key": stem.with_suffix(".key"), "ca": ca["ca"], "ca_key": ca["ca_key"]}
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


def sign_pdf(pdf: bytes, credentials: dict[str, Path], field_name: str = "Unterschrift") -> bytes:
    """Sign our PDF as a municipality's PDF editor would: an incremental update with a PAdES signature."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    signer = signers.SimpleSigner.load(str(credentials["key"]), str(credentials["cert"]),
                                       ca_chain_files=(str(credentials["ca"]),))
    output = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signers.sign_pdf(writer, signers.PdfSignatureMetadata(field_name=field_name), signer=signer, output=output)
    return output.getvalue()


def sign_pdf_independently(pdf: bytes, credentials: dict[str, Path]) -> bytes:
    """The same, without pyHanko: a hand-made incremental update (catalog with /AcroForm, page 2 with the
    widget, signature dictionary, classic xref table) and an adbe.pkcs7.detached CMS from `cryptography`."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    root_ref = reader.trailer.raw_get("/Root")
    page_ref = reader.pages[-1].indirect_reference
    size = int(reader.trailer["/Size"])
    sig, widget, form = size, size + 1, size + 2
    page = reader.pages[-1]
    catalog = reader.trailer["/Root"]

    def serialise(obj) -> bytes:
        buffer = io.BytesIO()
        obj.write_to_stream(buffer)
        return buffer.getvalue()

    page_entries = b"".join(serialise(key) + b" " + serialise(value) + b"\n"
                            for key, value in page.items() if key != "/Annots")
    annots = b" ".join(serialise(a) for a in page.get("/Annots", [])) + f" {widget} 0 R".encode()
    root_entries = b"".join(serialise(key) + b" " + serialise(value) + b"\n"
                            for key, value in catalog.items() if key != "/AcroForm")
    placeholder = b"<" + b"0" * 16384 + b">"
    objects = [
        (sig, b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached /ByteRange "
              b"[0 0000000000 0000000000 0000000000] /M (D:20240601120000Z) /Contents " + placeholder + b" >>"),
        (widget, f"<< /Type /Annot /Subtype /Widget /FT /Sig /T (Unterschrift2) /Rect [0 0 0 0] /F 132 "
                 f"/P {page_ref.idnum} 0 R /V {sig} 0 R >>".encode()),
        (form, f"<< /Fields [{widget} 0 R] /SigFlags 3 >>".encode()),
        (page_ref.idnum, b"<< " + page_entries + b"/Annots [" + annots + b"] >>"),
        (root_ref.idnum, b"<< " + root_entries + f"/AcroForm {form} 0 R >>".encode()),
    ]
    body, offsets = io.BytesIO(), {}
    prefix = pdf if pdf.endswith(b"\n") else pdf + b"\n"
    for number, content in objects:
        offsets[number] = len(prefix) + body.tell()
        body.write(f"{number} 0 obj\n".encode() + content + b"\nendobj\n")
    xref_at = len(prefix) + body.tell()
    xref = [b"xref\n0 1\n0000000000 65535 f \n"]
    for number in sorted(offsets):
        xref.append(f"{number} 1\n{offsets[number]:010d} 00000 n \n".encode())
    previous = reader.trailer.get("/Prev")  # noqa: F841 - the last xref's offset comes from startxref
    last_xref = int(re.findall(rb"startxref\s+(\d+)", pdf)[-1])
    trailer = (f"trailer\n<< /Size {size + 3} /Root {root_ref.idnum} 0 R /Prev {last_xref} >>\n"
               f"startxref\n{xref_at}\n%%EOF\n").encode()
    document = bytearray(prefix + body.getvalue() + b"".join(xref) + trailer)
    start = document.index(placeholder)
    end = start + len(placeholder)
    byte_range = f"[0 {start:010d} {end:010d} {len(document) - end:010d}]".encode()
    range_at = document.index(b"[0 0000000000 0000000000 0000000000]")
    document[range_at:range_at + len(byte_range)] = byte_range
    signed_bytes = bytes(document[:start]) + bytes(document[end:])
    cert = x509.load_pem_x509_certificate(credentials["cert"].read_bytes())
    key = serialization.load_pem_private_key(credentials["key"].read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(credentials["ca"].read_bytes())
    cms = (pkcs7.PKCS7SignatureBuilder().set_data(signed_bytes).add_signer(cert, key, hashes.SHA256())
           .add_certificate(ca).sign(serialization.Encoding.DER,
                                     [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]))
    hex_cms = cms.hex().encode()
    assert len(hex_cms) <= 16384, "CMS larger than the placeholder"
    document[start + 1:start + 1 + len(hex_cms)] = hex_cms
    return bytes(document)


def sign_pdf_with_endesive(pdf: bytes, credentials: dict[str, Path], field_name: str = "Siegel") -> bytes:
    """The same with a second, independent signing library (endesive): its own incremental update, its own
    CMS, as document management systems built on it write them."""
    endesive_cms = _endesive_signer()
    cert = x509.load_pem_x509_certificate(credentials["cert"].read_bytes())
    key = serialization.load_pem_private_key(credentials["key"].read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(credentials["ca"].read_bytes())
    details = {"sigflags": 3, "sigpage": 0, "sigfield": field_name, "auto_sigfield": True, "contact": "",
               "location": "Rathaus", "signingdate": dt.datetime.now(dt.UTC).strftime("D:%Y%m%d%H%M%S+00'00'"),
               "reason": "Elektronisches Siegel", "signature": "", "aligned": 0}
    with _old_pypdf_calls():
        return pdf + endesive_cms.sign(pdf, details, key, cert, [ca], "sha256")


def _old_pypdf_calls():
    """endesive 3.0 writes its trailer with pypdf's old `write_to_stream(stream, encryption_key)` (pypdf 5
    dropped the second argument), and an xref stream's /W and /Index arrays as raw text in a NameObject
    (pypdf 7 refuses a name without its slash). Both accepted, as older pypdf did, while endesive signs."""
    import contextlib

    from pypdf.generic import DictionaryObject, NameObject, StreamObject

    @contextlib.contextmanager
    def patched():
        saved = {cls: cls.__dict__["write_to_stream"] for cls in (DictionaryObject, StreamObject)}
        renumber = NameObject.__dict__["renumber"]
        for cls, method in saved.items():
            cls.write_to_stream = lambda self, stream, *ignored, _method=method: _method(self, stream)
        NameObject.renumber = lambda self: self.encode() if not self.startswith("/") else renumber(self)
        try:
            yield
        finally:
            for cls, method in saved.items():
                cls.write_to_stream = method
            NameObject.renumber = renumber

    return patched()


def _endesive_signer():
    """endesive's PDF signer. Its package also imports its verifier, which needs oscrypto, and oscrypto 1.3
    cannot read OpenSSL 3.0.1x's version number: signing needs neither, so a failing verifier is stubbed."""
    import sys
    import types

    try:
        import endesive.verifier  # noqa: F401
    except Exception:  # noqa: BLE001 - oscrypto's LibraryNotFoundError
        stub = types.ModuleType("endesive.verifier")
        stub.SignatureVerifier = object
        sys.modules["endesive.verifier"] = stub
    from endesive.pdf import cms

    return cms
