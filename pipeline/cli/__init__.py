"""The command line: a thin click layer over the stage functions (skin 1; the web app is skin 2).

``base`` holds the group (which maps errors, results that need a person and Ctrl-C to exit codes, in one
place) and the options every command shares; ``prepare``, ``returns`` and ``tracking`` hold the commands,
in the order a round uses them; ``web`` starts the web app and manages its links and clerks. Each command
parses its options, calls a stage function, prints the lines it returns.
"""

from . import prepare, returns, tracking, web  # noqa: F401 - importing registers their commands on the group
from .base import INTERRUPTED, cli


def main() -> None:
    cli(prog_name="engagiert")


__all__ = ["INTERRUPTED", "cli", "main"]
