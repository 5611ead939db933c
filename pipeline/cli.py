"""The command line: a thin click layer over the stage functions.

Each command parses its options, calls a stage function, prints the lines it returns. Exit codes are set
in one place, ``EngagiertGroup.invoke``: a stage's ``EngagiertError`` becomes its message and code, a result
whose ``needs_attention`` is true becomes code 1, Ctrl-C code 130; no command sets a code itself, no stage
calls sys.exit, and no clerk sees a traceback for a mistake in a file.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .errors import EngagiertError, ExitCode, InvalidInputError, LedgerError
from .states import STATES as STATE_NAMES

INTERRUPTED = "Interrupted (Ctrl-C); nothing was half-written."


class EngagiertGroup(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            result = super().invoke(ctx)
        except EngagiertError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            raise click.exceptions.Exit(int(exc.exit_code)) from exc
        except OSError as exc:  # permissions, a full disk, a vanished folder: say which file, no traceback
            click.echo(f"Error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
            raise click.exceptions.Exit(int(ExitCode.file_error)) from exc
        except KeyboardInterrupt as exc:  # files are written atomically, the ledger in transactions
            click.echo(INTERRUPTED, err=True)
            raise click.exceptions.Exit(int(ExitCode.interrupted)) from exc
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


def progress_bar(total: int, quiet: bool, description: str):
    """A tqdm bar on stderr for people at a terminal; nothing in CI logs or with --quiet."""
    from tqdm import tqdm

    return tqdm(total=total, desc=description, unit="doc", disable=quiet or not sys.stderr.isatty(), delay=1.5,
                file=sys.stderr, leave=False)


def read_signatories(path: Path):
    """The rows of a signatories file; its warnings go to stderr (grouped), its errors stop the command."""
    from .signatories import load_signatories, warning_lines

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


@cli.command()
@common_options
@signatories_option()
def validate(out: Path, round_file: Path, quiet: bool, signatories_file: Path):
    """Check the signatories file and round.toml without writing anything.

    Lists every problem with its row (as Excel numbers it) and column; exit code 2 if there is any.

    Example: engagiert validate --signatories signatories.csv
    """
    from .checkin.context import load_settings
    from .checkin.session import settings_line
    from .round import load_round

    round_cfg = load_round(round_file)  # every section, [checkin] included
    checkin_settings = load_settings(round_cfg)  # and the trust roots' certificates
    result = read_signatories(signatories_file)
    click.echo(f"{signatories_file}: {len(result.signatories)} municipalities, no errors "
               f"({len(result.warnings)} warning(s)); round {round_cfg.id} from {round_file}.")
    click.echo(settings_line(checkin_settings))


@cli.command()
@common_options
@signatories_option()
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Rendering processes (default: one per CPU core).")
@click.option("--dry-run", is_flag=True, help="List what would be new, changed, unchanged, superseded or held "
              "back; write nothing.")
@click.option("--supersede-sent", is_flag=True, help="Also render changed rows whose document was sent or "
              "returned already (their old version, even a signed one, becomes superseded).")
def render(out: Path, round_file: Path, quiet: bool, signatories_file: Path, workers: int | None,
           dry_run: bool, supersede_sent: bool):
    """Render one personalised two-page PDF per municipality.

    Validates first (nothing is written if any row is wrong). Unchanged rows are not rendered again;
    a changed row gets a new version and the old one is marked superseded in the ledger. A changed row
    whose document was sent or returned already is held back and listed with what changed (exit code 2
    for those rows; the others are rendered) unless --supersede-sent is given.

    Example: engagiert render --signatories signatories.csv --out out

    Example: engagiert render --dry-run
    """
    from .render import render_round
    from .render.plan import held_back_lines, plan_lines
    from .render.run import plan
    from .round import load_round

    round_cfg = load_round(round_file)
    result = read_signatories(signatories_file)
    if dry_run:
        click.echo("\n".join(plan_lines(plan(result.signatories, round_cfg, out,
                                             allow_supersede_sent=supersede_sent))))
        return None
    with progress_bar(len(result.signatories), quiet, "rendering") as bar:
        summary = render_round(result.signatories, round_cfg, out, workers=workers, progress=bar.update,
                               allow_supersede_sent=supersede_sent)
    click.echo(summary.line())
    if not quiet and summary.speed_note():
        click.echo(summary.speed_note(), err=True)
    if summary.held_back:  # the other rows are rendered and recorded; these are the invalid input
        raise InvalidInputError("\n".join(held_back_lines(summary.held_back)))
    return summary


@cli.command()
@common_options
@click.option("--outstanding", is_flag=True, help="List the municipalities without a verified copy.")
@click.option("--state", "states", multiple=True, type=click.Choice(STATE_NAMES),
              help="Only documents in this state (repeat for several).")
@click.option("--regierungsbezirk", help="Only this Regierungsbezirk, e.g. Detmold.")
@click.option("--kreis", help="Only this district (its municipalities and its own document), e.g. 'Kreis Borken'.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "xlsx"]), default="table",
              show_default=True, help="Terminal table, or an export (CSV/XLSX in German Excel form).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the export to this file (atomically) instead of stdout; required for xlsx.")
def status(out: Path, round_file: Path, quiet: bool, outstanding: bool, states: tuple[str, ...],
           regierungsbezirk: str | None, kreis: str | None, fmt: str, output: Path | None):
    """Where the round stands: counts per state and Regierungsbezirk, and who is missing.

    Only reads the ledger; per municipality its newest document version counts.

    Example: engagiert status --outstanding --regierungsbezirk Detmold
    """
    from .round import load_round
    from .track.status_view import status_view

    round_cfg = load_round(round_file)
    if fmt == "xlsx" and output is None:
        raise InvalidInputError("--format xlsx needs --output FILE.xlsx (a workbook is not terminal text)")
    view = status_view(out, round_cfg.id, fmt=fmt, outstanding=outstanding, states=states,
                       regierungsbezirk=regierungsbezirk, kreis=kreis)
    if output is None:
        click.echo(view.data, nl=False)  # bytes: CSV keeps its BOM and CRLF line ends as written
    else:
        from .fileio import write_bytes_atomic

        write_bytes_atomic(output, view.data)
        if not quiet:
            click.echo(f"Wrote {view.documents} document(s) of round {view.round_id} to {output}", err=True)


def _only_option(command):
    return click.option("--only", multiple=True, metavar="AGS",
                        help="Only these municipalities (repeat, or separate by commas).")(command)


def _rows_if_given(signatories_file: Path | None):
    """The rows of --signatories when it was typed, else None (the stage uses the rows stored at rendering)."""
    return None if signatories_file is None else read_signatories(signatories_file).signatories


@cli.command()
@common_options
@signatories_option(only_if_given=True)
@click.option("--group-by", type=click.Choice(["regierungsbezirk", "kreis", "none"]), default="regierungsbezirk",
              show_default=True, help="One bundle per Regierungsbezirk, per Kreis, or one for all ('alle.pdf').")
@click.option("--sort", type=click.Choice(["plz", "name"]), default="plz", show_default=True,
              help="Order in a bundle: PLZ then name (postal presort), or name.")
@click.option("--copies", type=click.IntRange(1, 10), default=2, show_default=True,
              help="Originals per municipality (one to keep, one to sign and return).")
@click.option("--simplex", is_flag=True, help="Single-sided printing: no blank backs inserted.")
@_only_option
@click.option("--group", help="Only this group's bundle, e.g. --group Detmold.")
@click.option("--mark-sent", is_flag=True, help="Also record the bundled documents as sent (see mark-sent).")
@click.option("--sent-date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="With --mark-sent: the day the letters were posted (default today).")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="Processes laying out the cover letters (default: one per CPU core).")
def bundle(out: Path, round_file: Path, quiet: bool, signatories_file: Path | None, group_by: str,
           sort: str, copies: int, simplex: bool, only: tuple[str, ...], group: str | None, mark_sent: bool,
           sent_date, workers: int | None):
    """Print-ready bundles: per group a PDF with a cover letter and the originals per municipality.

    Reads the current documents and their rows from the ledger and writes out/<round>/print/<group>.pdf
    and a manifest <group>.csv (pages and sheets per municipality). Give --signatories to take corrected
    postal addresses from the file. Municipalities without a postal address are listed and not bundled
    (exit code 1). With --only the files are named <group>_nachdruck.pdf; the full bundles stay as they are.

    Example: engagiert bundle --out out --group-by regierungsbezirk --copies 2
    """
    from .dispatch.bundle import bundle_round
    from .dispatch.mark_sent import mark_sent as record_sent
    from .round import load_round
    from .workers import default_workers

    round_cfg = load_round(round_file)
    signatories = _rows_if_given(signatories_file)
    with progress_bar(None, quiet, "cover letters") as bar:
        summary = bundle_round(round_cfg, out, group_by=group_by, sort=sort, copies=copies, duplex=not simplex,
                               only=only, group=group, signatories=signatories,
                               workers=workers or default_workers(), progress=bar.update)
    for line in summary.lines(quiet):
        click.echo(line)
    if mark_sent:
        click.echo(record_sent(round_cfg, out, date=sent_date.date() if sent_date else None,
                               ags=summary.bundled_ags).line())
    return summary


@cli.command(name="mark-sent")
@common_options
@signatories_option(only_if_given=True)
@click.option("--date", "sent_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the letters were posted, YYYY-MM-DD (default today); starts the reminder clock.")
@_only_option
def mark_sent_command(out: Path, round_file: Path, quiet: bool, signatories_file: Path | None, sent_date,
                      only: tuple[str, ...]):
    """Record that the letters went out: a 'sent' event per current document still 'rendered'.

    Documents already sent (or returned) are skipped and counted; running it twice changes nothing.
    Municipalities without a postal address are not marked (judged by --signatories when given, as
    bundle does, else by the rows stored at rendering).

    Example: engagiert mark-sent --date 2024-05-17
    """
    from .dispatch.mark_sent import mark_sent
    from .round import load_round

    round_cfg = load_round(round_file)
    summary = mark_sent(round_cfg, out, date=sent_date.date() if sent_date else None, only=only,
                        signatories=_rows_if_given(signatories_file))
    click.echo(summary.line())


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
@click.option("--reason", default="", help="Why (for --accept/--reject, required): recorded; a rejection's reason "
              "is told to the municipality.")
@click.option("--without-copy", is_flag=True, help="With --accept: accept although no page was ever received "
              "(the signed original is on file); recorded as 'accepted by hand, no copy on file'.")
@click.option("--clerk", metavar="NAME", default=None, help="Who decides (default: this account's name).")
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
            workers: int | None, without_copy: bool, clerk: str | None):
    """Check in returned signed copies: identify, verify, archive, record.

    Reads every file in the inbox (or the PATHS given): scans, photos, TIFFs, digitally signed PDFs.
    Each upload moves to out/<round>/received/ (named by its content hash) and gets one line of
    result; each document it holds ends verified, incomplete, rejected or needs review, with a reason.
    Exit code 1 when anything needs a person (rejected, needs review, unmatched, refused).

    Example: engagiert checkin --inbox inbox

    Example: engagiert checkin --accept ENG-2024-05-05711000-V1-ABCDEFGH --reason "Unterschrift geprüft"
    """
    from .checkin.context import load_settings
    from .checkin.decide import decide
    from .checkin.run import check_in
    from .checkin.session import decision_line, summary_line, uploads_to_check
    from .round import load_round

    round_cfg = load_round(round_file)
    if accept_id or reject_id:
        if accept_id and reject_id:
            raise InvalidInputError("use either --accept or --reject, not both")
        click.echo(decision_line(decide(round_cfg, out, accept_id or reject_id, accept=bool(accept_id),
                                        reason=reason, without_copy=without_copy, clerk=clerk)))
        return None
    settings = load_settings(round_cfg, inbox=inbox, trust_roots=trust_roots, max_mb=max_mb, max_pages=max_pages,
                             max_megapixels=max_megapixels, max_seconds=max_seconds)
    uploads = uploads_to_check(list(paths), settings)
    with progress_bar(len(uploads), quiet, "checking in") as bar:
        def print_result(result) -> None:
            for line in result.lines():  # through the bar, so a line never lands in the middle of it
                bar.write(line, file=sys.stdout)

        summary = check_in(uploads, round_cfg, out, settings, progress=bar.update, on_result=print_result,
                           workers=workers)
    click.echo(summary_line(summary))
    if summary.needs_attention:
        click.echo("Some uploads need a person: see the lines above, out/unmatched/, and "
                   "`engagiert checkin --accept/--reject DOC_ID`.", err=True)
    return summary


@cli.command()
@common_options
@click.option("--geojson", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Municipality boundaries for the map [default: $ENGAGIERT_GEOJSON, else "
                   "../shared/data/nrw-grenzen.geojson]; the report says so when they are missing.")
def report(out: Path, round_file: Path, quiet: bool, geojson: Path | None):
    """Write the round's report: one self-contained HTML file (charts, map, who is missing).

    Writes out/<round>/report.html; it opens offline and prints on A4 landscape.

    Example: engagiert report --out out
    """
    from .round import load_round
    from .track.report import write_report

    click.echo(write_report(out, load_round(round_file), geojson).line())


@cli.command()
@common_options
@click.option("--after", "after_days", type=click.IntRange(0), default=None,
              help="Remind when sent more than this many days ago [default: remind_after_days in round.toml].")
@click.option("--min-interval", "min_interval_days", type=click.IntRange(0), default=7, show_default=True,
              help="Nobody is reminded twice within this many days.")
@click.option("--smtp", metavar="HOST:PORT", help="Send through this mail server instead of writing .eml files "
              "(STARTTLS when offered; login from $ENGAGIERT_SMTP_USER / $ENGAGIERT_SMTP_PASSWORD).")
@click.option("--dry-run", is_flag=True, help="List who would be reminded; write and send nothing.")
def remind(out: Path, round_file: Path, quiet: bool, after_days: int | None, min_interval_days: int,
           smtp: str | None, dry_run: bool):
    """Remind municipalities whose signed copy is overdue: one German e-mail each, the PDF attached.

    Writes out/<round>/reminders/<ags>_<name>_<date>.eml (or sends with --smtp) and records each
    reminder in the ledger. A rejected copy gets a text saying why and what to do; documents waiting
    for review are not reminded. Exit code 1 if a municipality has no e-mail address (listed); 6 if the
    mail server cannot be reached or breaks off.

    Example: engagiert remind --dry-run
    """
    from .round import load_round
    from .track.remind import format_result, send_reminders

    result = send_reminders(out, load_round(round_file), after_days=after_days, min_interval_days=min_interval_days,
                            smtp=smtp, dry_run=dry_run)
    click.echo(format_result(result))
    return result


@cli.command()
@common_options
@click.argument("ags")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="Terminal table or JSON.")
def history(out: Path, round_file: Path, quiet: bool, ags: str, fmt: str):
    """The full event log of one municipality (every document version), oldest first.

    Exit code 2 if no document of the round has this AGS.

    Example: engagiert history 05554
    """
    from .round import load_round
    from .track.history import history as load_history
    from .track.history import history_text

    click.echo(history_text(load_history(out, load_round(round_file).id, ags), fmt))


@cli.command()
@common_options
def check(out: Path, round_file: Path, quiet: bool):
    """Audit: do the ledger and the files agree? Reads only; lists every difference.

    Checks SQLite's integrity, that every file the ledger names exists with its recorded SHA-256, that
    every file under received/, signed/ and unmatched/ is named by the ledger, and that the event log
    replays to the states the ledger reports. Exit code 4 if anything is wrong.

    Example: engagiert check --out out
    """
    from .track.audit import audit

    report = audit(out)
    if not report.ok:
        raise LedgerError("\n".join(report.lines()))
    click.echo("\n".join(report.lines()))
    return report


@cli.command()
@common_options
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
def backup(out: Path, round_file: Path, quiet: bool, destination: Path):
    """A consistent copy of the ledger and every file it names, in a new folder DESTINATION.

    Safe while check-ins run (SQLite's online backup); the copy is audited before it is kept, and
    `engagiert check --out DESTINATION` accepts it.

    Example: engagiert backup /mnt/sicherung/engagiert-2024-06-10
    """
    from .track.backup import backup as make_backup

    result = make_backup(out, destination)
    click.echo(result.line())
    return result


def main() -> None:
    cli(prog_name="engagiert")


if __name__ == "__main__":
    main()
