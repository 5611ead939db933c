"""Paper and units: the one A4 size and the conversions between millimetres, PDF points and CSS pixels."""

from __future__ import annotations

PT_PER_MM = 72 / 25.4
MM_PER_PT = 25.4 / 72
CSS_PX_TO_PT = 0.75  # WeasyPrint lays out in CSS px (1/96 in); PDF points are 1/72 in
#: A4 in PDF points (210 × 297 mm), origin bottom left.
A4_WIDTH_PT = 210 * PT_PER_MM
A4_HEIGHT_PT = 297 * PT_PER_MM
