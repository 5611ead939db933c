"""Returned copies for the recognition benchmark, made from our rendered PDFs the way town halls make them.

A case is one returned document: what is in its signature box (its category: a signature, nothing, or a
mark that is not a signature) and how it came back (scanner or phone, resolution, colour, compression,
skew, damage to the QR code, page order, stacks). `plan` draws every choice from the case's seed, `make`
draws the pages and writes the upload(s). Pure functions of the seed: the same benchmark every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from pipeline.geometry import Geometry
from tests import marks

INK_WEIGHTS = {"black": 18, "blue": 22, "light_blue": 15, "pencil": 10, "light_pencil": 5, "felt_black": 5,
               "felt_blue": 5, "violet": 5, "grey_150": 10}
NAMES = ["Anna Beispiel", "Dr. Jan Muster", "Eva Exempel-Schmitz", "Tim Probe", "Maria Schmitz", "Prof. Dr. Udo Weber"]


@dataclass
class Doc:
    doc_id: str
    pdf: str
    geometry: Geometry


@dataclass
class Case:
    index: int
    category: str                 # signed, unsigned, or a mark: seal_only, typed_text, crossed_out, filled,
                                  # tick, picture, white_out
    doc: Doc
    choices: dict = field(default_factory=dict)
    members: list[Case] = field(default_factory=list)   # further documents in the same stack

    def describe(self) -> str:
        c = self.choices
        how = "photo" if c["photo"] else f"{c['dpi']} dpi {c['mode']} {c['format']}"
        bits = [how, f"skew {c['skew']:+.1f}°", c["layout"]] + [k for k in ("stain_qr", "torn", "no_id", "upside_down")
                                                                if c.get(k)]
        if self.category == "signed":
            bits.insert(0, f"{c['ink']} {c['width']:.2f} mm {c['size']} {c['placement']}"
                        + (" +seal" if c.get("with_seal") else "") + (" pen-tool" if c.get("pen_tool") else ""))
        return ", ".join(bits)


def _weighted(rng: random.Random, weights: dict) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan(case: Case, seed: int) -> None:
    """Draw how this copy was signed, marked and returned."""
    rng = random.Random(seed)
    c = case.choices
    c["photo"] = case.category not in ("picture", "white_out") and rng.random() < 0.15
    scanner_dpi = {150: 20, 200: 30, 300: 33, 400: 7, 600: 10}
    c["dpi"] = rng.choice([200, 230, 260]) if c["photo"] else _weighted(rng, scanner_dpi)
    c["mode"] = "colour" if c["photo"] else _weighted(rng, {"colour": 30, "grey": 50, "1bit": 20})
    c["format"] = ("jpeg" if c["photo"] else "g4" if c["mode"] == "1bit" else
                   _weighted(rng, {"jpeg": 80, "flate": 20}) if c["dpi"] <= 300 else "jpeg")
    c["quality"] = rng.randint(40, 95)
    c["skew"] = rng.uniform(-1.5, 1.5) if rng.random() < 0.6 else rng.uniform(-5, 5)
    c["upside_down"] = not c["photo"] and rng.random() < 0.05
    c["layout"] = _weighted(rng, {"page2": 76, "both": 8, "reversed": 5, "stack": 5, "tiff": 6})
    if c["photo"] or case.category in ("picture", "white_out"):
        c["layout"] = "page2" if rng.random() < 0.8 else "both"
    if c["layout"] == "tiff" and c["mode"] == "colour":
        c["mode"] = "grey"
    c["stain_qr"] = rng.random() < 0.06
    c["torn"] = not c["stain_qr"] and not c["photo"] and rng.random() < 0.03
    # QR code and id line unreadable: only where another page of the same file identifies the document
    # (a phone sends one file per page, and such a page cannot be matched to anything: by design).
    c["no_id"] = c["layout"] in ("both", "reversed") and not c["photo"] and rng.random() < 0.25
    c["seed"] = seed
    if case.category == "signed":
        c["ink"] = _weighted(rng, INK_WEIGHTS)
        c["width"] = rng.uniform(0.6, 1.0) if c["ink"].startswith("felt") else rng.uniform(0.3, 0.8)
        c["size"] = "initials" if rng.random() < 0.2 else "full"
        c["placement"] = _weighted(rng, {"inside": 72, "crossing": 18, "above": 10})
        c["with_seal"] = rng.random() < 0.12
        c["pen_tool"] = not c["photo"] and c["layout"] == "page2" and rng.random() < 0.04


# --- drawing the marks ---------------------------------------------------------------------------------------


def render(pdf: str, index: int, dpi: float, colour: bool) -> Image.Image:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[index].render(scale=dpi / 72, grayscale=not colour, rev_byteorder=True)
        return bitmap.to_pil().convert("RGB" if colour else "L")
    finally:
        document.close()


def signature_strokes(rng: random.Random, size: str):
    if size == "initials":
        width, height = rng.uniform(9, 20), rng.uniform(6, 13)
        return marks.handwriting(rng, width, height, letters=rng.randint(1, 3), underline=False), width, height
    width, height = rng.uniform(30, 65), rng.uniform(9, 19)
    return marks.handwriting(rng, width, height), width, height


def _place(rng: random.Random, box_mm: tuple[float, float], size: tuple[float, float], placement: str):
    """Top-left of the signature in mm from the box's top-left."""
    box_width, box_height = box_mm
    width, height = size
    x = rng.uniform(1.5, max(1.6, box_width - width - 1.5))
    if placement == "crossing":
        return x, box_height - height + rng.uniform(2.0, min(8.0, height * 0.5))
    if placement == "above":
        return x, -rng.uniform(1.5, min(6.0, height * 0.4))
    return x, rng.uniform(0.5, max(0.6, box_height - height - 0.5))


def mark_page(case: Case, page: Image.Image, dpi: float, rng: random.Random) -> Image.Image:
    """Whatever the category puts into the signature box of the page image."""
    c, scale = case.choices, dpi / 25.4
    left, top, right, bottom = marks.box_in_pixels(case.doc.geometry.signature_box.rect, page.height, dpi)
    box_mm = ((right - left) / scale, (bottom - top) / scale)
    category = case.category
    if category in ("signed", "white_out") or (category == "crossed_out" and rng.random() < 0.35):
        ink = marks.INKS[c.get("ink", "blue")]
        strokes, width, height = signature_strokes(rng, c.get("size", "full"))
        x, y = _place(rng, box_mm, (width, height), c.get("placement", "inside"))
        if not c.get("pen_tool"):
            page = marks.draw_strokes(page, strokes, (left + x * scale, top + y * scale), dpi, ink,
                                      c.get("width", 0.5), rng)
        else:
            c["pen_strokes"] = [(stroke + (x, y)).tolist() for stroke in strokes]
        if c.get("with_seal"):
            # Stamped beside the signature, over its edge, as offices do (a seal that covers a whole
            # signature hides it: that copy goes to review, by design).
            radius = rng.uniform(10, 18)
            middle = x + width / 2
            side = -1 if middle > box_mm[0] / 2 else 1
            centre_x = left + (middle + side * (width / 2 + radius * rng.uniform(0.3, 0.8))) * scale
            centre_y = top + (box_mm[1] / 2 + rng.uniform(-8, 10)) * scale
            page = marks.seal(page, (centre_x, centre_y), radius, dpi, rng,
                              colour=rng.choice([(60, 60, 170), (110, 50, 150), (40, 40, 40)]))
    if category == "seal_only":
        centre = (left + rng.uniform(0.3, 0.7) * (right - left), top + rng.uniform(0.2, 0.9) * (bottom - top))
        page = marks.seal(page, centre, rng.uniform(10, 19), dpi, rng,
                          colour=rng.choice([(60, 60, 170), (110, 50, 150), (40, 40, 40)]))
    elif category == "typed_text":
        points = rng.uniform(9, 12)
        x, y = left + rng.uniform(2, 15) * scale, top + rng.uniform(4, 12) * scale
        page = marks.typed_text(page, f"gez. {rng.choice(NAMES)}", (x, y), dpi, points)
        if rng.random() < 0.3:
            page = marks.typed_text(page, "Bürgermeisterin", (x, y + points / 72 * dpi * 1.4), dpi, points)
    elif category == "crossed_out":
        lines = marks.cross_out(box_mm[0], box_mm[1], rng, both=rng.random() < 0.75)
        page = marks.draw_strokes(page, lines, (left, top), dpi, marks.INKS[rng.choice(["black", "blue"])],
                                  rng.uniform(0.4, 0.9), rng)
    elif category == "filled":
        inset = rng.uniform(0, 3) * scale
        page = marks.filled(page, (left + inset, top + inset, right - inset, bottom - inset), rng)
    elif category == "tick":
        size = rng.uniform(4, 9)
        x, y = rng.uniform(5, box_mm[0] - 12), rng.uniform(2, box_mm[1] - size - 1)
        page = marks.draw_strokes(page, marks.tick(rng, size), (left + x * scale, top + y * scale), dpi,
                                  marks.INKS[rng.choice(["black", "blue", "pencil"])], rng.uniform(0.3, 0.7), rng)
    return page


def damage_id(case: Case, page: Image.Image, dpi: float, rng: random.Random, number: int) -> Image.Image:
    """A stained or torn QR code (the printed id line stays legible), or both unreadable."""
    c = case.choices
    qr = case.doc.geometry.qr[number]
    left, top, right, bottom = marks.box_in_pixels(qr, page.height, dpi)
    centre = ((left + right) / 2, (top + bottom) / 2)
    if c["stain_qr"] or c["no_id"]:   # an ink blot or sticker, or a dark coffee stain, over the code
        opaque = rng.random() < 0.6
        page = marks.stain(page, (centre[0] + rng.uniform(-5, 5), centre[1] + rng.uniform(-5, 5)),
                           (right - left) * rng.uniform(0.5, 0.65), rng, opaque=opaque,
                           colour=(rng.randint(20, 90),) * 3 if opaque else (70, 45, 25))
    if c["torn"]:
        page = marks.tear_corner(page, (page.width - 1, page.height - 1), (page.width - left) * 1.1, rng, fill=255)
    if c["no_id"]:   # the id line smeared too (a wet thumb across the bottom left)
        line_y = top + (bottom - top) * 0.55
        page = marks.stain(page, (62 * dpi / 25.4, line_y), 14 * dpi / 25.4, rng, colour=(60, 60, 60), opaque=True)
    return page


# --- one case, written into the inbox --------------------------------------------------------------------------


def make(case: Case, inbox: Path) -> list[tuple[str, int, bool]]:
    """Write the case's upload(s) into `inbox`. Returns the pages sent: (doc id, page, identifiable)."""
    from bench import scanner
    from tests import pdfedit

    c = case.choices
    rng = random.Random(c["seed"] * 7 + 1)
    stem = inbox / f"case-{case.index:04d}"
    if case.category == "picture":
        return _pasted_picture(case, stem, rng)
    if c.get("pen_tool") or case.category == "white_out":
        c["skew"], c["upside_down"] = 0.0, False      # the editor draws in the page's own coordinates
    dpi = c["dpi"]
    colour = c["mode"] == "colour" or c["photo"]
    numbers = [2] if c["layout"] == "page2" else [1, 2]
    pages, sent = [], []
    for member in [case, *case.members]:
        member_pages = []
        for number in numbers:
            page = render(member.doc.pdf, number - 1, dpi, colour=True)
            if number == 2:
                page = mark_page(member, page, dpi, rng)
                page = damage_id(member if member is case else _undamaged(member, case), page, dpi, rng, number)
            if not colour:
                page = page.convert("L")
            member_pages.append(page)
            sent.append((member.doc.doc_id, number, not (number == 2 and c["no_id"] and member is case)))
        pages += member_pages[::-1] if c["layout"] == "reversed" else member_pages
        if c["layout"] == "stack" and rng.random() < 0.5:
            pages.append(Image.new("L" if not colour else "RGB", pages[-1].size, (250,) * (3 if colour else 1)))
    shot = [scanner.photograph(page, c, rng) if c["photo"] else scanner.scan(page, c, rng, dpi) for page in pages]
    paths = scanner.write(shot, stem, c, dpi)
    if c.get("pen_tool") and paths[0].suffix == ".pdf":
        box = case.doc.geometry.signature_box.rect
        strokes = [[(box[0] + x * 72 / 25.4, box[3] - y * 72 / 25.4) for x, y in stroke]
                   for stroke in c["pen_strokes"]]
        pdfedit.edit_pdf(paths[0], numbers.index(2), ink_strokes=strokes, width=rng.uniform(0.8, 2.0))
    if case.category == "white_out":
        left, bottom, right, top = case.doc.geometry.signature_box.rect
        pdfedit.edit_pdf(paths[0], numbers.index(2), white_box=[left - 4, bottom + 1, right + 4, top + 8])
    return sent


def _undamaged(member: Case, head: Case) -> Case:
    """Stack members keep their QR codes (only the case itself carries the damage drawn for it)."""
    choices = dict(member.choices, stain_qr=False, torn=False, no_id=False)
    return Case(member.index, member.category, member.doc, choices)


def _pasted_picture(case: Case, stem: Path, rng: random.Random) -> list[tuple[str, int, bool]]:
    """Our born-digital PDF with a picture of a signature pasted into the box."""
    from tests import pdfedit

    dpi = 200
    strokes, width, height = signature_strokes(rng, "full")
    picture = Image.new("RGB", (round((width + 4) * dpi / 25.4), round((height + 4) * dpi / 25.4)), (255, 255, 255))
    picture = marks.draw_strokes(picture, strokes, (2 * dpi / 25.4, 2 * dpi / 25.4), dpi,
                                 marks.INKS[rng.choice(["black", "blue"])], rng.uniform(0.4, 0.8), rng)
    left, bottom, right, top = case.doc.geometry.signature_box.rect
    at = (left + rng.uniform(2, 10) * 72 / 25.4, bottom + rng.uniform(1, 4) * 72 / 25.4)
    only_page = case.choices["layout"] == "page2"
    pdfedit.paste_picture(case.doc.pdf, 1, picture, at, dpi, stem.with_suffix(".pdf"), only_page)
    return [(case.doc.doc_id, 2, True)] + ([] if only_page else [(case.doc.doc_id, 1, True)])
