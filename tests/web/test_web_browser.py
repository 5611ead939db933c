"""The web app in a real browser: Playwright driving Debian's chromium (launched by its path; nothing is
downloaded) against a real `engagiert serve` process.

One server and one browser for the module; each test works on its own municipality (see conftest), so
the tests do not depend on each other's order.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import (
    DOUBTFUL,
    PASSWORD,
    PHOTOS,
    SIGNED_JS_OFF,
    UNSIGNED,
    Server,
    add_portal,
    add_user,
    free_port,
    issue,
)

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MAX_REQUEST_MB = 3


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("ENGAGIERT_SKIP_BROWSER") == "1":
        pytest.skip("ENGAGIERT_SKIP_BROWSER=1")
    pytest.fail("chromium is not installed: run scripts/test-deps.sh (or `sudo apt-get install chromium`)")


@pytest.fixture(scope="module")
def site(rendered_round, tmp_path_factory):
    base = tmp_path_factory.mktemp("browser") / "round"
    shutil.copytree(rendered_round, base)
    port = free_port()
    add_portal(base, url=f"http://127.0.0.1:{port}", max_request_mb=MAX_REQUEST_MB)
    add_user(base)
    server = Server(base, port).start()
    yield base, server, issue(base)
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="de-DE")
    yield context.new_page()
    context.close()


def link_of(site, index: int) -> tuple[str, str]:
    links = site[2]
    ags = sorted(links)[index]
    return ags, links[ags]


def send(page, url: str, *files: Path) -> str:
    page.goto(url)
    page.set_input_files("#datei", [str(path) for path in files])
    with page.expect_navigation():
        page.click("form.upload button[type=submit]")
    return page.locator("#ergebnis").inner_text()


def test_a_municipality_uploads_a_signed_scan_and_sees_it_accepted(site, page, scan_files):
    ags, url = link_of(site, UNSIGNED)
    page.goto(url)
    assert page.locator("#stand-text").inner_text() == "noch nicht eingegangen"
    first = send(page, url, scan_files["unsigned"])
    assert "ABGELEHNT" in first.upper() and "Unterschriftsfeld auf Seite 2 ist leer" in first
    assert "Bitte unterschreiben Sie auf Seite 2" in first
    second = send(page, url, scan_files[f"signed-{ags}"])
    assert "ANGENOMMEN" in second.upper()
    assert page.locator("#stand-text").inner_text() == "unterschrieben eingegangen"
    assert page.locator("#sendungen tbody tr").count() == 2


def test_two_phone_photos_as_one_upload(site, page, scan_files):
    _ags, url = link_of(site, PHOTOS)
    answer = send(page, url, scan_files["photo-1"], scan_files["photo-2"])
    assert "IMG_0001.jpg" in answer and "IMG_0002.jpg" in answer
    assert page.locator("#stand").get_attribute("data-state") == "verified"


def test_the_upload_works_with_javascript_off(site, browser, scan_files):
    ags, url = link_of(site, SIGNED_JS_OFF)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        answer = send(page, url, scan_files[f"signed-{ags}"])
        assert "ANGENOMMEN" in answer.upper()
        receipt = page.locator("#ergebnis a").first.get_attribute("href")
        response = page.request.get(f"{site[1].url}{receipt}")
        assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    finally:
        context.close()


def test_a_clerk_accepts_the_doubtful_copy_from_the_queue(site, page, browser, scan_files):
    ags, url = link_of(site, DOUBTFUL)
    municipality = browser.new_page()
    assert "WIRD GEPRÜFT" in send(municipality, url, scan_files["doubtful"]).upper()
    page.goto(f"{site[1].url}/admin/pruefen")
    assert "/admin/login" in page.url
    page.fill("#name", "erika")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button")
    assert page.url.endswith("/admin/pruefen")
    item = page.locator(f'#item[data-doc*="-{ags}-"]')
    assert item.count() == 1
    for image in ("#crop-scan", "#crop-blank"):
        page.wait_for_function(f"document.querySelector('{image}').complete")
        assert page.eval_on_selector(image, "img => img.naturalWidth") > 100, image
    page.fill("#reason", "Kurzzeichen im Feld, Unterschrift von Hand geprüft")
    page.locator("h1").click()  # out of the text field, so the keys are shortcuts
    with page.expect_navigation():
        page.keyboard.press("a")  # A: accept
    assert page.locator("#done").count() == 1
    municipality.reload()
    assert municipality.locator("#stand-text").inner_text() == "unterschrieben eingegangen"
    history = page.goto(f"{site[1].url}/admin/kommunen/{ags}")
    assert history.ok and "erika" in page.locator("#history").inner_text()
    municipality.close()


def test_bad_token_404_missing_csrf_403_oversized_413(site, page, tmp_path):
    _ags, url = link_of(site, 4)
    response = page.goto(url[:-3] + "xyz")
    assert response.status == 404 and "Seite nicht gefunden" in page.content()
    big = tmp_path / "gross.pdf"
    big.write_bytes(b"%PDF-1.4\n" + os.urandom((MAX_REQUEST_MB + 1) * 1024 * 1024))
    page.goto(url)
    page.set_input_files("#datei", str(big))
    with page.expect_navigation() as navigation:
        page.click("form.upload button[type=submit]")
    assert navigation.value.status == 413 and "Zu groß" in page.content()
    page.goto(f"{site[1].url}/admin/login")
    page.fill("#name", "erika")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button")
    page.evaluate("document.querySelector('form.logout input[name=csrf]').remove()")
    with page.expect_navigation() as navigation:
        page.click("form.logout button")
    assert navigation.value.status == 403 and "Nicht erlaubt" in page.content()


def test_no_serious_accessibility_violations(site, browser):
    """axe-core (vendored) on the municipality's page, the login and the clerk's pages: no serious or
    critical violations of WCAG 2.1 A/AA (BITV NRW follows EN 301 549, which refers to WCAG 2.1)."""
    context = browser.new_context(bypass_csp=True)  # axe is injected as a script; the app itself allows none
    page = context.new_page()
    ags, url = link_of(site, 4)
    pages = [url, f"{site[1].url}/admin/login"]
    page.goto(pages[1])
    page.fill("#name", "erika")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button")
    pages += [f"{site[1].url}{path}" for path in ("/admin/", "/admin/kommunen", f"/admin/kommunen/{ags}",
                                                  "/admin/pruefen")]
    axe = AXE.read_text(encoding="utf-8")
    found = []
    try:
        for address in pages:
            page.goto(address)
            page.add_script_tag(content=axe)
            result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: "
                                   "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
            found += [f"{address}: {v['id']} ({v['impact']}): {v['help']}" for v in result["violations"]
                      if v["impact"] in ("serious", "critical")]
    finally:
        context.close()
    assert not found, "\n".join(found)
