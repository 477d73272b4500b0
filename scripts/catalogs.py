"""Catalog chores: `fill-english` copies msgids into the English catalog (English is the
source language), `check` lists untranslated or fuzzy entries (exit 1 if any).

Run by `make translations`; the test suite runs the same check.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "fill-english":
        print(f"english catalog: {fill_english()} entries filled")
    else:
        issues = [p for lang in ("ar", "fr", "en") for p in problems(lang)]
        print("\n".join(issues) or "catalogs complete")
        sys.exit(1 if issues else 0)
