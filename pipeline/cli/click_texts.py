"""Click's own words that a user sees (usage line, headings, its error messages), marked here so that the
catalogue translates them like ours; cli/base.py routes click's gettext calls through the catalogue."""

from ..i18n import N_

CLICK_TEXTS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Arguments"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("Error"), N_("Try '{command} {option}' for help."),
    N_("Missing argument {param_hint}."), N_("Missing option {param_hint}."), N_("Missing parameter {param_hint}."),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("No such option: {name}"), N_("No such command {name!r}."), N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"), N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"), N_("Option {name!r} requires an argument."),
    N_("{value!r} is not one of {choices}."), N_("{value!r} is not a valid integer."),
    N_("{value!r} is not a valid float."), N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid {number_type}."), N_("Path {name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is a file."),
    N_("(dynamic)"), N_("default:"), N_("required"), N_("Aborted!"), N_("Did you mean {possibility}?"),
    N_("(Possible options: {possibilities})"), N_("File"), N_("Directory"), N_("Path"),
    N_("{value!r} does not match the format {format}."), N_("{value!r} does not match the formats {formats}."),
)
