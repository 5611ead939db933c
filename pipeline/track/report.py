"""`engagiert report`: one self-contained HTML file about the round (out/<round>/report.html).

Everything is inline: CSS in the template, charts and the map as SVG drawn here, no scripts, fonts or
images from anywhere, so the file opens offline and can be mailed as it is. Jinja2 autoescapes every
value (names and reasons come from a spreadsheet and from clerks). Geometry is computed here, in
numbers; the template only places it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..fileio import write_text_atomic
from ..german import local_time
from ..i18n import _, ngettext
from ..round import RoundConfig
from ..states import STATE_LABELS_DE, State
from ..templating import TEMPLATES_DIR, environment
from .nrwmap import geojson_path, load_map
from .status import (
    DocumentStatus,
    RoundStatus,
    bezirk_order,
    collect_status,
    german_date,
    summary,
)

REPORT_FILE = "report.html"
#: Fill colours by state; distinguishable in greyscale print too (light to dark roughly by progress).
STATE_COLOURS = {
    State.RENDERED: "#cfd8dc",
    State.SENT: "#64b5f6",
    State.INCOMPLETE: "#ffca28",
    State.VERIFIED: "#2e7d32",
    State.REJECTED: "#c62828",
    State.NEEDS_REVIEW: "#8e24aa",
    State.SUPERSEDED: "#9e9e9e",
}
NOT_IN_ROUND = "#eeeeee"
#: "Frist 30.06.2024" in the chart's 11 px type is about this wide (SVG units).
DEADLINE_LABEL_WIDTH = 100


@dataclass(frozen=True)
class ReportResult:
    path: Path
    documents: int
    verified: int
    map_shapes: int | None  # None: no map (boundaries file missing)
    off_map: int  # documents whose AGS has no outline on the map
    geojson: Path | None = None  # the boundaries file asked for

    def line(self) -> str:
        map_note = (_("map of {count} areas").format(count=self.map_shapes) if self.map_shapes is not None
                    else _("no map ({file} not found)").format(file=self.geojson))
        off_map = ngettext(", {count} document(s) not on the map", ", {count} document(s) not on the map",
                           self.off_map).format(count=self.off_map) if self.off_map else ""
        return _("Wrote {file}: {verified} of {total} verified, {map}").format(
            file=self.path, verified=self.verified, total=self.documents, map=map_note) + off_map


def _bars(documents: list[DocumentStatus], width: float = 380.0) -> list[dict]:
    """One stacked bar per Regierungsbezirk, segments in state order, widths relative to the largest bar."""
    groups = {b: [d for d in documents if d.regierungsbezirk == b] for b in bezirk_order(documents)}
    largest = max((len(members) for members in groups.values()), default=0) or 1
    bars = []
    for index, (bezirk, members) in enumerate(groups.items()):
        x, segments = 0.0, []
        for state, count in summary(members).items():
            if count:
                segment_width = width * count / largest
                segments.append({"state": state, "label": STATE_LABELS_DE[state], "count": count,
                                 "x": round(x, 2), "width": round(segment_width, 2),
                                 "colour": STATE_COLOURS[state]})
                x += segment_width
        verified = sum(1 for d in members if d.state == State.VERIFIED)
        bars.append({"name": bezirk or "ohne Angabe", "y": index * 34, "total": len(members),
                     "verified": verified, "segments": segments, "end": round(x, 2)})
    return bars


def _timeline(status: RoundStatus, deadline: dt.date | None, width: float = 460.0,
              height: float = 180.0) -> dict:
    """Cumulative verified returns by day: each current document counts from the event that verified it."""
    total = len(status.documents)
    days = sorted(dt.date.fromisoformat(d.since[:10]) for d in status.documents if d.state == State.VERIFIED)
    sent = [dt.date.fromisoformat(d.sent_at[:10]) for d in status.documents if d.sent_at]
    start = min([*sent, *days[:1]], default=status.today)
    end = max([status.today, *days[-1:]])
    if end <= start:
        end = start + dt.timedelta(days=1)
    span = (end - start).days

    def x_of(day: dt.date) -> float:
        return round((day - start).days / span * width, 2)

    def y_of(count: int) -> float:
        return round(height - (count / total * height if total else 0), 2)

    points, count = [(0.0, y_of(0))], 0
    for day in days:
        points.append((x_of(day), y_of(count)))  # a step: flat until the day, then up
        count += 1
        points.append((x_of(day), y_of(count)))
    points.append((x_of(end), y_of(count)))
    step = max(1, span // 6)
    ticks, shown_year = [], None
    for offset in range(0, span + 1, step):
        day = start + dt.timedelta(days=offset)
        # The year on the first tick and wherever it changes: a round may run over New Year.
        ticks.append({"x": x_of(day), "label": day.strftime("%d.%m.%Y" if day.year != shown_year else "%d.%m.")})
        shown_year = day.year
    y_ticks = sorted({0, total // 2, total})
    return {
        "width": width, "height": height, "points": " ".join(f"{x:g},{y:g}" for x, y in points),
        "ticks": ticks, "y_ticks": [{"y": y_of(value), "label": value} for value in y_ticks],
        # The label stands left of the dashed line, or right of it when there is no room on the left.
        "deadline": ({"x": x_of(deadline), "label": deadline.strftime("%d.%m.%Y"),
                      "anchor": "end" if x_of(deadline) > DEADLINE_LABEL_WIDTH else "start"}
                     if deadline and start <= deadline <= end else None),
        "verified": count, "total": total, "start": german_date(start.isoformat()),
        "end": german_date(end.isoformat()),
    }


def _map(status: RoundStatus, geojson: Path) -> tuple[dict | None, int]:
    nrw = load_map(geojson)
    by_ags = {d.ags: d for d in status.documents}
    if nrw is None:
        return None, len(by_ags)
    municipalities, districts = [], []
    for shape in nrw.shapes:
        document = by_ags.get(shape.ags)
        item = {"ags": shape.ags, "d": shape.d,
                "name": document.bezeichnung if document else shape.name,
                "state": document.state if document else "none",
                "label": STATE_LABELS_DE[document.state] if document else "nicht in dieser Runde",
                "colour": STATE_COLOURS[document.state] if document else NOT_IN_ROUND}
        (districts if shape.is_district else municipalities).append(item)
    on_map = {shape.ags for shape in nrw.shapes}
    return ({"width": nrw.width, "height": nrw.height, "municipalities": municipalities,
             "districts": districts, "source": nrw.source.name}, sum(1 for ags in by_ags if ags not in on_map))


def _row(document: DocumentStatus, today: dt.date) -> dict:
    days = document.days_since_sent(today)
    return {"ags": document.ags, "bezeichnung": document.bezeichnung, "state": document.state,
            "label": STATE_LABELS_DE[document.state], "reason": document.reason_de or "",
            "sent": german_date(document.sent_at), "days": "" if days is None else days,
            "reminded": german_date(document.last_reminder), "contact": document.contact,
            "email": document.email, "since": german_date(document.since),
            "regierungsbezirk": document.regierungsbezirk, "doc_id": document.doc_id}


def overview_context(status: RoundStatus, round_cfg: RoundConfig, geojson: Path) -> dict:
    """The counts, the bars per Regierungsbezirk, the time chart and the map (the clerk's overview)."""
    documents = status.documents
    counts = summary(documents)
    total = len(documents)
    map_data, off_map = _map(status, geojson)
    return {
        "round_id": status.round_id, "title": round_cfg.title, "as_of": german_date(status.today.isoformat()),
        "deadline": german_date(round_cfg.deadline.isoformat()) if round_cfg.deadline else "",
        "total": total, "verified": counts[State.VERIFIED],
        "percent": round(100 * counts[State.VERIFIED] / total) if total else 0,
        "states": [{"state": state, "label": STATE_LABELS_DE[state], "count": count,
                    "colour": STATE_COLOURS[state]} for state, count in counts.items()],
        "bars": _bars(documents), "timeline": _timeline(status, round_cfg.deadline),
        "map": map_data, "off_map": off_map, "not_in_round_colour": NOT_IN_ROUND,
        "generated": local_time(status.now),
    }


def build_context(status: RoundStatus, round_cfg: RoundConfig, geojson: Path) -> dict:
    """The overview and the tables of what is outstanding, rejected and in review (the HTML report)."""
    documents = status.documents
    order = {State.REJECTED: 0, State.INCOMPLETE: 1, State.NEEDS_REVIEW: 2, State.SENT: 3, State.RENDERED: 4,
             State.SUPERSEDED: 5}
    outstanding = sorted((d for d in documents if d.outstanding), key=lambda d: (order.get(d.state, 9), d.ags))
    return {
        **overview_context(status, round_cfg, geojson),
        "outstanding": [_row(d, status.today) for d in outstanding],
        "rejected": [_row(d, status.today) for d in documents if d.state == State.REJECTED],
        "needs_review": [_row(d, status.today) for d in documents if d.state == State.NEEDS_REVIEW],
    }


def render_html(context: dict, templates_dir: Path = TEMPLATES_DIR) -> str:
    return environment(templates_dir, trim_blocks=True).get_template("report.html.j2").render(**context)


def write_report(out: Path, round_cfg: RoundConfig, geojson: Path | None = None) -> ReportResult:
    """`geojson`: the municipality boundaries (default: $ENGAGIERT_GEOJSON, else those in pipeline/data)."""
    geojson = geojson_path(geojson)
    status = collect_status(out, round_cfg.id)
    context = build_context(status, round_cfg, geojson)
    path = round_cfg.round_dir(out) / REPORT_FILE
    write_text_atomic(path, render_html(context))
    map_shapes = len(context["map"]["municipalities"]) + len(context["map"]["districts"]) if context["map"] else None
    return ReportResult(path, context["total"], context["verified"], map_shapes, context["off_map"], geojson)
