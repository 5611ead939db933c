"""Digital signatures: is a digitally signed return our document, intact, and signed by someone we trust?

pyHanko checks that each signature is intact and covers the file, that nothing but form filling or
further signatures was added afterwards, and that the signed file starts with exactly the bytes we
rendered (an incremental update of our PDF). A signer whose certificate does not chain to a configured
trust root is "needs review", never "verified".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError


@dataclass
class DigitalResult:
    verdict: str                 # verified, needs_review, rejected
    reason: str = ""
    signers: list[dict] = field(default_factory=list)
    code: str = ""               # for the German reminder text (german.reason_in_german)


def load_trust_roots(paths: list[Path]) -> list:
    """Certificates (PEM or DER, one or many per file) the office trusts as signature roots."""
    from asn1crypto import pem, x509


    roots = []
    for path in paths:
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"{path}: cannot read trust root ({exc.strerror})") from exc
        try:
            blocks = [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
            roots.extend(x509.Certificate.load(block) for block in blocks)
            for root in roots:
                root.native  # noqa: B018 - parse now, so a broken file fails here with its name
        except Exception as exc:
            raise InvalidInputError(f"{path}: not an X.509 certificate (PEM or DER): {exc}") from exc
    return roots


def _signer_name(certificate) -> str:
    if certificate is None:
        return "unknown"
    subject = certificate.subject.native
    name = subject.get("common_name") or certificate.subject.human_friendly
    organisation = subject.get("organization_name")
    return f"{name} ({organisation})" if organisation else name


def check_digital_signature(upload_bytes: bytes, rendered_pdf: bytes, trust_roots: list) -> DigitalResult:
    """Validate every signature of a digitally signed return of our PDF."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    if not upload_bytes.startswith(rendered_pdf):
        return DigitalResult("rejected", "the digitally signed file is not our document as sent: its content was "
                                         "changed before signing (sign our PDF itself, without re-saving it)",
                             code="digital_not_ours")
    try:
        reader = PdfFileReader(io.BytesIO(upload_bytes), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:
        return DigitalResult("rejected", f"the digital signature cannot be read ({exc.__class__.__name__})",
                             code="digital_invalid")
    if not signatures:
        return DigitalResult("rejected", "the file has a signature field but no signature", code="digital_invalid")
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False) if trust_roots else None
    # Municipal signing certificates are not always marked for non-repudiation: accept digital signature too.
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    result = DigitalResult("verified", code="digitally_signed")
    for signature in signatures:
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context or ValidationContext(
                trust_roots=[], allow_fetching=False), key_usage_settings=usage)
        except SignatureValidationError as exc:
            return DigitalResult("rejected", f"the digital signature is not valid ({exc})", code="digital_invalid")
        except Exception as exc:  # a malformed signature container
            return DigitalResult("rejected", f"the digital signature cannot be checked ({exc.__class__.__name__})",
                                 code="digital_invalid")
        signer = _signer_name(status.signing_cert)
        signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
        result.signers.append({"signer": signer, "signed_at": signed_at, "field": signature.field_name,
                               "trusted": bool(status.trusted), "coverage": status.coverage.name})
        if not (status.intact and status.valid):
            return DigitalResult("rejected", "the digital signature does not match the file (the file was changed "
                                             "after signing, or the signature is broken)", result.signers,
                                 code="digital_invalid")
        if status.coverage.name not in ("ENTIRE_FILE", "ENTIRE_REVISION"):
            return DigitalResult("rejected", "the digital signature covers only part of the file", result.signers,
                                 code="digital_partial")
        level = status.modification_level
        if level is not None and level.name not in ("NONE", "LTA_UPDATES", "FORM_FILLING"):
            return DigitalResult("rejected", "the document was changed after it was signed", result.signers,
                                 code="digital_modified")
        if not status.trusted and result.verdict == "verified":
            why = "no trusted certificates are configured" if not trust_roots else "its certificate is not trusted"
            result.verdict, result.reason = "needs_review", f"digitally signed by {signer}, but {why}"
            result.code = "digital_untrusted"
    return result
