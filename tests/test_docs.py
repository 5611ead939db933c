"""The README stays true: every command has help text and is shown in the README (as sqlite-utils does)."""

import re

from pipeline.cli import cli

from .helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_command_has_help_and_is_in_the_readme(runner):
    assert cli.commands, "no commands registered"
    for name, command in cli.commands.items():
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert command.help and len(command.help) > 40, f"{name} has no real help text"
        assert f"### `engagiert {name}`" in README, f"README has no section for {name}"
        for option in ("--out", "--round"):
            assert option in result.output, f"{name} lacks the shared option {option}"


def test_every_csv_column_is_documented():
    from pipeline.signatories import KNOWN_COLUMNS

    for column in KNOWN_COLUMNS:
        assert re.search(rf"^\| `{column}` \|", README, re.MULTILINE), column


def test_every_ledger_state_is_documented():
    from pipeline.ledger import STATES

    for state in STATES:
        assert f"| `{state}` |" in README, state


def test_readme_names_the_two_commands():
    assert "make demo" in README and "make test" in README
