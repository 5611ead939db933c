"""engagiert: signing rounds of the Kommunen-Netzwerk: engagiert in NRW."""

from pathlib import Path

# The Jinja2 templates and style sheets of documents, cover letters, reminders and the report.
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
