"""The web app's commands: serve, links (with --revoke and --reissue), and user add."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import InvalidInputError
from ..i18n import _
from .base import TranslatedArgument, cli, common_options


@cli.command()
@common_options
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 behind a reverse proxy (nginx) that terminates TLS.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port to listen on.")
def serve(out: Path, round_file: Path, quiet: bool, host: str, port: int):
    """Serve the web app: each municipality's upload page and the clerks' desk (/admin/).

    Uploads are checked in with the same stage as `engagiert checkin`; both may run at once on one ledger.

    Example: engagiert serve --port 8080
    """
    from ..round import load_round
    from ..web import serve as run_server

    round_cfg = load_round(round_file)
    run_server(out, round_cfg, host=host, port=port, announce=lambda line: click.echo(line, err=True))


@cli.command()
@common_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv", show_default=True,
              help="CSV (German Excel form), JSON, or an XLSX workbook (needs --output).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file instead of stdout.")
@click.option("--revoke", "revoke", metavar="AGS", multiple=True, help="End this municipality's link now (404 from "
              "now on); repeatable.")
@click.option("--reissue", "reissue", metavar="AGS", multiple=True, help="Give this municipality a new link in place "
              "of its old one; repeatable.")
def links(out: Path, round_file: Path, quiet: bool, fmt: str, output: Path | None, revoke: tuple[str, ...],
          reissue: tuple[str, ...]):
    """Each municipality's private upload link: issued when missing, then listed (ags, name, url, …).

    The address comes from [portal] public_url in round.toml. Tokens are stored only as hashes; the
    links can be listed again at any time from out/links.secret.

    Example: engagiert links --format xlsx --output links.xlsx

    Example: engagiert links --revoke 05711000
    """
    from ..links import issue_links, links_table, revoke_link
    from ..round import load_round

    round_cfg = load_round(round_file)
    if fmt == "xlsx" and output is None:
        raise InvalidInputError(_("--format xlsx needs --output FILE.xlsx (a workbook is not terminal text)"))
    for ags in revoke:
        count = revoke_link(out, round_cfg, ags)
        click.echo((_("Revoked the link of {ags}") if count else _("{ags} had no active link")).format(ags=ags),
                   err=True)
    if revoke and not reissue:
        return
    if reissue:
        issue_links(out, round_cfg, only=list(reissue), reissue=True)
        click.echo(_("Reissued the link(s) of {keys}; the old ones answer 404 now.").format(keys=", ".join(reissue)),
                   err=True)
    data = links_table(issue_links(out, round_cfg), fmt)
    if output is None:
        click.echo(data, nl=False)
    else:
        from ..fileio import write_bytes_atomic

        write_bytes_atomic(output, data)
        if not quiet:
            click.echo(_("Wrote the links to {file}").format(file=output), err=True)


@cli.command()
@common_options
@click.argument("action", type=click.Choice(["add", "list"]))
@click.argument("name", cls=TranslatedArgument, required=False)
def user(out: Path, round_file: Path, quiet: bool, action: str, name: str | None):
    """Clerks' accounts for the web app's desk (/admin/): `user add NAME`, `user list`.

    `add` creates an account or sets a new password (which ends the clerk's open sessions). The password is
    asked for on the terminal (twice, not shown), or read from the first line of stdin.

    Example: engagiert user add erika

    Example: printf '%s\\n' "$PASSWORD" | engagiert user add erika --out /srv/engagiert/out
    """
    from ..web import add_clerk, clerk_names

    if action == "list":
        names = clerk_names(out)
        for clerk in names:
            click.echo(clerk)
        if not names:  # on stderr: a script reading the list still reads an empty one
            click.echo(_("No accounts yet: engagiert user add NAME creates one."), err=True)
        return
    if not name:
        raise InvalidInputError(_("user add needs a NAME, e.g. engagiert user add erika"))
    if sys.stdin.isatty():
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    created = add_clerk(out, name, password)
    click.echo((_("Added clerk {name}.") if created else _("Changed the password of {name}.")).format(name=name))
