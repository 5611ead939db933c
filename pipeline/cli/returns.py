"""The command that takes returned copies in: checkin (and the clerk's decisions by hand)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InvalidInputError
from ..i18n import N_, _
from .base import TranslatedArgument, cli, common_options, progress_bar


@cli.command()
@common_options
@click.argument("paths", cls=TranslatedArgument, nargs=-1, type=click.Path(path_type=Path))
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
@click.option("--mail", "from_mailbox", is_flag=True,
              help="Read the new messages of the mailbox in round.toml [mail] (IMAP) instead of the inbox; "
              "answer each sender if [mail] reply = true.")
def checkin(out: Path, round_file: Path, quiet: bool, paths: tuple[Path, ...], inbox: Path | None,
            trust_roots: tuple[Path, ...], accept_id: str | None, reject_id: str | None, reason: str,
            max_mb: float | None, max_pages: int | None, max_megapixels: float | None, max_seconds: float | None,
            workers: int | None, without_copy: bool, clerk: str | None, from_mailbox: bool):
    """Check in returned signed copies: identify, verify, archive, record.

    Reads every file in the inbox (or the PATHS given): scans, photos, TIFFs, digitally signed PDFs,
    and mails and archives (.eml, Outlook .msg, winmail.dat, ZIP), whose files are checked in one by one.
    Each upload moves to out/<round>/received/ (named by its content hash) and gets one line of
    result; each document it holds ends verified, incomplete, rejected or needs review, with a reason.
    With --mail, the new messages of the mailbox in [mail] are read instead (nothing there is changed
    unless [mail] says so). Exit code 1 when anything needs a person (rejected, needs review, unmatched,
    refused); 6 when the mail server cannot be reached.

    Example: engagiert checkin --inbox inbox

    Example: engagiert checkin --mail

    Example: engagiert checkin --accept ENG-2024-05-05711000-V1-ABCDEFGH --reason "Unterschrift geprüft"
    """
    from ..checkin.context import load_settings
    from ..checkin.decide import decide
    from ..checkin.session import decision_line, summary_line, uploads_to_check
    from ..mail import check_in_with_mail
    from ..paths import unmatched_dir
    from ..round import load_round

    round_cfg = load_round(round_file)
    if accept_id or reject_id:
        if accept_id and reject_id:
            raise InvalidInputError(_("use either --accept or --reject, not both"))
        click.echo(decision_line(decide(round_cfg, out, accept_id or reject_id, accept=bool(accept_id),
                                        reason=reason, without_copy=without_copy, clerk=clerk)))
        return None
    settings = load_settings(round_cfg, inbox=inbox, trust_roots=trust_roots, max_mb=max_mb, max_pages=max_pages,
                             max_megapixels=max_megapixels, max_seconds=max_seconds)
    if from_mailbox:
        if paths or inbox:
            raise InvalidInputError(_("--mail reads the mailbox of [mail] in round.toml; give no PATHS or --inbox "
                                      "with it"))
        return _check_in_mailbox(round_cfg, out, settings, quiet, workers)
    uploads = uploads_to_check(list(paths), settings)
    with progress_bar(len(uploads), quiet, _("checking in")) as bar:
        summary = check_in_with_mail(uploads, round_cfg, out, settings, progress=bar.update,
                                     on_result=_printer(bar), workers=workers, on_total=_total_setter(bar))
    click.echo(summary_line(summary))
    if summary.needs_attention:
        click.echo(_(NEEDS_A_PERSON).format(unmatched=unmatched_dir(out)), err=True)
    return summary


NEEDS_A_PERSON = N_("Some uploads need a person: see the lines above, {unmatched}/, and "
                    "`engagiert checkin --accept/--reject DOC_ID`.")


def _printer(bar):
    def print_result(result) -> None:
        for line in result.lines():  # through the bar, so a line never lands in the middle of it
            bar.write(line, file=sys.stdout)

    return print_result


def _total_setter(bar):
    def set_total(total: int) -> None:
        bar.total = total
        bar.refresh()

    return set_total


def _check_in_mailbox(round_cfg, out: Path, settings, quiet: bool, workers: int | None):
    from ..checkin.session import summary_line
    from ..errors import MailServerError
    from ..mail import check_in_mailbox

    with progress_bar(0, quiet, _("checking in")) as bar:
        run = check_in_mailbox(round_cfg, out, settings, progress=bar.update, on_result=_printer(bar),
                               workers=workers, on_total=_total_setter(bar))
    for line in run.lines():
        click.echo(line)
    click.echo(summary_line(run.summary))
    if run.reply_error:
        raise MailServerError(run.reply_error)
    if run.needs_attention:
        from ..paths import unmatched_dir

        click.echo(_(NEEDS_A_PERSON).format(unmatched=unmatched_dir(out)), err=True)
    return run
