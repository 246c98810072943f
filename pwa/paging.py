"""Long lists a page at a time: a caseload, a section with many entries, a review.

A page shows what a person can take in; the totals above it stay exact. The
page number comes from the query string and is clamped to the pages there are,
so an old link or a hand-edited number still shows a page.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import request, url_for


@dataclass(frozen=True)
class Page:
    """Page ``number`` (from 1) of ``total`` items, ``size`` at a time."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, also for an empty list)."""
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        """How many items come before this page."""
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first item; 0 for an empty list."""
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        """The position of the page's last item."""
        return min(self.offset + self.size, self.total)

    def url(self, number: int, **values) -> str:
        """This page's URL with another page number (other query values kept, ``values``
        added: which list of the page, an anchor to it)."""
        args = {**request.args.to_dict(), **(request.view_args or {}), **values}
        args["page"] = number
        if number == 1 and not values:
            args.pop("page")
        return url_for(request.endpoint, **args)


def requested_page(total: int, size: int, asked: bool = True) -> Page:
    """The page the query string asks for, within the pages ``total`` items make
    (the first, when the query is about another list on the page: ``asked`` False)."""
    raw = request.args.get("page", "1") if asked else "1"
    number = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1
    pages = max(1, -(-total // size))
    return Page(min(max(number, 1), pages), size, total)
