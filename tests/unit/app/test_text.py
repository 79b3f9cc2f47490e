from html.parser import HTMLParser

from agora.text import render_markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def test_markdown_renders_basic_formatting():
    html = render_markdown("**bold** and [a link](https://example.org)\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert ("a", {"href": "https://example.org", "rel": "nofollow noopener noreferrer ugc"}) in _tags(html)
    assert "<li>one</li>" in html


def test_markdown_never_lets_script_through():
    nasty = (
        '<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n'
        '[click](javascript:alert(3))\n\n<a href="javascript:alert(4)">x</a>\n\n'
        '[ok](https://example.org "t") <b onclick="alert(5)">b</b>'
    )
    html = str(render_markdown(nasty))
    tags = _tags(html)
    assert {t for t, _ in tags} <= {"p", "a"}
    for _tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs)
        assert not attrs.get("href", "").startswith("javascript")
    assert "&lt;script&gt;" in html  # shown as text, not dropped silently
