"""Build the interface's Arabic web font from the pinned fontpkg-amiri package.

The pages must show every letter of Moroccan names (ݣ U+0763 as in أݣادير, ڭ U+06AD, ڤ U+06A4)
whatever fonts the reader's system has, without fetching anything at run time. Amiri (SIL Open
Font License 1.1) covers them; its Arabic blocks are cut out (fontTools subset, every OpenType
feature kept so shaping and marks stay right) and saved as WOFF2 under tadafur/static/fonts/
with the licence. Run again after upgrading fontpkg-amiri:

    .venv/bin/python scripts/webfont.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

import fontpkg_amiri
from fontTools import subset
from fontTools.ttLib import TTFont

TARGET = Path(__file__).resolve().parent.parent / "tadafur" / "static" / "fonts"
# Arabic, Arabic Supplement, Extended-A, presentation forms, joiners, marks and isolates.
RANGES = ("U+0600-06FF,U+0750-077F,U+08A0-08FF,U+FB50-FDFF,U+FE70-FEFF,U+200C-200F,"
          "U+2066-2069,U+0020,U+00A0")
MOROCCAN_LETTERS = (0x0763, 0x06AD, 0x06A4)


def build() -> list[Path]:
    written = []
    for weight in ("Regular", "Bold"):
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        options.name_IDs = ["*"]
        options.notdef_outline = True
        font = TTFont(fontpkg_amiri.ROOT / "files" / f"Amiri-{weight}.ttf")
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(RANGES))
        subsetter.subset(font)
        path = TARGET / f"Amiri-{weight}-arabic.woff2"
        font.flavor = "woff2"
        font.save(path)
        missing = [hex(c) for c in MOROCCAN_LETTERS if c not in TTFont(path).getBestCmap()]
        if missing:
            raise SystemExit(f"{path.name} lacks {missing}")
        written.append(path)
    shutil.copy(fontpkg_amiri.ROOT / "LICENSE", TARGET / "Amiri-OFL.txt")
    return written


if __name__ == "__main__":
    for path in build():
        print(path, path.stat().st_size)
