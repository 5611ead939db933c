"""Commands that show and keep the round's record: status, report, remind, history, check, backup."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InvalidInputError, LedgerError
from ..i18n import _, ngettext
from ..states import STATES as STATE_NAMES
from .base import DATE, TranslatedArgument, cli, common_options


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
    from ..round import load_round
    from ..track.status_view import status_view

    round_cfg = load_round(round_file)
    if fmt == "xlsx" and output is None:
        raise InvalidInputError(_("--format xlsx needs --output FILE.xlsx (a workbook is not terminal text)"))
    view = status_view(out, round_cfg.id, fmt=fmt, outstanding=outstanding, states=states,
                       regierungsbezirk=regierungsbezirk, kreis=kreis)
    if output is None:
        click.echo(view.data, nl=False)  # bytes: CSV keeps its BOM and CRLF line ends as written
    else:
        from ..fileio import write_bytes_atomic

        write_bytes_atomic(output, view.data)
        if not quiet:
            click.echo(ngettext("Wrote {count} document(s) of round {round} to {file}",
                                "Wrote {count} document(s) of round {round} to {file}", view.documents).format(
                count=view.documents, round=view.round_id, file=output), err=True)


@cli.command()
@common_options
@click.option("--geojson", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Municipality boundaries for the map [default: $ENGAGIERT_GEOJSON, else the NRW boundaries "
                   "shipped with engagiert]; the report says so when they are missing.")
def report(out: Path, round_file: Path, quiet: bool, geojson: Path | None):
    """Write the round's report: one self-contained HTML file (charts, map, who is missing).

    Writes out/<round>/report.html; it opens offline and prints on A4 landscape.

    Example: engagiert report --out out
    """
    from ..round import load_round
    from ..track.report import write_report

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
@click.option("--record-sent", is_flag=True, help="The drafts written earlier went out from the mail program: "
              "record them as reminders (they count from then on).")
@click.option("--date", "sent_on", type=DATE, default=None, help="With --record-sent: the day they were sent "
              "(17.05.2024 or 2024-05-17; default today).")
def remind(out: Path, round_file: Path, quiet: bool, after_days: int | None, min_interval_days: int,
           smtp: str | None, dry_run: bool, record_sent: bool, sent_on):
    """Remind municipalities whose signed copy is overdue: one German e-mail each, the PDF attached.

    Writes drafts out/<round>/reminders/<ags>_<name>_<date>.eml that the mail program opens as drafts
    (or sends them with --smtp). A draft counts as a reminder once sent: after sending them, run
    remind --record-sent. A rejected copy gets a text saying why and what to do; documents waiting for
    review are not reminded. Exit code 1 if a municipality has no e-mail address (listed); 6 if the
    mail server cannot be reached or breaks off.

    Example: engagiert remind --dry-run

    Example: engagiert remind --record-sent --date 21.06.2024
    """
    from ..round import load_round
    from ..track.remind import format_result, record_sent_drafts, send_reminders

    if record_sent:
        recorded = record_sent_drafts(out, load_round(round_file), sent_on)
        click.echo(recorded.line())
        return recorded
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
    from ..round import load_round
    from ..track.history import history as load_history
    from ..track.history import history_text

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
    from ..track.audit import audit

    report = audit(out)
    if not report.ok:
        raise LedgerError("\n".join(report.lines()))
    click.echo("\n".join(report.lines()))
    return report


@cli.command()
@common_options
@click.argument("destination", cls=TranslatedArgument, type=click.Path(file_okay=False, path_type=Path))
def backup(out: Path, round_file: Path, quiet: bool, destination: Path):
    """A consistent copy of the ledger and every file it names, in a new folder DESTINATION.

    Safe while check-ins run (SQLite's online backup); the copy is audited before it is kept, and
    `engagiert check --out DESTINATION` accepts it.

    Example: engagiert backup /mnt/sicherung/engagiert-2024-06-10
    """
    from ..track.backup import backup as make_backup

    result = make_backup(out, destination)
    click.echo(result.line())
    return result
