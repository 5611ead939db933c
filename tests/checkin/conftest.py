"""Shared, read-only material for the check-in unit tests: the session's rendered round, its documents,
a check-in context over it, and scans of one document made once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.checkin.context import Context, Settings
from pipeline.ledger import Ledger
from pipeline.round import load_round

from .. import scans

SCAN_DPI = 150


@pytest.fixture(scope="session")
def checkin_round(rendered_round: Path, tmp_path_factory) -> Path:
    """A copy of the rendered round that the check-in unit tests read (they never change it)."""
    target = tmp_path_factory.mktemp("checkin-units") / "round"
    shutil.copytree(rendered_round, target)
    return target


@pytest.fixture(scope="session")
def records(checkin_round: Path) -> list:
    """The round's documents, by AGS."""
    with Ledger.open(checkin_round / "out") as ledger:
        return sorted(ledger.latest_documents("2024-05").values(), key=lambda record: record.ags)


@pytest.fixture(scope="session")
def record(records):
    return records[0]


@pytest.fixture(scope="session")
def rendered_pdf(checkin_round: Path, record) -> Path:
    return checkin_round / "out" / record.path


@pytest.fixture(scope="session")
def context(checkin_round: Path):
    out = checkin_round / "out"
    ledger = Ledger.open(out)
    yield Context(load_round(checkin_round / "round.toml"), out, ledger, Settings(inbox=checkin_round / "inbox"))
    ledger.close()


@pytest.fixture(scope="session")
def scanned_once(rendered_pdf: Path, record) -> dict[bool, list]:
    """Both pages of the first document, printed, signed in the box (or not) and scanned upright at 150 dpi."""
    return {signed: scans.signed_scan(rendered_pdf, record.geometry, dpi=SCAN_DPI, signed=signed)
            for signed in (True, False)}


# Copies: Pillow keeps a saved image's encoder options (a JPEG quality) and applies them to its next save.
@pytest.fixture
def signed_pages(scanned_once) -> list:
    return [page.copy() for page in scanned_once[True]]


@pytest.fixture
def unsigned_pages(scanned_once) -> list:
    return [page.copy() for page in scanned_once[False]]
