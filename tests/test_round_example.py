"""The round.toml example the "round file not found" message points to: shipped, complete, and valid."""

from __future__ import annotations

import tomllib

from pipeline.checkin.context import load_settings
from pipeline.checkin.intake import Limits
from pipeline.cli import cli
from pipeline.round import KNOWN_KEYS, ROUND_EXAMPLE, load_round
from pipeline.templating import TEMPLATES_DIR

from .helpers import REPO


def test_the_example_ships_inside_the_package():
    assert ROUND_EXAMPLE.parent == TEMPLATES_DIR and ROUND_EXAMPLE.is_file()


def test_the_example_loads_and_passes_validation():
    round_cfg = load_round(ROUND_EXAMPLE)
    assert round_cfg.id == "2024-05" and round_cfg.deadline is not None
    settings = load_settings(round_cfg)
    assert settings.inbox == ROUND_EXAMPLE.parent / "inbox" and settings.trust_roots == []
    assert settings.limits == Limits()  # the example states the defaults


#: Sections the example shows commented out: a round without a mailbox must not name one.
COMMENTED_SECTIONS = ("mail",)


def test_the_example_names_every_key_the_tool_reads():
    text = ROUND_EXAMPLE.read_text("utf-8")
    data = tomllib.loads(text)
    assert list(data) == [section for section in KNOWN_KEYS if section not in COMMENTED_SECTIONS]
    for section, keys in KNOWN_KEYS.items():
        if section in COMMENTED_SECTIONS:  # every key there, ready to uncomment
            uncommented = tomllib.loads("\n".join(line.removeprefix("# ") for line in text.splitlines()
                                                   if line.startswith(("# [", "# ")) and "=" in line or
                                                   line.startswith(f"# [{section}]")))
            assert set(uncommented.get(section, {})) == set(keys), section
        elif section in ("portal", "letter"):  # keys without a default are shown commented
            optional = {"portal": "link_valid_until", "letter": "templates"}[section]
            assert set(data[section]) | {optional} == set(keys), section
            assert f"# {optional} = " in text
        else:
            assert set(data[section]) == set(keys), section


def test_validate_accepts_the_example_with_the_demo_list(runner):
    result = runner.invoke(cli, ["validate", "--round", str(ROUND_EXAMPLE),
                                 "--signatories", str(REPO / "signatories.csv")])
    assert result.exit_code == 0, result.output


def test_a_missing_round_file_points_at_the_example(runner, tmp_path):
    missing = tmp_path / "round.toml"
    result = runner.invoke(cli, ["validate", "--round", str(missing), "--signatories",
                                 str(REPO / "signatories.csv")])
    assert result.exit_code == 2
    assert f"cp {ROUND_EXAMPLE} {missing}" in result.output
