"""Reading operators' CSV files (the TKPI table, price lists) record by record."""

import csv
from collections.abc import Iterator, Sequence
from typing import Any


class UnreadableFile(Exception):
    """The file as a whole cannot be imported (missing, not UTF-8 text, no usable header)."""


def header(reader: Any, required: Sequence[str]) -> list[str]:
    """The lower-cased column names of a csv.reader's first line; UnreadableFile when the
    file is empty, the line cannot be read or a required column is missing."""
    try:
        names = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UnreadableFile("the file is empty") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"the header cannot be read: {exc}") from None
    missing = [c for c in required if c not in names]
    if missing:
        raise UnreadableFile(f"the header lacks column(s): {', '.join(missing)}")
    return names


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
