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


@lru_cache(maxsize=16)
def environment(templates_dir: Path = TEMPLATES_DIR, *, text: bool = False, trim_blocks: bool = False,
                keep_trailing_newline: bool = False):
    """The environment for `templates_dir`: HTML (autoescaped) unless `text`. `trim_blocks` also strips
    the whitespace around block tags (the report and mail texts are written with readable indentation)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(Path(templates_dir)), autoescape=not text,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=keep_trailing_newline,
                              trim_blocks=trim_blocks, lstrip_blocks=trim_blocks)


def load_weasyprint():
    """Import WeasyPrint, turning a missing Pango/HarfBuzz into an instruction instead of a traceback."""
    try:
        import weasyprint
    except (OSError, ImportError) as exc:  # cffi raises OSError when a shared library is missing
        from .errors import MissingDependencyError

        raise MissingDependencyError(
            f"WeasyPrint cannot load a system library ({exc}). Install them with:\n"
            "  sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"
        ) from exc
    return weasyprint
