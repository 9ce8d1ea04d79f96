"""What a search box on a list matches: every word typed, in any order, case and accents aside.

One rule for every list a person filters by typing (the roster, a standards framework), so
"zoe mart" finds "Zoë Martin" on each of them.
"""

from __future__ import annotations

import unicodedata

# A search box's text is cut here: nothing longer is a name, a code or a phrase to look for.
MAX_QUERY_LENGTH = 200


def folded(text: str) -> str:
    """Text as a search compares it, case and accents dropped: "Zoë" -> "zoe", "ß" -> "ss"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def query_words(query: str) -> list[str]:
    """The words of a search box's text, folded; none for an empty or blank box."""
    return folded(query[:MAX_QUERY_LENGTH]).split()


def matches_words(words: list[str], *texts: str | None) -> bool:
    """Whether each of `words` (from query_words) is in one of the texts; no words match all."""
    haystack = folded(" ".join(t for t in texts if t))
    return all(word in haystack for word in words)
