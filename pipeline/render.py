"""Render one personalised two-page PDF per municipality with Jinja2 + WeasyPrint, and record it.

``render_round`` is the stage: it decides per row whether the document is new, unchanged (skipped)
or changed (a new version that supersedes the old), renders what is needed (in worker processes when
there are many), writes each file atomically, and records the written documents in the ledger, up to
RECORD_EVERY of them per transaction while the workers go on. A document is recorded only after its
file is written, with all its events in one transaction; a crash leaves files that are not recorded
yet, which the next run renders again to the same bytes and records.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import TEMPLATES_DIR, docid, german, hyphenation
from .errors import EngagiertError, InvalidInputError
from .fileio import slugify, write_bytes_atomic
from .ledger import DocumentRecord, Ledger, now_iso
from .round import RoundConfig
from .signatories import Signatory

DOCUMENT_TEMPLATE = "erklaerung.html.j2"
STYLESHEET = "style.css"
DOCUMENT_LANGUAGE = "de"  # the template's <html lang>: what WeasyPrint hyphenates with
PAGE_COUNT = 2
CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF points are 1/72 in
A4_HEIGHT_PT = 841.8898
# Parallel rendering only pays off once worker start-up is amortised.
MIN_DOCUMENTS_PER_WORKER = 8
# Documents laid out together (render_many); beyond about ten the saving levels off while a batch's
# memory grows, and small batches keep both workers busy to the end.
BATCH_SIZE = 8
# Documents recorded per ledger transaction, while the workers go on: the main process holds no more
# than this many results, so its memory does not grow with the size of the run.
RECORD_EVERY = 500


@dataclass(frozen=True, slots=True)
class DocumentJob:
    """Everything needed to render one document; picklable, so it can go to a worker process."""

    signatory: Signatory
    doc_id: str
    version: int
    fingerprint: str
    path: Path


@dataclass(frozen=True)
class RenderedDocument:
    pdf: bytes
    pages: int
    geometry: dict


@dataclass(frozen=True)
class WrittenDocument:
    """What the ledger needs of a written file. Workers return this, never the PDF bytes, so memory
    stays flat however many documents a run renders."""

    sha256: str
    pages: int
    geometry: dict


@dataclass
class RenderSummary:
    round_id: str
    documents_dir: Path
    rendered: list[str]  # doc ids; their records are in the ledger
    unchanged: list[DocumentRecord]
    superseded: list[str]

    @property
    def total(self) -> int:
        return len(self.rendered) + len(self.unchanged)


def _check_system_libraries():
    """Import WeasyPrint, turning a missing Pango/HarfBuzz into an instruction instead of a traceback."""
    try:
        import weasyprint
    except (OSError, ImportError) as exc:  # cffi raises OSError when a shared library is missing
        from .errors import MissingDependencyError

        raise MissingDependencyError(
            f"WeasyPrint cannot load a system library ({exc}). Install them with:\n"
            "  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
        ) from exc
    return weasyprint


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
        weasyprint = _check_system_libraries()
        import jinja2
        from weasyprint.text.fonts import FontConfiguration

        if mode not in RENDER_MODES:
            raise ValueError(f"unknown render mode {mode!r}")
        self.mode = mode
        self.templates_dir = Path(templates_dir)
        self.weasyprint = weasyprint
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.templates_dir),
            autoescape=True,  # names from a CSV are text, never markup
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
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
                raise EngagiertError(f"the overlay template made {len(overlays.pages)} pages for "
                                     f"{len(indexes)} documents of {PAGE_COUNT} pages")
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
            self._bases[key] = compose.base_layout(pdf, signer_block, _geometry(document)["signature_box"])
        return self._bases[key]

    def _finish_composite(self, context: dict, base, overlay, prefix: str) -> RenderedDocument | LayoutOverflow:
        """Write one document: its two overlay pages over the base, its QR codes, its own metadata."""
        from . import compose

        geometry = _geometry(overlay, prefix)
        geometry["signature_box"] = base.signature_box
        overflow = _signer_block_overflow(overlay, prefix)
        if overflow:
            return overflow
        stamps = [compose.qr_operators(page["qr_payload"], geometry["qr"][str(page["number"])])
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


def templates_digest(templates_dir: Path = TEMPLATES_DIR) -> str:
    """sha256 over every template file: a changed template makes every document a new version."""
    digest = hashlib.sha256()
    templates_dir = Path(templates_dir)
    document_files = [templates_dir / DOCUMENT_TEMPLATE, templates_dir / STYLESHEET,
                      *sorted((templates_dir / "partials").glob("*"))]
    for path in document_files:
        if path.is_file():
            digest.update(path.relative_to(templates_dir).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def printed_fields(signatory: Signatory, round_cfg: RoundConfig) -> dict:
    """Everything that ends up on paper; its hash (with the templates') is the document's fingerprint."""
    cosignatory = round_cfg.cosignatory
    return {
        "ags": signatory.ags,
        "bezeichnung": signatory.bezeichnung,
        "office": signatory.office,
        "signer_name": signatory.signer_name,
        "signers_sentence": german.signers_sentence(cosignatory.gender, signatory.gender),
        "place_date": round_cfg.place_date,
        "date": round_cfg.date.isoformat(),
        "title": round_cfg.title,
        "cosignatory_name": cosignatory.name,
        "cosignatory_office": cosignatory.office,
        "cosignatory_office_line2": cosignatory.office_line2,
        "cosignatory_heading": cosignatory.heading or f"der {cosignatory.office}",
        "facsimile_sha256": (hashlib.sha256(cosignatory.facsimile.read_bytes()).hexdigest()
                             if cosignatory.facsimile else ""),
    }


def fingerprint(fields: dict, templates_sha: str) -> str:
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True) + templates_sha
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def qr_svg(payload: str) -> str:
    """The code as inline SVG for the single-pass mode; CSS sizes it to 20 mm."""
    from .compose import make_qr

    svg = make_qr(payload).to_svg(add_quiet_zones=False)
    # Inline: without the XML declaration and DOCTYPE, and without the group's id, which would be
    # on every page twice.
    return svg[svg.index("<svg"):].replace(' id="barcode"', "")


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
            return LayoutOverflow("the signer block does not fit on the page above the page marks")
        return None
    return LayoutOverflow("the signer block is missing from the layout")


def anchor_prefix(position: int) -> str:
    """How the template makes ids unique in a batch: the first document's are plain, the next ones'
    start with "doc1-", "doc2-" … (WeasyPrint warns about an id defined twice)."""
    return f"doc{position}-" if position else ""


def _geometry(document, prefix: str = "") -> dict:
    """Signature box and QR boxes in PDF points (origin bottom left), read from the laid-out pages.

    WeasyPrint reports each element with an id as an anchor with its border box in CSS px from the
    page's top left; check-in maps these boxes onto a scan through the QR code's corners.
    """

    def to_pdf_box(x1: float, y1: float, x2: float, y2: float) -> list[float]:
        return [round(x1 * CSS_PX_TO_PT, 2), round(A4_HEIGHT_PT - y2 * CSS_PX_TO_PT, 2),
                round(x2 * CSS_PX_TO_PT, 2), round(A4_HEIGHT_PT - y1 * CSS_PX_TO_PT, 2)]

    geometry: dict = {"page_size": [595.28, A4_HEIGHT_PT], "qr": {}, "signature_box": None}
    for number, page in enumerate(document.pages, start=1):
        anchors = page.anchors
        if f"{prefix}qr-{number}" in anchors:
            geometry["qr"][str(number)] = to_pdf_box(*anchors[f"{prefix}qr-{number}"])
        if "signature-box" in anchors:
            geometry["signature_box"] = {"page": number, "box": to_pdf_box(*anchors["signature-box"])}
    return geometry


def render_jobs(jobs: list[DocumentJob], round_cfg: RoundConfig, templates_dir: Path,
                mode: str = "composite") -> list[WrittenDocument | InvalidInputError]:
    """Render and write a batch of documents; a document that cannot be rendered gets its error."""
    renderer = renderer_for(templates_dir, mode)
    contexts = [document_context(job.signatory, round_cfg, job.doc_id, with_qr_svg=mode == "single")
                for job in jobs]
    written: list[WrittenDocument | InvalidInputError] = []
    for job, rendered in zip(jobs, renderer.render_many(contexts), strict=True):
        too_long = (f"row {job.signatory.row} ({job.signatory.bezeichnung}): a name, office or designation is "
                    f"too long for the signature block; shorten it")
        if isinstance(rendered, LayoutOverflow):
            written.append(InvalidInputError(f"{too_long} ({rendered})"))
            continue
        if rendered.pages != PAGE_COUNT:
            written.append(InvalidInputError(
                f"{too_long} (the document came out with {rendered.pages} pages, not {PAGE_COUNT})"))
            continue
        if rendered.geometry["signature_box"] is None:
            raise EngagiertError("the template has no element with id 'signature-box'")
        # No fsync: a rendered file that a crash damages fails its sha256 check on the next run and is
        # rendered again to the same bytes (plan_jobs), so durability would only cost time.
        write_bytes_atomic(job.path, rendered.pdf, durable=False)
        written.append(WrittenDocument(_sha256(rendered.pdf), rendered.pages, rendered.geometry))
    return written


def _render_batch_in_worker(args) -> tuple[int, list[WrittenDocument | InvalidInputError] | EngagiertError]:
    first_index, jobs, round_cfg, templates_dir, mode = args
    try:
        return first_index, render_jobs(jobs, round_cfg, templates_dir, mode)
    except EngagiertError as exc:
        return first_index, exc


def document_filename(signatory: Signatory, version: int) -> str:
    return f"{signatory.ags}_{slugify(signatory.name)}_V{version}.pdf"


def plan_jobs(signatories: Iterable[Signatory], round_cfg: RoundConfig, out: Path, ledger: Ledger,
              secret: bytes, templates_dir: Path):
    """Split rows into unchanged documents (kept) and jobs to render (new or changed)."""
    templates_sha = templates_digest(templates_dir)
    latest = ledger.latest_documents(round_cfg.id)
    documents_dir = round_cfg.round_dir(out) / "documents"
    unchanged: list[DocumentRecord] = []
    jobs: list[DocumentJob] = []
    for signatory in signatories:
        print_fingerprint = fingerprint(printed_fields(signatory, round_cfg), templates_sha)
        previous = latest.get(signatory.ags)
        if previous and previous.fingerprint == print_fingerprint:
            stored = Path(out) / previous.path
            if stored.exists() and _sha256(stored.read_bytes()) == previous.sha256:
                unchanged.append(previous)
                continue
            version = previous.version  # lost or damaged file: render the same version again
        else:
            version = previous.version + 1 if previous else 1
        doc_id = str(docid.make_doc_id(secret, round_cfg.id, signatory.ags, version))
        jobs.append(DocumentJob(signatory, doc_id, version, print_fingerprint,
                                documents_dir / document_filename(signatory, version)))
    return unchanged, jobs, latest


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def render_round(signatories: list[Signatory], round_cfg: RoundConfig, out: Path, *,
                 templates_dir: Path = TEMPLATES_DIR, workers: int | None = None, mode: str = "composite",
                 progress: Callable[[int], None] | None = None) -> RenderSummary:
    out = Path(out)
    secret = docid.load_secret(out)
    with Ledger.open(out) as ledger:
        unchanged, jobs, latest = plan_jobs(signatories, round_cfg, out, ledger, secret, templates_dir)
        if progress and unchanged:
            progress(len(unchanged))  # the bar counts every row; unchanged ones are done at once
        rendered_at = now_iso()
        rendered: list[str] = []
        superseded: list[str] = []
        pending: list[tuple[DocumentJob, WrittenDocument]] = []

        def record_pending() -> None:
            with ledger.transaction() as cursor:
                for job, result in pending:
                    previous = _record(ledger, cursor, job, result, round_cfg, out, latest, rendered_at)
                    rendered.append(job.doc_id)
                    if previous:
                        superseded.append(previous)
            pending.clear()

        errors: list[EngagiertError] = []
        for job, result in _render_all(jobs, round_cfg, templates_dir, workers, mode, progress, errors):
            pending.append((job, result))
            if len(pending) >= RECORD_EVERY:
                record_pending()  # while the workers go on rendering
        record_pending()
    if errors:
        done = f"\nThe other {len(rendered)} document(s) were rendered and recorded." if rendered else ""
        raise InvalidInputError("\n".join(error.message for error in errors) + done)
    return RenderSummary(round_cfg.id, round_cfg.round_dir(out) / "documents", rendered, unchanged, superseded)


def _record(ledger: Ledger, cursor, job: DocumentJob, result: WrittenDocument, round_cfg: RoundConfig, out: Path,
            latest: dict[str, DocumentRecord], rendered_at: str) -> str | None:
    """Record one written document and its events; return the doc id it supersedes, if any."""
    record = DocumentRecord(
        doc_id=job.doc_id, round=round_cfg.id, ags=job.signatory.ags, version=job.version,
        fingerprint=job.fingerprint, sha256=result.sha256, path=job.path.relative_to(out).as_posix(),
        pages=result.pages, geometry=result.geometry, signatory=dataclasses.asdict(job.signatory),
        rendered_at=rendered_at)
    previous = latest.get(job.signatory.ags)
    if previous and previous.doc_id == job.doc_id:
        return None  # the same version re-rendered after its file went missing: already recorded
    ledger.add_document(cursor, record)
    ledger.add_event(cursor, round_id=round_cfg.id, kind="rendered", ags=record.ags, doc_id=record.doc_id,
                     state="rendered", file_sha256=record.sha256,
                     details={"version": record.version, "path": record.path}, at=rendered_at)
    if not previous:
        return None
    ledger.add_event(cursor, round_id=round_cfg.id, kind="superseded", ags=record.ags, doc_id=previous.doc_id,
                     state="superseded", reason=f"replaced by version {record.version} ({record.doc_id})",
                     at=rendered_at)
    return previous.doc_id


def _warm_up(jobs: list[DocumentJob], round_cfg: RoundConfig, templates_dir: Path, mode: str) -> None:
    """Prepare, in the parent, everything the workers would each prepare again: the renderer and one
    base layout per opening-sentence variant (at most five)."""
    renderer = renderer_for(templates_dir, mode)
    if mode != "composite":
        return
    seen = set()
    for job in jobs:
        variant = german.signers_sentence(round_cfg.cosignatory.gender, job.signatory.gender)
        if variant not in seen:
            seen.add(variant)
            renderer._base_for(document_context(job.signatory, round_cfg, job.doc_id))


def _render_all(jobs: list[DocumentJob], round_cfg: RoundConfig, templates_dir: Path, workers: int | None,
                mode: str, progress: Callable[[int], None] | None, errors: list[EngagiertError],
                ) -> Iterator[tuple[DocumentJob, WrittenDocument]]:
    """Yield each job with its written document, in order, as the workers finish them; a job that cannot
    be rendered adds its error to `errors` instead."""
    workers = workers or default_jobs()
    workers = max(1, min(workers, len(jobs) // MIN_DOCUMENTS_PER_WORKER))
    batches = [(start, jobs[start:start + BATCH_SIZE]) for start in range(0, len(jobs), BATCH_SIZE)]

    def collect(first_index: int, batch_results) -> Iterator[tuple[DocumentJob, WrittenDocument]]:
        if isinstance(batch_results, EngagiertError):
            errors.append(batch_results)
            return
        for offset, result in enumerate(batch_results):
            if isinstance(result, EngagiertError):
                errors.append(result)
            else:
                yield jobs[first_index + offset], result
        if progress:
            progress(len(batch_results))

    if workers == 1:
        for start, batch in batches:
            yield from collect(start, render_jobs(batch, round_cfg, templates_dir, mode))
        return
    import multiprocessing

    fork = sys.platform.startswith("linux")
    if fork:
        _warm_up(jobs, round_cfg, templates_dir, mode)
    # fork: workers inherit the imported WeasyPrint, the hyphenation dictionary and the base layouts.
    context = multiprocessing.get_context("fork" if fork else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        arguments = ((start, batch, round_cfg, templates_dir, mode) for start, batch in batches)
        for first_index, batch_results in pool.map(_render_batch_in_worker, arguments):
            yield from collect(first_index, batch_results)
