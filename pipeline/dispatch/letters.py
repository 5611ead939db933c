"""Cover letters for the print bundles: German business letters after DIN 5008 form B, with WeasyPrint.

All letters of one bundle are laid out as one HTML document (one WeasyPrint call per bundle, not per
letter); each letter carries an anchor, so ``render_letters`` can tell on which pages it landed. The
words depend on the signatory's gender and office (german.py) and on round.toml ([sender], [letter],
the deadline); nothing in a letter comes from anywhere else, so the same inputs give the same bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .. import german
from ..errors import InvalidInputError
from ..i18n import _
from ..round import RoundConfig
from ..signatories import Signatory
from ..templating import TEMPLATES_DIR

# Letters are laid out in chunks of this many (one WeasyPrint call each, spread over processes). The
# size is fixed, never derived from the CPU count, so every machine writes the same bytes.
LETTERS_PER_CHUNK = 16
LETTER_TEMPLATE = "cover_letter.html.j2"
LETTER_STYLESHEET = "cover_letter.css"
CSS_PX_PER_MM = 96 / 25.4
# DIN 5008 form B: the address field's bottom edge, 45 mm + 45 mm from the top of the sheet.
ADDRESS_FIELD_BOTTOM_MM = 90.0


@dataclass(frozen=True)
class Correction:
    """A document that replaces an earlier version: its cover letter says which, what was corrected, and is
    dated the day the new version was made (never before it)."""

    old_version: int
    changed: list[str]      # printed fields that differ (render.changed_fields)
    rendered: dt.date


#: What a correction changed, as the letter names it (grammatical subject of "… wurde berichtigt").
CORRECTED_FIELDS = {
    "bezeichnung": "die Bezeichnung der Kommune", "typ": "die Art der Kommune", "anrede": "die Anrede",
    "titel": "der akademische Titel", "vorname": "der Vorname", "nachname": "der Nachname",
    "funktion": "die Funktionsbezeichnung", "place_date": "Ort und Datum", "date": "das Datum",
    "title": "der Titel der Erklärung", "cosignatory_name": "die Angaben zur Mitunterzeichnung",
    "cosignatory_office": "die Angaben zur Mitunterzeichnung",
    "cosignatory_office_line2": "die Angaben zur Mitunterzeichnung",
    "cosignatory_heading": "die Angaben zur Mitunterzeichnung",
    "facsimile_sha256": "die Angaben zur Mitunterzeichnung",
}


def _correction_paragraph(correction: Correction, version: int) -> str:
    """ "Sie ersetzt die Fassung V1, die wir Ihnen zuvor geschickt haben: der Vorname und der Nachname wurden
    berichtigt. …" """
    named = list(dict.fromkeys(CORRECTED_FIELDS.get(name, "der Wortlaut des Dokuments")
                               for name in correction.changed))
    what = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} und {named[-1]}"
    verb = "wurde" if len(named) == 1 and not what.startswith("Ort und") else "wurden"
    return (f"Diese Fassung V{version} ersetzt die Fassung V{correction.old_version}, die wir Ihnen zuvor "
            f"geschickt haben: {what[0].upper()}{what[1:]} {verb} berichtigt. Bitte unterschreiben Sie nur noch "
            f"die beiliegende Fassung V{version} und senden Sie diese zurück; die frühere Fassung brauchen Sie "
            "nicht mehr zurückzuschicken.")


def signatory_from_ledger(row: dict) -> Signatory:
    """The Signatory a document was rendered from (the ledger keeps its CSV row as JSON)."""
    known = {field.name for field in dataclasses.fields(Signatory)}
    values = {key: value for key, value in row.items() if key in known}
    values.setdefault("row", 0)
    return Signatory(**values)


def recipient_lines(signatory: Signatory) -> list[str]:
    """The window address: "Frau Bürgermeisterin / Dr. Maria Schmitz / Stadt Bielefeld / Rathausplatz 1 /
    33602 Bielefeld"."""
    person = german.addressee_lines(signatory.gender, signatory.office, signatory.signer_name)
    return [*person, signatory.bezeichnung, signatory.strasse.strip(),
            f"{signatory.plz.strip()} {signatory.ort.strip()}".strip()]


def addressee(signatory: Signatory) -> str:
    """The recipient on one line, for the manifest: "Frau Oberbürgermeisterin Dr. Maria Schmitz"."""
    return " ".join(german.addressee_lines(signatory.gender, signatory.office, signatory.signer_name))


def return_line(round_cfg: RoundConfig) -> str:
    """The Rücksendeangabe: where the post office returns an undeliverable letter."""
    if round_cfg.letter.return_line:
        return round_cfg.letter.return_line
    sender = round_cfg.sender
    return " · ".join(part for part in (sender.organisation, sender.street, sender.town) if part)


def _sign_and_return(copies: int, deadline: str) -> str:
    by_when = f" bis zum {deadline}" if deadline else ""
    if copies == 1:
        return (f"Bitte unterschreiben Sie das Original auf Seite 2 im Unterschriftsfeld und senden Sie es "
                f"uns{by_when} zurück.")
    both = "beide Originale" if copies == 2 else f"alle {german.count_words(copies, 'Original', 'Originale')}"
    rest = "das andere ist" if copies == 2 else "die übrigen sind"
    return (f"Bitte unterschreiben Sie {both} jeweils auf Seite 2 im Unterschriftsfeld. Ein unterschriebenes "
            f"Original senden Sie uns bitte{by_when} zurück, {rest} für Ihre Unterlagen.")


def letter_context(signatory: Signatory, doc_id: str, round_cfg: RoundConfig, copies: int,
                   upload_link: str | None = None, correction: Correction | None = None) -> dict:
    """Everything one letter prints, as plain strings (the template only places them). `upload_link`: the
    municipality's private upload link (`engagiert links`), printed with its QR code in place of the general
    upload address; `correction`: the document replaces an earlier version, and the letter says so."""
    sender, letter = round_cfg.sender, round_cfg.letter
    deadline = german.long_date(round_cfg.deadline) if round_cfg.deadline else ""
    dated = letter.date or round_cfg.date
    letter_date = german.long_date(max(dated, correction.rendered) if correction else dated)
    version = int(doc_id.split("-V")[-1].split("-")[0]) if correction else 1
    subject = letter.subject or f"{round_cfg.title}: Gemeinsame Erklärung zur Unterzeichnung"
    what = ("der Präambel und der Gemeinsamen Erklärung" if correction is None else
            f"der berichtigten Fassung V{version} der Präambel und der Gemeinsamen Erklärung")
    return_ways = []
    if upload_link:  # the template prints the link itself on a line of its own, never broken
        return_ways.append("als Scan oder Foto beider Seiten über Ihren persönlichen Link (am schnellsten; auch "
                           "über den QR-Code rechts) oder")
    elif sender.upload_url:
        return_ways.append(f"als Scan oder Foto beider Seiten über {sender.upload_url} (am schnellsten) oder")
    return_ways.append(f"per Post an {german.organisation_with_article(sender.postal, 'acc')}.")
    contact = " oder ".join(part for part in (sender.phone, sender.email) if part)
    closing_paragraphs = ["Der QR-Code unten rechts auf jeder Seite ordnet Ihre Rücksendung automatisch zu; "
                          "bitte unterschreiben oder stempeln Sie nicht darüber."]
    if sender.contact_name and contact:
        closing_paragraphs.append(f"Bei Fragen erreichen Sie {sender.contact_name} unter {contact}.")
    elif contact:
        closing_paragraphs.append(f"Bei Fragen erreichen Sie uns unter {contact}.")
    info = [(label, value) for label, value in (("Kontakt", sender.contact_name),
                                                 ("Telefon", sender.phone), ("E-Mail", sender.email),
                                                 ("Dok.-Nr.", doc_id), ("AGS", signatory.ags)) if value]
    enclosures = german.count_words(copies, "Original", "Originale")
    return {
        "ags": signatory.ags,
        "sender": sender,
        "return_line": return_line(round_cfg),
        "recipient": recipient_lines(signatory),
        "info": info,
        "place_date": f"{sender.ort}, {letter_date}" if sender.ort else letter_date,
        "subject": subject + (f" (berichtigte Fassung V{version})" if correction else ""),
        "salutation": german.salutation(signatory.gender, signatory.office, signatory.titel, signatory.nachname),
        "paragraphs": [
            f"anbei erhalten Sie {german.count_words(copies, 'Original', 'Originale')} {what} "
            f"„{round_cfg.title}“ für {german.designation_with_article(signatory.bezeichnung, signatory.typ, 'acc')}.",
            *([_correction_paragraph(correction, version)] if correction else []),
            _sign_and_return(copies, deadline),
            "So erreicht uns das unterschriebene Original:",
        ],
        "return_ways": return_ways,
        "closing_paragraphs": closing_paragraphs,
        "closing": letter.closing,
        "signature_name": letter.signature_name or sender.contact_name,
        "signature_title": letter.signature_title,
        "enclosures": f"{enclosures[0].upper()}{enclosures[1:]} Präambel und Gemeinsame Erklärung",
        "upload_link": upload_link or "",
        "upload_qr": _link_qr(upload_link) if upload_link else "",
    }


def _link_qr(url: str) -> str:
    """The link as an inline SVG QR code (our own encoder's markup, never text from a file)."""
    from ..render import qr_svg

    return qr_svg(url)


@dataclass(frozen=True)
class RenderedLetters:
    pdf: bytes
    pages: dict[str, tuple[int, int]]  # AGS -> (index of its first page, number of pages)


class LetterRenderer:
    """Jinja environment, stylesheet and fonts, loaded once per run (as render.Renderer does)."""

    def __init__(self, templates_dir: Path = TEMPLATES_DIR, overrides: Path | None = None):
        from ..templating import load_weasyprint

        self.weasyprint = load_weasyprint()
        self.templates_dir = Path(templates_dir)
        self.overrides = overrides  # the round's own wording ([letter] templates), looked in first

    @cached_property
    def _environment(self):
        from ..templating import environment

        return environment(self.templates_dir, overrides=self.overrides)

    @cached_property
    def _font_config(self):
        from weasyprint.text.fonts import FontConfiguration

        return FontConfiguration()

    @cached_property
    def _stylesheet(self):
        from ..templating import template_file

        return self.weasyprint.CSS(filename=str(template_file(LETTER_STYLESHEET, self.templates_dir, self.overrides)),
                                   font_config=self._font_config)

    def _url_fetcher(self, url: str, *args, **kwargs):
        if not url.startswith("file:"):  # a letter never fetches anything from the network
            raise ValueError(f"refusing to fetch {url!r} while rendering a letter")
        return self.weasyprint.default_url_fetcher(url, *args, **kwargs)

    def render(self, letters: list[dict], bundle: dict, identifier: str) -> RenderedLetters:
        """Lay out `letters` (from letter_context) as one PDF; refuse an address that overflows the window."""
        html = self._environment.get_template(LETTER_TEMPLATE).render(letters=letters, bundle=bundle)
        document = self.weasyprint.HTML(string=html, base_url=str(self.templates_dir),
                                        url_fetcher=self._url_fetcher).render(
            stylesheets=[self._stylesheet], font_config=self._font_config)
        starts: dict[str, int] = {}
        for index, page in enumerate(document.pages):
            for anchor, box in page.anchors.items():
                if anchor.startswith("letter-"):
                    starts.setdefault(anchor.removeprefix("letter-"), index)
                elif anchor.startswith("address-end-"):
                    bottom_mm = box[1] / CSS_PX_PER_MM
                    if bottom_mm > ADDRESS_FIELD_BOTTOM_MM + 0.5:
                        ags = anchor.removeprefix("address-end-")
                        raise InvalidInputError(_(
                            "AGS {ags}: the postal address is too long for the envelope window (ends {mm:.0f} mm "
                            "below it); shorten 'funktion', 'bezeichnung' or 'strasse' in the signatories file and "
                            "render again").format(ags=ags, mm=bottom_mm - ADDRESS_FIELD_BOTTOM_MM))
        order = [letter["ags"] for letter in letters]
        bounds = [starts[ags] for ags in order] + [len(document.pages)]
        pages = {ags: (bounds[i], bounds[i + 1] - bounds[i]) for i, ags in enumerate(order)}
        return RenderedLetters(document.write_pdf(pdf_identifier=identifier.encode("ascii")), pages)


@dataclass(frozen=True)
class LetterChunk:
    """Letters laid out together: consecutive letters of one bundle."""

    letters: list[dict]
    bundle: dict
    identifier: str
    overrides: Path | None = None  # the round's own wording ([letter] templates)


def chunked(letters: list[dict], bundle: dict, identifier: str, overrides: Path | None = None) -> list[LetterChunk]:
    return [LetterChunk(letters[start:start + LETTERS_PER_CHUNK], bundle, f"{identifier}-{start // LETTERS_PER_CHUNK}",
                        overrides)
            for start in range(0, len(letters), LETTERS_PER_CHUNK)]


_worker_renderer: LetterRenderer | None = None


def _render_chunk(chunk: LetterChunk) -> RenderedLetters:
    global _worker_renderer
    if _worker_renderer is None or _worker_renderer.overrides != chunk.overrides:
        _worker_renderer = LetterRenderer(overrides=chunk.overrides)
    return _worker_renderer.render(chunk.letters, chunk.bundle, chunk.identifier)


def render_chunks(chunks: list[LetterChunk], workers: int = 1,
                  progress: Callable[[int], None] | None = None) -> list[RenderedLetters]:
    """Lay out every chunk, in `workers` processes when there is more than one chunk to share.

    Layout is ~70 ms of CPU per letter, so a full round (400+ letters) gains from every core."""
    global _worker_renderer
    workers = max(1, min(workers, len(chunks)))
    overrides = chunks[0].overrides if chunks else None
    if _worker_renderer is None or _worker_renderer.overrides != overrides:  # prepared once; forked workers inherit it
        _worker_renderer = LetterRenderer(overrides=overrides)
    if workers == 1:
        results = []
        for chunk in chunks:
            results.append(_render_chunk(chunk))
            if progress:
                progress(len(chunk.letters))
        return results
    from ..workers import process_pool

    results = []
    with process_pool(workers) as pool:
        for chunk, result in zip(chunks, pool.map(_render_chunk, chunks), strict=True):
            results.append(result)
            if progress:
                progress(len(chunk.letters))
    return results
