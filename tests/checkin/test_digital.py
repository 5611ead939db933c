"""Digital signatures: our PDF signed with a test CA made here, checked against the bytes we rendered."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pipeline.checkin.digital import check_digital_signature, load_trust_roots
from pipeline.errors import InvalidInputError

from ..digital import make_ca_and_signer, sign_pdf

SIGNER = "Maria Schmitz (Testkommune)"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    return make_ca_and_signer(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def rendered(rendered_pdf) -> bytes:
    return rendered_pdf.read_bytes()


@pytest.fixture(scope="module")
def signed(rendered, pki) -> bytes:
    return sign_pdf(rendered, pki)


def test_signed_by_a_trusted_certificate_is_verified(signed, rendered, pki):
    result = check_digital_signature(signed, rendered, load_trust_roots([pki["ca"]]))
    assert (result.verdict, result.code, result.reason) == ("verified", "digitally_signed", "")
    [signer] = result.signers
    assert (signer["signer"], signer["field"], signer["trusted"]) == (SIGNER, "Unterschrift", True)
    assert signer["coverage"] == "ENTIRE_FILE" and signer["signed_at"]


def test_without_trust_roots_a_person_looks(signed, rendered):
    result = check_digital_signature(signed, rendered, [])
    assert (result.verdict, result.code) == ("needs_review", "digital_untrusted")
    assert result.reason == f"digitally signed by {SIGNER}, but no trusted certificates are configured"


def test_a_certificate_from_another_authority_is_not_trusted(signed, rendered, tmp_path):
    other = make_ca_and_signer(tmp_path / "other-pki")
    result = check_digital_signature(signed, rendered, load_trust_roots([other["ca"]]))
    assert (result.verdict, result.code) == ("needs_review", "digital_untrusted")
    assert result.reason == f"digitally signed by {SIGNER}, but its certificate is not trusted"


def test_bytes_changed_after_signing_are_rejected(signed, rendered, pki):
    # The signed revision restates the catalogue: change its language, same length, our bytes untouched.
    after = signed[len(rendered):]
    assert b"/Lang (de)" in after
    changed = rendered + after.replace(b"/Lang (de)", b"/Lang (en)", 1)
    result = check_digital_signature(changed, rendered, load_trust_roots([pki["ca"]]))
    assert (result.verdict, result.code) == ("rejected", "digital_invalid")
    assert result.reason == ("the digital signature does not match the file (the file was changed after signing, "
                             "or the signature is broken)")


def test_a_revision_added_after_signing_is_rejected(signed, rendered, pki):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    box = writer.add_object(generic.StreamObject(stream_data=b"0 0 1 rg 10 10 100 100 re f"))
    writer.add_stream_to_page(0, box)   # a blue square drawn on page 1 after the signature
    output = io.BytesIO()
    writer.write(output)
    result = check_digital_signature(output.getvalue(), rendered, load_trust_roots([pki["ca"]]))
    assert (result.verdict, result.code, result.reason) == (
        "rejected", "digital_modified", "the document was changed after it was signed: the content of page 1 was "
                                        "changed")


def test_a_file_that_does_not_start_with_our_bytes_is_not_ours(signed, rendered, pki):
    changed_before = bytearray(signed)
    changed_before[len(rendered) // 2] ^= 0x01   # one byte of our document, changed before it was signed
    for upload in (bytes(changed_before), b"%PDF-1.7\n" + signed):
        result = check_digital_signature(upload, rendered, load_trust_roots([pki["ca"]]))
        assert (result.verdict, result.code) == ("rejected", "digital_not_ours")
        assert result.reason.startswith("the digitally signed file is not our document as sent")


def test_our_unsigned_file_has_no_signature(rendered):
    result = check_digital_signature(rendered, rendered, [])
    assert (result.verdict, result.code) == ("rejected", "digital_invalid")
    assert result.reason == "the file has a signature field but no signature"


# --- trust roots --------------------------------------------------------------------------------------------


def test_trust_roots_from_pem_der_and_a_bundle(pki, tmp_path):
    ca = x509.load_pem_x509_certificate(pki["ca"].read_bytes())
    der = tmp_path / "ca.der"
    der.write_bytes(ca.public_bytes(serialization.Encoding.DER))
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(pki["ca"].read_bytes() + pki["cert"].read_bytes())

    [from_pem] = load_trust_roots([pki["ca"]])
    [from_der] = load_trust_roots([der])
    assert from_pem.dump() == from_der.dump() == ca.public_bytes(serialization.Encoding.DER)
    assert from_pem.subject.native["common_name"] == "Test Root CA"
    assert [root.subject.native["common_name"] for root in load_trust_roots([bundle])] == ["Test Root CA",
                                                                                          "Maria Schmitz"]
    assert load_trust_roots([]) == []


@pytest.mark.parametrize("content", [b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                          b"-----END CERTIFICATE-----\n", b"\x30\x03\x02\x01\x01"],
                         ids=["text", "broken-pem", "der-but-no-certificate"])
def test_a_broken_trust_root_is_named(tmp_path, pki, content):
    broken = tmp_path / "kaputt.pem"
    broken.write_bytes(content)
    with pytest.raises(InvalidInputError) as refused:
        load_trust_roots([pki["ca"], broken])
    assert str(refused.value).startswith(f"{broken}: not an X.509 certificate (PEM or DER): ")


def test_a_missing_trust_root_is_named(tmp_path):
    missing = tmp_path / "fehlt.pem"
    with pytest.raises(InvalidInputError) as refused:
        load_trust_roots([missing])
    assert str(refused.value) == f"{missing}: cannot read trust root (No such file or directory)"
