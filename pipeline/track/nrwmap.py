"""The map of NRW for the report: municipality and district outlines from a GeoJSON file as SVG paths.

The file shipped in the package (pipeline/data/nrw-grenzen.geojson, a copy of the project's
../shared/data/nrw-grenzen.geojson; sources in data/SOURCE.md) holds 427 Polygons in planar metres
(Gauß-Krüger zone 3, EPSG:31467): 396 municipalities (8-digit AGS) and 31 districts (5-digit AGS).
Planar metres can be drawn directly; only y is flipped (north is up on a map, down in SVG).
Its `name` properties are double-encoded UTF-8 ("DÃ¼sseldorf"); `repair_name` undoes that, but the
report prefers the names from the ledger anyway.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidInputError
from ..i18n import _

#: Where the boundaries are looked for unless --geojson / ENGAGIERT_GEOJSON says otherwise: package data, so an
#: installed tool (pip install ., not only -e) draws the map from any folder.
DEFAULT_GEOJSON = Path(__file__).resolve().parents[1] / "data" / "nrw-grenzen.geojson"
GEOJSON_ENV = "ENGAGIERT_GEOJSON"
MAP_WIDTH = 760.0


@dataclass(frozen=True)
class Shape:
    ags: str
    name: str
    d: str  # SVG path data in map pixels

    @property
    def is_district(self) -> bool:
        return len(self.ags) == 5


@dataclass(frozen=True)
class NrwMap:
    width: float
    height: float
    shapes: list[Shape]
    source: Path


def geojson_path(explicit: Path | None = None) -> Path:
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(GEOJSON_ENV) or DEFAULT_GEOJSON)


def repair_name(name: str) -> str:
    """"DÃ¼sseldorf" -> "Düsseldorf"; a name that is already right stays as it is."""
    try:
        return name.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return name


def _rings(geometry: dict | None) -> list[list]:
    if not isinstance(geometry, dict):
        return []  # GeoJSON allows a feature without geometry ("geometry": null)
    kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
    if kind == "Polygon":
        return list(coordinates)
    if kind == "MultiPolygon":
        return [ring for polygon in coordinates for ring in polygon]
    return []


def load_map(path: Path, width: float = MAP_WIDTH) -> NrwMap | None:
    """The outlines scaled into a width x height box; None if the file is missing (the report says so).

    A file that exists but is not usable GeoJSON is an error naming the file: better than a silent blank map.
    """
    path = Path(path)
    if not path.is_file():
        return None
    info = path.stat()
    return _scaled_map(path, width, info.st_mtime_ns, info.st_size)


@functools.lru_cache(maxsize=4)
def _scaled_map(path: Path, width: float, _mtime_ns: int, _size: int) -> NrwMap:
    """Read once per version of the file (a server draws the map for every new status; 0.1 s each)."""
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
        shapes = [(str(feature["properties"]["ags"]), repair_name(str(feature["properties"].get("name", ""))),
                   _rings(feature["geometry"])) for feature in features]
        points = [point for _, _, rings in shapes for ring in rings for point in ring]
        xs, ys = [float(p[0]) for p in points], [float(p[1]) for p in points]
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InvalidInputError(_("{file}: not a GeoJSON FeatureCollection with 'ags' properties ({error})").format(
            file=path, error=exc)) from exc
    if not points:
        raise InvalidInputError(_("{file}: the GeoJSON file holds no polygons to draw a map from").format(file=path))
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    scale = width / ((max_x - min_x) or 1.0)
    height = (max_y - min_y) * scale

    def ring_path(ring) -> str:
        out, last = [], None
        for x, y, *_rest in ring:
            point = (round((float(x) - min_x) * scale, 1), round((max_y - float(y)) * scale, 1))
            if point != last:  # points closer than a tenth of a pixel add bytes, not detail
                out.append(f"{point[0]:g},{point[1]:g}")
                last = point
        return "M" + "L".join(out) + "Z" if len(out) > 2 else ""

    result = [Shape(ags, name, "".join(ring_path(ring) for ring in rings)) for ags, name, rings in shapes]
    return NrwMap(round(width, 1), round(height, 1), [shape for shape in result if shape.d], path)
