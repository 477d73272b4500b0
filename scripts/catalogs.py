"""Catalog chores: `fill-english` copies msgids into the English catalog (English is the
source language), `check` lists untranslated or fuzzy entries (exit 1 if any),
`apply FILE.json` writes translations given as {"msgid": {"ar": "...", "fr": "..."}} (plural
entries take a list), `untranslated LANG` prints the msgids still missing as JSON, and
`merge LANG OTHER.po...` fills missing entries of LANG from other catalogs (after a merge).

Run by `make translations`; the test suite runs the same check.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent / "translations"


def catalog_path(language: str) -> Path:
    return ROOT / language / "LC_MESSAGES" / "messages.po"


def fill_english() -> int:
    path = catalog_path("en")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            if not all(message.string):
                message.string = message.id
                filled += 1
        elif not message.string:
            message.string = message.id
            filled += 1
        message.flags.discard("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
    return filled


def problems(language: str) -> list[str]:
    with catalog_path(language).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            found.append(f"{language}: untranslated: {message.id!r}")
        if message.fuzzy:
            found.append(f"{language}: fuzzy: {message.id!r}")
    return found


def _load(path: Path, language: str):
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _save(path: Path, catalog) -> None:
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


def _fill(language: str, lookup) -> int:
    """Set every empty entry of LANG for which `lookup(msgid)` returns a translation."""
    path = catalog_path(language)
    catalog = _load(path, language)
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and not message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        value = lookup(key)
        if not value:
            continue
        message.string = tuple(value) if isinstance(message.id, tuple) else value
        message.flags.discard("fuzzy")
        filled += 1
    _save(path, catalog)
    return filled


def apply(json_path: str) -> None:
    table = json.loads(Path(json_path).read_text(encoding="utf-8"))
    for language in ("ar", "fr"):
        count = _fill(language, lambda key, lang=language: table.get(key, {}).get(lang))
        print(f"{language}: {count} entries filled")


def untranslated(language: str) -> None:
    catalog = _load(catalog_path(language), language)
    missing = [m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog
               if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple)
                                                else (m.string,)))]
    print(json.dumps(missing, ensure_ascii=False, indent=1))


def merge(language: str, others: list[str]) -> None:
    known: dict = {}
    for other in others:
        for message in _load(Path(other), language):
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and all(strings) and not message.fuzzy:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                known.setdefault(key, message.string)
    print(f"{language}: {_fill(language, known.get)} entries filled")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "fill-english":
        print(f"english catalog: {fill_english()} entries filled")
    elif command == "apply":
        apply(sys.argv[2])
    elif command == "untranslated":
        untranslated(sys.argv[2])
    elif command == "merge":
        merge(sys.argv[2], sys.argv[3:])
    else:
        issues = [p for lang in ("ar", "fr", "en") for p in problems(lang)]
        print("\n".join(issues) or "catalogs complete")
        sys.exit(1 if issues else 0)
