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


def test_plain_prose_takes_the_fast_path_and_renders_as_the_parser_does():
    from agora import text

    prose = 'Trees on the square, please!\nThe "old" bridge: 40% of us cross it.\n\n\nWell-known = loved (mostly).'
    assert text._is_plain(prose)
    assert render_markdown(prose) == text._render(prose)
    assert render_markdown(prose).count("<p>") == 2
    for markup in ["1. a list", "- a list", "a\n---", "    code", "two spaces  \nbreak", "snake_case", "a *b*",
                   "[x](http://e.org)", "# title", "a | b", "~~no~~", "&amp;", "<b>", "tab\there", "+ item"]:
        assert not text._is_plain(markup), markup


def test_fast_path_equals_the_parser_on_generated_texts():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from agora import text

    # Mostly characters the fast path accepts, with the line starts and ends that decide it.
    alphabet = st.sampled_from(list("abcXYZé09 ,.;:'\"?!()/%$€@=+-\n") + ["\n\n", "  ", " \n", "\n1. ", "\n- ",
                                                                          "\n===", "\n    ", "_", "*"])

    @settings(max_examples=1000)
    @given(st.lists(alphabet, max_size=40).map("".join))
    def check(source):
        if text._is_plain(source):
            assert render_markdown(source) == text._render(source), repr(source)

    check()
