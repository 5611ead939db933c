"""The security rules of the web app, each with a test: tokens, headers, cookies, CSRF, rate limits, proxy
headers, sessions, hostile names."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from pipeline.cli import cli

from ..helpers import nrw_rows, person, write_csv
from .conftest import PASSWORD, add_portal, add_user, csrf_of, issue, login, make_app, path_of


def test_unknown_malformed_revoked_and_expired_tokens_get_the_same_404(client, portal_round, links, runner,
                                                                        monkeypatch):
    missing = client.get("/gibt-es-nicht")
    ags, other = sorted(links)[:2]
    good = path_of(links[ags])
    assert client.get(good).status_code == 200
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for path in (forged, "/k/kurz", "/k/" + "A" * 43, "/k/../admin/"):
        response = client.get(path)
        assert response.status_code == 404 and response.text == missing.text, path
    result = runner.invoke(cli, ["links", "--out", str(portal_round / "out"), "--round",
                                 str(portal_round / "round.toml"), "--revoke", ags])
    assert result.exit_code == 0, result.output
    assert client.get(good).text == missing.text and client.get(good).status_code == 404
    round_file = portal_round / "round.toml"
    round_file.write_text(round_file.read_text(encoding="utf-8") + "link_valid_until = 2030-01-31\n", encoding="utf-8")
    expiring = make_app(portal_round).test_client()
    assert expiring.get(path_of(links[other])).status_code == 200
    monkeypatch.setenv("ENGAGIERT_NOW", "2030-02-01T00:00:00")
    assert expiring.get(path_of(links[other])).status_code == 404


def test_tokens_are_stored_only_as_hashes(portal_round, links):
    tokens = {url.rsplit("/", 1)[1] for url in links.values()}
    assert all(len(token) == 43 for token in tokens)  # 256 bits, base64url
    connection = sqlite3.connect(portal_round / "out" / "ledger.sqlite")
    rows = connection.execute("SELECT * FROM links").fetchall()
    dump = "\n".join(connection.iterdump())
    connection.close()
    assert not any(token in dump for token in tokens)
    assert {row[4] for row in rows} == {hashlib.sha256(token.encode()).hexdigest() for token in tokens}


def test_security_headers_on_every_kind_of_page(client, links):
    for path in (path_of(links[sorted(links)[0]]), "/admin/login", "/gibt-es-nicht"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store", path
        assert headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_strict_and_secure_behind_tls(client, rendered_round, tmp_path):
    import shutil

    response = login(client)
    assert response.status_code == 303
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("engagiert_sitzung="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" in cookie and "Path=/admin" in cookie
    plain_round = shutil.copytree(rendered_round, tmp_path / "plain")
    add_portal(plain_round, url="http://127.0.0.1:8080")  # no TLS in front: a Secure cookie would never come back
    add_user(plain_round)
    plain = make_app(plain_round).test_client()
    cookie = next(value for value in login(plain).headers.getlist("Set-Cookie")
                  if value.startswith("engagiert_sitzung="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie


def test_every_clerk_form_needs_its_csrf_token(client, links):
    form = client.get("/admin/login")
    assert client.post("/admin/login", data={"name": "erika", "password": PASSWORD}).status_code == 403
    assert client.post("/admin/login", data={"name": "erika", "password": PASSWORD,
                                             "csrf": csrf_of(form.text) + "x"}).status_code == 403
    login(client)
    page = client.get("/admin/pruefen")
    token = csrf_of(page.text)
    ags = sorted(links)[0]
    for path, data in (("/admin/logout", {}), (f"/admin/kommunen/{ags}/link", {"action": "revoke"}),
                       ("/admin/pruefen/ENG-X", {"decision": "accept", "reason": "x"})):
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf": "falsch"}).status_code == 403, path
    assert client.get(path_of(links[ags])).status_code == 200  # nothing was revoked
    assert client.post("/admin/logout", data={"csrf": token}).status_code == 303


def test_login_logout_and_session_expiry(client, monkeypatch):
    assert client.get("/admin/").status_code == 303
    wrong = login(client, password="falsch-falsch")
    assert wrong.status_code == 401 and "Name oder Passwort ist falsch" in wrong.text
    assert login(client, name="niemand").status_code == 401
    assert login(client).status_code == 303 and client.get("/admin/").status_code == 200
    monkeypatch.setenv("ENGAGIERT_NOW", "2099-01-01T00:00:00")  # long after [portal] session_hours
    assert client.get("/admin/").status_code == 303
    monkeypatch.delenv("ENGAGIERT_NOW")
    assert login(client).status_code == 303
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    assert client.get("/admin/").status_code == 303


def test_login_sends_only_to_paths_on_this_server(client):
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        form = client.get("/admin/login")  # each login uses up its form's token
        response = client.post("/admin/login", data={"csrf": csrf_of(form.text), "name": "erika",
                                                     "password": PASSWORD, "next": target})
        assert response.headers["Location"] == "/admin/", target


def test_rate_limits_per_link_and_per_address_answer_429_with_retry_after(fresh_round):
    add_portal(fresh_round, link_requests_per_minute=3, address_requests_per_minute=8, login_attempts_per_hour=2)
    links = issue(fresh_round)
    client = make_app(fresh_round).test_client()
    first, second = (path_of(links[ags]) for ags in sorted(links)[:2])
    assert [client.get(first).status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = client.get(first)
    assert limited.status_code == 429 and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert client.get(second).status_code == 200  # another link has its own count
    statuses = [client.get(second).status_code for _ in range(4)]
    assert statuses[-1] == 429  # ... but the address's count ran out
    other_address = make_app(fresh_round).test_client()
    form = other_address.get("/admin/login")
    attempts = [other_address.post("/admin/login", data={"csrf": csrf_of(form.text), "name": "x", "password": "y"})
                .status_code for _ in range(3)]
    assert attempts == [401, 401, 429]


def test_forwarded_addresses_are_believed_only_from_configured_proxies(fresh_round, tmp_path):
    import shutil

    second = shutil.copytree(fresh_round, tmp_path / "second")
    add_portal(fresh_round, address_requests_per_minute=2)
    add_portal(second, address_requests_per_minute=2, trusted_proxies=1)
    for base, separate in ((fresh_round, False), (second, True)):
        client = make_app(base).test_client()
        codes = [client.get("/", headers={"X-Forwarded-For": f"203.0.113.{number}"}).status_code
                 for number in range(3)]
        assert codes == ([200, 200, 200] if separate else [200, 200, 429]), base


def test_serve_binds_to_localhost_by_default():
    serve = cli.commands["serve"]
    assert next(param for param in serve.params if param.name == "host").default == "127.0.0.1"


def test_hostile_names_from_the_spreadsheet_show_literally(runner, round_file, tmp_path):
    hostile = '<script>alert("x")</script><b>Fett</b> & Söhne'
    row = person(nrw_rows("Gemeinde Alfter")[0], "Herr", "Jan", "Muster", strasse="Weg 1", plz="53347", ort="Alfter")
    row["bezeichnung"] = hostile
    assert Path(round_file).parent == tmp_path
    rendered = runner.invoke(cli, ["render", "--signatories", str(write_csv(tmp_path / "h.csv", [row])), "--round",
                                   str(round_file), "--out", str(tmp_path / "out"), "-q"])
    assert rendered.exit_code == 0, rendered.output
    add_portal(tmp_path)
    add_user(tmp_path)
    links = issue(tmp_path)
    client = make_app(tmp_path).test_client()
    page = client.get(path_of(next(iter(links.values())))).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;Fett&lt;/b&gt; &amp; Söhne" in page
    assert "<script>alert" not in page and "<b>Fett" not in page
    login(client)
    table = client.get("/admin/kommunen?q=%3Cscript%3E").text
    assert "&lt;script&gt;alert" in table and "<script>alert" not in table


def test_user_add_reads_the_password_from_stdin_and_refuses_a_short_one(runner, portal_round):
    out = str(portal_round / "out")
    short = runner.invoke(cli, ["user", "add", "kurt", "--out", out], input="kurz\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    added = runner.invoke(cli, ["user", "add", "kurt", "--out", out], input="ein-langes-passwort\n")
    assert added.exit_code == 0 and "Added clerk kurt" in added.output
    client = make_app(portal_round).test_client()
    assert login(client, "kurt", "ein-langes-passwort").status_code == 303
    connection = sqlite3.connect(portal_round / "out" / "ledger.sqlite")
    stored = connection.execute("SELECT password_hash FROM clerks WHERE name = 'kurt'").fetchone()[0]
    connection.close()
    assert stored.startswith("scrypt$32768$8$1$") and "ein-langes-passwort" not in stored
