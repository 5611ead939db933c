"""The check-in baseline of the performance issue: identify pages as paperless-ngx's barcode splitter does.

Every page of every upload is rendered whole at 300 dpi and the whole image is searched for barcodes, in
one process. It only identifies pages (no ink check, no ledger), so it does less than `engagiert checkin`.
Usage: baseline_checkin.py INBOX  → prints the number of pages whose QR code was decoded.
"""

import sys
from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp


def main() -> None:
    decoded = pages = 0
    for path in sorted(Path(sys.argv[1]).glob("*.pdf")):
        document = pdfium.PdfDocument(str(path))
        for page in document:
            pages += 1
            image = page.render(scale=300 / 72, grayscale=True).to_pil()
            if any(code.format == zxingcpp.BarcodeFormat.QRCode for code in zxingcpp.read_barcodes(image)):
                decoded += 1
        document.close()
    print(f"{decoded} of {pages} pages decoded")


if __name__ == "__main__":
    main()
