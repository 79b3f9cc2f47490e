"""Dutch, French and Spanish are complete: every message in the code is translated, and compiled."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "agora" / "translations"
LANGUAGES = ["nl", "fr", "es"]
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _messages_in_code() -> set[str]:
    method_map = [("agora/**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.do"}}
    keywords = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2)}
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map, options_map=options, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def code_messages() -> set[str]:
    return _messages_in_code()


def _read_po(lang: str):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_translates_every_message(lang, code_messages):
    catalog = _read_po(lang)
    # Plural entries have tuples: the singular names them, and every form must be filled in.
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id):
        (m.string if not isinstance(m.string, tuple) else ("" if not all(m.string) else " ".join(m.string)))
        for m in catalog if m.id
    }
    missing = sorted(code_messages - {k for k, v in translated.items() if v})
    assert not missing, f"{lang}: untranslated (run the update in README 'Translations'): {missing[:10]}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy entries {fuzzy[:5]}"
    for msgid, msgstr in translated.items():
        if msgid in code_messages and "%(" in msgid:
            assert set(_PLACEHOLDER.findall(msgid)) <= set(_PLACEHOLDER.findall(msgstr)), (lang, msgid)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(lang):
    po = _read_po(lang)
    mo = read_mo(io.BytesIO((TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").read_bytes()))
    def entries(catalog):  # plural entries carry tuples (or lists, from .mo files), in their ids too
        def key(value):
            return tuple(value) if isinstance(value, list | tuple) else value

        return {key(m.id): key(m.string) for m in catalog if m.id}

    assert entries(po) == entries(mo), (
        f"{lang}: messages.mo is stale; run `agora translations compile`")


def test_templates_translate_in_the_forced_language_and_back(app):
    """Templates look their translations up once per request and language (agora.web._translations): a
    letter or a mail rendered in the reader's language inside a request in another must still switch."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext

    template = '{{ _("Proposals") }}|{{ ngettext("%(num)d day", "%(num)d days", 2) }}'
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(template)
        seen = {}
        for lang in ["nl", "fr", "es", "nl"]:
            with force_locale(lang):
                seen[lang] = render_template_string(template)
                assert seen[lang].split("|")[0] == gettext("Proposals")  # Flask-Babel's own lookup agrees
        assert render_template_string(template) == english
    assert english.startswith("Proposals|")
    assert len({english, seen["nl"], seen["fr"], seen["es"]}) == 4


def test_shared_fragments_are_per_language_and_take_each_requests_values_escaped(app):
    """agora.web.shared_fragment: the header's links and language form are rendered once per language, and
    the values of each request (a CSRF token, the page's address) go in escaped."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext

    template = ('{% call(token) shared_fragment("test-fragment", token=value) %}'
                '<a title="{{ token }}">{{ _("Proposals") }}</a>{% endcall %}')
    with app.test_request_context("/"):
        first = render_template_string(template, value="one")
        second = render_template_string(template, value='"><script>alert(1)</script>')
        with force_locale("nl"):
            dutch = render_template_string(template, value="two")
            assert gettext("Proposals") in dutch
    assert first == '<a title="one">Proposals</a>'
    assert second == '<a title="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">Proposals</a>'
    assert dutch.startswith('<a title="two">') and "Proposals" not in dutch


def test_each_visitor_gets_their_own_token_in_the_shared_language_form(app):
    import re

    pattern = re.compile(r'class="language-form">\s*<input type="hidden" name="csrf_token" value="([^"]+)">\s*'
                         r'<input type="hidden" name="next" value="([^"]*)">')
    one, other = app.test_client(), app.test_client()
    first = pattern.search(one.get("/proposals/?q=trees").get_data(as_text=True))
    second = pattern.search(other.get("/debates/").get_data(as_text=True))
    assert first and second
    assert first.group(1) != second.group(1)
    assert (first.group(2), second.group(2)) == ("/proposals/?q=trees", "/debates/?")
    # The token in the form is the one the session accepts: the language form works.
    response = one.post("/language", data={"csrf_token": first.group(1), "locale": "nl", "next": "/proposals/"})
    assert response.status_code == 302
