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
from .states import STATES as STATE_NAMES


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
@click.option("--dry-run", is_flag=True, help="List what would be new, changed, unchanged, superseded or held "
              "back; write nothing.")
@click.option("--supersede-sent", is_flag=True, help="Also render changed rows whose document was sent or "
              "returned already (their old version, even a signed one, becomes superseded).")
@click.pass_context
def render(ctx: click.Context, out: Path, round_file: Path, quiet: bool, signatories_file: Path, workers: int | None,
           dry_run: bool, supersede_sent: bool):
    """Render one personalised two-page PDF per municipality.

    Validates first (nothing is written if any row is wrong). Unchanged rows are not rendered again;
    a changed row gets a new version and the old one is marked superseded in the ledger. A changed row
    whose document was sent or returned already is held back and listed with what changed (exit code 2
    for those rows; the others are rendered) unless --supersede-sent is given.

    Example: engagiert render --signatories signatories.csv --out out

    Example: engagiert render --dry-run
    """
    from .render import render_round, subsetter_name
    from .render.plan import held_back_lines, plan_lines
    from .render.run import plan
    from .round import load_round
    from .signatories import load_signatories

    round_cfg = load_round(round_file)
    result = load_signatories(signatories_file)
    _print_warnings(result.warnings)
    if dry_run:
        the_plan = plan(result.signatories, round_cfg, out, allow_supersede_sent=supersede_sent)
        click.echo("\n".join(plan_lines(the_plan)))
        return
    with progress_bar(len(result.signatories), quiet, "rendering") as bar:
        summary = render_round(result.signatories, round_cfg, out, workers=workers, progress=bar.update,
                               allow_supersede_sent=supersede_sent)
    click.echo(f"Rendered {len(summary.rendered)} document(s), {len(summary.unchanged)} unchanged, "
               f"{len(summary.superseded)} superseded: {summary.total} documents for round "
               f"{summary.round_id} in {summary.documents_dir}/")
    if not quiet and summary.rendered and subsetter_name() != "harfbuzz":
        click.echo("Note: fonts were subset with fontTools (slow); install libharfbuzz-subset0 "
                   "(sudo apt-get install libharfbuzz-subset0) for ~4x faster rendering.", err=True)
    if summary.held_back:
        click.echo("\n".join(held_back_lines(summary.held_back)), err=True)
        ctx.exit(int(ExitCode.invalid_input))


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
    from .track.status import check_filters, collect_status, filter_documents, format_outstanding, format_summary

    round_cfg = load_round(round_file)
    if fmt == "xlsx" and output is None:
        raise InvalidInputError("--format xlsx needs --output FILE.xlsx (a workbook is not terminal text)")
    report = collect_status(out, round_cfg.id)
    check_filters(report, regierungsbezirk, kreis)
    documents = filter_documents(report.documents, states=states, regierungsbezirk=regierungsbezirk, kreis=kreis)
    if fmt == "table":  # the summary covers the filtered round; --outstanding adds the list below it
        text = format_summary(report, documents)
        if outstanding:
            text += "\n\n" + format_outstanding(report, documents)
        data = (text + "\n").encode("utf-8")
    else:  # an export lists (and counts) exactly the documents asked for
        documents = filter_documents(documents, outstanding=outstanding)
        from .track import export as report_export

        data = {"json": lambda: report_export.to_json(report, documents).encode("utf-8"),
                "csv": lambda: report_export.to_csv(report, documents),
                "xlsx": lambda: report_export.to_xlsx(report, documents)}[fmt]()
    if output is None:
        click.echo(data, nl=False)  # bytes: CSV keeps its BOM and CRLF line ends as written
    else:
        from .fileio import write_bytes_atomic

        write_bytes_atomic(output, data)
        if not quiet:
            click.echo(f"Wrote {len(documents)} document(s) of round {report.round_id} to {output}", err=True)


def _only_option(command):
    return click.option("--only", multiple=True, metavar="AGS",
                        help="Only these municipalities (repeat, or separate by commas).")(command)


def _signatories_if_given(ctx: click.Context, signatories_file: Path):
    """The rows of --signatories when it was given on the command line, else None (use the ledger's rows).
    Only an explicit file counts: a signatories.csv lying in the current folder may be another round's."""
    if ctx.get_parameter_source("signatories_file") is click.core.ParameterSource.DEFAULT:
        return None
    from .signatories import load_signatories

    result = load_signatories(signatories_file)
    _print_warnings(result.warnings)
    return result.signatories


def _echo_marked(summary) -> None:
    line = (f"{len(summary.marked)} marked sent on {summary.date.isoformat()}, "
            f"{len(summary.already)} already sent")
    if summary.no_address:
        line += f", {len(summary.no_address)} not marked (no postal address)"
    for state, count in sorted(summary.not_marked_states.items()):
        line += f", {count} not marked ({state})"
    click.echo(line + ".")


@cli.command()
@common_options
@signatories_option
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
@click.pass_context
def bundle(ctx: click.Context, out: Path, round_file: Path, quiet: bool, signatories_file: Path, group_by: str,
           sort: str, copies: int, simplex: bool, only: tuple[str, ...], group: str | None, mark_sent: bool,
           sent_date, workers: int | None):
    """Print-ready bundles: per group a PDF with a cover letter and the originals per municipality.

    Reads the current documents and their rows from the ledger and writes out/<round>/print/<group>.pdf
    and a manifest <group>.csv (pages and sheets per municipality). Give --signatories to take corrected
    postal addresses from the file. Municipalities without a postal address are listed and not bundled
    (exit code 1). With --only the files are named <group>_nachdruck.pdf; the full bundles stay as they are.

    Example: engagiert bundle --out out --group-by regierungsbezirk --copies 2
    """
    from .dispatch import bundle as bundle_stage
    from .dispatch.mark_sent import mark_sent
    from .round import load_round

    round_cfg = load_round(round_file)
    signatories = _signatories_if_given(ctx, signatories_file)
    from .workers import default_workers as default_jobs

    with progress_bar(None, quiet, "cover letters") as bar:
        summary = bundle_stage.bundle_round(round_cfg, out, group_by=group_by, sort=sort, copies=copies,
                                            duplex=not simplex, only=only, group=group, signatories=signatories,
                                            workers=workers or default_jobs(), progress=bar.update)
    for bundle_file in summary.files:
        count = len(bundle_file.entries)
        click.echo(f"{bundle_file.pdf_path}: {bundle_file.pages} pages, {bundle_file.sheets} sheets, "
                   f"{count} {'municipality' if count == 1 else 'municipalities'}")
    if summary.removed and not quiet:
        names = ", ".join(path.name for path in summary.removed[:6])
        more = f", … ({len(summary.removed) - 6} more)" if len(summary.removed) > 6 else ""
        click.echo(f"Removed {len(summary.removed)} outdated file(s) of an earlier run from {summary.print_dir}/: "
                   f"{names}{more}")
    if summary.files:
        click.echo(f"For the print room: the {len(summary.files)} PDF file(s) above, A4, "
                   f"{'duplex (long edge)' if summary.duplex else 'simplex'}, 100 % (no fit to page), "
                   f"no stapling; with each its .csv manifest to check the stack (sheets per municipality).")
    if summary.no_address:
        click.echo(f"Not bundled, no postal address ({len(summary.no_address)}, listed in "
                   f"{summary.no_address_file}):")
        for entry, missing in summary.no_address:
            click.echo(f"  {entry.signatory.ags} {entry.signatory.bezeichnung}: {', '.join(missing)} missing")
    if mark_sent:
        bundled = [entry.signatory.ags for bundle_file in summary.files for entry in bundle_file.entries]
        _echo_marked(mark_sent(round_cfg, out, date=sent_date.date() if sent_date else None,
                                            ags=bundled))
    if summary.no_address:
        ctx.exit(int(ExitCode.needs_attention))


@cli.command(name="mark-sent")
@common_options
@signatories_option
@click.option("--date", "sent_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day the letters were posted, YYYY-MM-DD (default today); starts the reminder clock.")
@_only_option
@click.pass_context
def mark_sent_command(ctx: click.Context, out: Path, round_file: Path, quiet: bool, signatories_file: Path,
                      sent_date, only: tuple[str, ...]):
    """Record that the letters went out: a 'sent' event per current document still 'rendered'.

    Documents already sent (or returned) are skipped and counted; running it twice changes nothing.
    Municipalities without a postal address are not marked (judged by --signatories when given, as
    bundle does, else by the rows stored at rendering).

    Example: engagiert mark-sent --date 2024-05-17
    """
    from .dispatch.mark_sent import mark_sent
    from .round import load_round

    round_cfg = load_round(round_file)
    _echo_marked(mark_sent(round_cfg, out, date=sent_date.date() if sent_date else None, only=only,
                           signatories=_signatories_if_given(ctx, signatories_file)))


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
    from .round import load_round

    round_cfg = load_round(round_file)
    if accept_id or reject_id:
        if accept_id and reject_id:
            raise InvalidInputError("use either --accept or --reject, not both")
        outcome = decide(round_cfg, out, accept_id or reject_id, accept=bool(accept_id), reason=reason,
                         without_copy=without_copy, clerk=clerk)
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
    from .checkin.archive import inbox_files

    uploads = inbox_files(targets)  # listed once: the bar's total, and what check_in reads
    with progress_bar(len(uploads), quiet, "checking in") as bar:
        def print_result(result) -> None:
            for line in result.lines():  # through the bar, so a line never lands in the middle of it
                bar.write(line, file=sys.stdout)

        summary = check_in(uploads, round_cfg, out, settings, progress=bar.update, on_result=print_result,
                           workers=workers)
    states = ", ".join(f"{count} {state.replace('_', ' ')}" for state, count in sorted(summary.states().items()))
    click.echo(f"Checked in {len(summary.results)} upload(s): {summary.count('matched')} with our documents, "
               f"{summary.count('unmatched')} unmatched, {summary.count('refused')} refused, "
               f"{summary.count('duplicate')} already known. Documents: {states or 'none'}.")
    if summary.needs_attention:
        click.echo("Some uploads need a person: see the lines above, out/unmatched/, and "
                   "`engagiert checkin --accept/--reject DOC_ID`.", err=True)
        raise click.exceptions.Exit(int(ExitCode.needs_attention))


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
    from .track.nrwmap import geojson_path
    from .track.report import write_report

    round_cfg = load_round(round_file)
    boundaries = geojson_path(geojson)
    result = write_report(out, round_cfg, boundaries)
    map_note = (f"map of {result.map_shapes} areas" if result.map_shapes is not None
                else f"no map ({boundaries} not found)")
    click.echo(f"Wrote {result.path}: {result.verified} of {result.documents} verified, {map_note}"
               + (f", {result.off_map} document(s) not on the map" if result.off_map else ""))


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
    for review are not reminded. Exit code 1 if a municipality has no e-mail address (listed).

    Example: engagiert remind --dry-run
    """
    from .round import load_round
    from .track.remind import format_result, send_reminders

    round_cfg = load_round(round_file)
    after = round_cfg.remind_after_days if after_days is None else after_days
    result = send_reminders(out, round_cfg, after_days=after, min_interval_days=min_interval_days, smtp=smtp,
                            dry_run=dry_run)
    click.echo(format_result(result, after, min_interval_days))
    if result.needs_attention:
        raise click.exceptions.Exit(int(ExitCode.needs_attention))


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
    import json

    from .round import load_round
    from .track.history import format_history
    from .track.history import history as load_history

    data = load_history(out, load_round(round_file).id, ags)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2) if fmt == "json" else format_history(data))


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
    click.echo("\n".join(report.lines()))
    if not report.ok:
        raise click.exceptions.Exit(int(ExitCode.ledger_error))


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
    click.echo(f"Backed up the ledger and {result.files} file(s) to {result.destination}; "
               + result.audit.lines()[0][0].lower() + result.audit.lines()[0][1:])


def main() -> None:
    cli(prog_name="engagiert")


if __name__ == "__main__":
    main()
