from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import cli

from .helpers import ROUND_TOML, nrw_rows, person, write_csv


@pytest.fixture(autouse=True, scope="session")
def english_unless_a_test_asks_for_german():
    """The program speaks German unless the locale names English (pipeline/i18n.py). Most tests assert the
    English source texts, so they run with LANG=en_GB.UTF-8, session-wide so that fixtures shared by a module
    or the session do too; the German tests set their own locale (monkeypatch undoes it after each)."""
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            patch.delenv(variable, raising=False)
        patch.setenv("LANG", "en_GB.UTF-8")
        yield


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def round_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(ROUND_TOML, tmp_path / "round.toml"))


SMALL_ROUND = [
    ("Stadt Bielefeld", "Frau", "Maria", "Schmitz", "Dr."),
    ("Gemeinde Alfter", "Herr", "Jan", "Muster", ""),
    ("Kreis Borken", "Frau", "Eva", "Beispiel", ""),
    ("StädteRegion Aachen", "Herr", "Tim", "Exempel", "Prof. Dr."),
    ("Stadt Schloß Holte-Stukenbrock", "", "", "", ""),
]


def small_round_rows() -> list[dict]:
    rows = nrw_rows(*(entry[0] for entry in SMALL_ROUND))
    return [person(row, anrede, vorname, nachname, titel, strasse="Rathausplatz 1",
                   plz=row["plz"] or "46325", ort=row["name"], email="post@example.org")
            for row, (_, anrede, vorname, nachname, titel) in zip(rows, SMALL_ROUND, strict=True)]


@pytest.fixture(scope="session")
def rendered_round(tmp_path_factory) -> Path:
    """A small round rendered once per session; tests that change it copy it first (see `fresh_round`)."""
    base = tmp_path_factory.mktemp("rendered")
    shutil.copy(ROUND_TOML, base / "round.toml")
    write_csv(base / "signatories.csv", small_round_rows())
    # A fixed MAC key, so the same ids in every session: what OCR reads of an id line (a probabilistic
    # reader) is then reproducible; with a new key per session one id in a few dozen went unread in a test.
    # The recognition benchmark measures the reading over many keys and ids.
    (base / "out").mkdir()
    (base / "out" / "docid.secret").write_text("3c" * 32)
    result = CliRunner().invoke(cli, ["render", "--signatories", str(base / "signatories.csv"),
                                      "--round", str(base / "round.toml"), "--out", str(base / "out"), "-q"])
    assert result.exit_code == 0, result.output
    return base


@pytest.fixture
def fresh_round(rendered_round: Path, tmp_path: Path) -> Path:
    """A private copy of the rendered small round (signatories.csv, round.toml, out/)."""
    target = tmp_path / "round"
    shutil.copytree(rendered_round, target)
    return target


@pytest.fixture(autouse=True)
def fail_on_weasyprint_warnings():
    """WeasyPrint reports dropped CSS or missing resources only as log warnings: treat them as failures."""
    import logging

    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    assert not records, [record.getMessage() for record in records]
