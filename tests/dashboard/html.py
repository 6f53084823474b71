"""Reading the dashboard's pages the way the tests compare them with the API: the tables.

Each table of a page has an `id`; its rows carry `data-key` and their cells `data-field`.
`tables(html)` gives {table id: {row key: {field: cell text}}}; `number(text)` reads a
cell as the page shows it (thousands separators, a dash for unknown).
"""

from html.parser import HTMLParser
from typing import Any


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.attrs_of: dict[str, dict[str, str]] = {}
        self._table: str | None = None
        self._row: str | None = None
        self._field: str | None = None
        self._text: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.attrs_of[a["id"]] = a
        if tag == "table" and "id" in a:
            self._table = a["id"]
            self.tables[self._table] = {}
        elif tag == "tr" and self._table and "data-key" in a:
            self._row = a["data-key"]
            self.tables[self._table][self._row] = {}
        elif tag in ("td", "dd", "th") and "data-field" in a:
            self._field = a["data-field"]
            self._text = []
        if tag == "dl" and a.get("id") == "summary":
            self._table = "summary"
            self._row = "summary"
            self.tables["summary"] = {"summary": {}}

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "dd", "th") and self._field is not None:
            if self._table is not None and self._row is not None:
                self.tables[self._table][self._row][self._field] = " ".join(
                    "".join(self._text).split()
                )
            self._field = None
        elif tag == "tr" and self._table != "summary":
            self._row = None
        elif tag in ("table", "dl"):
            self._table = None
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._field is not None:
            self._text.append(data)


def tables(html: str) -> dict[str, dict[str, dict[str, str]]]:
    """Every table of the page with an id: {id: {row key: {field: text}}}."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def element_attrs(html: str, element_id: str) -> dict[str, str]:
    """The attributes of the element with this id."""
    parser = _Tables()
    parser.feed(html)
    return parser.attrs_of[element_id]


def number(text: str) -> Any:
    """A cell as a number: None for the dash of an unknown value."""
    text = text.replace(",", "").removeprefix("Rp ").strip()
    if text in ("—", ""):
        return None
    if text.endswith("%"):
        return float(text[:-1])
    return float(text) if "." in text else int(text)


def shown(page: dict[str, dict[str, dict[str, str]]], expected: dict[str, Any]) -> dict[str, Any]:
    """The page's tables cut to the tables, rows and fields `expected` names, each cell
    read as the expected value's kind (numbers as numbers, text as text)."""
    out: dict[str, Any] = {}
    for table, rows in expected.items():
        out[table] = {}
        for key, fields in rows.items():
            row = page.get(table, {}).get(key)
            if row is None:
                out[table][key] = None
                continue
            out[table][key] = {
                field: (row.get(field) if isinstance(value, str) else _maybe_number(row.get(field)))
                for field, value in fields.items()
            }
    return out


def _maybe_number(text: str | None) -> Any:
    return None if text is None else number(text)
