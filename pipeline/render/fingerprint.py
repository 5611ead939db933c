"""What a document prints, and its fingerprint: the same fingerprint means the same document.

A row whose printed fields and templates are unchanged is not rendered again; any change makes a new
version. Dispatch uses the same fingerprint to tell whether a corrected address row still matches the
rendered document.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import german
from ..round import RoundConfig
from ..signatories import Signatory
from ..templating import TEMPLATES_DIR

DOCUMENT_TEMPLATE = "erklaerung.html.j2"
STYLESHEET = "style.css"


def templates_digest(templates_dir: Path = TEMPLATES_DIR) -> str:
    """sha256 over every template file: a changed template makes every document a new version."""
    digest = hashlib.sha256()
    templates_dir = Path(templates_dir)
    document_files = [templates_dir / DOCUMENT_TEMPLATE, templates_dir / STYLESHEET,
                      *sorted((templates_dir / "partials").glob("*"))]
    for path in document_files:
        if path.is_file():
            digest.update(path.relative_to(templates_dir).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def printed_fields(signatory: Signatory, round_cfg: RoundConfig) -> dict:
    """Everything that ends up on paper; its hash (with the templates') is the document's fingerprint."""
    cosignatory = round_cfg.cosignatory
    return {
        "ags": signatory.ags,
        "bezeichnung": signatory.bezeichnung,
        "office": signatory.office,
        "signer_name": signatory.signer_name,
        "signers_sentence": german.signers_sentence(cosignatory.gender, signatory.gender),
        "place_date": round_cfg.place_date,
        "date": round_cfg.date.isoformat(),
        "title": round_cfg.title,
        "cosignatory_name": cosignatory.name,
        "cosignatory_office": cosignatory.office,
        "cosignatory_office_line2": cosignatory.office_line2,
        "cosignatory_heading": cosignatory.heading or f"der {cosignatory.office}",
        "facsimile_sha256": (hashlib.sha256(cosignatory.facsimile.read_bytes()).hexdigest()
                             if cosignatory.facsimile else ""),
    }


def fingerprint(fields: dict, templates_sha: str) -> str:
    payload = json.dumps(fields, ensure_ascii=False, sort_keys=True) + templates_sha
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
