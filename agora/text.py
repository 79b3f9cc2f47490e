"""User-written text: Markdown rendered, then sanitised against an allowlist before it is trusted."""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is escaped by the renderer; the sanitiser is the second wall.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])
ALLOWED_TAGS = {
    "p", "br", "strong", "em", "del", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "table", "thead", "tbody", "tr", "th", "td", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


# Rendering is a pure function of the source and the busiest pages (comment threads) show the same
# texts to every visitor: recent results are kept per process. Only sources up to this length, so the
# cache stays small (2,048 entries: a few MB for typical comments, at most about 25 MB).
_CACHED_SOURCE_CHARS = 5000


def render_markdown(source: str) -> Markup:
    """Markdown to safe HTML: no scripts, no event handlers, links only to http(s) and mailto."""
    source = source or ""
    if _is_plain(source):
        return _plain_html(source)
    if len(source) <= _CACHED_SOURCE_CHARS:
        return _render_cached(source)
    return _render(source)


# Most comments are plain prose: no character or line start that Markdown gives a meaning to. Their HTML
# is known without the parser or the sanitiser: a paragraph at each blank line, around text that holds no
# "<", ">" or "&" (the allowed characters below), so nothing in it can be markup. Eight times faster than
# both; a property test checks it equals the parser's output after sanitising.
_PLAIN_CHARACTERS = re.compile(r"[\w ,.;:'\"?!()/%$€@=+\n-]*")
_MARKUP_AT_LINE_START = re.compile(r"^[ \d=+-]| $", re.MULTILINE)  # indents, lists, underlines, hard breaks


def _is_plain(source: str) -> bool:
    return (_PLAIN_CHARACTERS.fullmatch(source) is not None and "_" not in source
            and _MARKUP_AT_LINE_START.search(source) is None)


def _plain_html(source: str) -> Markup:
    paragraphs, lines = [], []
    for line in [*source.split("\n"), ""]:
        if line:
            lines.append(line)
        elif lines:
            paragraphs.append("<p>" + "\n".join(lines) + "</p>\n")
            lines = []
    return Markup("".join(paragraphs))  # noqa: S704 (only <p> around text without <, > or &: see above)


@lru_cache(maxsize=2048)
def _render_cached(source: str) -> Markup:
    return _render(source)


def _render(source: str) -> Markup:
    return _sanitise(_markdown.render(source))


def _sanitise(html: str) -> Markup:
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer ugc",
    )
    return Markup(clean)  # noqa: S704 (sanitised just above)
