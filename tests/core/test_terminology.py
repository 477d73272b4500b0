"""The glossary's words hold in every Arabic string: a disbursement tranche is الشطر (plural
الأشطر), never دفعة, in the catalog and in the Arabic document templates alike."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
# دفعة and its forms (الدفعة، دفعات، الدفعات، دفعتين...) with any clitic in front (لل، بـ، و...)
TRANCHE_AS_PAYMENT = re.compile(r"دفع(?:ة|ات|تين|تان|تا|تي)(?![\u0621-\u064A])")


def _msgstrs(path: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every entry, plural forms included, as the catalog holds them."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="ar")
    found = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        found += [(key, string) for string in strings if string]
    return found


def tranche_breaches(texts: list[tuple[str, str]]) -> list[str]:
    """The texts that call a tranche دفعة, as 'where: text' lines for the failure message."""
    return [f"{where}: {text}" for where, text in texts if TRANCHE_AS_PAYMENT.search(text)]


def _arabic_templates() -> list[tuple[str, str]]:
    return [(str(path.relative_to(ROOT)), line)
            for path in sorted((ROOT / "templates").rglob("*_ar.html"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def test_no_arabic_string_calls_a_tranche_dafaa():
    catalog = _msgstrs(ROOT / "translations" / "ar" / "LC_MESSAGES" / "messages.po")
    assert len(catalog) > 500
    assert any("الشطر" in text for _key, text in catalog)
    breaches = tranche_breaches(catalog) + tranche_breaches(_arabic_templates())
    assert not breaches, "\n".join(breaches)


def test_the_check_finds_a_planted_dafaa_in_every_form(tmp_path):
    planted = tmp_path / "messages.po"
    planted.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                       'msgid "Record a tranche"\nmsgstr "تسجيل دفعة"\n\n'
                       'msgid "Tranche"\nmsgstr "الشطر"\n', encoding="utf-8")
    assert tranche_breaches(_msgstrs(planted)) == ["Record a tranche: تسجيل دفعة"]
    for text in ("الدفعات المؤداة", "للدفعة الأولى", "بدفعتين", "جدول صرف الدفعات"):
        assert tranche_breaches([("x", text)]), text
    for text in ("الشطر الأول", "أشطر قادمة", "تاريخ الأداء", "الدفع"):
        assert not tranche_breaches([("x", text)]), text
