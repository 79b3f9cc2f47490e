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
