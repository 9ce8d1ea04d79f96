"""Teachers write activity instructions in Markdown; students see sanitised HTML."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

#: Tags Markdown produces that we keep; anything else (raw HTML, scripts) is stripped.
ALLOWED_TAGS = frozenset(
    {
        "a", "p", "br", "hr", "em", "strong", "code", "pre", "blockquote",
        "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody",
        "tr", "th", "td", "del", "img",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

# html=False: raw HTML in the source is shown as text, and nh3 still cleans what Markdown makes
# (javascript: links, odd attributes), so neither layer alone has to be perfect.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_parser.enable("strikethrough")


def render_markdown(source: str) -> Markup:
    """Render teacher Markdown to safe HTML; links open with rel="noopener".

    Headings start at h2 on the page, so a Markdown `#` becomes h2 to keep the outline in order.
    """
    html = _parser.render(source or "")
    for level in range(5, 0, -1):
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above
