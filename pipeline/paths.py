"""Where everything lives under the output folder (``--out``), named once for every stage.

    out/ledger.sqlite, out/docid.secret
    out/<round>/documents/   rendered PDFs          out/<round>/print/      bundles and manifests
    out/<round>/received/    every upload, by hash  out/<round>/signed/     verified documents
    out/<round>/received/mail/  every mail or archive that carried uploads, by hash
    out/<round>/reminders/   .eml reminders         out/unmatched/          pages of no document
"""

from __future__ import annotations

from pathlib import Path


def round_dir(out: Path, round_id: str) -> Path:
    return Path(out) / round_id


def received_dir(out: Path, round_id: str) -> Path:
    return round_dir(out, round_id) / "received"


def mail_dir(out: Path, round_id: str) -> Path:
    """Mails and archives as received (the evidence beside the uploads they carried)."""
    return received_dir(out, round_id) / "mail"


def signed_dir(out: Path, round_id: str) -> Path:
    return round_dir(out, round_id) / "signed"


def unmatched_dir(out: Path) -> Path:
    return Path(out) / "unmatched"


def review_dir(out: Path, round_id: str) -> Path:
    """Pictures of signature boxes for the person who reviews (derived from uploads; may be rewritten)."""
    return round_dir(out, round_id) / "review"
