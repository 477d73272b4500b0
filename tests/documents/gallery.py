"""Machine checks of printed documents, from `pdftotext -bbox` (positions of every word) and
from WeasyPrint's own layout (which table row landed on which page).

Each check returns a list of problems, each naming the page, the word and its position, so a
failing gallery test says where to look. tests/documents/test_gallery.py runs them on every
kind x language and shows each one failing on a deliberately broken document.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from html import unescape
from pathlib import Path

MM = 72 / 25.4
MARGIN_X = 18 * MM  # @page margins of assets/css/document.css
MARGIN_TOP = 18 * MM
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
ARABIC = re.compile("[\u0600-\u06ff]")
LATIN = re.compile("[A-Za-zÀ-ÿ]")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")
DOTTED = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]+$")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2})?")
DOMAIN = re.compile(r"\.(org|ma|com|net|fr|be|eu|test)$")
# Names of files the reader opens: attachments, and the evidence package's own files that its
# inventory names (manifest.json, manifest.sig, platform-certificate.pem).
FILE_NAME = re.compile(r"\.(pdf|png|jpe?g|csv|zip|xlsx?|docx?|json|sig|pem)$", re.IGNORECASE)
LITERALS = {"None", "True", "False", "null", "nan"}


@dataclass(frozen=True)
class Word:
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    def where(self) -> str:
        return f"page {self.page}, {self.text!r} at x={self.x0:.0f}-{self.x1:.0f}, y={self.y0:.0f}"


@dataclass
class Page:
    number: int
    width: float
    height: float


def read_words(pdf: Path) -> tuple[list[Page], list[Word]]:
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    pages, words = [], []
    for number, chunk in enumerate(html.split("<page ")[1:], start=1):
        size = re.match(r'width="([\d.]+)" height="([\d.]+)"', chunk)
        pages.append(Page(number, float(size[1]), float(size[2])))
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" '
                             r'yMax="([\d.]+)">([^<]*)</word>', chunk):
            text = BIDI_MARKS.sub("", unescape(m[5]))
            if text.strip():
                words.append(Word(number, float(m[1]), float(m[2]), float(m[3]), float(m[4]),
                                  text))
    return pages, words


def lines_of(words: list[Word]) -> list[tuple[int, float, list[Word]]]:
    """Printed lines: words of a page sharing a baseline band, sorted left to right."""
    lines: list[tuple[int, float, list[Word]]] = []
    for word in sorted(words, key=lambda w: (w.page, w.y0, w.x0)):
        # Lines start at their first word's y, in increasing order per page: the word joins
        # the earliest line of its page starting less than 2.5 pt above it.
        found = None
        for page, y, members in reversed(lines):
            if page != word.page or y <= word.y0 - 2.5:
                break
            found = members
        if found is not None:
            found.append(word)
        else:
            lines.append((word.page, word.y0, [word]))
    return [(page, y, sorted(members, key=lambda w: w.x0)) for page, y, members in lines]


def spaced(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


# ---------------------------------------------------------------- the checks

def check_margins(pages: list[Page], words: list[Word]) -> list[str]:
    """Every word inside the left/right page margins and below the top margin."""
    problems = []
    by_number = {p.number: p for p in pages}
    for w in words:
        page = by_number[w.page]
        if w.x0 < MARGIN_X - 3.5 or w.x1 > page.width - MARGIN_X + 3.5 \
                or w.y0 < MARGIN_TOP - 4 or w.y1 > page.height - 1:
            problems.append(f"outside the margins: {w.where()}")
    return problems


def check_overlaps(words: list[Word]) -> list[str]:
    """No two words printed over each other."""
    problems = []
    by_page: dict[int, list[Word]] = {}
    for w in words:
        by_page.setdefault(w.page, []).append(w)
    for page_words in by_page.values():
        page_words.sort(key=lambda w: w.x0)
        for i, a in enumerate(page_words):
            for b in page_words[i + 1:]:
                if b.x0 >= a.x1:
                    break
                width = min(a.x1, b.x1) - max(a.x0, b.x0)
                height = min(a.y1, b.y1) - max(a.y0, b.y0)
                smaller = min(a.x1 - a.x0, b.x1 - b.x0) * min(a.y1 - a.y0, b.y1 - b.y0)
                if width > 1 and height > 1 and width * height > 0.3 * smaller:
                    problems.append(f"words overlap: {a.where()} and {b.where()}")
    return problems


def check_columns(pages: list[Page], words: list[Word], french_only: set[str],
                  column_pages: set[int]) -> list[str]:
    """Bilingual pages: no word across the gutter, no Arabic word left of it, no word of the
    French text right of it (the footer, in the bottom margin, is both languages' own)."""
    problems = []
    by_number = {p.number: p for p in pages}
    for w in words:
        if w.page not in column_pages:
            continue
        page = by_number[w.page]
        if w.y0 > page.height - 30 * MM:
            continue
        gutter = page.width / 2
        if w.x0 < gutter - 0.5 and w.x1 > gutter + 0.5:
            problems.append(f"word across the gutter (x={gutter:.0f}): {w.where()}")
        elif ARABIC.search(w.text) and w.x1 <= gutter:
            problems.append(f"Arabic word in the French column: {w.where()}")
        elif w.text in french_only and w.x0 >= gutter:
            problems.append(f"French word in the Arabic column: {w.where()}")
    return problems


def check_one_language(pages: list[Page], words: list[Word], french_only: set[str],
                       record_pages: set[int]) -> list[str]:
    """Bilingual copies end with one sign-off record per language, a page or more each: a
    page is the language most of its words are in, and prints no word of the other (figures,
    Latin names, codes and hashes are both languages'; the footer is left out)."""
    problems = []
    by_number = {p.number: p for p in pages}
    for number in sorted(record_pages):
        body = [w for w in words if w.page == number
                and w.y0 <= by_number[number].height - 30 * MM]
        arabic = [w for w in body if ARABIC.search(w.text)]
        french = [w for w in body if w.text in french_only and LATIN.search(w.text)]
        strays = french if len(arabic) > len(french) else arabic
        language = "Arabic" if strays is french else "French"
        problems += [f"word of the other language on this {language} page: {w.where()}"
                     for w in strays]
    return problems


def check_on_one_line(words: list[Word], expected: list[str]) -> list[str]:
    """Each amount, date, reference, phone is printed on one line, left to right as written."""
    lines = [spaced(" ".join(w.text for w in members)) for _p, _y, members in lines_of(words)]
    return [f"not on one line in left-to-right order: {text!r}" for text in expected
            if not any(spaced(text) in line for line in lines)]


def check_no_codes(words: list[Word], text: str, english: list[str]) -> list[str]:
    """No internal code, literal, raw ISO date-time, or English source sentence."""
    problems = []
    for w in words:
        bare = w.text.strip("«»()[]{},;:.!?\"'")
        if "/" in bare or "@" in bare or FILE_NAME.search(bare) or DOMAIN.search(bare):
            continue  # URLs, e-mail addresses (also wrapped), names of attached files
        if SNAKE.match(bare) or DOTTED.match(bare):
            problems.append(f"internal code: {w.where()}")
        elif bare in LITERALS:
            problems.append(f"literal value: {w.where()}")
        elif ISO_MOMENT.fullmatch(bare):
            problems.append(f"raw ISO date: {w.where()}")
    flat = spaced(text)
    problems += [f"English source text: {sentence!r}" for sentence in english
                 if sentence in flat]
    return problems


def check_typed_full_stops(words: list[Word], sentences: list[str]) -> list[str]:
    """A sentence typed in French inside Arabic text ends with its own full stop at its right
    end: its last word carries the stop, its first word does not (".Un lieu..." is the bidi
    algorithm moving the stop to the wrong end; when the sentence wraps, the stop lands on
    the first word of one of its lines: ".le comité")."""
    problems = []
    lines = [[w.text for w in members] for _p, _y, members in lines_of(words)]
    for sentence in sentences:
        parts = sentence.split()
        if len(parts) < 3 or not sentence.endswith("."):
            continue
        last = parts[-1]
        misplaced = {"." + part.rstrip(".") for part in parts}
        for w in words:
            if w.text in misplaced:
                problems.append(f"full stop at the wrong end of {sentence[:40]!r}: {w.where()}")
        tail = [*parts[-4:-1], last.rstrip(".")]  # its last words, printed on one line
        for texts in lines:  # the sentence's end printed: its stop must follow its last word
            for i in range(len(texts) - len(tail) + 1):
                if texts[i:i + len(tail)] == tail:
                    following = texts[i + len(tail)] if i + len(tail) < len(texts) else ""
                    if not following.startswith("."):
                        problems.append(f"{sentence[:40]!r} printed without its final stop "
                                        f"after {last.rstrip('.')!r}")
    return problems


def english_fragments(catalog_fr: Path) -> list[str]:
    """English source sentences (3 words or more between placeholders) that the French
    catalog translates differently: printed in a French or Arabic document, they are leaks."""
    from babel.messages.pofile import read_po

    with catalog_fr.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    fragments = set()
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        for part in re.split(r"%\(\w+\)[sd]|%[sd]", message.id):
            part = spaced(part.strip(" .:;,"))
            if len(part.split()) >= 3 and part not in message.string and LATIN.search(part):
                fragments.add(part)
    return sorted(fragments)


# ---------------------------------------------------------------- rows across pages

def split_rows(document) -> list[str]:
    """Table rows of a rendered WeasyPrint document that start on one page and end on the
    next (the bilingual convention's own article rows may split: they are the columns)."""
    seen: dict[int, tuple[int, object]] = {}
    problems = []

    def walk(box, page_number, table, group):
        element = getattr(box, "element", None)
        if type(box).__name__ == "TableBox":
            table = element
        if type(box).__name__ == "TableRowGroupBox":
            group = element
        header = group is not None and group.tag == "thead"  # repeated on each page
        if type(box).__name__ == "TableRowBox" and element is not None and not header:
            outer = table is not None and "bilingual" in (table.get("class") or "") \
                and "keep" not in (element.get("class") or "")
            if not outer:
                key = id(element)
                if key in seen and seen[key][0] != page_number:
                    text = " ".join("".join(element.itertext()).split())[:60]
                    problems.append(f"table row split across pages {seen[key][0]} and "
                                    f"{page_number}: {text!r}")
                seen.setdefault(key, (page_number, element))
        for child in getattr(box, "children", []) or []:
            walk(child, page_number, table, group)

    for number, page in enumerate(document.pages, start=1):
        walk(page._page_box, number, None, None)
    return problems
