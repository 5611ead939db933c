"""`engagiert report`: the HTML file, read back through a real browser (headless Chromium) and compared
with the ledger and with `status --format json`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.cli import cli
from pipeline.ledger import STATES, DocumentRecord, Ledger
from pipeline.track.nrwmap import repair_name

from .test_status import AACHEN, ALFTER, BIELEFELD, BORKEN, ROUND_ID, SHS, ledger_states, prepare_mixed_round


@pytest.fixture
def mixed_round(fresh_round: Path, monkeypatch) -> Path:
    return prepare_mixed_round(fresh_round, monkeypatch)

HOSTILE_NAME = '<script>alert("x")</script>Gemeinde <b>Fett</b> & Söhne'
HOSTILE_REASON = '<img src=x onerror=alert(1)> "Seite 2" fehlt'


# --- a tiny DOM from the stdlib parser: enough to find elements by id, tag and attribute -------------

VOID = {"meta", "link", "br", "img", "input", "hr", "col", "area", "base", "source", "wbr"}


class Node:
    def __init__(self, tag: str, attrs: dict, parent: Node | None):
        self.tag, self.attrs, self.parent, self.children, self.parts = tag, attrs, parent, [], []

    @property
    def text(self) -> str:
        return "".join(part if isinstance(part, str) else part.text for part in self.parts)

    def iter(self, tag: str | None = None):
        for child in self.children:
            if tag is None or child.tag == tag:
                yield child
            yield from child.iter(tag)

    def by_id(self, element_id: str) -> Node:
        found = [node for node in self.iter() if node.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one element #{element_id}, found {len(found)}"
        return found[0]


class DomBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        self.current.parts.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        self.current.parts.append(node)

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.parts.append(data)


def parse_dom(html: str) -> Node:
    builder = DomBuilder()
    builder.feed(html)
    return builder.root


# --- the browser -----------------------------------------------------------------------------------

def chromium() -> list[str] | None:
    """The command to run headless Chromium, or None when ENGAGIERT_SKIP_BROWSER=1 says to skip."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if binary is None:
        if os.environ.get("ENGAGIERT_SKIP_BROWSER") == "1":
            return None
        pytest.fail("headless Chromium is needed to check the report in a browser and was not found. "
                    "Install it with `make test` (runs scripts/test-deps.sh as root) or "
                    "`sudo apt-get install chromium`; set ENGAGIERT_SKIP_BROWSER=1 to skip this check.")
    command = [binary, "--headless", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
               "--disable-extensions", "--mute-audio"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return command


def browser(args: list[str], page: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    command = chromium()
    if command is None:
        pytest.skip("ENGAGIERT_SKIP_BROWSER=1")
    profile = tmp_path / "chromium-profile"  # a private profile: no state shared between runs
    return subprocess.run([*command, f"--user-data-dir={profile}", *args, page.as_uri()], capture_output=True,
                          text=True, timeout=120, check=True, env={**os.environ, "HOME": str(tmp_path)})


@pytest.fixture
def report_round(mixed_round: Path) -> Path:
    """The mixed round plus a hostile municipality (name and reason full of markup) and a reminder."""
    out = mixed_round / "out"
    with Ledger.open(out) as ledger, ledger.transaction() as cursor:
        template = ledger.latest_documents(ROUND_ID)[ALFTER]
        ags = "05382999"  # not on the map: the report must say so
        signatory = {**template.signatory, "ags": ags, "name": HOSTILE_NAME, "bezeichnung": HOSTILE_NAME,
                     "email": 'a"b@example.org'}
        doc_id = template.doc_id.replace(ALFTER, ags)
        Ledger.add_document(cursor, DocumentRecord(**{**template.__dict__, "doc_id": doc_id, "ags": ags,
                                                      "signatory": signatory}))
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="rendered", ags=ags, doc_id=doc_id, state="rendered")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="decision", ags=ags, doc_id=doc_id, state="rejected",
                         reason=HOSTILE_REASON, at="2024-06-09T12:00:00+00:00")
        Ledger.add_event(cursor, round_id=ROUND_ID, kind="reminder", ags=SHS,
                         doc_id=ledger.latest_documents(ROUND_ID)[SHS].doc_id, at="2024-06-04T08:00:00+00:00",
                         details={"channel": "eml", "file": "x.eml", "to": "post@example.org"})
    return mixed_round


def write_report(runner, base: Path, *extra: str) -> Path:
    result = runner.invoke(cli, ["report", "--out", str(base / "out"), "--round", str(base / "round.toml"), *extra])
    assert result.exit_code == 0, result.output
    path = base / "out" / ROUND_ID / "report.html"
    assert f"Wrote {path}" in result.output
    return path


def status_json(runner, base: Path) -> dict:
    result = runner.invoke(cli, ["status", "--format", "json", "--out", str(base / "out"), "--round",
                                 str(base / "round.toml")])
    return json.loads(result.output)


def test_report_in_the_browser_shows_what_the_ledger_says(runner, report_round, tmp_path):
    path = write_report(runner, report_round)
    dumped = browser(["--dump-dom"], path, tmp_path).stdout
    dom = parse_dom(dumped)
    status = status_json(runner, report_round)
    states = ledger_states(report_round / "out")
    assert len(states) == len(status["documents"]) == 6

    # overall figures
    assert dom.by_id("total-count").text == "6"
    assert dom.by_id("verified-count").text == str(status["summary"]["verified"]) == "1"
    assert dom.by_id("percent").text == "17"
    shown = {row.attrs["data-state"]: int(list(row.iter("td"))[1].text) for row in dom.by_id("state-counts").iter("tr")
             if "data-state" in row.attrs}
    assert shown == status["summary"] and list(shown) == list(STATES)

    # bars per Regierungsbezirk add up to the same counts
    bars = [g for g in dom.by_id("bezirk-chart").iter("g") if "bar" in g.attrs.get("class", "")]
    assert {bar.attrs["data-bezirk"]: int(bar.attrs["data-total"]) for bar in bars} == \
        {"Köln": 3, "Münster": 1, "Detmold": 2}
    by_state = {state: 0 for state in STATES}
    for rect in dom.by_id("bezirk-chart").iter("rect"):
        by_state[rect.attrs["data-state"]] += int(rect.attrs["data-count"])
    assert by_state == status["summary"]
    assert dom.by_id("timeline").attrs["data-verified"] == "1"

    # the map: one path per outline; the round's municipalities and districts in their state's colour
    paths = list(dom.by_id("nrw-map").iter("path"))
    assert len(paths) == 427
    coloured = {p.attrs["data-ags"]: p.attrs["data-state"] for p in paths if p.attrs["data-state"] != "none"}
    assert coloured == {ags: state for ags, state in states.items() if ags != "05382999"}
    municipalities = [p for p in paths if "muni" in p.attrs["class"].split()]
    districts = [p for p in paths if "district" in p.attrs["class"].split()]
    assert len(municipalities) == 396 and len(districts) == 31
    assert {p.attrs["data-ags"] for p in districts if p.attrs["data-state"] != "none"} == {BORKEN, AACHEN}
    titles = {p.attrs["data-ags"]: next(p.iter("title")).text for p in paths}
    assert titles[BIELEFELD] == "Stadt Bielefeld: unterschrieben"
    assert titles[BORKEN] == "Kreis Borken: abgelehnt"
    assert titles["05111000"] == "Düsseldorf: nicht in dieser Runde"  # the file's mojibake repaired
    assert "1 Dokument(e) ohne Umriss" in dom.by_id("off-map").text
    legend = {item.attrs["data-state"] for item in dom.by_id("map-legend").iter("li")}
    assert legend == {*STATES, "none"}

    # outstanding table = status --outstanding; reasons of rejected and needs-review items
    rows = {row.attrs["data-ags"]: [cell.text for cell in row.iter("td")]
            for row in dom.by_id("outstanding").iter("tr") if "data-ags" in row.attrs}
    outstanding = {d["ags"] for d in status["documents"] if d["state"] != "verified"}
    assert set(rows) == outstanding and dom.by_id("outstanding-count").text == str(len(outstanding))
    assert rows[SHS][3:6] == ["20.05.2024", "21", "04.06.2024"]  # sent, days, last reminder
    assert rows[ALFTER][6] == "Jan Muster (Bürgermeister)" and rows[ALFTER][7] == "post@example.org"
    rejected = {row.attrs["data-ags"]: [cell.text for cell in row.iter("td")]
                for row in dom.by_id("rejected").iter("tr") if "data-ags" in row.attrs}
    assert rejected[BORKEN][3] == "page 2 is not signed"
    assert set(rejected) == {d["ags"] for d in status["documents"] if d["state"] == "rejected"}
    review = [cell.text for row in dom.by_id("needs_review").iter("tr") if row.attrs.get("data-ags") == AACHEN
              for cell in row.iter("td")]
    assert review[3] == "signature box unclear"

    # hostile text is shown as text, never run or parsed as markup
    assert rejected["05382999"][1] == HOSTILE_NAME and rejected["05382999"][3] == HOSTILE_REASON
    assert not list(dom.iter("script")) and not list(dom.iter("img")) and not list(dom.iter("b"))


def test_report_screenshot_shows_the_state_colours(runner, report_round, tmp_path):
    from PIL import Image

    from pipeline.track.report import STATE_COLOURS

    path = write_report(runner, report_round)
    shot = tmp_path / "report.png"
    browser(["--window-size=1280,1800", f"--screenshot={shot}"], path, tmp_path)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1800)
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20)}
    for state in ("verified", "incomplete", "rejected", "needs_review", "sent"):
        rgb = tuple(int(STATE_COLOURS[state][i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours, f"no {state} colour {STATE_COLOURS[state]} on screen"


def test_report_is_self_contained_and_escaped(runner, report_round):
    html = write_report(runner, report_round).read_text(encoding="utf-8")
    dom = parse_dom(html)
    elements = list(dom.iter())
    assert not [e.tag for e in elements if e.tag in ("script", "link", "img", "iframe", "object", "embed")]
    for element in elements:  # nothing is fetched: no src, no URL but mailto:
        assert "src" not in element.attrs and "srcset" not in element.attrs
        assert element.attrs.get("href", "mailto:").startswith("mailto:")
        assert not any("http" in (value or "") for value in element.attrs.values())
    css = "".join(e.text for e in elements if e.tag == "style")
    assert "url(" not in css and "@import" not in css
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="mailto:a&#34;b@example.org"' in html  # a quote cannot leave the attribute
    assert "@page { size: A4 landscape" in html


def test_report_without_boundaries_says_the_map_is_unavailable(runner, report_round, tmp_path, monkeypatch):
    monkeypatch.setenv("ENGAGIERT_GEOJSON", str(tmp_path / "missing.geojson"))
    result = runner.invoke(cli, ["report", "--out", str(report_round / "out"), "--round",
                                 str(report_round / "round.toml")])
    assert result.exit_code == 0, result.output
    assert f"no map ({tmp_path / 'missing.geojson'} not found)" in result.output
    dom = parse_dom((report_round / "out" / ROUND_ID / "report.html").read_text(encoding="utf-8"))
    assert "Karte nicht verfügbar" in dom.by_id("map-unavailable").text
    assert dom.by_id("total-count").text == "6"


def test_report_map_from_another_file_and_a_broken_one(runner, report_round, tmp_path):
    geojson = tmp_path / "two.geojson"
    square = [[[0, 0], [1000, 0], [1000, 1000], [0, 1000], [0, 0]]]
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ags": BIELEFELD, "name": "B"}, "geometry": {"type": "Polygon",
                                                                                       "coordinates": square}},
        {"type": "Feature", "properties": {"ags": "05554", "name": "K"},
         "geometry": {"type": "MultiPolygon", "coordinates": [square, square]}}]}), encoding="utf-8")
    html = write_report(runner, report_round, "--geojson", str(geojson)).read_text(encoding="utf-8")
    dom = parse_dom(html)
    paths = {p.attrs["data-ags"]: p for p in dom.by_id("nrw-map").iter("path")}
    assert set(paths) == {BIELEFELD, BORKEN}
    assert paths[BORKEN].attrs["d"].count("M") == 2
    # north up: y flipped; 1000 m scaled to the map's 760 px width
    assert paths[BIELEFELD].attrs["d"].startswith("M0,760L760,760L760,0L0,0")
    # GeoJSON allows a feature without geometry: it is left off the map, the rest is drawn.
    features = json.loads(geojson.read_text(encoding="utf-8"))["features"]
    features.append({"type": "Feature", "properties": {"ags": "05334", "name": "A"}, "geometry": None})
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    html = write_report(runner, report_round, "--geojson", str(geojson)).read_text(encoding="utf-8")
    assert {p.attrs["data-ags"] for p in parse_dom(html).by_id("nrw-map").iter("path")} == {BIELEFELD, BORKEN}
    # A file with no polygons at all is an error, not a map that silently says "not found".
    (tmp_path / "empty.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    result = runner.invoke(cli, ["report", "--out", str(report_round / "out"), "--round",
                                 str(report_round / "round.toml"), "--geojson", str(tmp_path / "empty.geojson")])
    assert result.exit_code == 2 and "empty.geojson" in result.output and "no polygons" in result.output
    (tmp_path / "bad.geojson").write_text("{not json", encoding="utf-8")
    result = runner.invoke(cli, ["report", "--out", str(report_round / "out"), "--round",
                                 str(report_round / "round.toml"), "--geojson", str(tmp_path / "bad.geojson")])
    assert result.exit_code == 2 and "bad.geojson" in result.output


def test_repair_name_undoes_double_encoding():
    assert repair_name("DÃ¼sseldorf") == "Düsseldorf"
    assert repair_name("Düsseldorf") == "Düsseldorf"
    assert repair_name("Köln") == "Köln"


def test_the_time_axis_names_the_year_and_the_deadline_label_stays_inside():
    import datetime as dt

    from pipeline.track.report import _timeline
    from pipeline.track.status import RoundStatus

    now = dt.datetime(2025, 1, 20, 9, 0, tzinfo=dt.UTC)
    status = RoundStatus("2024-12", now, [], frozenset())
    early_deadline = _timeline(status, dt.date(2025, 1, 20))  # the chart starts on the deadline day
    assert early_deadline["deadline"]["anchor"] == "start" and early_deadline["deadline"]["label"] == "20.01.2025"
    assert early_deadline["ticks"][0]["label"].endswith(".2025")
