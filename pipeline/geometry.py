"""Where a rendered document's marks are: the signature box and the QR codes, in PDF points.

Rendering measures them on the laid-out pages; check-in maps them onto a scan. The ledger stores them as
JSON (`to_json`/`from_json`, in the format every earlier round was stored in); everything else uses the
typed attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import NamedTuple


class Rect(NamedTuple):
    """A rectangle in PDF points, origin bottom left (unpacks as left, bottom, right, top)."""

    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class SignatureBox:
    page: int  # 1-based
    rect: Rect


@dataclass(frozen=True)
class Geometry:
    page_size: tuple[float, float]  # width, height in PDF points
    # None only while a layout is measured: a recorded document always has one (rendering refuses otherwise)
    signature_box: SignatureBox | None = None
    qr: dict[int, Rect] = field(default_factory=dict)  # page number (1-based) -> the QR code's square

    def to_dict(self) -> dict:
        box = self.signature_box
        return {"page_size": list(self.page_size),
                "qr": {str(page): list(rect) for page, rect in self.qr.items()},
                "signature_box": None if box is None else {"page": box.page, "box": list(box.rect)}}

    @classmethod
    def from_dict(cls, data: dict) -> Geometry:
        box = data.get("signature_box")
        return cls(page_size=(data["page_size"][0], data["page_size"][1]),
                   signature_box=None if box is None else SignatureBox(int(box["page"]), Rect(*box["box"])),
                   qr={int(page): Rect(*rect) for page, rect in data.get("qr", {}).items()})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Geometry:
        return cls.from_dict(json.loads(text))
