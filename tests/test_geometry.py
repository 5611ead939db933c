"""The geometry of a rendered document: typed in the code, stored in the ledger as it always was."""

from pipeline.geometry import Geometry, Rect, SignatureBox

# As a round rendered before the typed Geometry stored it (documents.geometry of the ledger).
STORED = ('{"page_size": [595.28, 841.8898], "qr": {"1": [476.22, 17.01, 532.91, 73.7], '
          '"2": [476.22, 17.01, 532.91, 73.7]}, "signature_box": {"box": [318.9, 291.67, 532.91, 360.3], "page": 2}}')


def test_a_stored_geometry_loads_typed_and_is_written_back_unchanged():
    geometry = Geometry.from_json(STORED)
    assert geometry.page_size == (595.28, 841.8898)
    assert geometry.signature_box == SignatureBox(2, Rect(318.9, 291.67, 532.91, 360.3))
    assert geometry.signature_box.rect.top == 360.3
    assert geometry.qr == {1: Rect(476.22, 17.01, 532.91, 73.7), 2: Rect(476.22, 17.01, 532.91, 73.7)}
    assert geometry.to_json() == STORED


def test_a_layout_without_a_signature_box_round_trips_as_null():
    geometry = Geometry((595.28, 841.8898), None, {1: Rect(1.0, 2.0, 3.0, 4.0)})
    assert Geometry.from_json(geometry.to_json()) == geometry
    assert '"signature_box": null' in geometry.to_json()
