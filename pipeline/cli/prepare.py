"""Commands that prepare a round: validate, render, bundle, mark-sent."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import InvalidInputError
from ..i18n import _, ngettext
from .base import DATE, cli, common_options, progress_bar, read_signatories, signatories_option


@cli.command()
@common_options
@signatories_option()
def validate(out: Path, round_file: Path, quiet: bool, signatories_file: Path):
    """Check the signatories file and round.toml without writing anything.

    Lists every problem with its row (as Excel numbers it) and column; exit code 2 if there is any.

    Example: engagiert validate --signatories signatories.csv
    """
    from ..checkin.context import load_settings
    from ..checkin.session import settings_line
    from ..round import load_round
    from ..signatories import completeness_lines

    round_cfg = load_round(round_file)  # every section, [checkin] included
    checkin_settings = load_settings(round_cfg)  # and the trust roots' certificates
    result = read_signatories(signatories_file)
    click.echo(ngettext("{file}: {count} municipalities, no errors ({warnings} warning(s)); round {round} from "
                        "{round_file}.",
                        "{file}: {count} municipalities, no errors ({warnings} warning(s)); round {round} from "
                        "{round_file}.", len(result.warnings)).format(
        file=signatories_file, count=len(result.signatories), warnings=len(result.warnings), round=round_cfg.id,
        round_file=round_file))
    click.echo("\n".join(completeness_lines(result.signatories)))
    click.echo(settings_line(checkin_settings))
    if round_cfg.mail.configured:
        from ..mail import mail_settings_line

        click.echo(mail_settings_line(round_cfg))


@cli.command()
@common_options
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=Path("signatories.xlsx"),
              show_default=True, help="Where to write the workbook (not overwritten unless --force).")
@click.option("--empty", is_flag=True, help="Only the header, lists and notes: no NRW municipalities.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def template(out: Path, round_file: Path, quiet: bool, output: Path, empty: bool, force: bool):
    """Write an Excel template of the signatories file, the 427 NRW municipalities pre-filled.

    Keys, designations, types, districts and postcodes come from the official list; add office
    holders, postal and e-mail addresses. The AGS column is text; typ and anrede have drop-down lists.

    Example: engagiert template --output unterzeichner.xlsx
    """
    from ..workbook_template import write_template

    if output.suffix.lower() != ".xlsx":  # an .xlsx under another name would be misread as a CSV later
        raise InvalidInputError(_("{file}: the template is an Excel workbook: give a name ending in .xlsx").format(
            file=output))
    if output.exists() and not force:
        raise InvalidInputError(_("{file}: exists already; name another file or give --force").format(file=output))
    count = write_template(output, prefill=not empty)
    click.echo(_("Wrote {file}: {count} municipalities; fill in anrede, vorname, nachname, strasse, plz, ort, "
                 "email, then: engagiert validate --signatories {file}").format(file=output, count=count))
    return None


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
    from ..render import render_round
    from ..render.plan import held_back_lines, plan_lines
    from ..render.run import plan
    from ..round import load_round

    round_cfg = load_round(round_file)
    result = read_signatories(signatories_file)
    if dry_run:
        click.echo("\n".join(plan_lines(plan(result.signatories, round_cfg, out,
                                             allow_supersede_sent=supersede_sent))))
        return None
    with progress_bar(len(result.signatories), quiet, _("rendering")) as bar:
        summary = render_round(result.signatories, round_cfg, out, workers=workers, progress=bar.update,
                               allow_supersede_sent=supersede_sent)
    click.echo(summary.line())
    if not quiet and summary.speed_note():
        click.echo(summary.speed_note(), err=True)
    if summary.held_back:  # the other rows are rendered and recorded; these are the invalid input
        raise InvalidInputError("\n".join(held_back_lines(summary.held_back)))
    return summary


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
@click.option("--sent-date", type=DATE, default=None,
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
    from ..dispatch.bundle import bundle_round
    from ..dispatch.mark_sent import mark_sent as record_sent
    from ..round import load_round
    from ..workers import default_workers

    round_cfg = load_round(round_file)
    signatories = _rows_if_given(signatories_file)
    with progress_bar(None, quiet, _("cover letters")) as bar:
        summary = bundle_round(round_cfg, out, group_by=group_by, sort=sort, copies=copies, duplex=not simplex,
                               only=only, group=group, signatories=signatories,
                               workers=workers or default_workers(), progress=bar.update)
    for line in summary.lines(quiet):
        click.echo(line)
    if mark_sent:
        click.echo(record_sent(round_cfg, out, date=sent_date,
                               ags=summary.bundled_ags).line())
    return summary


@cli.command(name="mark-sent")
@common_options
@signatories_option(only_if_given=True)
@click.option("--date", "sent_date", type=DATE, default=None,
              help="The day the letters were posted, 17.05.2024 or 2024-05-17 (default today); starts the "
                   "reminder clock.")
@_only_option
def mark_sent_command(out: Path, round_file: Path, quiet: bool, signatories_file: Path | None, sent_date,
                      only: tuple[str, ...]):
    """Record that the letters went out: a 'sent' event per current document still 'rendered'.

    Documents already sent (or returned) are skipped and counted; running it twice changes nothing.
    Municipalities without a postal address are not marked (judged by --signatories when given, as
    bundle does, else by the rows stored at rendering).

    Example: engagiert mark-sent --date 2024-05-17
    """
    from ..dispatch.mark_sent import mark_sent
    from ..round import load_round

    round_cfg = load_round(round_file)
    summary = mark_sent(round_cfg, out, date=sent_date, only=only,
                        signatories=_rows_if_given(signatories_file))
    click.echo(summary.line())
