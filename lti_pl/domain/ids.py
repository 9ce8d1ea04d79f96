"""Row ids and page numbers as a browser sends them: in a URL, a form field's value or name."""

from __future__ import annotations

from lti_pl.domain.errors import InvalidInputError

#: The largest id our tables hold: their id columns are INTEGER, 32-bit signed on PostgreSQL. A
#: bigger number names no row; passed on, PostgreSQL refuses it ("integer out of range") and, past
#: 64 bits, the SQLite driver overflows, instead of finding nothing.
MAX_ID = 2**31 - 1


def parse_id(text: str) -> int | None:
    """The row id `text` spells, or None when it spells none.

    Only ASCII digits count: `str.isdigit()` also accepts "²" (which `int()` refuses) and
    "١٢" (another script's digits), and a 5,000-digit number would make `int()` raise.
    """
    text = text.strip()
    if not text or len(text) > len(str(MAX_ID)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= MAX_ID else None


def parse_page(page: str | int) -> int:
    """A page number from a link (`?page=`): 1 when none is given.

    Raises:
        InvalidInputError: not a whole number from 1 (a broken or edited link).
    """
    text = str(page).strip() or "1"
    if not (text.isascii() and text.isdigit()) or len(text) > 6 or int(text) < 1:
        raise InvalidInputError("Pages are numbered from 1.", field="page")
    return int(text)


def page_count(items: int, per_page: int) -> int:
    """How many pages `items` fill, `per_page` a page (at least one, so an empty list has one)."""
    return max(1, -(-items // per_page))
