"""Reading operators' CSV files (the TKPI table, price lists) record by record."""

import csv
from collections.abc import Iterator
from typing import Any


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (missing, not UTF-8 text, no usable header)."""


def records(reader: Any, start: int) -> Iterator[tuple[int, list[str]]]:
    """(first line, values) of each non-blank record of a csv.reader; a broken record ends
    the file with UnreadableFile naming its line."""
    line = start
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise UnreadableFile(f"line {line}: cannot be read ({exc})") from None
        if values and any(v.strip() for v in values):
            yield line, values
        line = reader.line_num + 1
