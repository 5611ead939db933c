"""Issue 13: nothing forged passes. Each attack on a digitally signed return, made with three independent
signers (pyHanko; endesive, a second signing library; and a hand-made incremental update with a CMS from
`cryptography`), and the honest returns that must stay verified."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from pipeline.checkin.digital import ExpectedSigner, check_digital_signature, load_trust_roots

from ..digital import issue_signer, make_ca_and_signer, sign_pdf, sign_pdf_independently, sign_pdf_with_endesive

SIGNERS = {"pyhanko": sign_pdf, "independent": sign_pdf_independently,
           "endesive": lambda pdf, credentials: sign_pdf_with_endesive(pdf, credentials, "Unterschrift")}


@pytest.fixture(scope="module")
def pki(tmp_path_factory, record) -> dict[str, Path]:
    """A CA and the municipality's head, as the spreadsheet names them (here: StädteRegion Aachen)."""
    person = f"{record.signatory['vorname']} {record.signatory['nachname']}"
    # RSA keys: endesive labels every signature RSA (an EC key's signature would not verify)
    return make_ca_and_signer(tmp_path_factory.mktemp("pki"), person, record.signatory["bezeichnung"], rsa=True)


@pytest.fixture(scope="module")
def ours(rendered_pdf) -> bytes:
    return rendered_pdf.read_bytes()


@pytest.fixture(scope="module")
def expected(record) -> ExpectedSigner:
    return ExpectedSigner.of(record.ags, record.signatory)


def check(data: bytes, ours: bytes, pki, expected, **rules):
    if rules:
        expected = ExpectedSigner(**{**expected.__dict__, **rules})
    return check_digital_signature(data, ours, load_trust_roots([pki["ca"]]), expected)


def incremental(pdf: bytes, change) -> bytes:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    change(writer)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def whiten_and_write(writer) -> None:
    """A paragraph painted white and new text written over it, as a PDF editor's 'edit text' does."""
    from pyhanko.pdf_utils import generic

    stream = writer.add_object(generic.StreamObject(
        stream_data=b"q 1 1 1 rg 60 500 480 80 re f Q BT /F1 11 Tf 62 540 Td (Die Gemeinde tritt aus.) Tj ET"))
    writer.add_stream_to_page(0, stream)


def append_page(writer) -> None:
    from pyhanko.pdf_utils import generic

    pages = writer.root["/Pages"]
    first = pages["/Kids"][0].get_object()
    page = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/Parent"): writer.root.raw_get("/Pages"),
        generic.NameObject("/MediaBox"): first["/MediaBox"]}))
    pages["/Kids"].append(page)
    pages["/Count"] = generic.NumberObject(len(pages["/Kids"]))
    writer.update_container(pages)


def add_text_field(writer) -> None:
    """An empty text field over a paragraph: invisible until someone fills it in."""
    from pyhanko.pdf_utils import generic

    page_ref = writer.root["/Pages"].raw_get("/Kids")[0]
    field = writer.add_object(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Annot"),
        generic.NameObject("/Subtype"): generic.NameObject("/Widget"),
        generic.NameObject("/FT"): generic.NameObject("/Tx"),
        generic.NameObject("/T"): generic.TextStringObject("absatz"),
        generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (60, 500, 540, 580)]),
        generic.NameObject("/P"): page_ref}))
    page = page_ref.get_object()
    page["/Annots"] = generic.ArrayObject([field])
    writer.update_container(page)
    writer.root["/AcroForm"] = generic.DictionaryObject({generic.NameObject("/Fields"): generic.ArrayObject([field])})
    writer.update_root()


@pytest.mark.parametrize("signer", sorted(SIGNERS))
def test_the_honest_return_is_verified(signer, ours, pki, expected):
    result = check(SIGNERS[signer](ours, pki), ours, pki, expected)
    assert (result.verdict, result.reason) == ("verified", ""), result.reason


@pytest.mark.parametrize("signer", sorted(SIGNERS))
@pytest.mark.parametrize("attack, reason", [
    (whiten_and_write, ("the content of page 1 was changed",)),
    (append_page, ("it has 3 pages, our document 2",)),
    # the hand-made signer writes its own form dictionary: the text field's widget still shows on page 1
    (add_text_field, ("a form field (Tx) was added", "an annotation (Widget) was added on page 1")),
])
def test_content_changed_before_signing_is_rejected_naming_the_change(signer, attack, reason, ours, pki, expected):
    result = check(SIGNERS[signer](incremental(ours, attack), pki), ours, pki, expected)
    assert result.verdict == "rejected" and result.code == "digital_changed_before", result.reason
    assert result.reason.startswith("the document was changed before it was signed: ")
    assert any(fragment in result.reason for fragment in reason), result.reason


def test_a_form_field_filled_after_signing_is_rejected(ours, pki, expected):
    from pyhanko.pdf_utils import generic

    signed = sign_pdf(incremental(ours, add_text_field), pki)

    def fill(writer) -> None:
        field = writer.root["/AcroForm"]["/Fields"][0].get_object()
        field["/V"] = generic.TextStringObject("Die Gemeinde tritt aus.")
        writer.update_container(field)

    result = check(incremental(signed, fill), ours, pki, expected)
    assert result.verdict == "rejected" and "a form field (Tx) was added" in result.reason


def test_an_annotation_laid_over_the_text_after_signing_is_rejected(ours, pki, expected):
    from pyhanko.pdf_utils import generic

    def cover(writer) -> None:
        page_ref = writer.root["/Pages"].raw_get("/Kids")[0]
        square = writer.add_object(generic.DictionaryObject({
            generic.NameObject("/Type"): generic.NameObject("/Annot"),
            generic.NameObject("/Subtype"): generic.NameObject("/Square"),
            generic.NameObject("/IC"): generic.ArrayObject([generic.FloatObject(1)] * 3),
            generic.NameObject("/Rect"): generic.ArrayObject([generic.NumberObject(n) for n in (60, 500, 540, 580)])}))
        page = page_ref.get_object()
        page["/Annots"] = generic.ArrayObject([*page.get("/Annots", []), square])
        writer.update_container(page)

    result = check(incremental(sign_pdf(ours, pki), cover), ours, pki, expected)
    assert result.verdict == "rejected" and "an annotation (Square) was added on page 1" in result.reason


@pytest.mark.parametrize("signer", sorted(SIGNERS))
def test_the_wrong_signer_goes_to_review_showing_both_names(signer, ours, pki, expected, tmp_path):
    dortmund = issue_signer(pki, "Thomas Westphal", "Stadt Dortmund", tmp_path / "dortmund", rsa=True)
    result = check(SIGNERS[signer](ours, dortmund), ours, pki, expected)
    assert (result.verdict, result.code) == ("needs_review", "digital_wrong_signer")
    assert result.reason == (f"signed by Thomas Westphal (Stadt Dortmund), but the document is for "
                             f"{expected.person}, {expected.bezeichnung}")


def test_the_municipalitys_seal_and_a_later_second_signature_stay_verified(ours, pki, expected, tmp_path):
    seal = issue_signer(pki, f"{expected.bezeichnung} Siegel", expected.bezeichnung, tmp_path / "seal")
    assert check(sign_pdf(ours, seal), ours, pki, expected).verdict == "verified"
    twice = sign_pdf(sign_pdf(ours, pki), seal, field_name="Gegenzeichnung")
    result = check(twice, ours, pki, expected)
    assert result.verdict == "verified", result.reason
    assert [s["field"] for s in result.signers] == ["Unterschrift", "Gegenzeichnung"]


def test_a_round_may_name_the_organisations_or_certificates_it_trusts(ours, pki, expected, tmp_path):
    from cryptography import x509

    office = issue_signer(pki, "Hans Meier", "Kreisverwaltung Lippe", tmp_path / "office")
    signed = sign_pdf(ours, office)
    assert check(signed, ours, pki, expected).verdict == "needs_review"
    assert check(signed, ours, pki, expected, organisations=("Kreisverwaltung Lippe",)).verdict == "verified"
    fingerprint = x509.load_pem_x509_certificate(office["cert"].read_bytes()).fingerprint(
        __import__("cryptography.hazmat.primitives.hashes", fromlist=["SHA256"]).SHA256()).hex()
    assert check(signed, ours, pki, expected, fingerprints=(fingerprint,)).verdict == "verified"
    assert check(signed, ours, pki, expected, fingerprints=("0" * 64,)).verdict == "needs_review"


def test_a_self_signed_certificate_prints_nothing_on_the_terminal(ours, tmp_path, capfd, expected):
    lonely = make_ca_and_signer(tmp_path / "alone", expected.person, expected.bezeichnung)
    result = check_digital_signature(sign_pdf(ours, lonely), ours, [], expected)
    assert result.verdict == "needs_review"
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and captured.err == "", captured.err
