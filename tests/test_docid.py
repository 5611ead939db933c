"""Document ids: build, parse, check the MAC, QR payloads, the secret."""

import stat

import pytest

from pipeline import docid


def test_round_trip_and_mac(tmp_path):
    secret = docid.load_secret(tmp_path)
    doc_id = docid.make_doc_id(secret, "2024-05", "05711000", 3)
    text = str(doc_id)
    assert text.startswith("ENG-2024-05-05711000-V3-")
    parsed = docid.parse_doc_id(text.lower())
    assert parsed == doc_id
    docid.check_doc_id(secret, parsed)


def test_a_changed_character_fails_the_check(tmp_path):
    secret = docid.load_secret(tmp_path)
    doc_id = docid.make_doc_id(secret, "2024-05", "05711000", 1)
    forged = docid.DocId(doc_id.round, "05711004", doc_id.version, doc_id.mac)  # another town, same MAC
    with pytest.raises(docid.DocIdError, match="check code"):
        docid.check_doc_id(secret, forged)
    other_secret = docid.make_doc_id(b"x" * 32, "2024-05", "05711000", 1)
    with pytest.raises(docid.DocIdError):
        docid.check_doc_id(secret, other_secret)


def test_qr_payload_names_page_and_count(tmp_path):
    doc_id = docid.make_doc_id(docid.load_secret(tmp_path), "R1", "05554", 2)
    ref = docid.parse_qr_payload(doc_id.qr_payload(2, 2))
    assert (ref.doc_id, ref.page, ref.pages) == (doc_id, 2, 2)
    for bad in ("hello", f"{doc_id}/3/2", "ENG-R1-123-V1-ABCDEFGH/1/2"):
        with pytest.raises(docid.DocIdError):
            docid.parse_qr_payload(bad)


def test_secret_is_created_once_and_private(tmp_path):
    first = docid.load_secret(tmp_path)
    assert docid.load_secret(tmp_path) == first and len(first) == 32
    mode = (tmp_path / docid.SECRET_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
