"""Verify a returned document: is the municipality's signature box signed, is a digital signature ours?

Wet ink: the signature box recorded at render time (PDF points) is mapped onto the page image through the
QR code's four corners, so skew, scale and rotation of the scan do not matter. Inside the box the
printed signature line is found again (it also corrects small offsets), long horizontal lines are ignored,
and the remaining dark pixels are compared with the same box cut from our own blank PDF. Clearly more ink
than the blank box: signed; about as much: unsigned; in between, or the box cannot be located: a person
looks at it (needs review). An unsigned copy must never pass, so every doubt goes to review.

Digital signatures: pyHanko checks that each signature is intact and covers the file, that nothing but
form filling or further signatures was added afterwards, and that the signed file starts with exactly the
bytes we rendered (an incremental update of our PDF). A signer whose certificate does not chain to a
configured trust root is "needs review", never "verified".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PT_PER_MM = 72 / 25.4
SAMPLE_DPI = 150            # the box is compared at this resolution (a signature stroke is 2+ pixels wide)
SIGNED_MIN_EXTRA_INK = 0.004   # share of the box's area: a short initial is ~0.5 %, a signature 2-6 %
BLANK_MAX_EXTRA_INK = 0.0015   # scanner dust and JPEG noise stay below this
LINE_ROW_SHARE = 0.45       # a row that is this dark across the box is a printed line, not handwriting
LINE_SEARCH_MM = 4.0        # how far the signature line may be from where the QR code says it is


@dataclass
class InkReading:
    verdict: str              # signed, blank, ambiguous
    extra_ink: float          # dark share above the blank box's
    note: str = ""

    def as_details(self) -> dict:
        return {"verdict": self.verdict, "extra_ink": round(self.extra_ink, 5), "note": self.note}


# --- wet ink --------------------------------------------------------------------------------------


def page_transform(corners: list[tuple[float, float]], qr_box: list[float]) -> np.ndarray:
    """Affine map from PDF points to image pixels, fitted to the QR symbol's four corners.

    Affine rather than projective: four corners of a 2 cm square pin down a perspective poorly, and a
    least-squares affine fit extrapolates to the signature box far more steadily.
    """
    left, bottom, right, top = qr_box
    source = np.array([(left, top), (right, top), (right, bottom), (left, bottom)], dtype=float)
    target = np.array(corners, dtype=float)
    design = np.hstack([source, np.ones((4, 1))])
    solution, *_ = np.linalg.lstsq(design, target, rcond=None)
    return solution.T  # 2 x 3


def _apply(transform: np.ndarray, x: float, y: float) -> tuple[float, float]:
    px = transform @ np.array([x, y, 1.0])
    return float(px[0]), float(px[1])


def _region(box: list[float]) -> list[float]:
    """The area to sample: the box without its edges, and a few mm below it to find the printed line."""
    left, bottom, right, top = box
    return [left + 1.5 * PT_PER_MM, bottom - LINE_SEARCH_MM * PT_PER_MM, right - 1.5 * PT_PER_MM,
            top - 2.0 * PT_PER_MM]


def _sample_size(region: list[float]) -> tuple[int, int]:
    return (max(8, round((region[2] - region[0]) / 72 * SAMPLE_DPI)),
            max(8, round((region[3] - region[1]) / 72 * SAMPLE_DPI)))


def cut_box_from_scan(image, transform: np.ndarray, region: list[float]):
    """The region as an upright grey image, resampled from wherever it lies on the scan."""
    from PIL import Image

    left, bottom, right, top = region
    quad = [*_apply(transform, left, top), *_apply(transform, left, bottom),
            *_apply(transform, right, bottom), *_apply(transform, right, top)]
    return image.transform(_sample_size(region), Image.Transform.QUAD, quad, resample=Image.Resampling.BILINEAR,
                           fillcolor=255)


def cut_box_from_pdf(pdf_path: Path, page_number: int, region: list[float]):
    """The same region from our own blank PDF, rendered at the sampling resolution."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        page = pdf[page_number - 1]
        height = page.get_height()
        scale = SAMPLE_DPI / 72
        left, bottom, right, top = region
        crop = (left, bottom, page.get_width() - right, height - top)
        image = page.render(scale=scale, grayscale=True, crop=crop).to_pil().convert("L")
        return image.resize(_sample_size(region))
    finally:
        pdf.close()


def _masks(image) -> tuple[np.ndarray, np.ndarray]:
    """Ink (dark after removing scanner speckle) and lines (anything darker than paper, unfiltered:
    the printed line is thinner than a median filter's window)."""
    from PIL import ImageFilter

    raw = np.asarray(image, dtype=np.uint8)
    cleaned = np.asarray(image.filter(ImageFilter.MedianFilter(3)), dtype=np.uint8)
    paper = float(np.percentile(cleaned, 90))
    if paper < 60:  # a black or inverted area: nothing sensible to measure
        empty = np.zeros_like(cleaned, dtype=bool)
        return empty, empty
    return cleaned < paper * 0.55, raw < paper * 0.8


def _line_rows(mask: np.ndarray) -> np.ndarray:
    return np.flatnonzero(mask.mean(axis=1) > LINE_ROW_SHARE)


def _ink_above_line(mask: np.ndarray, line_row: int) -> float:
    """Dark share above the signature line, with printed lines (rows dark across the box) left out."""
    area = mask[: max(1, line_row - 1)].copy()
    lines = area.mean(axis=1) > LINE_ROW_SHARE
    for row in np.flatnonzero(lines):
        area[max(0, row - 1): row + 2] = False
    return float(area.mean()) if area.size else 0.0


def measure_ink(scan_box, blank_box, region: list[float], box: list[float]) -> InkReading:
    """Compare the scan's box with our blank box (same size, same region)."""
    (scan_mask, scan_strokes), (blank_mask, blank_strokes) = _masks(scan_box), _masks(blank_box)
    height = scan_mask.shape[0]
    expected_line = round((region[3] - box[1]) / (region[3] - region[1]) * height)
    blank_lines = _line_rows(blank_strokes)
    blank_line = int(blank_lines[np.argmin(abs(blank_lines - expected_line))]) if blank_lines.size else expected_line
    scan_lines = _line_rows(scan_strokes)
    window = LINE_SEARCH_MM / 25.4 * SAMPLE_DPI
    near = scan_lines[abs(scan_lines - blank_line) <= window] if scan_lines.size else scan_lines
    if not near.size:
        # The printed line is not where the QR code says: a warped photo, or a box scribbled over.
        extra = float(scan_mask[:expected_line].mean() - blank_mask[:expected_line].mean())
        return InkReading("ambiguous", extra, "the signature line was not found where expected")
    scan_line = int(near[np.argmin(abs(near - blank_line))])
    extra = _ink_above_line(scan_mask, scan_line) - _ink_above_line(blank_mask, blank_line)
    if extra >= SIGNED_MIN_EXTRA_INK:
        return InkReading("signed", extra)
    if extra <= BLANK_MAX_EXTRA_INK:
        return InkReading("blank", extra)
    return InkReading("ambiguous", extra, "only a little ink in the signature box")


def signature_ink(image, corners, geometry: dict, page_number: int, reference_pdf: Path) -> InkReading:
    """Ink in the municipality's signature box of one page image whose QR corners are known."""
    qr_box = geometry["qr"].get(str(page_number))
    box = geometry["signature_box"]["box"]
    if qr_box is None:
        return InkReading("ambiguous", 0.0, "no QR position recorded for this page")
    transform = page_transform(corners, qr_box)
    region = _region(box)
    scan_box = cut_box_from_scan(image, transform, region)
    blank_box = cut_box_from_pdf(reference_pdf, page_number, region)
    return measure_ink(scan_box, blank_box, region, box)


def signature_ink_on_page(image, page_size: list[float], geometry: dict, page_number: int,
                          reference_pdf: Path) -> InkReading:
    """For a born-digital page without a readable QR code: map by the page's own size."""
    width_pt, height_pt = page_size
    scale_x, scale_y = image.size[0] / width_pt, image.size[1] / height_pt
    transform = np.array([[scale_x, 0.0, 0.0], [0.0, -scale_y, image.size[1]]])
    box = geometry["signature_box"]["box"]
    region = _region(box)
    return measure_ink(cut_box_from_scan(image, transform, region),
                       cut_box_from_pdf(reference_pdf, page_number, region), region, box)


# --- digital signatures ---------------------------------------------------------------------------


@dataclass
class DigitalResult:
    verdict: str                 # verified, needs_review, rejected
    reason: str = ""
    signers: list[dict] = field(default_factory=list)
    code: str = ""               # for the German reminder text (german.reason_in_german)


def load_trust_roots(paths: list[Path]) -> list:
    """Certificates (PEM or DER, one or many per file) the office trusts as signature roots."""
    from asn1crypto import pem, x509

    from .errors import InvalidInputError

    roots = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"{path}: cannot read trust root ({exc.strerror})") from exc
        try:
            blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
            roots.extend(x509.Certificate.load(block) for block in blocks)
            for root in roots:
                root.native  # noqa: B018 - parse now, so a broken file fails here with its name
        except Exception as exc:
            raise InvalidInputError(f"{path}: not an X.509 certificate (PEM or DER): {exc}") from exc
    return roots


def _signer_name(certificate) -> str:
    if certificate is None:
        return "unknown"
    subject = certificate.subject.native
    name = subject.get("common_name") or certificate.subject.human_friendly
    organisation = subject.get("organization_name")
    return f"{name} ({organisation})" if organisation else name


def check_digital_signature(upload_bytes: bytes, rendered_pdf: bytes, trust_roots: list) -> DigitalResult:
    """Validate every signature of a digitally signed return of our PDF."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    if not upload_bytes.startswith(rendered_pdf):
        return DigitalResult("rejected", "the digitally signed file is not our document as sent: its content was "
                                         "changed before signing (sign our PDF itself, without re-saving it)",
                             code="digital_not_ours")
    try:
        reader = PdfFileReader(io.BytesIO(upload_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:
        return DigitalResult("rejected", f"the digital signature cannot be read ({exc.__class__.__name__})",
                             code="digital_invalid")
    if not signatures:
        return DigitalResult("rejected", "the file has a signature field but no signature", code="digital_invalid")
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False) if trust_roots else None
    # Municipal signing certificates are not always marked for non-repudiation: accept digital signature too.
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    result = DigitalResult("verified", code="digitally_signed")
    for signature in signatures:
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context or ValidationContext(
                trust_roots=[], allow_fetching=False), key_usage_settings=usage)
        except SignatureValidationError as exc:
            return DigitalResult("rejected", f"the digital signature is not valid ({exc})", code="digital_invalid")
        except Exception as exc:  # a malformed signature container
            return DigitalResult("rejected", f"the digital signature cannot be checked ({exc.__class__.__name__})",
                                 code="digital_invalid")
        signer = _signer_name(status.signing_cert)
        signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
        result.signers.append({"signer": signer, "signed_at": signed_at, "field": signature.field_name,
                               "trusted": bool(status.trusted), "coverage": status.coverage.name})
        if not (status.intact and status.valid):
            return DigitalResult("rejected", "the digital signature does not match the file (the file was changed "
                                             "after signing, or the signature is broken)", result.signers,
                                 code="digital_invalid")
        if status.coverage.name not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
            return DigitalResult("rejected", "the digital signature covers only part of the file", result.signers,
                                 code="digital_partial")
        level = status.modification_level
        if level is not None and level.name not in ("NONE", "LTA_UPDATES", "FORM_FILLING"):
            return DigitalResult("rejected", "the document was changed after it was signed", result.signers,
                                 code="digital_modified")
        if not status.trusted and result.verdict == "verified":
            why = "no trusted certificates are configured" if not trust_roots else "its certificate is not trusted"
            result.verdict, result.reason = "needs_review", f"digitally signed by {signer}, but {why}"
            result.code = "digital_untrusted"
    return result
