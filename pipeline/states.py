"""One list of document states, upload outcomes, event kinds and reason codes, with their German labels.

The ids (``verified``, ``needs_review``, …) are the stable machine names: the ledger stores them and the
JSON export carries them (see DESIGN.md). People read the German labels. Being ``StrEnum`` members, the
ids compare equal to the plain strings found in older ledgers and JSON files.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """A document's state, derived from its newest event that carries one."""

    RENDERED = "rendered"
    SENT = "sent"
    INCOMPLETE = "incomplete"
    VERIFIED = "verified"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return STATE_LABELS_DE[self]


#: In the ledger's order: the order of every count and table.
STATES: tuple[str, ...] = tuple(state.value for state in State)

STATE_LABELS_DE = {
    State.RENDERED: "erstellt",
    State.SENT: "verschickt",
    State.INCOMPLETE: "unvollständig",
    State.VERIFIED: "unterschrieben",
    State.REJECTED: "abgelehnt",
    State.NEEDS_REVIEW: "zu prüfen",
    State.SUPERSEDED: "ersetzt",
}

#: The document has gone out (or come back): mark-sent leaves it alone.
SENT_OR_LATER = (State.SENT, State.INCOMPLETE, State.VERIFIED, State.REJECTED, State.NEEDS_REVIEW)
#: A person has to act: a clerk (needs review) or the municipality (rejected).
PROBLEM_STATES = (State.REJECTED, State.NEEDS_REVIEW)
#: Reminders go to these; a document in review waits for the office's decision first.
REMINDABLE = (State.SENT, State.INCOMPLETE, State.REJECTED)


class Outcome(StrEnum):
    """What became of one upload as a whole."""

    MATCHED = "matched"        # some pages belong to our documents
    UNMATCHED = "unmatched"    # readable, but no page of ours
    REFUSED = "refused"        # not readable at all (type, size, damage, a link)
    DUPLICATE = "duplicate"    # the same bytes were checked in before
    UNPACKED = "unpacked"      # a mail or archive: its attachments were checked in, each as an upload of its own


class EventKind(StrEnum):
    """What an event in the ledger records. Only some of them set a document's state."""

    RENDERED = "rendered"
    SUPERSEDED = "superseded"
    SENT = "sent"
    REMINDER = "reminder"
    REMINDER_PREPARED = "reminder_prepared"   # an .eml draft written, not yet recorded as sent
    UPLOAD = "upload"
    UPLOAD_REPEAT = "upload_repeat"
    CHECKIN = "checkin"
    OLD_VERSION = "old_version"
    OUTDATED_COPY = "outdated_copy"
    DUPLICATE = "duplicate"
    DECISION = "decision"
    MAIL = "mail"                  # a mail (or archive) was unpacked; on a document: it came by e-mail, from whom
    MAIL_REPEAT = "mail_repeat"    # the same message again (same bytes or same Message-ID): nothing taken
    REPLY = "reply"                # the answer to a sender went out (or could not)
    WEB_UPLOAD = "web_upload"        # bytes sent through a municipality's link, or by a clerk on its behalf
    LINK_ISSUED = "link_issued"
    LINK_REVOKED = "link_revoked"


class Reason(StrEnum):
    """Why a check-in gave a document its state: recorded as ``code`` in the event's details, so that
    letters and reminders can explain it in German (german.reason_in_german)."""

    SIGNED = "signed"
    DIGITALLY_SIGNED = "digitally_signed"
    UNSIGNED = "unsigned"
    AMBIGUOUS = "ambiguous"
    PAGES_MISSING = "pages_missing"
    OLD_VERSION = "old_version"
    OUTDATED_VERSION = "outdated_version"
    AFTER_HAND_REJECTION = "after_hand_rejection"
    RENDERED_MISSING = "rendered_missing"
    DIGITAL_NOT_OURS = "digital_not_ours"
    DIGITAL_INVALID = "digital_invalid"
    DIGITAL_PARTIAL = "digital_partial"
    DIGITAL_MODIFIED = "digital_modified"
    DIGITAL_UNTRUSTED = "digital_untrusted"
    OTHER_MUNICIPALITY = "other_municipality"  # sent through another municipality's link: a person looks
    PAGE_MISMATCH = "page_mismatch"            # a page carries the code but shows another document
    SEAL_BROKEN = "seal_broken"                # a sealed scan changed after it was sealed
