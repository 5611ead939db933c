"""The group, its error mapping and the options every command shares (written once, like sqlite-utils' output_options).

Each command parses its options, calls a stage function, prints the lines it returns. Exit codes are set
in one place, ``EngagiertGroup.invoke``: a stage's ``EngagiertError`` becomes its message and code, a result
whose ``needs_attention`` is true becomes code 1, Ctrl-C code 130; no command sets a code itself, no stage
calls sys.exit, and no clerk sees a traceback for a mistake in a file.
"""

from __future__ import annotations

import functools
import inspect
import sys
from pathlib import Path

import click

from ..errors import EngagiertError, ExitCode
from ..i18n import N_, _
from .click_texts import route_click_through_catalogue

INTERRUPTED = N_("Interrupted (Ctrl-C); nothing was half-written.")
#: The operating system's words for the file errors a clerk meets (Python gives them in English), translated.
OS_ERRORS = (N_("Permission denied"), N_("Operation not permitted"), N_("No space left on device"),
             N_("Disk quota exceeded"), N_("No such file or directory"), N_("Read-only file system"),
             N_("Is a directory"), N_("Not a directory"), N_("File exists"))


def _value_word(param: click.Parameter) -> str | None:
    """What click calls an option's value in --help (FILE, INTEGER RANGE, DATE): the type's English name,
    which the catalogue translates; None where click shows something else (choices, flags, a metavar)."""
    if not isinstance(param, click.Option) or param.is_flag or param.metavar is not None \
            or isinstance(param.type, click.Choice):
        return None
    return str.__str__(param.type.name)  # the English name, also when click keeps it translatable (Path)


class _Translated:
    """Help texts are written in English in the code and shown in the reader's language (i18n.py): the
    command's help, its short help in the command list, every option's help and its value's name, and the
    usage line, translated when shown. Click keeps a docstring as written (indented); the catalogue has it
    cleaned, as click shows it."""

    def _translated(self, formatter_call, *args, params=None):
        params = self.params if params is None else params
        saved = [(self, self.help)] + [(param, getattr(param, "help", None)) for param in params]
        words = [(param, _value_word(param)) for param in params]
        try:
            for item, text in saved:
                if text:
                    item.help = _(inspect.cleandoc(text))
            for param, word in words:
                if word:
                    param.metavar = _(word).upper()
            return formatter_call(*args)
        finally:
            for item, text in saved:
                item.help = text
            for param, word in words:
                if word:
                    param.metavar = None

    def collect_usage_pieces(self, ctx):
        return [_(piece) if piece in ("[OPTIONS]", "COMMAND [ARGS]...") else piece
                for piece in super().collect_usage_pieces(ctx)]

    def format_help_text(self, ctx, formatter):
        return self._translated(super().format_help_text, ctx, formatter)

    def format_options(self, ctx, formatter):
        return self._translated(super().format_options, ctx, formatter, params=self.get_params(ctx))

    def get_short_help_str(self, limit: int = 45) -> str:
        return self._translated(super().get_short_help_str, limit)


class TranslatedCommand(_Translated, click.Command):
    pass


#: The arguments' names as the usage line and click's errors show them, for the catalogue.
ARGUMENT_NAMES = (N_("DESTINATION"), N_("[PATHS]..."), N_("[NAME]"))


class TranslatedArgument(click.Argument):
    """An argument whose name in the usage line and in click's errors ("Missing argument 'DESTINATION'") is in
    the reader's language; the command line itself is the same in every language."""

    def make_metavar(self, ctx: click.Context) -> str:
        return _(super().make_metavar(ctx))


def _write_traceback(exc: BaseException) -> str:
    """The traceback of an unexpected error, for whoever maintains the tool: in the user's cache folder
    (ENGAGIERT_DEBUG=1 prints it as well)."""
    import datetime as dt
    import os
    import traceback

    text = "".join(traceback.format_exception(exc))
    if os.environ.get("ENGAGIERT_DEBUG"):
        click.echo(text, err=True)
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "engagiert"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"error-{dt.datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}.log"
        path.write_text(f"engagiert {' '.join(sys.argv[1:])}\n\n{text}", encoding="utf-8")
        return str(path)
    except OSError:
        return _("(no log: the cache folder cannot be written; run with ENGAGIERT_DEBUG=1 to see it)")


# Click's own words (usage line, headings, its error messages) through our catalogue too, before any command
# is defined (cli/click_texts.py).
route_click_through_catalogue()


class EngagiertGroup(_Translated, click.Group):
    command_class = TranslatedCommand

    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
        except EngagiertError as exc:
            click.echo(_("Error: {message}").format(message=exc.message), err=True)
            raise click.exceptions.Exit(int(exc.exit_code)) from exc
        except OSError as exc:  # permissions, a full disk, a vanished folder: say which file, no traceback
            said = _(exc.strerror) if exc.strerror in OS_ERRORS else exc.strerror or exc
            what = f"{said}: {exc.filename or ''}".rstrip(": ")
            click.echo(_("Error: {message}").format(message=what), err=True)
            raise click.exceptions.Exit(int(ExitCode.file_error)) from exc
        except KeyboardInterrupt as exc:  # files are written atomically, the ledger in transactions
            click.echo(_(INTERRUPTED), err=True)
            raise click.exceptions.Exit(int(ExitCode.interrupted)) from exc
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as exc:  # our mistake, not the clerk's: one line, the traceback in a file
            log = _write_traceback(exc)
            click.echo(_("Internal error ({kind}: {message}); nothing was half-written. The details are in {log}: "
                         "please send that file to the people who look after engagiert.").format(
                kind=type(exc).__name__, message=str(exc)[:200], log=log), err=True)
            raise click.exceptions.Exit(int(ExitCode.internal_error)) from exc
        if getattr(result, "needs_attention", False):  # finished, but left work for a person
            raise click.exceptions.Exit(int(ExitCode.needs_attention))
        return result


def common_options(command):
    """--out and --round, shared by every command (written once, like sqlite-utils' output_options)."""

    @click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("out"),
                  show_default=True, help="Output folder: documents, ledger, everything generated.")
    @click.option("--round", "round_file", type=click.Path(dir_okay=False, path_type=Path),
                  default=Path("round.toml"), show_default=True, help="The round's settings file.")
    @click.option("-q", "--quiet", is_flag=True, help="No progress bar, only results and errors.")
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(*args, **kwargs)

    return wrapper


def signatories_option(only_if_given: bool = False):
    """--signatories. `only_if_given`: the command gets None unless the option was typed (bundle and
    mark-sent then use the rows stored at rendering); a signatories.csv lying in the current folder may
    be another round's."""

    def given_or_none(ctx: click.Context, param: click.Parameter, value: Path) -> Path | None:
        if only_if_given and ctx.get_parameter_source(param.name) is click.core.ParameterSource.DEFAULT:
            return None
        return value

    return click.option(
        "--signatories", "signatories_file", type=click.Path(dir_okay=False, path_type=Path),
        default=Path("signatories.csv"), show_default=True, callback=given_or_none,
        help="The municipalities and their heads: CSV (UTF-8 or Windows-1252, ',' or ';') or .xlsx.",
    )


class DateParam(click.ParamType):
    """A date typed the German way (17.05.2024) or as ISO (2024-05-17)."""

    name = "date"

    def convert(self, value, param, ctx):
        import datetime as dt

        if isinstance(value, dt.date):
            return value
        from ..german import parse_date

        try:
            return parse_date(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


DATE = DateParam()


def progress_bar(total: int, quiet: bool, description: str):
    """A tqdm bar on stderr for people at a terminal; nothing in CI logs or with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="doc", disable=quiet or not sys.stderr.isatty(), delay=1.5,
                file=sys.stderr, leave=False)


def read_signatories(path: Path):
    """The rows of a signatories file; its warnings go to stderr (grouped), its errors stop the command."""
    from ..signatories import load_signatories, warning_lines

    result = load_signatories(path)
    for line in warning_lines(result.warnings):
        click.echo(f"  {line}", err=True)
    return result


@click.group(cls=EngagiertGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="engagiert")
def cli():
    """engagiert: signing rounds of the Kommunen-Netzwerk: engagiert in NRW.

    Render the declarations, print them, check in the signed copies, track who is missing.
    """
