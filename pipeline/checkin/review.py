"""The picture a person reviews: what the machine saw in a signature box that is not clearly signed.

Three panels side by side, each the box's neighbourhood as measured: the returned page (aligned on ours),
our own blank page, and what was counted: ink in the box red, faint strokes orange, typed text green,
strokes away from the box violet, a seal's ring blue, cross-out lines magenta. The box's inside is
outlined on every panel. PNG, at most 150 dpi.
"""

from __future__ import annotations

import numpy as np

MAX_DPI = 150
COLOURS = {"ink": (220, 30, 30), "faint": (255, 150, 0), "text": (20, 160, 60), "away": (150, 60, 200),
           "lines": (230, 0, 200)}


def review_picture(scan: np.ndarray, blank: np.ndarray, box: tuple[int, int, int, int],
                   layers: dict[str, np.ndarray] | None = None, circles=()) -> bytes:
    """`scan` and `blank`: the window, aligned, at the picture's resolution; `box`: the box's inside in it;
    `layers`: masks of what was counted, in the same frame; `circles`: seals found (x, y, radius)."""
    import cv2

    scan_rgb = scan if scan.ndim == 3 else np.repeat(scan[..., None], 3, axis=2)
    blank_rgb = np.repeat(blank[..., None], 3, axis=2)
    counted = (scan_rgb.astype(np.float32) * 0.35 + 255 * 0.65).astype(np.uint8)
    for name, colour in COLOURS.items():
        mask = (layers or {}).get(name)
        if mask is not None and mask.shape == counted.shape[:2]:
            counted[mask] = colour
    for x, y, radius in circles:
        cv2.circle(counted, (round(x), round(y)), round(radius), (40, 80, 230), thickness=2)
    top, bottom, left, right = box
    panels = []
    for panel, label in ((scan_rgb, "returned"), (blank_rgb, "ours, blank"), (counted, "counted")):
        panel = np.ascontiguousarray(panel.copy())
        cv2.rectangle(panel, (left, top), (right, bottom), (0, 170, 220), thickness=1)
        header = np.full((22, panel.shape[1], 3), 255, dtype=np.uint8)
        cv2.putText(header, label, (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (60, 60, 60), 1, cv2.LINE_AA)
        panels.append(np.vstack([header, panel]))
    gap = np.full((panels[0].shape[0], 8, 3), 200, dtype=np.uint8)
    picture = np.hstack([panels[0], gap, panels[1], gap, panels[2]])
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(picture, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 6])
    return encoded.tobytes() if ok else b""
