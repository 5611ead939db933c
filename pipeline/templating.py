"""Templates to output: one factory for Jinja environments (documents, letters, report, mail texts), and
WeasyPrint, which turns the HTML into PDF.

HTML templates autoescape every value (names come from a spreadsheet and are text, never markup);
text templates (e-mail bodies) do not escape, so an "&" in a name stays "&". Undefined names fail
loudly in both, so a template typo is an error, not an empty line on paper.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

#: The templates and style sheets, shipped inside the package (package data), so an installed tool
#: renders from any folder.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


#: Templates a round may replace with its own wording ([letter] templates in round.toml): the cover letter
#: and its style sheet, the reminder texts, the answer to a mail. The declaration itself is not among them:
#: its text is the agreed one.
OVERRIDABLE = ("cover_letter.html.j2", "cover_letter.css", "reminder.txt.j2", "reminder_rejected.txt.j2",
               "reminder_footer.txt.j2", "mail_reply.txt.j2")


@lru_cache(maxsize=16)
def environment(templates_dir: Path = TEMPLATES_DIR, *, text: bool = False, trim_blocks: bool = False,
                keep_trailing_newline: bool = False, overrides: Path | None = None):
    """The environment for `templates_dir`: HTML (autoescaped) unless `text`. `trim_blocks` also strips
    the whitespace around block tags (the report and mail texts are written with readable indentation).
    `overrides`: a round's own folder, looked in first (only OVERRIDABLE names are there; round.py checks)."""
    import jinja2

    loader = jinja2.FileSystemLoader(Path(templates_dir))
    if overrides is not None:
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(Path(overrides)), loader])
    return jinja2.Environment(loader=loader, autoescape=not text,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=keep_trailing_newline,
                              trim_blocks=trim_blocks, lstrip_blocks=trim_blocks)


def template_file(name: str, templates_dir: Path = TEMPLATES_DIR, overrides: Path | None = None) -> Path:
    """A template file by name (a style sheet, say): the round's own if it has one, else the shipped one."""
    if overrides is not None and (Path(overrides) / name).is_file():
        return Path(overrides) / name
    return Path(templates_dir) / name


def load_weasyprint():
    """Import WeasyPrint, turning a missing Pango/HarfBuzz into an instruction instead of a traceback."""
    try:
        import weasyprint
    except (OSError, ImportError) as exc:  # cffi raises OSError when a shared library is missing
        from .errors import MissingDependencyError
        from .i18n import _

        raise MissingDependencyError(_(
            "WeasyPrint cannot load a system library ({error}). Install them with:\n"
            "  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
        ).format(error=exc)) from exc
    return weasyprint
