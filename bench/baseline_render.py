"""The baseline of the performance issue: the plain loop of WeasyPrint's tutorial.

For each row: render the template, then `HTML(string=...).write_pdf(path)`, in one process, with no
shared font configuration or stylesheet object. Same template and data as `engagiert render`.
Usage: baseline_render.py SIGNATORIES ROUND OUT_DIR [LIMIT]
"""

import sys
from pathlib import Path

import jinja2
import weasyprint

from pipeline import docid
from pipeline.render.layout import document_context
from pipeline.round import load_round
from pipeline.signatories import load_signatories
from pipeline.templating import TEMPLATES_DIR


def main() -> None:
    signatories_file, round_file, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
    signatories = load_signatories(signatories_file).signatories[:limit]
    round_cfg = load_round(round_file)
    secret = docid.load_secret(out)
    out.mkdir(parents=True, exist_ok=True)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    template = environment.get_template("erklaerung.html.j2")
    css = (TEMPLATES_DIR / "style.css").read_text()
    for signatory in signatories:
        doc_id = str(docid.make_doc_id(secret, round_cfg.id, signatory.ags, 1))
        html = template.render(docs=[document_context(signatory, round_cfg, doc_id)], mode="full")
        weasyprint.HTML(string=html, base_url=str(TEMPLATES_DIR)).write_pdf(
            out / f"{signatory.ags}.pdf", stylesheets=[weasyprint.CSS(string=css)])


if __name__ == "__main__":
    main()
