"""Digital signatures: is a digitally signed return our document, unchanged, intact, and signed by the
municipality, with a certificate we trust?

Accepted, exactly: our rendered bytes, followed by the revision that adds the (first) signature and
nothing else, then only further signatures, document timestamps and validation data (DSS). The revision a
signature covers and the whole file are compared with our PDF page by page (revisions.py): changed page
content or resources, a page added, an annotation other than a signature widget, any form field other
than a signature field, a new action: rejected, naming what changed. pyHanko checks that each signature
is intact and covers its revision and whether its certificate chains to a trusted root (else: needs
review). The signer must belong to the municipality: the certificate's name and organisation are
compared with the signatory and the municipality of the spreadsheet, or with what the round file trusts
for that municipality (organisations, certificate fingerprints); a mismatch is needs review, showing
both. Library warnings never reach the terminal: they become one line of the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InvalidInputError
from ..i18n import _


@dataclass(frozen=True)
class ExpectedSigner:
    """Who should have signed: the municipality and its head (from the spreadsheet), and what the round
    trusts for it (round.toml [checkin.signers."<AGS>"])."""

    ags: str
    municipality: str = ""            # short name, e.g. "Bielefeld"
    bezeichnung: str = ""             # "Stadt Bielefeld"
    person: str = ""                  # "Maria Schmitz" (empty: no office holder named)
    kind: str = ""                    # the type: Stadt, Gemeinde, Kreis, …
    organisations: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()  # SHA-256 of the certificate, hex (colons and case ignored)

    @classmethod
    def of(cls, ags: str, signatory: dict, rules: dict | None = None) -> ExpectedSigner:
        rule = (rules or {}).get(ags) or {}
        person = " ".join(part for part in (signatory.get("vorname", ""), signatory.get("nachname", "")) if part)
        return cls(ags, signatory.get("name", ""), signatory.get("bezeichnung", ""), person, signatory.get("typ", ""),
                   tuple(rule.get("organisations", ())), tuple(rule.get("fingerprints", ())))


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
            raise InvalidInputError(_("{file}: cannot read trust root ({error})").format(
                file=path, error=_(exc.strerror) if exc.strerror else exc)) from exc
        try:
            blocks = [der for _kind, _headers, der in pem.unarmor(data, multiple=True)] if pem.detect(data) \
                else [data]
            roots.extend(x509.Certificate.load(block) for block in blocks)
            for root in roots:
                root.native  # noqa: B018 - parse now, so a broken file fails here with its name
        except Exception as exc:
            raise InvalidInputError(_("{file}: not an X.509 certificate (PEM or DER): {error}").format(
                file=path, error=exc)) from exc
    return roots


def _signer_name(certificate) -> str:
    if certificate is None:
        return "unknown"
    subject = certificate.subject.native
    name = subject.get("common_name") or certificate.subject.human_friendly
    organisation = subject.get("organization_name")
    return f"{name} ({organisation})" if organisation else name


def _plain(text: str) -> str:
    """For comparing names: lower case, umlauts as ae/oe/ue, ß as ss, punctuation as spaces."""
    import re

    text = text.casefold()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, plain)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _has_words(text: str, words: str) -> bool:
    """Whether `words` stand in `text` as whole words (both already plain)."""
    return bool(words) and f" {words} " in f" {text} "


def signer_mismatch(certificate, expected: ExpectedSigner) -> str:
    """Why the certificate does not belong to the municipality, or "" when it does."""
    if certificate is None:
        return "the signing certificate cannot be read"
    fingerprint = certificate.sha256.hex()
    if expected.fingerprints:
        if fingerprint in {value.replace(":", "").lower() for value in expected.fingerprints}:
            return ""
        return (f"the certificate (SHA-256 {fingerprint[:16]}…) is not one the round trusts for "
                f"{expected.bezeichnung or expected.ags}")
    subject = certificate.subject.native
    common_name = _plain(str(subject.get("common_name", "")))
    organisation = _plain(" ".join(str(subject.get(key, "")) for key in ("organization_name",
                                                                            "organizational_unit_name")))
    if expected.organisations:
        org_ok = any(_has_words(organisation, _plain(value)) for value in expected.organisations)
    else:  # "Stadt Bielefeld", or "Stadtverwaltung Bielefeld", but not "Rhein-Kreis Neuss" for the Stadt Neuss
        other_district = "kreis" not in _plain(expected.kind) and any("kreis" in word for word in organisation.split())
        org_ok = _has_words(organisation, _plain(expected.bezeichnung)) or (
            not other_district and _has_words(organisation, _plain(expected.municipality)))
    person = _plain(expected.person)
    surname = person.split()[-1] if person else ""
    name_ok = bool(surname) and surname in common_name.split() and all(
        part in common_name for part in person.split()[:1])
    if expected.organisations:  # the round names the organisations it trusts: the organisation decides
        ok = org_ok
    elif not person:  # nobody named in the spreadsheet: the municipality's own certificate
        ok = org_ok
    elif organisation:  # the head of this municipality, or the municipality's own seal, nobody else
        seal = _has_words(common_name, _plain(expected.municipality)) or "siegel" in common_name.split()
        ok = org_ok and (name_ok or seal)
    else:  # a personal certificate without organisation: the name decides
        ok = name_ok
    if ok:
        return ""
    wanted = ", ".join(part for part in (expected.person, expected.bezeichnung) if part) or expected.ags
    return f"signed by {_signer_name(certificate)}, but the document is for {wanted}"


class _LibraryMessages:
    """Collects what pyHanko and its certificate validator log (some log tracebacks at warning level),
    instead of letting Python print them on the clerk's terminal."""

    LOGGERS = ("pyhanko", "pyhanko_certvalidator")

    def __enter__(self):
        import logging
        import warnings

        self.messages: list[str] = []
        collector = self

        class Handler(logging.Handler):
            def emit(self, record):
                collector.messages.append(record.getMessage().splitlines()[0][:160])

        self.handler = Handler(level=logging.WARNING)
        self.saved = []
        for name in self.LOGGERS:
            logger = logging.getLogger(name)
            self.saved.append((logger, logger.propagate))
            logger.addHandler(self.handler)
            logger.propagate = False
        self.warnings = warnings.catch_warnings(record=True)
        self.caught = self.warnings.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc_info):
        for logger, propagate in self.saved:
            logger.removeHandler(self.handler)
            logger.propagate = propagate
        self.warnings.__exit__(*exc_info)
        self.messages += [str(item.message).splitlines()[0][:160] for item in self.caught]
        return False

    def line(self) -> str:
        unique = list(dict.fromkeys(message for message in self.messages if message))
        return ("; the signature check noted: " + "; ".join(unique[:3])) if unique else ""


def _revision_end(signature) -> int:
    byte_range = signature.sig_object["/ByteRange"]
    return int(byte_range[2]) + int(byte_range[3])


def _validation_settings(trust_roots: list):
    """How every signature is validated: against the given roots only, nothing fetched from the network."""
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False)
    # Municipal signing certificates are not always marked for non-repudiation: accept digital signature too.
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)
    return context, usage


def check_digital_signature(upload_bytes: bytes, rendered_pdf: bytes, trust_roots: list,
                            expected: ExpectedSigner | None = None) -> DigitalResult:
    """Validate a digitally signed return of our PDF: content, every signature, and who signed."""
    from .revisions import differences, signed_revision

    if not upload_bytes.startswith(rendered_pdf):
        return DigitalResult("rejected", "the digitally signed file is not our document as sent: its content was "
                                         "changed before signing (sign our PDF itself, without re-saving it)",
                             code="digital_not_ours")
    with _LibraryMessages() as messages:
        result = _validate(upload_bytes, rendered_pdf, trust_roots, expected, differences, signed_revision)
    # "Failed to build path …" is what an untrusted certificate makes the validator log: the reason says it.
    if result.reason and messages.line() and result.code != "digital_untrusted":
        result.reason += messages.line()
    return result


def _validate(upload_bytes: bytes, rendered_pdf: bytes, trust_roots: list, expected: ExpectedSigner | None,
              differences, signed_revision) -> DigitalResult:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError

    try:
        reader = PdfFileReader(io.BytesIO(upload_bytes), strict=False)
        signatures = sorted(reader.embedded_signatures, key=_revision_end)
    except Exception as exc:
        return DigitalResult("rejected", f"the digital signature cannot be read ({exc.__class__.__name__})",
                             code="digital_invalid")
    if not signatures:
        return DigitalResult("rejected", "the file has a signature field but no signature", code="digital_invalid")
    try:
        before = differences(rendered_pdf, signed_revision(upload_bytes, signatures[0].sig_object["/ByteRange"]))
        after = differences(rendered_pdf, upload_bytes)
    except Exception as exc:  # a file pypdf cannot follow is not one we can vouch for
        return DigitalResult("rejected", f"the signed file cannot be compared with our document "
                                         f"({exc.__class__.__name__})", code="digital_invalid")
    if before:
        return DigitalResult("rejected", "the document was changed before it was signed: " + "; ".join(before),
                             code="digital_changed_before")
    if after:
        return DigitalResult("rejected", "the document was changed after it was signed: " + "; ".join(after),
                             code="digital_modified")
    context, usage = _validation_settings(trust_roots)
    result = DigitalResult("verified", code="digitally_signed")
    for index, signature in enumerate(signatures):
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context, key_usage_settings=usage)
        except SignatureValidationError as exc:
            return DigitalResult("rejected", f"the digital signature is not valid ({str(exc)[:160]})",
                                 result.signers, code="digital_invalid")
        except Exception as exc:  # a malformed signature container
            return DigitalResult("rejected", f"the digital signature cannot be checked ({exc.__class__.__name__})",
                                 result.signers, code="digital_invalid")
        signer = _signer_name(status.signing_cert)
        signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
        result.signers.append({"signer": signer, "signed_at": signed_at, "field": signature.field_name,
                               "trusted": bool(status.trusted), "coverage": status.coverage.name,
                               "certificate_sha256": status.signing_cert.sha256.hex() if status.signing_cert
                               else None})
        if not (status.intact and status.valid):
            return DigitalResult("rejected", "the digital signature does not match the file (the file was changed "
                                             "after signing, or the signature is broken)", result.signers,
                                 code="digital_invalid")
        whole = "ENTIRE_FILE" if index == len(signatures) - 1 else "ENTIRE_REVISION"
        if status.coverage.name not in (whole, "ENTIRE_FILE"):
            return DigitalResult("rejected", "the digital signature covers only part of the file", result.signers,
                                 code="digital_partial")
        if result.verdict != "verified":
            continue
        if not status.trusted:
            why = "no trusted certificates are configured" if not trust_roots else "its certificate is not trusted"
            result.verdict, result.reason = "needs_review", f"digitally signed by {signer}, but {why}"
            result.code = "digital_untrusted"
        elif index == 0 and expected is not None:
            mismatch = signer_mismatch(status.signing_cert, expected)
            if mismatch:
                result.verdict, result.reason, result.code = "needs_review", mismatch, "digital_wrong_signer"
    return result


def check_seal(upload_bytes: bytes, trust_roots: list) -> DigitalResult:
    """A scan sealed (or signed) by a document system is a scan: its pages are judged by what they show,
    and the seal is recorded as information. What the seal must show is that the file is as it was sealed:
    every signature intact and covering its revision, and after the first only further signatures, document
    timestamps and validation data (the same comparison as for our own PDF, with the sealed revision in
    place of ours). A broken seal is a file changed after sealing: rejected."""
    from .revisions import differences, signed_revision

    with _LibraryMessages():
        return _validate_seal(upload_bytes, trust_roots, differences, signed_revision)


def _validate_seal(upload_bytes: bytes, trust_roots: list, differences, signed_revision) -> DigitalResult:
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    broken = "the electronic seal of the scan is broken: "
    try:
        reader = PdfFileReader(io.BytesIO(upload_bytes), strict=False)
        signatures = sorted(reader.embedded_signatures, key=_revision_end)
        sealed = signed_revision(upload_bytes, signatures[0].sig_object["/ByteRange"]) if signatures else b""
        after = differences(sealed, upload_bytes) if signatures else []
    except Exception as exc:  # noqa: BLE001 - a seal we cannot even read vouches for nothing
        return DigitalResult("rejected", broken + f"it cannot be read ({exc.__class__.__name__})", code="seal_broken")
    if not signatures:
        return DigitalResult("rejected", broken + "the file has a signature field but no signature", code="seal_broken")
    if after:
        return DigitalResult("rejected", broken + "the file was changed after it was sealed: " + "; ".join(after),
                             code="seal_broken")
    context, usage = _validation_settings(trust_roots)
    result = DigitalResult("verified", code="sealed")
    for index, signature in enumerate(signatures):
        try:
            status = validate_pdf_signature(signature, signer_validation_context=context, key_usage_settings=usage)
        except Exception as exc:  # noqa: BLE001 - a malformed or disallowed signature container
            return DigitalResult("rejected", broken + f"its signature cannot be checked ({exc.__class__.__name__})",
                                 result.signers, code="seal_broken")
        whole = "ENTIRE_FILE" if index == len(signatures) - 1 else "ENTIRE_REVISION"
        result.signers.append({"signer": _signer_name(status.signing_cert), "field": signature.field_name,
                               "trusted": bool(status.trusted), "coverage": status.coverage.name,
                               "signed_at": status.signer_reported_dt.isoformat() if status.signer_reported_dt
                               else None})
        if not (status.intact and status.valid) or status.coverage.name not in (whole, "ENTIRE_FILE"):
            return DigitalResult("rejected", broken + "the file was changed after it was sealed (the signature "
                                 "no longer matches its bytes)", result.signers, code="seal_broken")
    names = ", ".join(dict.fromkeys(signer["signer"] for signer in result.signers))
    untrusted = "" if all(signer["trusted"] for signer in result.signers) else " (certificate not trusted here)"
    result.reason = f"electronically sealed by {names}{untrusted}"
    return result
