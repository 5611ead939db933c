"""A page with neither a readable QR code nor a legible id line, inside an upload whose other pages
identify the document: matched against our rendered pages of those documents. Never a guess.

The page was registered on our layout (it is some document's page n). The candidates are the documents
this upload identifies that still lack a page n here. Our page n of each candidate, and of one document
that is not in the upload (a stranger), is compared with the page where these renderings differ from
each other (the name, office, address, id line): the page is the candidate's only if that candidate
matches clearly (normalised correlation ≥ 0.5) and clearly better than every other rendering, the
stranger included. Otherwise it stays unmatched, with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .register import OurPage

MIN_SCORE = 0.5
MIN_MARGIN = 0.1


@dataclass
class Loose:
    source_page: int
    layout_page: int              # which page of our layout it is
    transform: np.ndarray         # PDF points -> pixels of `grey`
    grey: np.ndarray


def _in_our_frame(loose: Loose, ours: OurPage) -> np.ndarray:
    import cv2

    height, width = ours.pixels.shape
    to_image = loose.transform @ np.linalg.inv(ours.points_to_pixels())
    return cv2.warpPerspective(loose.grey, to_image, (width, height), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP,
                               borderValue=255)


def _correlation(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    x, y = a[where].astype(np.float32), b[where].astype(np.float32)
    x, y = x - x.mean(), y - y.mean()
    norm = float(np.sqrt((x * x).sum() * (y * y).sum()))
    return float((x * y).sum() / norm) if norm > 0 else 0.0


def choose(loose: Loose, candidates: dict[str, OurPage], strangers: list[OurPage],
           damaged: list[list[float]] = ()) -> str | None:
    """The candidate document whose page this clearly is, or None. `damaged`: regions (PDF points) left
    out of the comparison: the QR code and the id line, which could not be read."""
    import cv2

    renderings = list(candidates.values()) + strangers
    if len(renderings) < 2:
        return None
    shape = renderings[0].pixels.shape
    if any(rendering.pixels.shape != shape for rendering in renderings):
        return None
    stack = np.stack([rendering.pixels for rendering in renderings])
    differs = (stack.max(axis=0).astype(int) - stack.min(axis=0)) > 60
    differs = cv2.dilate(differs.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    to_pixels = renderings[0].points_to_pixels()
    for left, bottom, right, top in damaged:
        x0, y0, _ = to_pixels @ [left, top, 1.0]
        x1, y1, _ = to_pixels @ [right, bottom, 1.0]
        differs[max(0, int(y0) - 6): int(y1) + 6, max(0, int(x0) - 6): int(x1) + 6] = False
    if differs.sum() < 200:
        return None
    # Blurred: a pixel of misregistration must not decide between two names.
    page = cv2.GaussianBlur(_in_our_frame(loose, renderings[0]), (0, 0), 1.5)
    blurred = [cv2.GaussianBlur(rendering.pixels, (0, 0), 1.5) for rendering in renderings]
    scores = sorted(((_correlation(page, pixels, differs), name) for pixels, (name, _) in
                     zip(blurred, [*candidates.items(), *((None, stranger) for stranger in strangers)], strict=True)),
                    key=lambda item: item[0], reverse=True)
    (best, name), (second, _) = scores[0], scores[1]
    if name is None or best < MIN_SCORE or best - second < MIN_MARGIN:
        return None
    return name


def match_loose_pages(loose: list[Loose], upload, context, analysis, finding_type, read_signature_box) -> None:
    """`finding_type` and `read_signature_box` come from identify.py (passed in: identify calls this module,
    so importing it back would make a cycle)."""
    from .intake import page_as_shown

    Finding = finding_type  # noqa: N806 - the class, under its own name

    found = {(finding.doc_id, finding.page) for finding in analysis.findings}
    identified_pages = {finding.source_page for finding in analysis.findings}
    documents = list(dict.fromkeys(finding.doc_id for finding in analysis.findings))
    for page in loose:
        if page.source_page in identified_pages:
            continue
        names = [doc_id for doc_id in documents if (doc_id, page.layout_page) not in found]
        if not names:
            continue
        records = {doc_id: context.document(doc_id) for doc_id in names}
        candidates = {doc_id: OurPage.render(context.out / record.path, page.layout_page)
                      for doc_id, record in records.items()}
        stranger = next((record for record in context.sample_documents(len(documents) + 2)
                         if record.doc_id not in documents), None)
        strangers = [OurPage.render(context.out / stranger.path, page.layout_page)] if stranger else []
        layout = context.layout()
        damaged = [layout.id_lines.get(page.layout_page) or [0, 0, 0, 0],
                   next(iter(records.values())).geometry.qr.get(page.layout_page, [0, 0, 0, 0])]
        chosen = choose(page, candidates, strangers, damaged)
        if chosen is None:
            continue
        record = records[chosen]
        ink = crop = None
        if page.layout_page == record.geometry.signature_box.page:
            shown = page_as_shown(upload, page.source_page, context.settings.limits)
            shown.transform = page.transform
            reading = read_signature_box(shown, None, record.geometry, page.layout_page, context.out / record.path)
            ink, crop = reading.as_details(), reading.crop
        analysis.unmatched = [item for item in analysis.unmatched if item[0] != page.source_page]
        analysis.findings.append(Finding(page.source_page, chosen, page.layout_page, "match", ink, crop))
        found.add((chosen, page.layout_page))

