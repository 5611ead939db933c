"""`engagiert links`: one private link per municipality, listed as CSV, JSON or XLSX, revoked and reissued;
cover letters and reminders print the municipality's own link (the letter with a QR code of it)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from openpyxl import load_workbook

from pipeline.cli import cli

from ..helpers import fast_page_texts
from .conftest import add_portal, issue, make_app, path_of


def links_cli(runner, base: Path, *args: str):
    return runner.invoke(cli, ["links", "--out", str(base / "out"), "--round", str(base / "round.toml"), *args])


def test_links_are_issued_once_and_listed_in_every_format(runner, portal_round, tmp_path):
    first = links_cli(runner, portal_round)
    assert first.exit_code == 0, first.output
    rows = list(csv.DictReader(io.StringIO(first.stdout.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 5 and {"ags", "name", "url"} <= set(rows[0])
    assert all(row["url"].startswith("https://engagiert.nrw.example/k/") for row in rows)
    again = json.loads(links_cli(runner, portal_round, "--format", "json").stdout)
    assert {row["ags"]: row["url"] for row in again} == {row["ags"]: row["url"] for row in rows}  # the same links
    assert len({row["url"] for row in rows}) == 5
    workbook = tmp_path / "links.xlsx"
    assert links_cli(runner, portal_round, "--format", "xlsx", "--output", str(workbook)).exit_code == 0
    sheet = load_workbook(workbook).active
    assert [cell.value for cell in sheet[1]][:4] == ["ags", "name", "bezeichnung", "url"] and sheet.max_row == 6


def test_revoke_and_reissue(runner, portal_round):
    links = issue(portal_round)
    ags, other = sorted(links)[:2]
    client = make_app(portal_round).test_client()
    reissued = links_cli(runner, portal_round, "--reissue", ags, "--format", "json")
    assert reissued.exit_code == 0, reissued.output
    new = {row["ags"]: row["url"] for row in json.loads(reissued.stdout)}
    assert new[ags] != links[ags] and new[other] == links[other]
    assert client.get(path_of(links[ags])).status_code == 404 and client.get(path_of(new[ags])).status_code == 200
    revoked = links_cli(runner, portal_round, "--revoke", other)
    assert revoked.exit_code == 0 and "Revoked the link of" in revoked.output
    assert client.get(path_of(new[other])).status_code == 404
    unknown = links_cli(runner, portal_round, "--revoke", "99999999")
    assert unknown.exit_code == 2 and "no document of round" in unknown.output


def test_links_need_a_public_address(runner, fresh_round):
    result = links_cli(runner, fresh_round)
    assert result.exit_code == 2 and "[portal] public_url" in result.output


def test_serve_without_a_public_address_serves_the_desk_and_says_why_there_are_no_links(fresh_round, monkeypatch):
    """`engagiert serve` needs no [portal]: the clerks' desk works; no municipality has a link until public_url
    is set (and `engagiert links` run), and the server says so, in German, when it starts."""
    import urllib.error
    import urllib.request

    from .conftest import Server, add_user, free_port

    monkeypatch.setenv("LANG", "de_DE.UTF-8")  # the server process inherits it
    add_user(fresh_round)
    server = Server(fresh_round, free_port()).start()
    try:
        with urllib.request.urlopen(f"{server.url}/admin/login", timeout=30) as response:
            assert response.status == 200 and "Anmeldung für die Geschäftsstelle" in response.read().decode()
        try:
            urllib.request.urlopen(f"{server.url}/k/{'A' * 43}", timeout=30)
            raise AssertionError("a link page without links")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    finally:
        server.stop()
    log = Path(server.log.name).read_text(encoding="utf-8")
    assert f"Hinweis: in {fresh_round / 'round.toml'} fehlt [portal] public_url" in log, log
    assert "(Geschäftsstelle: /admin/)" in log, log


def test_an_unknown_portal_key_is_refused(runner, fresh_round):
    add_portal(fresh_round, public_ulr="typo")
    result = links_cli(runner, fresh_round)
    assert result.exit_code == 2 and "public_ulr" in result.output


def test_cover_letters_print_the_municipalitys_own_link_and_its_qr_code(runner, portal_round):
    links = issue(portal_round)
    result = runner.invoke(cli, ["bundle", "--out", str(portal_round / "out"), "--round",
                                 str(portal_round / "round.toml"), "--group-by", "none", "--copies", "1", "-q"])
    assert result.exit_code == 0, result.output
    bundle = next((portal_round / "out" / "2024-05" / "print").glob("*.pdf"))
    manifest = list(csv.DictReader(io.StringIO(bundle.with_suffix(".csv").read_text(encoding="utf-8-sig")),
                                   delimiter=";"))
    texts = fast_page_texts(bundle)
    document = pdfium.PdfDocument(str(bundle))
    try:
        for row in manifest:
            index = int(row["first_page"]) - 1
            text = texts[index].replace("\r\n", " ").replace("\n", " ")
            assert "persönlichen Link" in text and links[row["ags"]] in text  # on one line, unbroken
            assert "engagiert.nrw.example/upload" not in text
            image = document[index].render(scale=200 / 72, grayscale=True).to_pil()
            codes = [code.text for code in zxingcpp.read_barcodes(image)]
            assert links[row["ags"]] in codes, row["ags"]
    finally:
        document.close()


def test_reminders_print_the_municipalitys_own_link(runner, fresh_round, monkeypatch):
    from ..test_remind import ALFTER, NOW
    from ..test_status import prepare_mixed_round

    base = prepare_mixed_round(fresh_round, monkeypatch)
    add_portal(base)
    links = issue(base)
    monkeypatch.setenv("ENGAGIERT_NOW", NOW)
    result = runner.invoke(cli, ["remind", "--out", str(base / "out"), "--round", str(base / "round.toml")])
    assert result.exit_code in (0, 1), result.output
    import email
    from email import policy

    message = email.message_from_bytes(next((base / "out" / "2024-05" / "reminders").glob(f"{ALFTER}_*.eml"))
                                       .read_bytes(), policy=policy.default)
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Ihren persönlichen Link" in text and links[ALFTER] in text
