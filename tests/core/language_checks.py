"""What a reader must never meet on an Arabic or French page: the checks of the language sweep.

`problems(html, language)` reads the text a reader sees (text nodes, <code> included,
placeholders, button values, image alternatives; not scripts, styles, hidden elements,
attributes such as data-code, nor what is marked translate="no") and names:
- internal codes: snake_case words (`in_execution`) and dotted actions (`signoff.given`);
- English source sentences: any text equal to an English message of the catalog whose
  translation differs, or a run of English function words;
- raw ISO dates (2026-02-10) and JSON (`{"state": ...`).
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"(?<![\w@./-])[a-z]+(?:_[a-z0-9]+)+(?![\w@/-])")
DOTTED = re.compile(r"(?<![\w@./-])[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*(?![\w@(/-])")
ISO_DAY = re.compile(r"(?<![\w-])\d{4}-\d{2}-\d{2}(?![\w-])")
JSON = re.compile(r"[{\[]\s*\"[^\"]{1,40}\"\s*:")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URLISH = re.compile(r"\b(?:https?://\S+|[\w-]+\.(?:pdf|csv|zip|txt|json|xml|png|jpg|eml|ma|org)"
                    r"\b)")
ENGLISH_WORDS = re.compile(r"\b(?:the|and|of|your|is|was|has|been|with|this|will|awaits|"
                           r"from|there|which|must|should|here|not)\b")
SKIPPED_TAGS = {"script", "style", "textarea", "noscript", "template"}
VOID_TAGS = {"input", "img", "br", "hr", "meta", "link", "source", "wbr", "col"}
VISIBLE_ATTRIBUTES = {"placeholder", "alt"}
SHORT = 4  # messages shorter than this (e.g. "No.") are too common to call English


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag in SKIPPED_TAGS:
            self.skipping.append(tag)
        # translate="no" (HTML): an identifier shown on purpose, e.g. a theme's code for the
        # administrator who edits it; never used to hide a code from a reader's sentence.
        hidden = "hidden" in attributes or attributes.get("aria-hidden") == "true" or \
            attributes.get("translate") == "no"
        if hidden and tag not in VOID_TAGS:
            self.skipping.append(tag)
        if self.skipping:
            return
        for name in VISIBLE_ATTRIBUTES:
            if attributes.get(name):
                self.chunks.append(attributes[name])
        if tag == "input" and attributes.get("type") in ("submit", "button") and \
                attributes.get("value"):
            self.chunks.append(attributes["value"])

    def handle_endtag(self, tag) -> None:
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data) -> None:
        if not self.skipping and data.strip():
            self.chunks.append(" ".join(data.split()))


def visible_texts(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.chunks


@cache
def english_messages(language: str) -> frozenset[str]:
    """The catalog's English messages that `language` translates differently."""
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    found = set()
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or "%(" in message.id:
            continue
        if len(message.id) >= SHORT and message.string and message.string != message.id \
                and any(c.isalpha() for c in message.id):
            found.add(" ".join(message.id.split()))
    return frozenset(found)


def problems(html: str, language: str) -> list[str]:
    """Every item a reader of `language` should not see, as 'kind: text'."""
    found = []
    english = english_messages(language)
    for chunk in visible_texts(html):
        plain = URLISH.sub(" ", EMAIL.sub(" ", chunk))
        for match in SNAKE.findall(plain):
            found.append(f"code: {match}")
        for match in DOTTED.findall(plain):
            found.append(f"code: {match}")
        if ISO_DAY.search(plain):
            found.append(f"ISO date: {chunk[:80]}")
        if JSON.search(chunk):
            found.append(f"JSON: {chunk[:80]}")
        looks_english = len(set(ENGLISH_WORDS.findall(plain.lower()))) >= 2 and \
            sum(c.isascii() and c.isalpha() for c in plain) > len(plain) / 2
        if chunk in english or chunk.rstrip(".:") in english or looks_english:
            found.append(f"English: {chunk[:80]}")
    return found
