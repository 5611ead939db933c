"""round.toml read whole: `engagiert validate` checks every section, [checkin] included (limits, inbox,
trust roots), and refuses unknown sections and keys by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import cli

from .helpers import ROUND_TOML, nrw_rows, write_csv


def round_with(tmp_path: Path, extra: str) -> Path:
    """The demo round file with `extra` TOML appended (a new section, or keys of [letter], the last table)."""
    path = tmp_path / "round.toml"
    path.write_text(ROUND_TOML.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")
    return path


def validate(runner, tmp_path: Path, round_file: Path):
    signatories = write_csv(tmp_path / "signatories.csv", nrw_rows("Stadt Köln"))
    return runner.invoke(cli, ["validate", "--signatories", str(signatories), "--round", str(round_file),
                               "--out", str(tmp_path / "out")])


def test_a_good_checkin_section_is_reported(runner, tmp_path):
    from .digital import make_ca_and_signer

    credentials = make_ca_and_signer(tmp_path / "pki")
    (tmp_path / "eingang").mkdir()
    round_file = round_with(tmp_path, '[checkin]\ninbox = "eingang"\ntrust_roots = ["pki/ca.pem"]\n'
                                      "max_mb = 20\nmax_pages = 50\nmax_megapixels = 80\nmax_seconds = 30")
    assert credentials["ca"] == tmp_path / "pki" / "ca.pem"
    result = validate(runner, tmp_path, round_file)
    assert result.exit_code == 0, result.output
    assert "1 municipalities, no errors" in result.output
    assert (f"Check-in: uploads from {tmp_path / 'eingang'}/, 1 trusted certificate(s); at most 20 MB, "
            "50 pages, 80 megapixels per page image and 30 s per upload.") in result.output
    assert not (tmp_path / "out").exists()


def test_without_a_checkin_section_the_defaults_are_reported(runner, tmp_path):
    result = validate(runner, tmp_path, round_with(tmp_path, ""))
    assert result.exit_code == 0, result.output
    assert (f"Check-in: uploads from {tmp_path / 'inbox'}/ (not there yet), 0 trusted certificate(s); at most "
            "150 MB, 300 pages, 120 megapixels per page image and 120 s per upload.") in result.output


BAD_CHECKIN = {
    "negative limit": ("[checkin]\nmax_mb = -5", "[checkin] max_mb must be a positive number, not -5"),
    "text limit": ('[checkin]\nmax_pages = "many"', "[checkin] max_pages must be a positive number, not 'many'"),
    "boolean limit": ("[checkin]\nmax_seconds = true", "[checkin] max_seconds must be a positive number"),
    "zero limit": ("[checkin]\nmax_megapixels = 0", "[checkin] max_megapixels must be a positive number"),
    "inbox not text": ("[checkin]\ninbox = 5", "[checkin] inbox must be a folder name or path, not 5"),
    "trust_roots not a list": ("[checkin]\ntrust_roots = 3", "[checkin] trust_roots must be a list"),
    "missing trust root": ('[checkin]\ntrust_roots = ["fehlt.pem"]', "fehlt.pem: cannot read trust root"),
    "broken trust root": ('[checkin]\ntrust_roots = ["kaputt.pem"]', "kaputt.pem: not an X.509 certificate"),
    "misspelt key": ("[checkin]\nmaxmb = 20", "[checkin] has unknown key(s) maxmb; known: inbox, trust_roots"),
    "misspelt section": ("[chekin]\nmax_mb = 20", "unknown section(s) or key(s) outside a section: chekin"),
    "unknown key in [round]": ("", "[round] has unknown key(s) colour"),
    "remind_after_days not a number": ("", "[round] remind_after_days must be a number of days"),
}


@pytest.mark.parametrize("case", sorted(BAD_CHECKIN))
def test_a_bad_round_file_is_refused_naming_file_and_key(case, runner, tmp_path):
    extra, expected = BAD_CHECKIN[case]
    round_file = round_with(tmp_path, extra)
    (tmp_path / "kaputt.pem").write_text("not a certificate")
    if case == "unknown key in [round]":
        round_file.write_text(round_file.read_text(encoding="utf-8").replace("[round]\n", '[round]\ncolour = "blau"\n'),
                              encoding="utf-8")
    if case == "remind_after_days not a number":
        round_file.write_text(round_file.read_text(encoding="utf-8").replace(
            "remind_after_days = 21", 'remind_after_days = "drei Wochen"'), encoding="utf-8")
    result = validate(runner, tmp_path, round_file)
    assert result.exit_code == 2, (case, result.output)
    assert expected in result.output, (case, result.output)
    assert str(round_file) in result.output or "pem" in expected, (case, result.output)
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_checkin_reads_its_inbox_from_the_round_file(fresh_round, runner):
    round_file = fresh_round / "round.toml"
    round_file.write_text(round_file.read_text(encoding="utf-8") + '\n[checkin]\ninbox = "eingang"\n',
                          encoding="utf-8")
    command = ["checkin", "--out", str(fresh_round / "out"), "--round", str(round_file), "-q"]
    missing = runner.invoke(cli, command)
    assert missing.exit_code == 2 and f"{fresh_round / 'eingang'}: not found" in missing.output
    (fresh_round / "eingang").mkdir()
    result = runner.invoke(cli, command)
    assert result.exit_code == 0, result.output
    assert "Checked in 0 upload(s)" in result.output
