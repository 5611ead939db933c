"""Crash safety and concurrency of check-in (issue 7), with real processes and SIGKILL.

20 seeded runs: start `engagiert checkin` on an inbox, kill its whole process group with SIGKILL at a
random moment, run it again to the end, and compare with an uninterrupted run: every input stored exactly
once and recorded once, the ledger intact, the same final states, nothing counted twice.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.ledger import Ledger

from . import scans
from .test_checkin import ROUND, documents

CRASH_RUNS = 20


def engagiert(base: Path, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", "checkin", "--out", str(base / "out"), "--round",
                             str(base / "round.toml"), "-q", "--inbox", str(base / "inbox"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            **popen)


@pytest.fixture(scope="module")
def crash_template(tmp_path_factory, rendered_round) -> Path:
    """The rendered small round plus an inbox of 7 uploads: signed, unsigned, a stack, photos, a duplicate."""
    base = tmp_path_factory.mktemp("crash") / "round"
    shutil.copytree(rendered_round, base)
    inbox = base / "inbox"
    inbox.mkdir()
    records = documents(base)
    for index, record in enumerate(records[:3]):
        scans.to_pdf(scans.signed_scan(base / "out" / record.path, record.geometry, dpi=150, signed=index != 1,
                                       angle=1.0), inbox / f"scan-{index}.pdf", dpi=150)
    stack = []
    for record in records[3:5]:
        stack += scans.signed_scan(base / "out" / record.path, record.geometry, dpi=150)
    scans.to_pdf(stack, inbox / "stapel.pdf", dpi=150)
    page1, page2 = scans.signed_scan(base / "out" / records[0].path, records[0].geometry, dpi=150, seed=4)
    scans.to_jpeg(page1, inbox / "foto-1.jpg")
    scans.to_jpeg(page2, inbox / "foto-2.jpg")
    shutil.copy(inbox / "scan-0.pdf", inbox / "scan-0 (Kopie).pdf")
    return base


def snapshot_inputs(inbox: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in inbox.iterdir()}


def final_states(base: Path) -> dict[str, str]:
    with Ledger.open(base / "out") as ledger:
        return {row["doc_id"]: row["state"] for row in ledger.status_rows(ROUND)}


def check_invariants(base: Path, inputs: dict[str, str], complete: bool) -> None:
    """Every input is still in the inbox or stored exactly once (per copy); the ledger is intact and
    records each distinct upload once; no document page or check-in is counted twice."""
    out = base / "out"
    left = {path.name for path in (base / "inbox").iterdir()}
    stored = [hashlib.sha256(path.read_bytes()).hexdigest() for path in (out / ROUND / "received").rglob("*")
              if path.is_file() and not path.name.startswith(".")]
    moved = [name for name in inputs if name not in left]
    for name in moved:
        twins = sum(1 for other in moved if inputs[other] == inputs[name])
        assert stored.count(inputs[name]) == twins, f"{name}: stored {stored.count(inputs[name])}x for {twins}"
    assert len(stored) == len(moved)
    connection = sqlite3.connect(out / "ledger.sqlite")
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    recorded = [row[0] for row in connection.execute("SELECT sha256 FROM uploads")]
    assert len(recorded) == len(set(recorded)) and set(recorded) <= set(inputs.values())
    if complete:
        assert left == set() and set(recorded) == set(inputs.values())
    doubled = connection.execute("SELECT doc_id, file_sha256, count(*) FROM events WHERE kind = 'checkin' "
                                 "GROUP BY doc_id, file_sha256 HAVING count(*) > 1").fetchall()
    assert doubled == [], f"counted twice: {doubled}"
    connection.close()
    if complete:  # after the re-run, the audit finds ledger and files in agreement
        from pipeline.track.audit import audit

        report = audit(out)
        assert report.ok, report.lines()


@pytest.fixture(scope="module")
def reference(crash_template, tmp_path_factory) -> tuple[dict[str, str], float]:
    """An uninterrupted run: its final states, and how long it takes (the crash runs are killed within it)."""
    base = tmp_path_factory.mktemp("reference") / "round"
    shutil.copytree(crash_template, base)
    started = time.monotonic()
    process = engagiert(base)
    process.communicate(timeout=120)
    duration = time.monotonic() - started
    assert process.returncode in (0, 1)
    assert list((base / "inbox").iterdir()) == []
    return final_states(base), duration


def _crash_and_recover(template: Path, workdir: Path, seed: int, duration: float):
    base = workdir / f"run-{seed}"
    shutil.copytree(template, base)
    inputs = snapshot_inputs(base / "inbox")
    delay = random.Random(seed).uniform(0.3, 0.95) * duration  # past start-up, before the end
    process = engagiert(base)
    time.sleep(delay)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it had already finished
    process.communicate()
    interrupted = process.returncode == -signal.SIGKILL
    check_invariants(base, inputs, complete=False)   # nothing lost or doubled even straight after the crash
    again = engagiert(base)
    _, errors = again.communicate(timeout=120)
    assert again.returncode in (0, 1), errors
    check_invariants(base, inputs, complete=True)
    return final_states(base), delay, errors, interrupted


def test_sigkill_at_random_moments_then_rerun_loses_nothing(crash_template, reference, tmp_path):
    reference_states, duration = reference
    # One run at a time: the kill moments are chosen within the uninterrupted run's duration.
    outcomes = [_crash_and_recover(crash_template, tmp_path, seed, duration) for seed in range(CRASH_RUNS)]
    for seed, (states, delay, errors, _) in enumerate(outcomes):
        assert states == reference_states, f"run {seed} killed after {delay:.2f} s ended differently"
        assert "Traceback" not in errors
    cut_short = sum(1 for outcome in outcomes if outcome[3])  # killed while still running
    # The kill must really land mid-run most of the time, or this test proves little.
    assert cut_short >= CRASH_RUNS // 2, f"only {cut_short} of {CRASH_RUNS} runs were killed before the end"
    print(f"\n{CRASH_RUNS} SIGKILL runs ({cut_short} killed while still running, after "
          f"{min(o[1] for o in outcomes):.2f}-{max(o[1] for o in outcomes):.2f} s): nothing lost, "
          "nothing counted twice")


def test_two_checkins_and_a_render_at_once_process_each_file_once(crash_template, tmp_path):
    base = tmp_path / "round"
    shutil.copytree(crash_template, base)
    inputs = snapshot_inputs(base / "inbox")
    csv_path = base / "signatories.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("Exempel", "Exempel-Neu"),
                        encoding="utf-8")  # one changed row: the render really writes beside the check-ins
    # --supersede-sent: whether a check-in records pages of the changed document before the render plans
    # is a race; without it the render holds the row back (exit 2) whenever the check-in wins.
    render = subprocess.Popen([sys.executable, "-m", "pipeline", "render", "--signatories", str(csv_path),
                               "--round", str(base / "round.toml"), "--out", str(base / "out"), "-q",
                               "--supersede-sent"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first, second = engagiert(base, "--workers", "1"), engagiert(base, "--workers", "1")
    results = [process.communicate(timeout=180) for process in (first, second, render)]
    assert render.returncode == 0, results[2]
    for process, (output, errors) in zip((first, second), results[:2], strict=True):
        assert process.returncode in (0, 1), errors
        assert "database is locked" not in errors + output and "Traceback" not in errors
    check_invariants(base, inputs, complete=True)
    with Ledger.open(base / "out") as ledger:
        names = [row[0] for row in ledger.connection.execute("SELECT original_name FROM uploads")]
    assert len(names) == len(set(inputs.values()))


RENDER_ROWS = 48
KILLED_RENDERS = 3


def _render_process(base: Path, record_every: int) -> subprocess.Popen:
    """`engagiert render` in its own process group, recording every `record_every` documents (the real run
    records every 500: far more than a test renders) so that a kill lands between recordings."""
    code = (f"import sys, pipeline.render.run as render; render.RECORD_EVERY = {record_every}; "
            "from pipeline.cli import main; sys.argv[0] = 'engagiert'; main()")
    return subprocess.Popen([sys.executable, "-c", code, "render", "--signatories", str(base / "signatories.csv"),
                             "--round", str(base / "round.toml"), "--out", str(base / "out"), "-q", "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _recorded(base: Path) -> int:
    try:
        with sqlite3.connect(f"file:{base / 'out' / 'ledger.sqlite'}?mode=ro", uri=True, timeout=5) as connection:
            return connection.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_sigkill_during_a_render_then_rerun_gives_the_uninterrupted_result(tmp_path, round_file):
    from .helpers import NRW_CSV

    rows = list(NRW_CSV.read_text(encoding="utf-8").splitlines())[:RENDER_ROWS + 1]
    template = tmp_path / "template"
    (template / "out").mkdir(parents=True)
    (template / "signatories.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    shutil.copy(round_file, template / "round.toml")
    (template / "out" / "docid.secret").write_text("cd" * 32)

    whole = tmp_path / "whole"
    shutil.copytree(template, whole)
    assert _render_process(whole, 8).wait(timeout=300) == 0
    expected = {path.name: path.read_bytes() for path in (whole / "out" / "2024-05" / "documents").glob("*.pdf")}
    assert len(expected) == RENDER_ROWS

    for attempt in range(KILLED_RENDERS):
        base = tmp_path / f"killed-{attempt}"
        shutil.copytree(template, base)
        process = _render_process(base, 8)
        deadline = time.monotonic() + 120
        # Kill once some but not all documents are recorded: between two recording transactions.
        while _recorded(base) < 8 * (attempt + 1) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, "the render finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        assert 0 < _recorded(base) < RENDER_ROWS

        result = subprocess.run([sys.executable, "-m", "pipeline", "render", "--signatories",
                                 str(base / "signatories.csv"), "--round", str(base / "round.toml"), "--out",
                                 str(base / "out"), "-q"], capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr
        files = {path.name: path.read_bytes() for path in (base / "out" / "2024-05" / "documents").glob("*.pdf")}
        assert files == expected  # the same files, byte for byte, and no partial or extra ones
        assert not list((base / "out").rglob("*.tmp"))
        from pipeline.track.audit import audit

        assert audit(base / "out").ok, audit(base / "out").lines()
        with Ledger.open(base / "out") as ledger:
            assert ledger.connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            records = ledger.latest_documents("2024-05")
            assert len(records) == RENDER_ROWS
            for record in records.values():
                assert record.version == 1
                assert hashlib.sha256((base / "out" / record.path).read_bytes()).hexdigest() == record.sha256
            events = ledger.connection.execute(
                "SELECT kind, count(*) FROM events GROUP BY kind").fetchall()
            assert dict(events) == {"rendered": RENDER_ROWS}  # each document recorded once, nothing superseded
