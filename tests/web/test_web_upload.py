"""Uploads through a municipality's private link, over HTTP (Flask's test client): the answer at once, the
JSON contract, repeats, other municipalities' copies, file types and limits, receipts."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader

from pipeline.ledger import Ledger
from pipeline.states import EventKind

from .conftest import PHOTOS, ROUND_ID, UNSIGNED, add_portal, add_user, issue, make_app, path_of, upload


def state_of(base: Path, ags: str) -> str:
    with Ledger.open(base / "out") as ledger:
        record = ledger.current_document(ROUND_ID, ags)
        return ledger.state_event(record.doc_id)["state"]


def test_a_signed_scan_is_accepted_at_once_and_answers_the_json_contract(client, portal_round, links, scan_files):
    ags = sorted(links)[0]
    response = upload(client, links[ags], scan_files[f"signed-{ags}"])
    assert response.status_code == 200 and response.mimetype == "application/json"
    answer = response.get_json()
    sha = answer["upload"]
    assert len(sha) == 64 and {key for key in answer["results"][0]} >= {"doc_id", "ags", "state", "reason"}
    assert answer["results"][0]["ags"] == ags and answer["results"][0]["state"] == "verified"
    assert answer["results"][0]["status"] == "angenommen"
    assert state_of(portal_round, ags) == "verified"
    with Ledger.open(portal_round / "out") as ledger:
        assert ledger.upload(sha)["stored_path"] == f"{ROUND_ID}/received/{sha}.pdf"
        arrivals = [row for row in ledger.events(ROUND_ID, ags) if row["kind"] == EventKind.WEB_UPLOAD]
    assert [row["actor"] for row in arrivals] == [f"link:{ags}"]
    page = client.get(path_of(links[ags]))
    assert "angenommen" in page.text and "unterschrieben eingegangen" in page.text
    assert not list((portal_round / "out" / ROUND_ID / "web" / "incoming").rglob("*.pdf"))  # moved, not copied


def test_unsigned_copy_gets_its_reason_and_a_second_upload_fixes_it(client, portal_round, links, scan_files):
    ags = sorted(links)[UNSIGNED]
    first = upload(client, links[ags], scan_files["unsigned"], json_answer=False)
    assert first.status_code == 200
    assert "abgelehnt" in first.text and "Unterschriftsfeld auf Seite 2 ist leer" in first.text
    assert "Bitte unterschreiben Sie auf Seite 2" in first.text
    assert state_of(portal_round, ags) == "rejected"
    second = upload(client, links[ags], scan_files[f"signed-{ags}"]).get_json()
    assert second["results"][0]["state"] == "verified" and state_of(portal_round, ags) == "verified"
    listed = client.get(path_of(links[ags])).text
    assert listed.count('data-status="abgelehnt"') == 1 and listed.count('data-status="angenommen"') == 1


def test_the_same_file_again_is_already_received_and_changes_nothing(client, portal_round, links, scan_files):
    ags = sorted(links)[UNSIGNED]
    upload(client, links[ags], scan_files["unsigned"])
    with Ledger.open(portal_round / "out") as ledger:
        before = (len(ledger.all_uploads()), ledger.all_document_states())
    again = upload(client, links[ags], scan_files["unsigned"]).get_json()
    assert again["results"][0]["status"] == "bereits eingegangen" and again["results"][0]["state"] == "duplicate"
    with Ledger.open(portal_round / "out") as ledger:
        assert (len(ledger.all_uploads()), ledger.all_document_states()) == before


def test_another_municipalitys_copy_is_stored_and_held_for_review(client, portal_round, links, scan_files):
    uploader, other = sorted(links)[:2]
    answer = upload(client, links[uploader], scan_files[f"signed-{other}"]).get_json()
    assert answer["results"][0]["ags"] == other and answer["results"][0]["state"] == "needs_review"
    assert "anderen Kommune" in answer["results"][0]["reason"]
    assert state_of(portal_round, other) == "needs_review"      # never verified on another's word
    assert state_of(portal_round, uploader) == "rendered"      # not counted for the uploader
    with Ledger.open(portal_round / "out") as ledger:
        assert ledger.upload(answer["upload"]) is not None     # stored all the same
    page = client.get(path_of(links[uploader])).text
    assert "anderen Kommune" in page
    with Ledger.open(portal_round / "out") as ledger:
        other_name = ledger.current_document(ROUND_ID, other).signatory["bezeichnung"]
    assert other_name not in page  # a link sees only its own municipality


def test_two_phone_photos_as_one_upload(client, portal_round, links, scan_files):
    ags = sorted(links)[PHOTOS]
    answer = upload(client, links[ags], scan_files["photo-1"], scan_files["photo-2"]).get_json()
    assert [item["name"] for item in answer["files"]] == ["IMG_0001.jpg", "IMG_0002.jpg"]
    assert answer["files"][0]["status"] == "unvollständig" and "Seite 2" in answer["files"][0]["message"]
    assert answer["files"][1]["status"] == "angenommen"
    assert state_of(portal_round, ags) == "verified"


def test_the_type_comes_from_the_first_bytes_not_the_name(client, portal_round, links, scan_files, tmp_path):
    ags = sorted(links)[0]
    disguised = tmp_path / "scan.pdf"
    disguised.write_bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>")
    answer = upload(client, links[ags], disguised).get_json()
    assert answer["results"][0]["state"] == "refused" and "kein Scan" in answer["results"][0]["reason"]
    renamed = tmp_path / "photo.jpg"
    renamed.write_bytes(scan_files[f"signed-{ags}"].read_bytes())  # a PDF under a picture's name
    answer = upload(client, links[ags], renamed).get_json()
    assert answer["results"][0]["state"] == "verified"
    with Ledger.open(portal_round / "out") as ledger:
        assert ledger.upload(answer["upload"])["stored_path"].endswith(".pdf")


def test_the_check_in_limits_apply_to_web_uploads(fresh_round, scan_files):
    round_file = fresh_round / "round.toml"
    round_file.write_text(round_file.read_text(encoding="utf-8").replace(
        'upload_url = "https://engagiert.nrw.example/upload"',
        'upload_url = "https://engagiert.nrw.example/upload"\n\n[checkin]\nmax_pages = 1'), encoding="utf-8")
    add_portal(fresh_round)
    links = issue(fresh_round)
    ags = sorted(links)[0]
    answer = upload(make_app(fresh_round).test_client(), links[ags], scan_files[f"signed-{ags}"]).get_json()
    assert answer["results"][0]["state"] == "refused"
    assert answer["results"][0]["reason"] == "Die Datei hat zu viele Seiten (2; höchstens 1)."


def test_a_request_over_the_size_limit_gets_413_and_stores_nothing(fresh_round, scan_files):
    add_portal(fresh_round, max_request_mb=0.05)
    links = issue(fresh_round)
    ags = sorted(links)[0]
    client = make_app(fresh_round).test_client()
    response = upload(client, links[ags], scan_files[f"signed-{ags}"], json_answer=False)
    assert response.status_code == 413 and "Zu groß" in response.text
    with Ledger.open(fresh_round / "out") as ledger:
        assert ledger.all_uploads() == []
    assert not [path for path in (fresh_round / "out").rglob("*") if path.is_file() and "incoming" in path.parts]


def test_a_post_without_a_file_is_refused_with_a_hint(client, links):
    response = client.post(path_of(links[sorted(links)[0]]), data={}, content_type="multipart/form-data")
    assert response.status_code == 400 and "Bitte wählen Sie zuerst eine Datei aus" in response.text


def test_the_receipt_names_time_file_size_hash_and_result(client, links, scan_files):
    ags = sorted(links)[0]
    scan = scan_files[f"signed-{ags}"]
    sha = upload(client, links[ags], scan).get_json()["upload"]
    receipt = client.get(f"{path_of(links[ags])}/eingang/{sha}.pdf")
    assert receipt.status_code == 200 and receipt.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(receipt.data)).pages)
    flat = text.replace("\n", "")
    assert "Eingangsbestätigung" in text and scan.name in text and sha in flat
    assert f"{scan.stat().st_size:,}".replace(",", ".") in text and "angenommen" in text and " Uhr" in text
    other = sorted(links)[1]  # a link sees only its own municipality's receipts
    assert client.get(f"{path_of(links[other])}/eingang/{sha}.pdf").status_code == 404


def test_the_blank_document_can_be_downloaded_again(client, portal_round, links):
    ags = sorted(links)[0]
    response = client.get(f"{path_of(links[ags])}/dokument.pdf")
    with Ledger.open(portal_round / "out") as ledger:
        record = ledger.current_document(ROUND_ID, ags)
    assert response.status_code == 200 and response.data == (portal_round / "out" / record.path).read_bytes()


def test_a_clerk_uploads_on_a_municipalitys_behalf(client, portal_round, links, scan_files):
    from .conftest import csrf_of, login

    ags = sorted(links)[0]
    login(client)
    page = client.get(f"/admin/kommunen/{ags}")
    with open(scan_files[f"signed-{ags}"], "rb") as handle:
        response = client.post(f"/admin/kommunen/{ags}/hochladen", content_type="multipart/form-data",
                               data={"csrf": csrf_of(page.text), "file": [(handle, "per-post.pdf")]})
    assert response.status_code == 200 and 'data-status="angenommen"' in response.text
    with Ledger.open(portal_round / "out") as ledger:
        arrival = [row for row in ledger.events(ROUND_ID, ags) if row["kind"] == EventKind.WEB_UPLOAD][-1]
    assert arrival["actor"] == "erika" and json.loads(arrival["details"])["via"] == "clerk"
    add_user(portal_round, "zweite")  # (a second account does not disturb the first one's session)
    assert client.get("/admin/").status_code == 200


def test_a_doubtful_copy_goes_to_review(client, portal_round, links, scan_files):
    from .conftest import DOUBTFUL

    ags = sorted(links)[DOUBTFUL]
    answer = upload(client, links[ags], scan_files["doubtful"]).get_json()
    assert answer["results"][0]["state"] == "needs_review" and answer["results"][0]["status"] == "wird geprüft"
