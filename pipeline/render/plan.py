"""Which rows to render: new, changed, unchanged, or held back because their document is already out.

A row's fingerprint (everything it prints, and the templates) decides: the same fingerprint is the same
document; another one is a new version that supersedes the old. A document that has gone out (sent or
later: it may be on a mayor's desk, or signed) is never superseded silently: without the explicit
``allow_supersede_sent`` its row is held back and listed with what changed, so that a correction cannot
quietly undo a signature. ``plan_render`` writes nothing, so ``render --dry-run`` is this plan, printed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import docid
from ..i18n import _, ngettext, state_label
from ..ledger import DocumentRecord, Ledger
from ..round import RoundConfig
from ..signatories import Signatory
from ..states import SENT_OR_LATER
from .fingerprint import fingerprint, printed_fields, templates_digest

#: CSV columns whose values are printed (through the designation, the office or the name).
PRINTED_COLUMNS = ("bezeichnung", "typ", "anrede", "titel", "vorname", "nachname", "funktion")


@dataclass(frozen=True, slots=True)
class DocumentJob:
    """Everything needed to render one document; picklable, so it can go to a worker process."""

    signatory: Signatory
    doc_id: str  # empty in a dry run, which must not create the MAC key
    version: int
    fingerprint: str
    path: Path


@dataclass(frozen=True)
class Correction:
    """A changed row whose current document is already out: what it would change, and in which state."""

    signatory: Signatory
    previous: DocumentRecord
    state: str
    changes: list[tuple[str, str, str]]  # (field, old value, new value)

    def describe(self) -> str:
        what = "; ".join(_("templates: 'earlier templates' → 'changed templates'") if name == "templates"
                         else f"{name}: '{old}' → '{new}'" for name, old, new in self.changes)
        return _("row {row}, {designation} ({ags}): V{version} is {state}; {changes}").format(
            row=self.signatory.row, designation=self.signatory.bezeichnung, ags=self.signatory.ags,
            version=self.previous.version, state=state_label(self.state), changes=what)


@dataclass
class RenderPlan:
    new: list[DocumentJob] = field(default_factory=list)          # first version of a municipality
    changed: list[DocumentJob] = field(default_factory=list)      # a new version; the old one is superseded
    restored: list[DocumentJob] = field(default_factory=list)     # the same version, its file lost or damaged
    unchanged: list[DocumentRecord] = field(default_factory=list)
    held_back: list[Correction] = field(default_factory=list)     # changed, but the document is out already
    superseding_sent: list[Correction] = field(default_factory=list)  # the same, allowed on purpose
    latest: dict[str, DocumentRecord] = field(default_factory=dict)

    @property
    def jobs(self) -> list[DocumentJob]:
        return [*self.new, *self.changed, *self.restored]


def changed_fields(previous: DocumentRecord, signatory: Signatory,
                   round_cfg: RoundConfig) -> list[tuple[str, str, str]]:
    """What a correction changes on paper: the printed CSV columns that differ, then any round-level
    text (date line, co-signatory) that differs; if neither, the templates changed."""
    old_row = previous.signatory
    changes = [(column, str(old_row.get(column, "")), getattr(signatory, column)) for column in PRINTED_COLUMNS
               if str(old_row.get(column, "")) != getattr(signatory, column)]
    try:
        old_fields = printed_fields(Signatory(**old_row), round_cfg)
    except TypeError:  # a row stored by an older version with other columns: compare what we can
        old_fields = {}
    new_fields = printed_fields(signatory, round_cfg)
    personal = {"ags", "bezeichnung", "office", "signer_name", "signers_sentence"}
    changes += [(name, str(old_fields[name]), str(value)) for name, value in new_fields.items()
                if name not in personal and name in old_fields and old_fields[name] != value]
    return changes or [("templates", "earlier templates", "changed templates")]


def document_filename(signatory: Signatory, version: int) -> str:
    from ..fileio import slugify

    return f"{signatory.ags}_{slugify(signatory.name)}_V{version}.pdf"


def plan_render(signatories: Iterable[Signatory], round_cfg: RoundConfig, out: Path, ledger: Ledger | None,
                secret: bytes | None, templates_dir: Path, *, allow_supersede_sent: bool = False) -> RenderPlan:
    """Sort every row into the plan. `ledger` None: nothing rendered yet (a dry run on a new folder);
    `secret` None: no document ids (a dry run)."""
    templates_sha = templates_digest(templates_dir)
    plan = RenderPlan(latest=ledger.latest_documents(round_cfg.id) if ledger else {})
    states = {row["doc_id"]: row["state"] for row in ledger.status_rows(round_cfg.id)} if ledger else {}
    documents_dir = round_cfg.round_dir(out) / "documents"

    def job(signatory: Signatory, version: int, print_fingerprint: str) -> DocumentJob:
        doc_id = str(docid.make_doc_id(secret, round_cfg.id, signatory.ags, version)) if secret else ""
        return DocumentJob(signatory, doc_id, version, print_fingerprint,
                           documents_dir / document_filename(signatory, version))

    for signatory in signatories:
        print_fingerprint = fingerprint(printed_fields(signatory, round_cfg), templates_sha)
        previous = plan.latest.get(signatory.ags)
        if previous is None:
            plan.new.append(job(signatory, 1, print_fingerprint))
        elif previous.fingerprint == print_fingerprint:
            stored = Path(out) / previous.path
            if stored.exists() and hashlib.sha256(stored.read_bytes()).hexdigest() == previous.sha256:
                plan.unchanged.append(previous)
            else:  # lost or damaged file: render the same version again, to the same bytes
                plan.restored.append(job(signatory, previous.version, print_fingerprint))
        else:
            state = states.get(previous.doc_id, "")
            if state in SENT_OR_LATER:
                correction = Correction(signatory, previous, state, changed_fields(previous, signatory, round_cfg))
                if not allow_supersede_sent:
                    plan.held_back.append(correction)
                    continue
                plan.superseding_sent.append(correction)
            plan.changed.append(job(signatory, previous.version + 1, print_fingerprint))
    return plan


def plan_lines(plan: RenderPlan) -> list[str]:
    """The plan for a person: counts, then each row that would change or is held back."""
    lines = [_("Would render {new} new, {changed} changed (each superseding its old version), {restored} restored "
               "(file missing); {unchanged} unchanged; {held_back} held back (already sent or returned).").format(
        new=len(plan.new), changed=len(plan.changed), restored=len(plan.restored), unchanged=len(plan.unchanged),
        held_back=len(plan.held_back))]
    lines += ["  " + _("new: row {row}, {designation} ({ags})").format(
        row=job.signatory.row, designation=job.signatory.bezeichnung, ags=job.signatory.ags) for job in plan.new]
    previous = {correction.signatory.ags: correction for correction in plan.superseding_sent}
    for job in plan.changed:
        if job.signatory.ags in previous:
            note = _(", supersedes V{version} which is {state}").format(
                version=job.version - 1, state=state_label(previous[job.signatory.ags].state))
        else:
            note = _(", supersedes V{version}").format(version=job.version - 1)
        lines.append("  " + _("changed: row {row}, {designation} ({ags}) -> V{version}{note}").format(
            row=job.signatory.row, designation=job.signatory.bezeichnung, ags=job.signatory.ags, version=job.version,
            note=note))
    lines += ["  " + _("restored: row {row}, {designation} ({ags}), V{version}").format(
        row=job.signatory.row, designation=job.signatory.bezeichnung, ags=job.signatory.ags, version=job.version)
        for job in plan.restored]
    lines += held_back_lines(plan.held_back)
    return lines


def held_back_lines(held_back: list[Correction]) -> list[str]:
    if not held_back:
        return []
    return [ngettext("Not rendered: {count} changed row(s) whose document has gone out already. A new version "
                     "would supersede it (and a signature on it). Check the change; to render it anyway, run "
                     "render with --supersede-sent:",
                     "Not rendered: {count} changed row(s) whose document has gone out already. A new version "
                     "would supersede it (and a signature on it). Check the change; to render it anyway, run "
                     "render with --supersede-sent:", len(held_back)).format(count=len(held_back)),
            *(f"  {correction.describe()}" for correction in held_back)]
