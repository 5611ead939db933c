"""Laying out documents with WeasyPrint: the Renderer, the template context, and the geometry it reports.

mode "composite" (default) lays the shared text out once per variant and stamps a small personal
overlay on it (compose.py); mode "single" renders each document in one pass, as the reference. The
laid-out pages report where the signature box and the QR codes are (PDF points): check-in needs them.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import docid
from ..errors import EngagiertError
from ..geometry import Geometry, Rect, SignatureBox
from ..i18n import _
from ..round import RoundConfig
from ..signatories import Signatory
from ..templating import TEMPLATES_DIR, environment, load_weasyprint
from ..units import A4_HEIGHT_PT, A4_WIDTH_PT, CSS_PX_TO_PT
from . import hyphenation
from .fingerprint import DOCUMENT_TEMPLATE, STYLESHEET, printed_fields
from .qr import qr_operators, qr_svg

DOCUMENT_LANGUAGE = "de"  # the template's <html lang>: what WeasyPrint hyphenates with
PAGE_COUNT = 2


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    pages: int
    geometry: Geometry


def subsetter_name() -> str:
    """Which font subsetter WeasyPrint uses: HarfBuzz (fast) or fontTools (~4x slower)."""
    from weasyprint.text.ffi import harfbuzz_subset

    return "harfbuzz" if harfbuzz_subset is not None else "fonttools"


# Context keys that differ between documents; everything else is the same for a whole round and
# belongs to the base layout (see compose.py).
PERSONAL_FIELDS = frozenset({"ags", "bezeichnung", "office", "signer_name", "doc_id", "pages", "title",
                             "subject", "keywords"})


RENDER_MODES = ("composite", "single")


class LayoutOverflow(Exception):
    """The personalised text does not fit the page."""


class Renderer:
    """Per-process rendering state that is the same for every document: Jinja env, CSS, fonts, bases.

    mode "composite" (default) lays the shared text out once per variant and stamps a small personal
    overlay on it (compose.py); mode "single" renders each document in one pass, as the reference.
    """

    def __init__(self, templates_dir: Path = TEMPLATES_DIR, mode: str = "composite"):
        weasyprint = load_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        if mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {mode!r}")
        self.mode = mode
        self.templates_dir = Path(templates_dir)
        self.weasyprint = weasyprint
        self.environment = environment(self.templates_dir, keep_trailing_newline=True)
        self.template = self.environment.get_template(DOCUMENT_TEMPLATE)
        hyphenation.preload(DOCUMENT_LANGUAGE)  # before the first layout: 50 ms instead of 0.8 s
        self.font_config = FontConfiguration()
        self.stylesheet = weasyprint.CSS(filename=str(self.templates_dir / STYLESHEET),
                                         font_config=self.font_config)
        self._bases: dict[str, object] = {}
        self._placements: dict[str, object] = {}

    def url_fetcher(self, url: str, *args, **kwargs):
        # Only local files: a template or a facsimile must never make the renderer go online.
        if not url.startswith("file:"):
            raise ValueError(f"refusing to fetch {url!r} while rendering")
        return self.weasyprint.default_url_fetcher(url, *args, **kwargs)

    def _layout(self, contexts: list[dict], mode: str, signer_block: dict | None = None):
        html = self.template.render(docs=contexts, mode=mode, signer_block=signer_block)
        stylesheets = [self.stylesheet]
        if signer_block:
            stylesheets.append(self._placement(signer_block))
        return self.weasyprint.HTML(string=html, base_url=str(self.templates_dir),
                                    url_fetcher=self.url_fetcher).render(
            stylesheets=stylesheets, font_config=self.font_config)

    def _placement(self, signer_block: dict):
        """A style sheet placing the overlay's signer block where the base put it, parsed once per base
        rather than as an inline style in every document."""
        key = json.dumps(signer_block, sort_keys=True)
        if key not in self._placements:
            rule = (f".signer-text.overlay {{ left: {signer_block['left']}px; top: {signer_block['top']}px; "
                    f"width: {signer_block['width']}px; }}")
            self._placements[key] = self.weasyprint.CSS(string=rule, font_config=self.font_config)
        return self._placements[key]

    def render(self, context: dict) -> RenderedDocument:
        result = self.render_many([context])[0]
        if isinstance(result, LayoutOverflow):
            raise result
        return result

    def render_many(self, contexts: list[dict]) -> list[RenderedDocument | LayoutOverflow]:
        """Render several documents; a document whose text does not fit gets its LayoutOverflow instead.

        In composite mode the overlays of all documents that share a base are laid out as one WeasyPrint
        document and written two pages at a time: a layout run has a fixed cost (parsing, the cascade,
        the page set-up) that a batch pays once, about a fifth of a document's time."""
        if self.mode == "single":
            return [self._render_single(context) for context in contexts]
        results: list[RenderedDocument | LayoutOverflow | None] = [None] * len(contexts)
        batches: dict[str, list[int]] = {}
        for index, context in enumerate(contexts):
            batches.setdefault(self._base_key(context), []).append(index)
        for indexes in batches.values():
            base = self._base_for(contexts[indexes[0]])
            overlays = self._layout([contexts[index] for index in indexes], "overlay", base.signer_block)
            if len(overlays.pages) != PAGE_COUNT * len(indexes):
                raise EngagiertError(_("the overlay template made {pages} pages for {documents} documents of "
                                       "{expected} pages").format(pages=len(overlays.pages), documents=len(indexes),
                                                                  expected=PAGE_COUNT))
            for position, index in enumerate(indexes):
                pages = overlays.pages[position * PAGE_COUNT:(position + 1) * PAGE_COUNT]
                results[index] = self._finish_composite(contexts[index], base, overlays.copy(pages),
                                                        anchor_prefix(position))
        return results  # type: ignore[return-value]

    def _render_single(self, context: dict) -> RenderedDocument | LayoutOverflow:
        document = self._layout([context], "full")
        overflow = _signer_block_overflow(document)
        if overflow:
            return overflow
        geometry = _geometry(document)
        pdf = document.write_pdf(pdf_identifier=context["doc_id"].encode("ascii"))
        return RenderedDocument(pdf=pdf, pages=len(document.pages), geometry=geometry)

    @staticmethod
    def _base_key(context: dict) -> str:
        shared = {key: value for key, value in context.items() if key not in PERSONAL_FIELDS}
        return json.dumps(shared, sort_keys=True, default=str)

    def _base_for(self, context: dict):
        from . import compose

        key = self._base_key(context)
        if key not in self._bases:
            document = self._layout([context], "base")
            anchors = [page.anchors for page in document.pages]
            number, signer = next((number, page["signer-text"]) for number, page in enumerate(anchors, start=1)
                                  if "signer-text" in page)
            section_left, section_top = anchors[number - 1][f"page-{number}"][:2]
            signer_block = {"page": number, "left": round(signer[0] - section_left, 3),
                            "top": round(signer[1] - section_top, 3), "width": round(signer[2] - signer[0], 3)}
            pdf = document.write_pdf()
            self._bases[key] = compose.base_layout(pdf, signer_block, _geometry(document).signature_box)
        return self._bases[key]

    def _finish_composite(self, context: dict, base, overlay, prefix: str) -> RenderedDocument | LayoutOverflow:
        """Write one document: its two overlay pages over the base, its QR codes, its own metadata."""
        from . import compose

        geometry = dataclasses.replace(_geometry(overlay, prefix), signature_box=base.signature_box)
        overflow = _signer_block_overflow(overlay, prefix)
        if overflow:
            return overflow
        stamps = [qr_operators(page["qr_payload"], geometry.qr[page["number"]])
                  for page in context["pages"]]
        # The batch's metadata is the first document's (from the template's <meta> elements): each
        # document gets its own, parsed the way WeasyPrint parses those elements.
        metadata = copy.copy(overlay.metadata)
        metadata.title = context["title"]
        metadata.authors = [context["author"]]
        metadata.description = context["subject"]
        metadata.keywords = [keyword.strip() for keyword in context["keywords"].split(",") if keyword.strip()]
        overlay.metadata = metadata
        pdf = overlay.write_pdf(pdf_identifier=context["doc_id"].encode("ascii"),
                                finisher=compose.finisher(base, stamps, prefix))
        return RenderedDocument(pdf=pdf, pages=len(overlay.pages), geometry=geometry)


@lru_cache(maxsize=4)
def renderer_for(templates_dir: Path, mode: str = "composite") -> Renderer:
    """One Renderer per process and mode (a cache, not state: it changes no output)."""
    return Renderer(templates_dir, mode)


def document_context(signatory: Signatory, round_cfg: RoundConfig, doc_id: str, with_qr_svg: bool = True) -> dict:
    """The template's `doc`. Without `with_qr_svg` the QR places stay empty (20 mm boxes) for compose.py
    to draw the codes into."""
    from markupsafe import Markup

    fields = printed_fields(signatory, round_cfg)
    parsed = docid.parse_doc_id(doc_id)
    pages = [{"number": number, "qr_payload": parsed.qr_payload(number, PAGE_COUNT),
              "qr_svg": Markup(qr_svg(parsed.qr_payload(number, PAGE_COUNT))) if with_qr_svg else ""}
             for number in range(1, PAGE_COUNT + 1)]
    facsimile = round_cfg.cosignatory.facsimile
    return {
        **fields,
        "doc_id": doc_id,
        "page_count": PAGE_COUNT,
        "pages": pages,
        "facsimile_url": facsimile.as_uri() if facsimile else "",
        "title": f"Gemeinsame Erklärung – {signatory.bezeichnung}",
        "author": "Staatskanzlei des Landes Nordrhein-Westfalen",
        "subject": f"{round_cfg.title}: Präambel und Gemeinsame Erklärung, {signatory.bezeichnung}",
        "keywords": f"{doc_id}, AGS {signatory.ags}, Runde {round_cfg.id}",
        "created": round_cfg.date.isoformat(),  # fixed date: same input, same bytes
    }


def _signer_block_overflow(document, prefix: str = "") -> LayoutOverflow | None:
    """The municipality's signer block must end on the page it starts on, above the page marks.

    WeasyPrint moves an in-flow block that does not fit to a new page (a third page, refused by the
    caller), but cuts an absolutely placed one (the overlay's) at the foot of the page without a word:
    the end marker of partials/signer.html.j2 tells."""
    for page in document.pages:
        anchors = page.anchors
        if f"{prefix}signer-text" not in anchors:
            continue
        end = anchors.get(f"{prefix}signer-end")
        marks_top = min((box[1] for name, box in anchors.items() if name.startswith(f"{prefix}qr-")),
                        default=float("inf"))
        if end is None or end[1] > marks_top:
            return LayoutOverflow(_("the signer block does not fit on the page above the page marks"))
        return None
    return LayoutOverflow(_("the signer block is missing from the layout"))


def anchor_prefix(position: int) -> str:
    """How the template makes ids unique in a batch: the first document's are plain, the next ones'
    start with "doc1-", "doc2-" … (WeasyPrint warns about an id defined twice)."""
    return f"doc{position}-" if position else ""


def _geometry(document, prefix: str = "") -> Geometry:
    """Signature box and QR boxes in PDF points (origin bottom left), read from the laid-out pages.

    WeasyPrint reports each element with an id as an anchor with its border box in CSS px from the
    page's top left; check-in maps these boxes onto a scan through the QR code's corners.
    """

    def to_pdf_box(x1: float, y1: float, x2: float, y2: float) -> Rect:
        return Rect(round(x1 * CSS_PX_TO_PT, 2), round(A4_HEIGHT_PT - y2 * CSS_PX_TO_PT, 2),
                    round(x2 * CSS_PX_TO_PT, 2), round(A4_HEIGHT_PT - y1 * CSS_PX_TO_PT, 2))

    qr: dict[int, Rect] = {}
    signature_box = None
    for number, page in enumerate(document.pages, start=1):
        anchors = page.anchors
        if f"{prefix}qr-{number}" in anchors:
            qr[number] = to_pdf_box(*anchors[f"{prefix}qr-{number}"])
        if "signature-box" in anchors:
            signature_box = SignatureBox(number, to_pdf_box(*anchors["signature-box"]))
    return Geometry(page_size=(round(A4_WIDTH_PT, 2), round(A4_HEIGHT_PT, 4)), signature_box=signature_box, qr=qr)
