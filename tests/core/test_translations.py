"""The ar, fr and en catalogs hold every string of the code and templates, all translated."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None,
            "lazy_ngettext": (1, 2)}


def _catalogs_module():
    spec = importlib.util.spec_from_file_location("catalogs", ROOT / "scripts" / "catalogs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source_messages() -> set[str]:
    method_map = [("tadafur/**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_no_catalog_has_untranslated_or_fuzzy_entries():
    catalogs = _catalogs_module()
    problems = [p for language in ("ar", "fr", "en") for p in catalogs.problems(language)]
    assert not problems, "\n".join(problems[:50])


def test_every_string_in_the_code_is_in_every_catalog():
    source = _source_messages()
    assert len(source) > 100
    for language in ("ar", "fr", "en"):
        path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as handle:
            known = {m.id if not isinstance(m.id, tuple) else m.id[0]
                     for m in read_po(handle) if m.id}
        missing = sorted(source - known)
        assert not missing, f"{language} lacks {len(missing)} strings, e.g. {missing[:5]}"


def test_french_plurals_keep_the_partitive_for_millions_only():
    """French has three plural forms in CLDR: one (0, 1), many (1,000,000, "d'éléments")
    and other (2, 3...). History rows read "3 d’éléments" while forms 1 and 2 were swapped."""
    with open(ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po", "rb") as stream:
        catalog = read_po(stream, locale="fr")
    assert catalog.num_plurals == 3
    partitive = re.compile(r"%\(num\)d (d’|d'|de )")
    wrong = [message.id[0] for message in catalog
             if message.pluralizable and partitive.search(message.string[2] or "")]
    assert not wrong, wrong
