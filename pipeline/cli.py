"""The command line: a thin click layer over the stage functions.

Each command parses its options, calls one function, prints the result. Errors from the stages are
``EngagiertError``s; ``EngagiertGroup.invoke`` turns them into a message on stderr and their exit code,
in one place, so no stage calls sys.exit and no clerk sees a traceback for a mistake in a file.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .errors import EngagiertError, ExitCode


class EngagiertGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except EngagiertError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            raise click.exceptions.Exit(int(exc.exit_code)) from exc
        except OSError as exc:  # permissions, a full disk, a vanished folder: say which file, no traceback
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            raise click.exceptions.Exit(int(ExitCode.file_error)) from exc


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


def signatories_option(command):
    return click.option(
        "--signatories", "signatories_file", type=click.Path(dir_okay=False, path_type=Path),
        default=Path("signatories.csv"), show_default=True,
        help="The municipalities and their heads: CSV (UTF-8 or Windows-1252, ',' or ';') or .xlsx.",
    )(command)


def progress_bar(total: int, quiet: bool, description: str):
    """A tqdm bar on stderr for people at a terminal; nothing in CI logs or with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="doc", disable=quiet or not sys.stderr.isatty(), delay=1.5,
                file=sys.stderr, leave=False)


def _print_warnings(warnings, limit: int = 20) -> None:
    """Warnings on stderr; the same warning on many rows is one line ("… in 427 rows: 2, 3, 4, …")."""
    groups: dict[tuple, list] = {}
    for warning in warnings:
        groups.setdefault((warning.file, warning.column, warning.message), []).append(warning)
    lines = []
    for (file, column, message), members in groups.items():
        if len(members) <= 3:
            lines.extend(str(member) for member in members)
        else:
            rows = ", ".join(str(member.row) for member in members[:5])
            lines.append(f"{file}, column '{column}': {message} ({len(members)} rows: {rows}, …)")
    for line in lines[:limit]:
        click.echo(f"  warning: {line}", err=True)
    if len(lines) > limit:
        click.echo(f"  … and {len(lines) - limit} more warning(s)", err=True)


@click.group(cls=EngagiertGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="engagiert")
def cli():
    """engagiert: signing rounds of the Kommunen-Netzwerk: engagiert in NRW.

    Render the declarations, print them, check in the signed copies, track who is missing.
    """


@cli.command()
@common_options
@signatories_option
def validate(out: Path, round_file: Path, quiet: bool, signatories_file: Path):
    """Check the signatories file and round.toml without writing anything.

    Lists every problem with its row (as Excel numbers it) and column; exit code 2 if there is any.

    Example: engagiert validate --signatories signatories.csv
    """
    from .round import load_round
    from .signatories import load_signatories

    round_cfg = load_round(round_file)
    result = load_signatories(signatories_file)
    _print_warnings(result.warnings)
    click.echo(f"{signatories_file}: {len(result.signatories)} municipalities, no errors "
               f"({len(result.warnings)} warning(s)); round {round_cfg.id} from {round_file}.")


@cli.command()
@common_options
@signatories_option
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Rendering processes (default: one per CPU core).")
def render(out: Path, round_file: Path, quiet: bool, signatories_file: Path, workers: int | None):
    """Render one personalised two-page PDF per municipality.

    Validates first (nothing is written if any row is wrong). Unchanged rows are not rendered again;
    a changed row gets a new version and the old one is marked superseded in the ledger.

    Example: engagiert render --signatories signatories.csv --out out
    """
    from .render import render_round, subsetter_name
    from .round import load_round
    from .signatories import load_signatories

    round_cfg = load_round(round_file)
    result = load_signatories(signatories_file)
    _print_warnings(result.warnings)
    with progress_bar(len(result.signatories), quiet, "rendering") as bar:
        summary = render_round(result.signatories, round_cfg, out, workers=workers, progress=bar.update)
    click.echo(f"Rendered {len(summary.rendered)} document(s), {len(summary.unchanged)} unchanged, "
               f"{len(summary.superseded)} superseded: {summary.total} documents for round "
               f"{summary.round_id} in {summary.documents_dir}/")
    if not quiet and summary.rendered and subsetter_name() != "harfbuzz":
        click.echo("Note: fonts were subset with fontTools (slow); install libharfbuzz-subset0 "
                   "(sudo apt-get install libharfbuzz-subset0) for ~4x faster rendering.", err=True)


def main() -> None:
    cli(prog_name="engagiert")


if __name__ == "__main__":
    main()
