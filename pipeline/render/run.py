"""Render one personalised two-page PDF per municipality with Jinja2 + WeasyPrint, and record it.

``render_round`` is the stage: it decides per row whether the document is new, unchanged (skipped)
or changed (a new version that supersedes the old), renders what is needed (in worker processes when
there are many), writes each file atomically, and records the written documents in the ledger, up to
RECORD_EVERY of them per transaction while the workers go on. A document is recorded only after its
file is written, with all its events in one transaction; a crash leaves files that are not recorded
yet, which the next run renders again to the same bytes and records. Ctrl-C records what was written.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import docid, german
from ..errors import EngagiertError, InvalidInputError
from ..fileio import write_bytes_atomic
from ..geometry import Geometry
from ..i18n import _, ngettext, state_label
from ..ledger import DocumentRecord, Ledger, now_iso
from ..round import RoundConfig
from ..signatories import Signatory
from ..states import EventKind, State
from ..templating import TEMPLATES_DIR
from ..workers import can_fork, default_workers, process_pool
from .layout import PAGE_COUNT, LayoutOverflow, document_context, renderer_for, subsetter_name
from .plan import Correction, DocumentJob, RenderPlan, plan_render

# Parallel rendering only pays off once worker start-up is amortised.
MIN_DOCUMENTS_PER_WORKER = 8
# Documents laid out together (render_many); beyond about ten the saving levels off while a batch's
# memory grows, and small batches keep both workers busy to the end.
BATCH_SIZE = 8
# Documents recorded per ledger transaction, while the workers go on: the main process holds no more
# than this many results, so its memory does not grow with the size of the run.
RECORD_EVERY = 500


@dataclass(frozen=True)
class WrittenDocument:
    """What the ledger needs of a written file. Workers return this, never the PDF bytes, so memory
    stays flat however many documents a run renders."""

    sha256: str
    pages: int
    geometry: Geometry


@dataclass
class RenderSummary:
    round_id: str
    documents_dir: Path
    rendered: list[str]  # doc ids; their records are in the ledger
    unchanged: list[DocumentRecord]
    superseded: list[str]
    held_back: list[Correction] = field(default_factory=list)  # changed rows whose document is out already

    @property
    def total(self) -> int:
        return len(self.rendered) + len(self.unchanged)

    def line(self) -> str:
        return ngettext("Rendered {rendered} document(s), {unchanged} unchanged, {superseded} superseded: "
                        "{total} documents for round {round} in {folder}/",
                        "Rendered {rendered} document(s), {unchanged} unchanged, {superseded} superseded: "
                        "{total} documents for round {round} in {folder}/", len(self.rendered)).format(
            rendered=len(self.rendered), unchanged=len(self.unchanged), superseded=len(self.superseded),
            total=self.total, round=self.round_id, folder=self.documents_dir)

    def speed_note(self) -> str | None:
        """A hint when fonts were subset the slow way, as long as it matters (something was rendered)."""
        if not self.rendered or subsetter_name() == "harfbuzz":
            return None
        return _("Note: fonts were subset with fontTools (slow); install libharfbuzz-subset0 "
                 "(sudo apt-get install libharfbuzz-subset0) for ~4x faster rendering.")


def render_jobs(jobs: list[DocumentJob], round_cfg: RoundConfig, templates_dir: Path,
                mode: str = "composite") -> list[WrittenDocument | InvalidInputError]:
    """Render and write a batch of documents; a document that cannot be rendered gets its error."""
    renderer = renderer_for(templates_dir, mode)
    contexts = [document_context(job.signatory, round_cfg, job.doc_id, with_qr_svg=mode == "single")
                for job in jobs]
    written: list[WrittenDocument | InvalidInputError] = []
    for job, rendered in zip(jobs, renderer.render_many(contexts), strict=True):
        too_long = _("row {row} ({designation}): a name, office or designation is too long for the signature "
                     "block; shorten it").format(row=job.signatory.row, designation=job.signatory.bezeichnung)
        if isinstance(rendered, LayoutOverflow):
            written.append(InvalidInputError(f"{too_long} ({rendered})"))
            continue
        if rendered.pages != PAGE_COUNT:
            pages = _("the document came out with {pages} pages, not {expected}").format(
                pages=rendered.pages, expected=PAGE_COUNT)
            written.append(InvalidInputError(f"{too_long} ({pages})"))
            continue
        if rendered.geometry.signature_box is None:
            raise EngagiertError(_("the template has no element with id 'signature-box'"))
        # No fsync: a rendered file that a crash damages fails its sha256 check on the next run and is
        # rendered again to the same bytes (plan_jobs), so durability would only cost time.
        write_bytes_atomic(job.path, rendered.pdf, durable=False)
        written.append(WrittenDocument(_sha256(rendered.pdf), rendered.pages, rendered.geometry))
    return written


def _render_batch_in_worker(args) -> tuple[int, list[WrittenDocument | InvalidInputError] | EngagiertError]:
    first_index, jobs, round_cfg, templates_dir, mode = args
    try:
        return first_index, render_jobs(jobs, round_cfg, templates_dir, mode)
    except EngagiertError as exc:
        return first_index, exc


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def plan(signatories: list[Signatory], round_cfg: RoundConfig, out: Path, *, templates_dir: Path = TEMPLATES_DIR,
         allow_supersede_sent: bool = False) -> RenderPlan:
    """What `render` would do, writing nothing (not even the ledger or the MAC key): `render --dry-run`."""
    out = Path(out)
    with Ledger.open_existing(out) as ledger:
        return plan_render(signatories, round_cfg, out, ledger, None, templates_dir,
                           allow_supersede_sent=allow_supersede_sent)


def render_round(signatories: list[Signatory], round_cfg: RoundConfig, out: Path, *,
                 templates_dir: Path = TEMPLATES_DIR, workers: int | None = None, mode: str = "composite",
                 progress: Callable[[int], None] | None = None, allow_supersede_sent: bool = False) -> RenderSummary:
    """Render what the plan says. Rows held back (their document is out already and
    `allow_supersede_sent` is not given) are listed in the summary, nothing of theirs is written."""
    out = Path(out)
    secret = docid.load_secret(out)
    with Ledger.open(out) as ledger:
        the_plan = plan_render(signatories, round_cfg, out, ledger, secret, templates_dir,
                               allow_supersede_sent=allow_supersede_sent)
        jobs, latest = the_plan.jobs, the_plan.latest
        signed = {correction.previous.doc_id: correction.state for correction in the_plan.superseding_sent}
        if progress and (the_plan.unchanged or the_plan.held_back):
            progress(len(the_plan.unchanged) + len(the_plan.held_back))  # done at once: nothing to render
        rendered_at = now_iso()
        rendered: list[str] = []
        superseded: list[str] = []
        pending: list[tuple[DocumentJob, WrittenDocument]] = []

        def record_pending() -> None:
            with ledger.transaction() as cursor:
                for job, result in pending:
                    previous = _record(ledger, cursor, job, result, round_cfg, out, latest, rendered_at, signed)
                    rendered.append(job.doc_id)
                    if previous:
                        superseded.append(previous)
            pending.clear()

        errors: list[EngagiertError] = []
        rendering = _render_all(jobs, round_cfg, templates_dir, workers, mode, progress, errors)
        try:
            for job, result in rendering:
                pending.append((job, result))
                if len(pending) >= RECORD_EVERY:
                    record_pending()  # while the workers go on rendering
        except KeyboardInterrupt:
            rendering.close()  # stop the workers first (the batches not started are cancelled)
            record_pending()  # Ctrl-C: the documents already written stay recorded
            raise
        record_pending()
    if errors:
        done = ("\n" + ngettext("The other {count} document(s) were rendered and recorded.",
                                "The other {count} document(s) were rendered and recorded.",
                                len(rendered)).format(count=len(rendered))) if rendered else ""
        raise InvalidInputError("\n".join(error.message for error in errors) + done)
    return RenderSummary(round_cfg.id, round_cfg.round_dir(out) / "documents", rendered, the_plan.unchanged,
                         superseded, the_plan.held_back)


def _record(ledger: Ledger, cursor, job: DocumentJob, result: WrittenDocument, round_cfg: RoundConfig, out: Path,
            latest: dict[str, DocumentRecord], rendered_at: str, states_out: dict[str, str]) -> str | None:
    """Record one written document and its events; return the doc id it supersedes, if any."""
    record = DocumentRecord(
        doc_id=job.doc_id, round=round_cfg.id, ags=job.signatory.ags, version=job.version,
        fingerprint=job.fingerprint, sha256=result.sha256, path=job.path.relative_to(out).as_posix(),
        pages=result.pages, geometry=result.geometry, signatory=dataclasses.asdict(job.signatory),
        rendered_at=rendered_at)
    previous = latest.get(job.signatory.ags)
    if previous and previous.doc_id == job.doc_id:
        return None  # the same version re-rendered after its file went missing: already recorded
    ledger.add_document(cursor, record)
    ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.RENDERED, ags=record.ags, doc_id=record.doc_id,
                     state=State.RENDERED, file_sha256=record.sha256,
                     details={"version": record.version, "path": record.path}, at=rendered_at)
    if not previous:
        return None
    # In the language of whoever renders (the office's), like the reasons a clerk types.
    reason = _("replaced by version {version} ({doc_id})").format(version=record.version, doc_id=record.doc_id)
    was = states_out.get(previous.doc_id)
    if was:  # superseded on purpose (--supersede-sent): say what the old version had become
        reason += _("; version {version} was {state} and its events and files stay in the ledger").format(
            version=previous.version, state=state_label(was))
    ledger.add_event(cursor, round_id=round_cfg.id, kind=EventKind.SUPERSEDED, ags=record.ags, doc_id=previous.doc_id,
                     state=State.SUPERSEDED, reason=reason, at=rendered_at,
                     details={"replaced_by": record.doc_id, "state_before": was} if was else None)
    return previous.doc_id


def _warm_up(jobs: list[DocumentJob], round_cfg: RoundConfig, templates_dir: Path, mode: str) -> None:
    """Prepare, in the parent, everything the workers would each prepare again: the renderer and one
    base layout per opening-sentence variant (at most five)."""
    renderer = renderer_for(templates_dir, mode)
    if mode != "composite":
        return
    seen = set()
    for job in jobs:
        variant = german.signers_sentence(round_cfg.cosignatory.gender, job.signatory.gender)
        if variant not in seen:
            seen.add(variant)
            renderer._base_for(document_context(job.signatory, round_cfg, job.doc_id))


def _render_all(jobs: list[DocumentJob], round_cfg: RoundConfig, templates_dir: Path, workers: int | None,
                mode: str, progress: Callable[[int], None] | None, errors: list[EngagiertError],
                ) -> Iterator[tuple[DocumentJob, WrittenDocument]]:
    """Yield each job with its written document, in order, as the workers finish them; a job that cannot
    be rendered adds its error to `errors` instead."""
    workers = workers or default_workers()
    workers = max(1, min(workers, len(jobs) // MIN_DOCUMENTS_PER_WORKER))
    batches = [(start, jobs[start:start + BATCH_SIZE]) for start in range(0, len(jobs), BATCH_SIZE)]

    def collect(first_index: int, batch_results) -> Iterator[tuple[DocumentJob, WrittenDocument]]:
        if isinstance(batch_results, EngagiertError):
            errors.append(batch_results)
            return
        for offset, result in enumerate(batch_results):
            if isinstance(result, EngagiertError):
                errors.append(result)
            else:
                yield jobs[first_index + offset], result
        if progress:
            progress(len(batch_results))

    if workers == 1:
        for start, batch in batches:
            yield from collect(start, render_jobs(batch, round_cfg, templates_dir, mode))
        return
    if can_fork():  # forked workers inherit the imported WeasyPrint, the hyphenation dictionary, the bases
        _warm_up(jobs, round_cfg, templates_dir, mode)
    with process_pool(workers) as pool:
        arguments = ((start, batch, round_cfg, templates_dir, mode) for start, batch in batches)
        for first_index, batch_results in pool.map(_render_batch_in_worker, arguments):
            yield from collect(first_index, batch_results)
