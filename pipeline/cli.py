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

from .errors import EngagiertError, ExitCode, InvalidInputError


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


@cli.command()
@common_options
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--inbox", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of returned copies (default: [checkin] inbox in round.toml, else ./inbox).")
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CA certificate (PEM/DER) whose digital signatures count as verified; repeatable.")
@click.option("--accept", "accept_id", metavar="DOC_ID", default=None, help="Accept a document by hand (after review).")
@click.option("--reject", "reject_id", metavar="DOC_ID", default=None,
              help="Reject a document by hand; needs --reason.")
@click.option("--reason", default="", help="Why (for --accept/--reject): recorded and told to the municipality.")
@click.option("--max-mb", type=click.FloatRange(min=0.001), default=None, help="Largest upload read (default 150).")
@click.option("--max-pages", type=click.IntRange(min=1), default=None, help="Most pages per upload (default 300).")
@click.option("--max-megapixels", type=click.FloatRange(min=0.01), default=None,
              help="Largest page image (default 120).")
@click.option("--max-seconds", type=click.FloatRange(min=0.1), default=None,
              help="Longest time spent reading one upload (default 120).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes reading uploads (default: one per CPU core).")
def checkin(out: Path, round_file: Path, quiet: bool, paths: tuple[Path, ...], inbox: Path | None,
            trust_roots: tuple[Path, ...], accept_id: str | None, reject_id: str | None, reason: str,
            max_mb: float | None, max_pages: int | None, max_megapixels: float | None, max_seconds: float | None,
            workers: int | None):
    """Check in returned signed copies: identify, verify, archive, record.

    Reads every file in the inbox (or the PATHS given): scans, photos, TIFFs, digitally signed PDFs.
    Each upload moves to out/<round>/received/ (named by its content hash) and gets one line of
    result; each document it holds ends verified, incomplete, rejected or needs review, with a reason.
    Exit code 1 when anything needs a person (rejected, needs review, unmatched, refused).

    Example: engagiert checkin --inbox inbox

    Example: engagiert checkin --accept ENG-2024-05-05711000-V1-ABCDEFGH --reason "Unterschrift geprüft"
    """
    from .checkin import check_in, decide, load_settings
    from .round import load_round

    round_cfg = load_round(round_file)
    if accept_id or reject_id:
        if accept_id and reject_id:
            raise InvalidInputError("use either --accept or --reject, not both")
        outcome = decide(round_cfg, out, accept_id or reject_id, accept=bool(accept_id), reason=reason)
        click.echo(f"{outcome.bezeichnung} ({outcome.doc_id}): {outcome.state.upper()} by hand: {outcome.reason}")
        return
    settings = load_settings(round_cfg, inbox=inbox, trust_roots=trust_roots,
                             max_bytes=int(max_mb * 1024 * 1024) if max_mb else None, max_pages=max_pages,
                             max_pixels=int(max_megapixels * 1e6) if max_megapixels else None,
                             max_seconds=max_seconds)
    targets = list(paths) or [settings.inbox]
    missing = [path for path in targets if not path.exists() and not path.is_symlink()]
    if missing:
        raise InvalidInputError(f"{missing[0]}: not found (the inbox is set by --inbox or [checkin] inbox)")
    from .archive import inbox_files

    total = len(inbox_files(targets))
    with progress_bar(total, quiet, "checking in") as bar:
        def print_result(result) -> None:
            for line in result.lines():  # through the bar, so a line never lands in the middle of it
                bar.write(line, file=sys.stdout)

        summary = check_in(targets, round_cfg, out, settings, progress=bar.update, on_result=print_result,
                           workers=workers)
    states = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in sorted(summary.states().items()))
    click.echo(f"Checked in {len(summary.results)} upload(s): {summary.count('matched')} with our documents, "
               f"{summary.count('unmatched')} unmatched, {summary.count('refused')} refused, "
               f"{summary.count('duplicate')} already known. Documents: {states or 'none'}.")
    if summary.needs_attention:
        click.echo("Some uploads need a person: see the lines above, out/unmatched/, and "
                   "`engagiert checkin --accept/--reject DOC_ID`.", err=True)
        raise click.exceptions.Exit(int(ExitCode.needs_attention))


def main() -> None:
    cli(prog_name="engagiert")


if __name__ == "__main__":
    main()
