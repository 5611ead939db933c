"""Check-in makes a stored upload's new name durable with its ledger record, not on its own (archive.py,
judge.py): one fsync of received/ per upload, after the signed copy's, where it costs little."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.cli import cli

from .. import scans


def test_the_received_folder_is_synced_once_after_the_signed_copy(fresh_round, runner, monkeypatch):
    from pipeline.ledger import Ledger

    with Ledger.open(fresh_round / "out") as ledger:
        record = sorted(ledger.latest_documents("2024-05").values(), key=lambda item: item.ags)[0]
    inbox = fresh_round / "inbox"
    inbox.mkdir()
    scans.to_pdf(scans.signed_scan(fresh_round / "out" / record.path, record.geometry, dpi=150), inbox / "scan.pdf",
                 dpi=150)
    synced: list[Path] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(Path(os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = runner.invoke(cli, ["checkin", "--out", str(fresh_round / "out"), "--round",
                                 str(fresh_round / "round.toml"), "-q", "--inbox", str(inbox)])
    assert result.exit_code == 0, result.output
    received = (fresh_round / "out" / "2024-05" / "received").resolve()
    signed = (fresh_round / "out" / "2024-05" / "signed").resolve()
    order = ["received" if path == received else "signed" if path.parent == signed else None for path in synced]
    order = [name for name in order if name]
    assert order == ["signed", "received"], synced
