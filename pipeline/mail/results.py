"""What a mail check-in reports about each mail or archive (its attachments report as uploads)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checkin import UploadResult
from ..i18n import N_, _, shown
from ..states import Outcome

#: What became of a mail or archive, and of a file inside one, in words.
OUTCOME_WORDS = {Outcome.REFUSED: N_("refused"), Outcome.DUPLICATE: N_("duplicate")}
PART_WORDS = {"refused": N_("refused"), "left out": N_("left out"), "skipped": N_("left out")}


@dataclass
class PartLine:
    label: str
    outcome: str        # skipped, refused, unpacked
    reason: str


@dataclass
class MessageResult(UploadResult):
    """A mail or archive: `outcome` is unpacked, refused or duplicate; `parts` lists what was left out."""

    sender: str = ""
    subject: str = ""
    parts: list[PartLine] = field(default_factory=list)
    files: int = 0      # attachments handed to check-in

    def lines(self) -> list[str]:
        reason = shown(self.reason)
        lines = [f"{self.name}: {reason}" if self.outcome == Outcome.UNPACKED else
                 f"{self.name}: {_(OUTCOME_WORDS.get(self.outcome, self.outcome)).upper()}: {reason}"]
        lines += [f"  {part.label}: {_(PART_WORDS.get(part.outcome, part.outcome))}: {shown(part.reason)}"
                  for part in self.parts if part.outcome != "unpacked"]
        return lines

    @property
    def needs_attention(self) -> bool:
        return self.outcome == Outcome.REFUSED or any(part.outcome == "refused" for part in self.parts)
