"""Languages, locale choice and the formatting filters used by pages and documents.

Catalogs live under translations/ar|fr|en. Formatting uses the Moroccan variants (ar_MA,
fr_MA) so amounts are in dirhams with Latin digits, as Moroccan administrations write them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal

from babel import dates as babel_dates, numbers as babel_numbers
from flask import current_app, g, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

LANGUAGE_COOKIE = "tadafur_lang"
LANGUAGE_NAMES = {"ar": "العربية", "fr": "Français", "en": "English"}
FORMAT_LOCALES = {"ar": "ar_MA", "fr": "fr_MA", "en": "en_GB"}
# Dates: fr_MA abbreviates June "jui." beside July "juil."; French ones tell them apart.
DATE_LOCALES = {"ar": "ar_MA", "fr": "fr_FR", "en": "en_GB"}
RTL_LANGUAGES = frozenset({"ar"})
LRI, PDI = "\u2066", "\u2069"  # left-to-right isolate and pop directional isolate


def select_language() -> str:
    """The user's saved choice, then the cookie, then Accept-Language, then Arabic."""
    languages = current_app.config["LANGUAGES"]
    forced = g.get("forced_language")  # a job or a test that speaks one language
    if forced in languages:
        return forced
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in languages:
        return cookie
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "ar"


def text_direction(language: str | None = None) -> str:
    return "rtl" if (language or current_language()) in RTL_LANGUAGES else "ltr"


def format_locale(language: str | None = None) -> str:
    return FORMAT_LOCALES.get(language or current_language(), "ar_MA")


def date_locale(language: str | None = None) -> str:
    return DATE_LOCALES.get(language or current_language(), "ar_MA")


def _strip_marks(text: str) -> str:
    # CLDR puts RIGHT-TO-LEFT MARKs around Arabic amounts; inside our explicit LTR runs
    # they only reorder the digits, so they go.
    return text.replace("\u200f", "").replace("\u200e", "")


def format_amount(value: Decimal | float | int | None, language: str | None = None) -> str:
    """An amount in dirhams, e.g. '50.000,00 د.م.' (ar) or '50 000,00 MAD' (fr)."""
    if value is None:
        return ""
    return _strip_marks(
        babel_numbers.format_currency(Decimal(value), "MAD", locale=format_locale(language))
    )


def money(value: Decimal | float | int | None, language: str | None = None) -> Markup:
    """An amount for a page or a document, safe in right-to-left text.

    In Arabic the figures are a left-to-right run and the currency stays Arabic text after
    them ("250.000,00 د.م.", read right to left): wrapping the whole amount in one LTR run
    would put the abbreviation's final dot on the wrong side (seen in browsers and measured
    in PDFs with pdftotext -bbox). Elsewhere the whole amount is one LTR run.
    """
    if value is None:
        return Markup("")
    language = language or current_language()
    text = format_amount(value, language)
    if language not in RTL_LANGUAGES:
        return ltr(text, language)
    figures, _sep, currency = text.replace("\xa0", " ").partition(" ")
    return ltr(figures, language) + Markup("\xa0") + currency  # never split from its currency


def format_number(value: Decimal | float | int | None, language: str | None = None) -> str:
    if value is None:
        return ""
    return _strip_marks(babel_numbers.format_decimal(value, locale=format_locale(language)))


def format_day(value: dt.date | None, style: str = "medium", language: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return _strip_marks(babel_dates.format_date(value, style, locale=date_locale(language)))


def format_moment(
    value: dt.datetime | None, style: str = "medium", language: str | None = None
) -> str:
    """A UTC timestamp shown in Morocco's time zone."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    tz = babel_dates.get_timezone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return _strip_marks(
        babel_dates.format_datetime(value, style, tzinfo=tz, locale=date_locale(language))
    )


_PRINTING: ContextVar[bool] = ContextVar("printing", default=False)


@contextmanager
def printing() -> Iterator[None]:
    """While a document is laid out for print: see `ltr`."""
    token = _PRINTING.set(True)
    try:
        yield
    finally:
        _PRINTING.reset(token)


def ltr(value: object, language: str | None = None) -> Markup:
    """Wrap a number, phone or reference so right-to-left text never reorders it.

    A span with dir="ltr" (pages keep it on one line: app.css), plus the isolate characters
    U+2066/U+2069 for WeasyPrint, which ignores unicode-bidi (measured: <bdi> alone prints
    "000,00 50"). A document printed in French or English needs only the isolates (Pango
    honours them, and nothing there runs right to left around the value): the span was one
    box more per value for WeasyPrint's layout, a fifth of a long extract's render.
    `language`: the text's around the value, the current one by default.
    """
    if value is None or value == "":
        return Markup("")
    if _PRINTING.get() and (language or current_language()) not in RTL_LANGUAGES:
        return Markup("{}{}{}").format(LRI, escape(str(value)), PDI)
    return Markup('<span dir="ltr">{}{}{}</span>').format(LRI, escape(str(value)), PDI)


def localized(obj: object, field: str = "name", language: str | None = None) -> str:
    """obj.name_<lang>, falling back to French, then Arabic, then English."""
    language = language or current_language()
    for candidate in (language, "fr", "ar", "en"):
        value = getattr(obj, f"{field}_{candidate}", None)
        if value:
            return value
    return ""


def template_filters() -> dict:
    return {"amount": format_amount, "money": money, "number": format_number,
            "day": format_day, "moment": format_moment, "ltr": ltr, "localized": localized}


def template_helpers() -> dict:
    return {"current_language": current_language, "text_direction": text_direction,
            "LANGUAGE_NAMES": LANGUAGE_NAMES}
