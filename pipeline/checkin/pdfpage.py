"""What a PDF page shows, as cheaply as it can be had: its layers (one scan covering the page, and
whether anything visible lies over it), its scan decoded as stored (reduced for finding codes, in full for
measuring ink), or the page rendered as a viewer shows it, annotations included.
"""

from __future__ import annotations

import io
from dataclasses import dataclass


@dataclass
class Layers:
    scan: object | None = None     # the one image covering the page, if there is one
    dpi: float | None = None       # its resolution (of the largest image, if several cover the page)
    overlays: bool = False         # anything visible besides it: annotations, text, paths, other images


def layers_of(page, width_pt: float, height_pt: float) -> Layers:
    """What the page is made of. Invisible text (a scanner's OCR layer) and links do not show."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    layers, images = Layers(), []
    for index in range(pdfium_c.FPDFPage_GetAnnotCount(page.raw)):
        annotation = pdfium_c.FPDFPage_GetAnnot(page.raw, index)
        subtype = pdfium_c.FPDFAnnot_GetSubtype(annotation)
        pdfium_c.FPDFPage_CloseAnnot(annotation)
        if subtype not in (pdfium_c.FPDF_ANNOT_LINK, pdfium_c.FPDF_ANNOT_POPUP):
            layers.overlays = True
    try:
        for item in page.get_objects(max_depth=3):
            if item.type == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                images.append(item)
            elif item.type == pdfium_c.FPDF_PAGEOBJ_TEXT:
                if pdfium_c.FPDFTextObj_GetTextRenderMode(item.raw) != pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE:
                    layers.overlays = True
            elif item.type != pdfium_c.FPDF_PAGEOBJ_FORM:
                layers.overlays = True
    except pdfium.PdfiumError:
        layers.overlays = True
    covered, largest = 0.0, (0.0, None)
    for image in images:
        try:
            left, bottom, right, top = image.get_bounds()
            pixel_width, _ = image.get_px_size()
        except (pdfium.PdfiumError, AttributeError):
            layers.overlays = True
            continue
        area = (right - left) * (top - bottom)
        covered += area
        if area > largest[0]:
            largest = (area, image)
            layers.dpi = pixel_width / max((right - left) / 72, 1e-6)
    page_area = width_pt * height_pt
    if largest[0] >= 0.8 * page_area:
        layers.scan = largest[1]
        layers.overlays |= len(images) > 1
    elif covered >= 0.8 * page_area:
        layers.overlays = True       # a scan stored as strips or tiles: render it
    else:
        layers.dpi = None            # drawn, maybe with a small picture (a pasted signature): born digital
        layers.overlays = True
    return layers


# An image XObject with one of these is not shown as its stored pixels: /Decode [1 0] inverts it (and a
# 1-bit image's BlackIs1 is often written as one), a soft mask or colour key lays it over the page.
NOT_AS_STORED = ("/Decode", "/SMask", "/Mask", "/ImageMask")


def images_shown_as_stored(reader, index: int) -> bool:
    """Whether the images of page `index` (a pypdf reader of the upload) are what a viewer shows as they
    are stored. If not, or if the page cannot be looked at, the page is rendered by PDFium, which applies
    what the file asks for, rather than decoded here by hand."""
    try:
        resources = reader.pages[index].get("/Resources") or {}
        objects = resources.get_object().get("/XObject") or {}
        for reference in objects.get_object().values():
            item = reference.get_object()
            if item.get("/Subtype") == "/Image" and any(key in item for key in NOT_AS_STORED):
                return False
        return True
    except Exception:  # noqa: BLE001 - a page pypdf cannot follow: render it, as a viewer would
        return False


def decode_scan(image, dpi: float | None, max_pixels: int, reduced: bool):
    """The scan as stored: for finding codes, grey and (JPEG) decoded at reduced size; for measuring,
    in colour at up to ~300 dpi (as a numpy array). Returns None if pdfium cannot decode it alone (odd
    colour space: the page is rendered instead), or a string saying why it is refused."""
    import numpy as np
    import pypdfium2 as pdfium

    try:
        pixel_width, pixel_height = image.get_px_size()
    except (pdfium.PdfiumError, AttributeError):
        return None
    if pixel_width * pixel_height > max_pixels:
        return (f"the page image is {pixel_width} × {pixel_height} pixels, more than the limit of "
                f"{max_pixels / 1e6:.0f} megapixels")
    from PIL import Image

    dpi = dpi or 200
    try:
        if image.get_filters() == ["DCTDecode"]:
            picture = Image.open(io.BytesIO(bytes(image.get_data(decode_simple=False))))
            # JPEG decodes at 1/2, 1/4, 1/8 size almost for free. Codes: aim for ~100 dpi (a 2 cm QR code is
            # then ~80 px, enough for zxing; _identify goes back to full size if it is not found). Ink: keep
            # up to 300 dpi, where a 0.2 mm pen is still 2 pixels wide.
            if reduced:
                scale = max(1, int(dpi // 100))
                picture.draft("L", (pixel_width // scale, pixel_height // scale))
                if picture.mode == "L":
                    picture.load()
                    return picture   # already grey: no copy
                return picture.convert("L")
            return decode_jpeg(bytes(image.get_data(decode_simple=False)), picture.mode, dpi)
        else:
            picture = image.get_bitmap(render=False).to_pil()
            if reduced:
                return picture.convert("L")
        return np.asarray(picture.convert("RGB" if picture.mode not in ("L", "1", "P") else "L"))
    except Exception:  # an image pdfium cannot decode alone (odd colour space): render the page
        return None


def decode_jpeg(data: bytes, mode: str, dpi: float):
    """A whole JPEG at up to ~300 dpi (1/2 size from 600 dpi on), grey or RGB as it was scanned."""
    import cv2
    import numpy as np

    half = dpi >= 600
    if mode in ("L", "1"):
        flag = cv2.IMREAD_REDUCED_GRAYSCALE_2 if half else cv2.IMREAD_GRAYSCALE
    else:
        flag = (cv2.IMREAD_REDUCED_COLOR_2 if half else cv2.IMREAD_COLOR_RGB)
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    if pixels is None:
        raise ValueError("JPEG not decodable")
    if half and pixels.ndim == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    return pixels


def render(page, dpi: float, colour: bool = False):
    """The page as a viewer shows it (annotations and form fields drawn): grey PIL image, or an RGB array."""
    bitmap = page.render(scale=dpi / 72, grayscale=not colour, may_draw_forms=True, draw_annots=True,
                         rev_byteorder=colour)
    if not colour:
        return bitmap.to_pil().convert("L")
    return bitmap.to_numpy()[..., :3].copy()


def reduced_grey(pixels, dpi: float | None):
    """A full decode made small for finding codes (~100 dpi), as the reduced decode would have been."""
    import cv2
    import numpy as np
    from PIL import Image

    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    scale = max(1, int((dpi or 200) * grey.shape[1] / max(grey.shape[1], 1) // 100))
    if scale > 1:   # every n-th pixel: QR modules are several pixels wide, and averaging costs more
        grey = np.ascontiguousarray(grey[::scale, ::scale])
    return Image.fromarray(grey)


def grey_image(pixels):
    from PIL import Image

    return Image.fromarray(pixels).convert("L")


def open_image(path):
    """An image file opened with Pillow, HEIC/HEIF (an iPhone's photos) included."""
    from PIL import Image

    _register_heif()
    return Image.open(path)


def _register_heif() -> None:
    import pillow_heif

    if not getattr(_register_heif, "done", False):
        pillow_heif.register_heif_opener()
        _register_heif.done = True


def on_paper(image):
    """The frame as it looks on paper: 8 bits per sample (eight_bit), and a transparent picture (a PNG,
    TIFF or WebP with an alpha channel or a transparent palette colour) laid on white. Pillow's plain
    conversion drops the alpha channel, and a signature saved on transparency, black strokes on
    transparent black, came out as a black page."""
    from PIL import Image

    image = eight_bit(image)
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB" if image.mode[0] in "RP" else "L")
    return image


def eight_bit(image):
    """The image with 8 bits per sample. Pillow turns 16- and 32-bit integer images (a scanner's 16-bit grey
    PNG or TIFF) into 8 bits by clipping, not scaling: all but the darkest pixels came out white, and a
    signed page was read as blank. Scaled down here instead."""
    if not image.mode.startswith("I"):
        return image
    import numpy as np
    from PIL import Image

    values = np.asarray(image)
    if image.mode.startswith("I;16") or values.max(initial=0) > 255:
        values = values // 257
    return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8))
