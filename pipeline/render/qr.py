"""The QR code printed on every page: encoded by zxing-cpp, drawn as PDF operators or inline SVG."""

from __future__ import annotations

import itertools

from ..geometry import Rect


def make_qr(payload: str):
    """The page's QR code (error level Q, so a quarter of it may be stained or torn), encoded by
    zxing-cpp (its writer is Zint), the library check-in reads codes with: 0.1 ms a code, where a
    pure-Python encoder (segno) took 1 ms or more."""
    import zxingcpp

    return zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode, ec_level="Q")


def qr_modules(payload: str) -> list[list[bool]]:
    """The code's modules, row by row, True = dark, without the quiet zone."""
    import numpy as np

    return (np.asarray(make_qr(payload).to_image(scale=1, add_quiet_zones=False)) < 128).tolist()


def qr_operators(payload: str, box: Rect) -> bytes:
    """A QR code as PDF path operators filling `box` (PDF points): one rectangle per run of dark modules,
    the same rectangles as the SVG path of the single-pass rendering, without WeasyPrint parsing and
    re-serialising an SVG path of several hundred segments per page. The rectangles are in modules
    (integers), rows counted downwards from the box's top left corner; one matrix scales them."""
    modules = qr_modules(payload)
    left, bottom, right, top = box
    module = (right - left) / len(modules)
    operators = [b"q 0 0 0 rg %.4f 0 0 %.4f %.3f %.3f cm" % (module, -module, left, top)]
    for row_index, row in enumerate(modules):
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                operators.append(b"%d %d %d 1 re" % (column, row_index, length))
            column += length
    operators.append(b"f Q\n")
    return b"\n".join(operators)


def qr_svg(payload: str) -> str:
    """The code as inline SVG for the single-pass mode; CSS sizes it to 20 mm."""


    svg = make_qr(payload).to_svg(add_quiet_zones=False)
    # Inline: without the XML declaration and DOCTYPE, and without the group's id, which would be
    # on every page twice.
    return svg[svg.index("<svg"):].replace(' id="barcode"', "")
