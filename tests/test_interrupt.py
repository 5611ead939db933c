"""Ctrl-C: exit code 130, one line, no traceback, no half-written file; what was finished stays recorded."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipeline.cli import INTERRUPTED, cli
from pipeline.ledger import Ledger

from .helpers import NRW_CSV, nrw_rows, write_csv
from .test_checkin import ROUND, documents, inbox, run, scan_file, states


def nrw_csv(path: Path, rows: int) -> Path:
    lines = NRW_CSV.read_text(encoding="utf-8").splitlines()[:rows + 1]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def recorded_documents(out: Path) -> dict:
    with Ledger.open(out) as ledger:
        return ledger.latest_documents(ROUND)


def assert_one_line(stderr: str) -> None:
    """The interruption is told once, as the last line (after any warning about the input), no traceback."""
    assert stderr.strip().splitlines()[-1] == INTERRUPTED and stderr.count(INTERRUPTED) == 1, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr


def assert_consistent(out: Path) -> None:
    """Every recorded document's file is there with its recorded bytes; no temporary file is left."""
    for record in recorded_documents(out).values():
        assert hashlib.sha256((out / record.path).read_bytes()).hexdigest() == record.sha256, record.path
    assert not list(out.rglob("*.tmp"))


def test_ctrl_c_during_a_render_keeps_the_written_documents_recorded(tmp_path, runner, round_file, monkeypatch):
    """The third batch is interrupted: the first two (16 documents) are written, so they are recorded, although
    the run records only every RECORD_EVERY (500) documents while it goes on."""
    from pipeline.render import run as render_run

    calls = []
    real_render_jobs = render_run.render_jobs

    def render_jobs(jobs, *args, **kwargs):
        calls.append(len(jobs))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_render_jobs(jobs, *args, **kwargs)

    monkeypatch.setattr(render_run, "render_jobs", render_jobs)
    csv_path = nrw_csv(tmp_path / "signatories.csv", 3 * render_run.BATCH_SIZE)
    out = tmp_path / "out"
    result = runner.invoke(cli, ["render", "--signatories", str(csv_path), "--round", str(round_file), "--out",
                                 str(out), "-q", "--workers", "1"])
    assert result.exit_code == 130, result.output
    assert_one_line(result.output)
    assert len(recorded_documents(out)) == 2 * render_run.BATCH_SIZE
    assert len(list((out / ROUND / "documents").glob("*.pdf"))) == 2 * render_run.BATCH_SIZE
    assert_consistent(out)


def test_ctrl_c_at_the_terminal_during_a_parallel_render(tmp_path, round_file):
    """SIGINT to the whole process group, as a terminal sends it: the workers leave it to the parent (no
    traceback from them), the parent records what came back, and a second run finishes the round."""
    rows = 64
    base = tmp_path / "round"
    (base / "out").mkdir(parents=True)
    nrw_csv(base / "signatories.csv", rows)
    shutil.copy(round_file, base / "round.toml")
    command = [sys.executable, "-m", "pipeline", "render", "--signatories", str(base / "signatories.csv"),
               "--round", str(base / "round.toml"), "--out", str(base / "out"), "-q"]
    process = subprocess.Popen([*command, "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    documents_dir = base / "out" / ROUND / "documents"
    deadline = time.monotonic() + 240
    # 24 files written: at most 14 of them in the two batches still running, so at least two batches are done.
    while process.poll() is None and time.monotonic() < deadline and \
            (not documents_dir.is_dir() or len(list(documents_dir.glob("*.pdf"))) < 24):
        time.sleep(0.02)
    assert process.poll() is None, "the render finished before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    output, errors = process.communicate(timeout=120)
    assert process.returncode == 130, errors
    assert_one_line(errors)
    assert output == ""
    recorded = len(recorded_documents(base / "out"))
    assert 0 < recorded < rows
    assert_consistent(base / "out")

    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert len(recorded_documents(base / "out")) == rows
    with Ledger.open(base / "out") as ledger:
        counts = dict(ledger.connection.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    assert counts == {"rendered": rows}  # the interrupted run's documents were recorded once, not again
    assert_consistent(base / "out")


def test_ctrl_c_during_a_checkin_leaves_the_upload_stored_released_and_finished_next_time(fresh_round, runner,
                                                                                         monkeypatch):
    from pipeline.checkin import archive
    from pipeline.checkin import run as checkin_run

    record = documents(fresh_round)[0]
    scan_file(fresh_round, record, "scan.pdf")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(checkin_run, "record", interrupted)  # Ctrl-C after analysis, before recording
        result = run(runner, fresh_round)
    assert result.exit_code == 130, result.output
    assert result.output.strip() == INTERRUPTED, result.output
    assert list(inbox(fresh_round).iterdir()) == []
    stored = [path for path in (fresh_round / "out" / ROUND / "received").iterdir() if path.is_file()]
    assert len(stored) == 1
    claim = archive.claim(stored[0])  # the interrupted run let go of its lock
    assert claim is not None
    claim.release()
    assert states(fresh_round)[record.doc_id][0] == "rendered"  # nothing recorded half-way

    again = run(runner, fresh_round)
    assert again.exit_code == 0, again.output
    assert "(finished after an interrupted run)" in again.output
    assert states(fresh_round)[record.doc_id][0] == "verified"


def test_an_internal_error_is_one_line_and_a_log_file_never_a_traceback(runner, round_file, tmp_path, monkeypatch):
    import pipeline.render.run as render_run

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug of ours")

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(render_run, "plan_render", broken)
    write_csv(tmp_path / "signatories.csv", nrw_rows("Stadt Köln"))
    result = runner.invoke(cli, ["render", "--signatories", str(tmp_path / "signatories.csv"), "--round",
                                 str(round_file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 15, result.output
    assert "Internal error (ZeroDivisionError: a bug of ours)" in result.output and "Traceback" not in result.output
    [log] = (tmp_path / "cache" / "engagiert").glob("error-*.log")
    assert "Traceback" in log.read_text() and "ZeroDivisionError" in log.read_text()
