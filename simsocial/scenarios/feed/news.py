"""The news items agents may share: a CSV of title, summary, source and date, read strictly.

Törnberg et al. (2023) fed their agents one day of real headlines; users bring their own file
(`twitter.news`), and `scenarios/data/synthetic_news.csv` is a small made-up set for examples and
tests (every row says `synthetic` in its `synthetic_note` column). Columns beyond the four are
kept aside, never guessed into a field. Each item's id is its row number from 0, in file order.
A missing column, an empty title or source, a date that is not YYYY-MM-DD or a malformed row
is a `UserFileError` naming the file and line.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from simsocial.userfiles import UserFileError, display, read_text

COLUMNS = ("title", "summary", "source", "date")
REQUIRED = ("title", "source", "date")  # a summary may be empty
WHAT = "a CSV file of news items"


@dataclass(frozen=True)
class NewsItem:
    """One headline as the feed shows it; `news_id` is its row number from 0."""

    news_id: int
    title: str
    summary: str
    source: str
    date: str
    synthetic: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_news(path: str | Path) -> list[NewsItem]:
    """The items of a news CSV in file order; UserFileError (file:line) says what is wrong."""
    shown = display(path)
    reader = csv.DictReader(io.StringIO(read_text(path, WHAT), newline=""))
    header = reader.fieldnames or []
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        found = ", ".join(repr(h) for h in header) if header else "no columns"
        message = f"needs the columns {', '.join(COLUMNS)}; missing {', '.join(missing)} "
        raise UserFileError(shown, 1, message + f"(found {found})")
    items: list[NewsItem] = []
    try:
        for row in reader:
            items.append(_item(row, len(items), shown, reader.line_num))
    except csv.Error as exc:
        raise UserFileError(shown, reader.line_num, f"not valid CSV ({exc})") from None
    if not items:
        raise UserFileError(shown, None, "holds no news items (only a header)")
    return items


def _item(row: dict[str, Any], news_id: int, shown: str, line: int) -> NewsItem:
    if None in row:
        raise UserFileError(shown, line, "more cells than header columns")
    cells = {name: (row.get(name) or "").strip() for name in COLUMNS}
    empty = [name for name in REQUIRED if not cells[name]]
    if empty:
        raise UserFileError(shown, line, f"the {empty[0]} is empty")
    try:
        datetime.date.fromisoformat(cells["date"])
    except ValueError:
        message = f"the date {cells['date']!r} is not a date written YYYY-MM-DD"
        raise UserFileError(shown, line, message) from None
    note = (row.get("synthetic_note") or "").casefold()
    return NewsItem(news_id, **cells, synthetic="synthetic" in note)


def describe(items: list[NewsItem], path: str | None) -> dict[str, Any]:
    """What the run's news were, for the `news` event and the manifest."""
    if path is None:
        return {"file": None, "items": 0, "synthetic": False}
    return {
        "file": display(path),
        "items": len(items),
        "synthetic": bool(items) and all(item.synthetic for item in items),
        "sources": sorted({item.source for item in items}),
        "dates": sorted({item.date for item in items}),
    }
