"""Finding our QR codes on a page image: in the corner where we printed them, then on the whole page,
then at higher resolution; or saying why none was found (a blank separator sheet, no code at all).

Speed comes from doing the cheap thing first (issue 6): the corner of a reduced decode is enough for
almost every scan.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import deferred


@dataclass
class Code:
    """One of our QR codes found on a page image: its text and its four corners in image pixels
    (top-left, top-right, bottom-right, bottom-left of the symbol as printed, whatever the rotation)."""

    text: str
    corners: list[tuple[float, float]]


def find_codes(result, image, rerender) -> None:
    """Find our QR codes on `image` for `result` (an intake.SourcePage): expected corner, whole page, then
    higher resolution (`rerender()`, if given); or say why not."""
    result.image = image
    # The image is used as stored, however the page rotates it: zxing finds codes in any orientation and
    # reports corners that carry it, which is all the signature-box mapping needs.
    for how, finder in (("qr-corner", _codes_in_corner), ("qr-page", _decode)):
        codes = finder(image)
        if codes:
            result.codes, result.how = codes, how
            return
    if rerender is not None:
        hires = rerender()
        codes = _decode(hires)
        if codes:
            result.image, result.codes, result.how = hires, codes, "qr-hires"
            return
    if result.text_ids:
        result.how = "text"
        return
    if _is_blank(image):
        result.blank = True
        result.problem = deferred("blank page")
    else:
        result.problem = deferred("no document code found on the page")


def _codes_in_corner(image) -> list[Code]:
    """Our code sits in the bottom-right corner of an upright page: try that region first (fast)."""
    width, height = image.size
    left, top = int(width * 0.62), int(height * 0.78)
    corner = image.crop((left, top, width, height))
    return [Code(code.text, [(x + left, y + top) for x, y in code.corners]) for code in _decode(corner)]


def _decode(image) -> list[Code]:
    import zxingcpp

    found = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        position = barcode.position
        corners = [(float(point.x), float(point.y)) for point in
                   (position.top_left, position.top_right, position.bottom_right, position.bottom_left)]
        found.append(Code(barcode.text, corners))
    return found


def _is_blank(image) -> bool:
    """A separator sheet: almost no dark pixels once scanner noise is filtered out."""
    from PIL import ImageFilter

    small = image.copy()
    small.thumbnail((600, 600))
    cleaned = small.filter(ImageFilter.MedianFilter(3))
    histogram = cleaned.histogram()
    total = sum(histogram)
    paper = _percentile(histogram, 0.9)
    dark = sum(histogram[: max(0, int(paper * 0.6))])
    return dark / total < 0.002


def _percentile(histogram: list[int], fraction: float) -> int:
    total, running = sum(histogram), 0
    for level, count in enumerate(histogram):
        running += count
        if running >= fraction * total:
            return level
    return 255
