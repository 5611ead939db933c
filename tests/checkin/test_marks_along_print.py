"""Initials beside a piece of our own signature line seen a little off (marks.py): the line is our print,
the initials are a signature."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from pipeline.checkin.marks import look

from .. import marks

DPI = 200
SCALE = DPI / 25.4
BOX = (round(4 * SCALE), round(28 * SCALE), round(4 * SCALE), round(84 * SCALE))   # top, bottom, left, right
LINE = BOX[1] + 2


def _blank() -> np.ndarray:
    page = np.full((round(34 * SCALE), round(88 * SCALE)), 255, dtype=np.uint8)
    page[LINE: LINE + 2, 2: -2] = 30                          # our signature line
    return page


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_initials_beside_our_line_seen_off_are_a_signature(seed):
    scan = np.minimum(_blank(), 244)
    below = LINE + round(1.4 * SCALE)                         # the line's right end, seen 1.4 mm lower
    scan[below: below + 2, round(55 * SCALE): round(84 * SCALE)] = 40
    initials = marks.handwriting(random.Random(seed), 12, 9, letters=2, underline=False)
    picture = marks.draw_strokes(Image.fromarray(scan), initials, (BOX[2] + 4 * SCALE, BOX[0] + 8 * SCALE), DPI,
                                 marks.INKS["blue"], 0.5, random.Random(seed + 10))
    seen = look(np.asarray(picture), _blank(), DPI, BOX)
    assert (seen.verdict, seen.code) == ("signed", "signature"), seen.note


def test_our_line_seen_off_alone_is_not():
    scan = np.minimum(_blank(), 244)
    below = LINE + round(1.4 * SCALE)
    scan[below: below + 2, round(55 * SCALE): round(84 * SCALE)] = 40
    assert look(scan, _blank(), DPI, BOX).verdict != "signed"
