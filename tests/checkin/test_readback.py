"""Reading back a page in doubt (readback.py): which printed line a part lies on, and when a reading is ours,
another document's, or nothing in particular."""

from __future__ import annotations

from pipeline.checkin.readback import MARGIN, READ_MIN, _best, letters, printed_line, similarity


def test_a_part_covering_the_end_of_a_name_is_read_as_the_whole_printed_line(rendered_pdf, record):
    name = f"{record.signatory['vorname']} {record.signatory['nachname']}"
    whole = printed_line(rendered_pdf, 2, (300.0, 0.0, 600.0, 842.0))   # somewhere in the right-hand column
    assert whole is not None
    # find the name's line, then ask with a region around its last letters only
    for bottom in range(200, 400, 2):
        found = printed_line(rendered_pdf, 2, (300.0, float(bottom), 600.0, float(bottom + 3)))
        if found and record.signatory["nachname"] in found[0]:
            break
    else:
        raise AssertionError(f"no line with {name}")
    text, (left, low, right, high) = found
    tail = printed_line(rendered_pdf, 2, (right - 12.0, low, right, high))
    assert tail is not None and name in tail[0] and tail[1] == found[1], (tail, found)
    # the Land's signer on the same baseline, in the left column, is another line
    assert "Milz" not in tail[0] and left > 250


def test_a_name_contained_in_another_reads_as_the_other():
    """Symmetric: "Gemeinde Much" is not found in a clean reading of "Gemeinde Mudersbach"."""
    read = "Gemeinde Mudersbach"
    ours = similarity("Gemeinde Much", read)
    theirs, label = _best(read, [("Much", "Gemeinde Much"), ("Mudersbach", "Gemeinde Mudersbach")])
    assert label == "Mudersbach" and theirs >= READ_MIN and theirs >= ours + MARGIN
    assert similarity("Stadt Werl", "Stadt Werne") < 1.0 and similarity("Stadt Werne", "Stadt Werne") == 1.0


def test_letters_ignore_what_english_ocr_cannot_read():
    assert letters("Bürgermeisterin, Stadt Groß-Gerau") == letters("Burgermeisterin Stadt Gross Gerau")
    assert similarity("", "anything") == 0.0 and similarity("Stadt Hamm", "") == 0.0
