"""spreadsheet.parse_csv (pandas) reads a CSV record for record as Python's csv module, the reader it replaced.

The csv module is the reference: quoted separators and newlines, doubled quotes, a quote in the middle of a
field, blank lines, CR, CRLF, short and long rows, a quote left open at the end. What validation sees is
the same: each record padded to the header's width, and a row with something beyond the header keeping
its cells up to the last filled one.
"""

from __future__ import annotations

import csv
import io
import random

import pytest

from pipeline.spreadsheet import parse_csv

EDGE_CASES = [
    "a,b\n1,2\n", "a,b\n\n1,2\n", "a,b\n   \n1,2\n", "a,b,\n1,2\n", "a,b\n1\n", 'a,b\n"x\ny",2\n',
    'a,b\n"x"y,2\n', 'a,b\nx"y",2\n', 'a,b\n"unterminated,2\n3,4\n', "a,b\r\n1,2\r\n", "a,b\r1,2\r",
    "a,b\n1,2,3\n", "a,b\n1,2", "", "\n\n\n", "\r\n\r\n", "a\n", 'a,b\n"",""\n', "a,b\n,\n", 'a,b\n"x""y",2\n',
    'a,b\n "q",2\n', "a,b\n#c,2\n", "a,b\n1,2\n\n", "a,b,c,,\n1,2,3,4\n", "a,b\n1,2,,x,,\n",
    'a,b\n"1,\n2,3,4,5",6,7,8,9\n', 'a,"b\nc",d\n1,2,3\n', '"', 'a,b\n"', "a,b\n1,\"2\r\n3\"\n",
    "a\tb\n1\t2\n", "a,b\n\x0c,2\n", "x\n1,2,3,4,5,6,7,8,9,10,11,12\n",
]


def csv_module_rows(text: str, delimiter: str) -> list[list[str]]:
    """The csv module's records, shaped the way parse_csv documents."""
    records = [list(record) for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    if not records:
        return []
    width = len(records[0])
    shaped = []
    for record in records:
        if any(record[width:]):
            while record[-1] == "":
                record.pop()
            shaped.append(record)
        else:
            shaped.append((record + [""] * width)[:width])
    return shaped


def _comparable(rows: list[list[str]]) -> list[list[str]]:
    # A text of nothing but line breaks has no header: both readers' rows are then all blank.
    return [] if all(not any(row) for row in rows) else rows


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_read_as_the_csv_module_reads_them(text):
    delimiter = "\t" if "\t" in text else ","
    assert _comparable(parse_csv(text, delimiter, "s.csv")) == _comparable(csv_module_rows(text, delimiter))


def test_random_texts_read_as_the_csv_module_reads_them():
    """Short random texts over the characters that matter to a CSV parser."""
    alphabet = [",", ",", ";", '"', '"', "\n", "\n", "\r", "\r\n", " ", "a", "b", "ä", "1", ""]
    generator = random.Random(11)
    for _ in range(400):
        text = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 30)))
        expected = _comparable(csv_module_rows(text, ","))
        assert _comparable(parse_csv(text, ",", "s.csv")) == expected, repr(text)
