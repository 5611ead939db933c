"""What a signed file changed in our PDF: its pages, their content, annotations, form fields, actions.

A digitally signed return must be our rendered bytes followed by nothing but what a signature adds:
the signature field and its widget, the signature dictionary, appearance streams, and later further
signatures, document timestamps and validation data (DSS). pyHanko judges only what was added *after* a
signature, so this module compares the revision a signature covers, and the whole file, with our own
PDF, object by object as a viewer would draw them: every page's content and resources, the page count,
every annotation (only signature widgets may be new), every form field (only signature fields may exist),
and the catalog's actions. Any other difference is named, so the clerk and the municipality see what
was changed.
"""

from __future__ import annotations

import hashlib
import io

# Catalog entries that make a viewer do something, or add content: none may appear in a return.
ACTIVE_CATALOG_KEYS = ("/OpenAction", "/AA", "/Names", "/Outlines", "/OCProperties")


def _canonical(value, digest, seen: set[int]) -> None:
    """Feed a PDF object, resolved and in a canonical order, into `digest` (streams by decoded data)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    if isinstance(value, IndirectObject):
        key = value.idnum
        if key in seen:
            digest.update(b"<cycle>")
            return
        seen.add(key)
        _canonical(value.get_object(), digest, seen)
        seen.discard(key)
        return
    if isinstance(value, StreamObject):
        try:
            digest.update(b"stream:" + hashlib.sha256(value.get_data()).digest())
        except Exception:  # an undecodable stream: compare it as stored
            digest.update(b"raw:" + hashlib.sha256(value._data or b"").digest())
    if isinstance(value, DictionaryObject) and value.get("/Type") in ("/Page", "/Pages"):
        digest.update(b"<page>")  # pages are compared one by one; a link to one is not a change
        return
    if isinstance(value, DictionaryObject):
        digest.update(b"<<")
        for name in sorted(value):
            if name in ("/Length", "/Filter", "/DecodeParms", "/Parent"):
                continue
            digest.update(name.encode("latin-1", "replace"))
            _canonical(value.raw_get(name), digest, seen)
        digest.update(b">>")
    elif isinstance(value, ArrayObject):
        digest.update(b"[")
        for item in value:
            _canonical(item, digest, seen)
        digest.update(b"]")
    elif not isinstance(value, StreamObject):
        digest.update(repr(value).encode("utf-8", "replace"))


def _fingerprint(value) -> str:
    digest = hashlib.sha256()
    _canonical(value, digest, set())
    return digest.hexdigest()


def _page_content(page) -> str:
    contents = page.get_contents()
    return hashlib.sha256(contents.get_data() if contents is not None else b"").hexdigest()


def _is_signature_field(field) -> bool:
    """A field (or widget) whose field type, inherited from its parents, is /Sig."""
    node, depth = field, 0
    while node is not None and depth < 32:
        if node.get("/FT") == "/Sig":
            return True
        parent = node.get("/Parent")
        node = parent.get_object() if parent is not None else None
        depth += 1
    return False


def _terminal_fields(fields, depth: int = 0):
    for reference in fields or []:
        field = reference.get_object()
        kids = field.get("/Kids")
        if kids and depth < 32 and any("/T" in kid.get_object() for kid in kids):
            yield from _terminal_fields(kids, depth + 1)
        else:
            yield field


def differences(ours: bytes, signed: bytes) -> list[str]:
    """What `signed` (a whole file, or the revision a signature covers) changed in our PDF, as readable
    reasons; empty when it only adds what signatures add."""
    from pypdf import PdfReader

    original, candidate = PdfReader(io.BytesIO(ours)), PdfReader(io.BytesIO(signed))
    found: list[str] = []
    if len(candidate.pages) != len(original.pages):
        found.append(f"it has {len(candidate.pages)} pages, our document {len(original.pages)}")
    for number, (before, after) in enumerate(zip(original.pages, candidate.pages, strict=False), start=1):
        if _page_content(before) != _page_content(after):
            found.append(f"the content of page {number} was changed")
        if _fingerprint(before.get("/Resources")) != _fingerprint(after.get("/Resources")):
            found.append(f"the fonts or images of page {number} were changed")
        for box in ("/MediaBox", "/CropBox", "/Rotate"):
            if _fingerprint(before.get(box)) != _fingerprint(after.get(box)):
                found.append(f"page {number}'s {box[1:]} was changed")
        known = {_fingerprint(annotation) for annotation in before.get("/Annots") or []}
        for annotation in after.get("/Annots") or []:
            annotation = annotation.get_object()
            if _fingerprint(annotation) in known:
                continue
            subtype = str(annotation.get("/Subtype", "?")).lstrip("/")
            if subtype != "Widget" or not _is_signature_field(annotation):
                found.append(f"an annotation ({subtype}) was added on page {number}")
    form = candidate.trailer["/Root"].get("/AcroForm")
    for field in _terminal_fields(form.get_object().get("/Fields") if form is not None else None):
        if not _is_signature_field(field):
            kind = str(field.get("/FT", "?")).lstrip("/")
            found.append(f"a form field ({kind}) was added: our documents have none")
    before_root, after_root = original.trailer["/Root"], candidate.trailer["/Root"]
    for key in ACTIVE_CATALOG_KEYS:
        if _fingerprint(before_root.get(key)) != _fingerprint(after_root.get(key)):
            found.append(f"the document's {key[1:]} entry was added or changed")
    return list(dict.fromkeys(found))


def signed_revision(upload: bytes, byte_range) -> bytes:
    """The revision a signature covers: the file up to the end of its byte range."""
    start, first, second, length = (int(value) for value in byte_range)
    return upload[: second + length]
