"""A rendered round with [portal] set, its links, a clerk, scans of its documents, and the app over it
(Flask's test client for the HTTP rules; a real server process for the browser and the crash tests)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli
from pipeline.ledger import Ledger
from pipeline.round import load_round

from .. import scans
from ..helpers import REPO

ROUND_ID = "2024-05"
PASSWORD = "richtig-geheim-42"
PORTAL = """
[portal]
public_url = "{url}"
{extra}
"""


def add_portal(base: Path, url: str = "https://engagiert.nrw.example", **extra) -> Path:
    """Append a [portal] section to the round file in `base` (extra keys as TOML values)."""
    lines = "\n".join(f"{key} = {json.dumps(value) if isinstance(value, str) else value}"
                      for key, value in extra.items())
    round_file = base / "round.toml"
    round_file.write_text(round_file.read_text(encoding="utf-8") + PORTAL.format(url=url, extra=lines),
                          encoding="utf-8")
    return round_file


def issue(base: Path) -> dict[str, str]:
    """`engagiert links --format json`: AGS → url."""
    result = CliRunner().invoke(cli, ["links", "--out", str(base / "out"), "--round", str(base / "round.toml"),
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    return {row["ags"]: row["url"] for row in json.loads(result.stdout)}


def add_user(base: Path, name: str = "erika", password: str = PASSWORD) -> None:
    result = CliRunner().invoke(cli, ["user", "add", name, "--out", str(base / "out")], input=password + "\n")
    assert result.exit_code == 0, result.output


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def documents(base: Path) -> dict:
    with Ledger.open(base / "out") as ledger:
        return ledger.latest_documents(ROUND_ID)


# Which municipality (by position in AGS order) each kind of returned copy is made for: tests that use
# different kinds can share one server without touching each other's municipality.
PHOTOS, SIGNED_JS_OFF, UNSIGNED, DOUBTFUL = 0, 1, 2, 3


@pytest.fixture(scope="session")
def scan_files(rendered_round: Path, tmp_path_factory) -> dict[str, Path]:
    """Returned copies of the session's round, made once: a signed scan of every document; an unsigned scan,
    two phone photos (one per page) and a doubtful scan (a faint mark) of the municipalities named above."""
    folder = tmp_path_factory.mktemp("web-scans")
    made = {}
    for index, (ags, record) in enumerate(sorted(documents(rendered_round).items())):
        pdf = rendered_round / "out" / record.path
        signed = scans.signed_scan(pdf, record.geometry, dpi=150, seed=index + 1, angle=1.0)
        made[f"signed-{ags}"] = scans.to_pdf(signed, folder / f"scan-{ags}.pdf", dpi=150)
        if index == UNSIGNED:
            made["unsigned"] = scans.to_pdf(scans.signed_scan(pdf, record.geometry, dpi=150, signed=False),
                                            folder / "unsigned.pdf", dpi=150)
        if index == PHOTOS:
            pages = scans.signed_scan(pdf, record.geometry, dpi=150, seed=7)
            made["photo-1"] = scans.to_jpeg(scans.photograph(pages[0], seed=3, perspective=0.02),
                                            folder / "IMG_0001.jpg")
            made["photo-2"] = scans.to_jpeg(scans.photograph(pages[1], seed=4, perspective=0.02),
                                            folder / "IMG_0002.jpg")
        if index == DOUBTFUL:  # a faint short mark in the box: check-in cannot tell, so a person looks
            faint = scans.signed_scan(pdf, record.geometry, dpi=150, signed=False)
            box = record.geometry.signature_box
            faint[box.page - 1] = scans.sign(faint[box.page - 1], box.rect, 150, seed=5, size=0.12,
                                                width_mm=0.25)
            made["doubtful"] = scans.to_pdf(faint, folder / "doubtful.pdf", dpi=150)
    return made


@pytest.fixture
def portal_round(fresh_round: Path) -> Path:
    """A private copy of the rendered round with [portal], links issued and a clerk."""
    add_portal(fresh_round)
    add_user(fresh_round)
    return fresh_round


@pytest.fixture
def links(portal_round: Path) -> dict[str, str]:
    return issue(portal_round)


def make_app(base: Path):
    from pipeline.web.app import create_app

    app = create_app(base / "out", load_round(base / "round.toml"), checkin_slots=1)
    app.testing = False  # error pages as a user gets them
    return app


@pytest.fixture
def client(portal_round: Path, links):
    return make_app(portal_round).test_client()


def login(client, name: str = "erika", password: str = PASSWORD):
    form = client.get("/admin/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)[1]
    return client.post("/admin/login", data={"csrf": token, "name": name, "password": password, "next": "/admin/"})


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def upload(client, url: str, *paths: Path, json_answer: bool = True):
    files = [(open(path, "rb"), path.name) for path in paths]
    try:
        return client.post(path_of(url), data={"file": files}, content_type="multipart/form-data",
                           headers={"Accept": "application/json"} if json_answer else {})
    finally:
        for handle, _ in files:
            handle.close()


# --- a real server process ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, base: Path, port: int):
        self.base, self.port = base, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.log = open(self.base / f"server-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "serve", "--out", str(self.base / "out"), "--round",
             str(self.base / "round.toml"), "--port", str(self.port)], cwd=self.base, env=env,
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(Path(self.log.name).read_text(errors="replace")) from None
                time.sleep(0.1)
        raise RuntimeError("the server did not start within 30 s")

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            (self.process.kill if kill else self.process.terminate)()
            self.process.wait(10)
        self.log.close()


@pytest.fixture
def served_round(fresh_round: Path):
    """The round behind a real `engagiert serve` on a free port; links point at it."""
    port = free_port()
    add_portal(fresh_round, url=f"http://127.0.0.1:{port}")
    add_user(fresh_round)
    server = Server(fresh_round, port).start()
    yield fresh_round, server, issue(fresh_round)
    server.stop()


def copy_out(base: Path, target: Path) -> Path:
    shutil.copytree(base, target)
    return target
