"""The Eingangsbestätigung: one PDF page per uploaded file, naming when it came, its name, size, SHA-256 and
what became of it. Laid out by WeasyPrint from the same kind of template as the letters."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ..round import RoundConfig
from ..templating import load_weasyprint
from .answers import FileAnswer

BERLIN = ZoneInfo("Europe/Berlin")


def local_time(iso: str) -> str:
    """"15.05.2024, 10:22 Uhr" in German local time (the ledger keeps UTC)."""
    moment = dt.datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def receipt_pdf(round_cfg: RoundConfig, bezeichnung: str, ags: str, answer: FileAnswer) -> bytes:
    from ..templating import environment
    from .context import WEB_TEMPLATES

    html = environment(WEB_TEMPLATES, trim_blocks=True).get_template("receipt.html.j2").render(
        title=round_cfg.title, sender=round_cfg.sender, bezeichnung=bezeichnung, ags=ags, answer=answer,
        received=local_time(answer.at), size=f"{answer.size:,}".replace(",", "."))
    weasyprint = load_weasyprint()
    return weasyprint.HTML(string=html, base_url=str(WEB_TEMPLATES),
                           url_fetcher=_no_fetching).write_pdf()


def _no_fetching(url: str, *args, **kwargs):
    raise ValueError(f"refusing to fetch {url!r} while rendering a receipt")
