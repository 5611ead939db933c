"""Click's own words that a user sees (usage line, headings, its error messages), marked here so that the
catalogue translates them like ours, and routed through the catalogue (``route_click_through_catalogue``).

The msgids are click's source texts; where click versions word a message differently, both are listed.
"""

import click

from ..i18n import N_, _, ngettext

CLICK_TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Arguments"), N_("Positional arguments"),
    N_("Show this message and exit."), N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("Error"), N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Missing argument {param_hint}."), N_("Missing option {param_hint}."), N_("Missing parameter {param_hint}."),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"), N_("Missing command."),
    N_("No such option: {name}"), N_("No such option {name!r}."), N_("No such command {name!r}."),
    N_("Invalid value for {param_hint}: {message}"), N_("Invalid value: {message}"),
    N_("Option {name!r} does not take a value."), N_("{value!r} is not a valid integer."),
    N_("{value!r} is not a valid float."), N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid {number_type}."), N_("Path {name} {filename!r} does not exist."),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("(dynamic)"), N_("default:"), N_("default: {default}"),
    N_("required"), N_("Aborted!"), N_("(Possible options: {possibilities})"), N_("Choose from:\n\t{choices}"),
    N_("File"), N_("Directory"),
    N_("Path"), N_("file"), N_("directory"), N_("path"),
    # The names click gives the values of other types: shown, upper-cased, in the options' column of --help.
    N_("integer range"), N_("float range"), N_("integer"), N_("float"), N_("text"), N_("date"),
    # Usage line pieces: click writes them in English whatever the locale.
    N_("[OPTIONS]"), N_("COMMAND [ARGS]..."),
)
CLICK_PLURAL_TEXTS = (
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1),
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1),
    ngettext("{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}.", 1),
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1),
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1),
)

#: Texts click translates once, when a command is defined (at import, whatever the locale of the call that
#: follows): they stay English then and are translated where click shows them.
_TRANSLATED_WHEN_SHOWN = frozenset({"file", "directory", "path", "%(prog)s, version %(version)s",
                                    "Show the version and exit.", "Show this message and exit."})


class _ShownLater(str):
    """One of those texts: its value is the English source; shown through title(), upper(), % or str(), as
    click shows them, it is in the reader's language."""

    def _shown(self) -> str:
        return _(str.__str__(self))

    def __str__(self) -> str:
        return self._shown()

    def title(self) -> str:
        return self._shown().title()

    def upper(self) -> str:
        return self._shown().upper()

    def __mod__(self, values) -> str:
        return self._shown() % values


def _click_gettext(message: str) -> str:
    return _ShownLater(message) if message in _TRANSLATED_WHEN_SHOWN else _(message)


def route_click_through_catalogue() -> None:
    """Click's gettext and ngettext calls go through our catalogue (called once, before commands are defined)."""
    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.types,
                   click.termui):
        if hasattr(module, "_"):
            module._ = _click_gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
