"""Returned copies made from the project's own rendered PDFs, the way a town hall would produce them.

Print (rasterise), sign (a drawn pen stroke inside the signature box recorded at render time), scan
(skew, noise, JPEG, grey or 1-bit), photograph (perspective warp, uneven light), stack and shuffle.
Deterministic: every random choice comes from a seeded generator.
"""

from __future__ import annotations

import io
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from pipeline.geometry import Geometry


def print_pages(pdf_path: Path, dpi: int = 200) -> list[Image.Image]:
    """The PDF as paper: one grey image per page."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        return [pdf[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(pdf))]
    finally:
        pdf.close()


def sign(page: Image.Image, box: list[float], dpi: int, seed: int = 1, size: float = 1.0,
         width_mm: float = 0.5) -> Image.Image:
    """Draw a handwritten-looking stroke in the box (PDF points, origin bottom left)."""
    rng = random.Random(seed)
    image = page.copy()
    draw = ImageDraw.Draw(image)
    scale = dpi / 72
    left, bottom, right, top = box
    x0, x1 = left * scale, right * scale
    y_top, y_bottom = image.height - top * scale, image.height - bottom * scale
    span_x = (x1 - x0) * 0.7 * size
    middle_y = y_top + (y_bottom - y_top) * 0.55
    amplitude = (y_bottom - y_top) * 0.28 * size
    start_x = x0 + (x1 - x0) * 0.1
    phase, frequency = rng.uniform(0, math.pi), rng.uniform(3.5, 6.0)
    points = []
    for step in range(200):
        t = step / 199
        x = start_x + t * span_x + math.sin(t * 40) * 3 * size
        y = middle_y + amplitude * math.sin(phase + t * frequency * math.pi) * (1 - 0.4 * t)
        points.append((x, y))
    draw.line(points, fill=25, width=max(2, round(width_mm / 25.4 * dpi)), joint="curve")
    return image


def scribble_outside(page: Image.Image, dpi: int) -> Image.Image:
    """Ink on the page that is not in the box (a note in the margin): must not count as a signature."""
    image = page.copy()
    ImageDraw.Draw(image).line([(dpi * 0.3, dpi * 1), (dpi * 2, dpi * 1.3)], fill=20, width=4)
    return image


def skew(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def noise(image: Image.Image, amount: int = 18, seed: int = 2) -> Image.Image:
    """Scanner noise: grain over the page and dark dust specks."""
    rng = random.Random(seed)
    pixels = image.copy()
    draw = ImageDraw.Draw(pixels)
    for _ in range(image.width * image.height // 20000):  # dust specks
        x, y = rng.randrange(image.width), rng.randrange(image.height)
        draw.point((x, y), fill=rng.randrange(0, 90))
    return Image.blend(pixels, Image.effect_noise(image.size, amount).convert("L"), 0.08)


def photograph(image: Image.Image, seed: int = 3, perspective: float = 0.035) -> Image.Image:
    """A phone photo: perspective (each corner moved by up to `perspective` of the frame), uneven light,
    some blur; RGB."""
    rng = random.Random(seed)
    width, height = image.size
    canvas = Image.new("L", (int(width * 1.2), int(height * 1.15)), 120)
    canvas.paste(image, (int(width * 0.1), int(height * 0.07)))
    w, h = canvas.size
    jitter = [rng.uniform(0.0, perspective) for _ in range(8)]
    quad = (jitter[0] * w, jitter[1] * h, jitter[2] * w, h - jitter[3] * h,
            w - jitter[4] * w, h - jitter[5] * h, w - jitter[6] * w, jitter[7] * h)
    warped = canvas.transform((w, h), Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC, fillcolor=90)
    gradient = Image.linear_gradient("L").resize((w, h)).rotate(rng.uniform(0, 360))
    lit = Image.composite(warped, warped.point(lambda v: int(v * 0.72)), gradient)
    return lit.filter(ImageFilter.GaussianBlur(0.8)).convert("RGB")


def to_pdf(images: list[Image.Image], path: Path, dpi: int = 200, kind: str = "jpeg", quality: int = 70) -> Path:
    """Pages into a PDF as a scanner writes it: JPEG (DCT), 1-bit (CCITT G4) or lossless (Flate)."""
    prepared = []
    for image in images:
        if kind == "g4":
            prepared.append(image.convert("L").point(lambda v: 255 if v > 150 else 0).convert("1"))
        elif kind == "flate":
            prepared.append(image.convert("L").convert("P"))  # palette images are stored with Flate
        else:
            prepared.append(image)
    buffer = io.BytesIO()
    options = {"quality": quality} if kind == "jpeg" else {}
    prepared[0].save(buffer, format="PDF", save_all=True, append_images=prepared[1:], resolution=dpi, **options)
    path.write_bytes(buffer.getvalue())
    return path


def to_jpeg(image: Image.Image, path: Path, quality: int = 80) -> Path:
    image.convert("RGB").save(path, format="JPEG", quality=quality)
    return path


def to_tiff(images: list[Image.Image], path: Path, dpi: int = 200) -> Path:
    images[0].save(path, format="TIFF", save_all=True, append_images=images[1:], compression="tiff_lzw",
                   dpi=(dpi, dpi))
    return path


def qr_image(payload: str, scale: int = 4) -> Image.Image:
    """A QR code (error level Q, with its quiet zone) as a grey image, made the way documents make theirs."""
    from pipeline.render.qr import make_qr

    return Image.fromarray(make_qr(payload).to_image(scale=scale, add_quiet_zones=True)).convert("L")


def blank_page(dpi: int = 200) -> Image.Image:
    return Image.new("L", (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)), 250)


def signed_scan(pdf_path: Path, geometry: Geometry, dpi: int = 200, seed: int = 1, signed: bool = True,
                angle: float = 0.0) -> list[Image.Image]:
    """Both pages, printed, signed in the box (unless `signed` is False), scanned at a slight angle."""
    pages = print_pages(pdf_path, dpi)
    box = geometry.signature_box
    if signed:
        pages[box.page - 1] = sign(pages[box.page - 1], box.rect, dpi, seed=seed)
    return [skew(page, angle) if angle else page for page in pages]


def sixteen_bit(page: Image.Image) -> Image.Image:
    """A grey page as a scanner's 16-bit PNG or TIFF holds it: black at 25 of 255 (no scan is pure black)."""
    import numpy as np

    values = np.asarray(page.convert("L"), dtype=np.uint16) * 230 // 255 + 25
    return Image.fromarray(values * 257)


def to_pdf_inverted_jpeg(image: Image.Image, path: Path, dpi: int = 200) -> Path:
    """A scan as some scanners store it: the JPEG holds the negative (white ink on black paper) and the
    image's /Decode [1 0] tells a viewer to invert it back."""
    from PIL import ImageOps

    grey = image.convert("L")
    buffer = io.BytesIO()
    ImageOps.invert(grey).save(buffer, format="JPEG", quality=85)
    jpeg = buffer.getvalue()
    width_pt, height_pt = grey.width / dpi * 72, grey.height / dpi * 72
    content = f"q {width_pt:.2f} 0 0 {height_pt:.2f} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:.2f} {height_pt:.2f}] "
        f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode(),
        f"<< /Type /XObject /Subtype /Image /Width {grey.width} /Height {grey.height} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 8 /Decode [1 0] /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode()
        + jpeg + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer << /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def on_transparency(image: Image.Image) -> Image.Image:
    """The page as a drawing program saves a signature 'without background': black strokes on transparent
    black paper (the ink is in the alpha channel only)."""
    from PIL import ImageOps

    alpha = ImageOps.invert(image.convert("L"))
    black = Image.new("RGBA", image.size, (0, 0, 0, 0))
    black.putalpha(alpha)
    return black


def to_heic(image: Image.Image, path: Path, quality: int = 90) -> Path:
    """A phone photo as an iPhone saves it (HEIC), written with pillow-heif."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    image.convert("RGB").save(path, format="HEIF", quality=quality)
    return path


def paste_code(target: Image.Image, source: Image.Image, qr_box: list[float], dpi: int,
               margin_px: int = 6) -> Image.Image:
    """`source`'s QR code (at `qr_box`, PDF points) cut out and pasted over `target`'s: another town's code
    stuck on a signed page."""
    left, bottom, right, top = qr_box
    scale, height = dpi / 72, target.height
    box = (int(left * scale) - margin_px, int(height - top * scale) - margin_px,
           int(right * scale) + margin_px, int(height - bottom * scale) + margin_px)
    pasted = target.copy()
    pasted.paste(source.crop(box), box)
    return pasted


def blot_code(page: Image.Image, qr_box: list[float], dpi: int) -> Image.Image:
    """The QR code covered by a dark stain, unreadable."""
    left, bottom, right, top = qr_box
    scale = dpi / 72
    blotted = page.copy()
    ImageDraw.Draw(blotted).rectangle((left * scale - 4, page.height - top * scale - 4, right * scale + 4,
                                       page.height - bottom * scale + 4), fill=40)
    return blotted
