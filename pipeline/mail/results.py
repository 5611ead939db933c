"""What a mail check-in reports about each mail or archive (its attachments report as uploads)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..checkin import UploadResult
from ..states import Outcome


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
        lines = [f"{self.name}: {self.reason}" if self.outcome == Outcome.UNPACKED else
                 f"{self.name}: {self.outcome.upper()}: {self.reason}"]
        lines += [f"  {part.label}: {part.outcome.replace('_', ' ')}: {part.reason}" for part in self.parts
                  if part.outcome != "unpacked"]
        return lines

    @property
    def needs_attention(self) -> bool:
        return self.outcome == Outcome.REFUSED or any(part.outcome == "refused" for part in self.parts)
