"""The server killed with SIGKILL during uploads: after a restart every stored upload is checked in once,
none is lost or doubled, and the ledger audit passes."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid

from pipeline.cli import cli
from pipeline.ledger import Ledger
from pipeline.round import load_round
from pipeline.states import EventKind

from .conftest import ROUND_ID, Server


def post(url: str, path) -> int | None:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + path.read_bytes() + \
        f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except Exception:  # the server died under us: that is the point
        return None


def test_sigkill_during_uploads_loses_and_doubles_nothing(served_round, scan_files, runner):
    base, server, links = served_round
    jobs = [(links[ags], scan_files[f"signed-{ags}"]) for ags in sorted(links)] + \
           [(links[sorted(links)[2]], scan_files["unsigned"]), (links[sorted(links)[3]], scan_files["doubtful"])]
    threads = [threading.Thread(target=post, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    incoming = base / "out" / ROUND_ID / "web" / "incoming"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not list(incoming.rglob("*.pdf")):
        time.sleep(0.01)
    server.stop(kill=True)  # SIGKILL while uploads are stored, being read or being recorded
    for thread in threads:
        thread.join(30)

    # And one request the server stored completely but never began to check in (killed right after storing).
    from pipeline.web.uploads import receive

    class Part:
        def __init__(self, path):
            self.filename, self.stream = path.name, open(path, "rb")  # noqa: SIM115 - closed below

    ags = sorted(links)[4]
    part = Part(scan_files[f"signed-{ags}"])
    try:
        stored = receive(base / "out", load_round(base / "round.toml"), [part], ags, f"link:{ags}", "127.0.0.1",
                         "link")
    finally:
        part.stream.close()
    assert stored[0].path.is_file()

    restarted = Server(base, server.port).start()
    try:
        with Ledger.open(base / "out") as ledger:
            arrivals = [row for row in ledger.events(ROUND_ID) if row["kind"] == EventKind.WEB_UPLOAD]
            uploads = {row["sha256"]: row for row in ledger.all_uploads()}
            checkins = [row for row in ledger.events(ROUND_ID) if row["kind"] == EventKind.UPLOAD]
        arrived = {row["file_sha256"] for row in arrivals}
        assert stored[0].sha256 in arrived
        assert arrived <= set(uploads), "a stored upload was never checked in"
        assert len(checkins) == len(uploads), "an upload was recorded twice"
        assert not [path for path in incoming.rglob("*") if path.is_file()], "files left in incoming/"
        assert uploads[stored[0].sha256]["outcome"] == "matched"
        with Ledger.open(base / "out") as ledger:
            record = ledger.current_document(ROUND_ID, ags)
            assert ledger.state_event(record.doc_id)["state"] == "verified"
        audit = runner.invoke(cli, ["check", "--out", str(base / "out")])
        assert audit.exit_code == 0, audit.output
        details = [json.loads(row["details"]) for row in arrivals]
        assert all(item["via"] == "link" for item in details)
    finally:
        restarted.stop()
