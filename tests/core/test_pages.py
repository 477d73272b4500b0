"""Languages, layout, headers, error pages and CSRF."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal

import pytest

from tadafur.i18n import format_amount, format_day, ltr
from tests.factories import login


def test_arabic_is_the_default_language(client):
    html = client.get("/login", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_accept_language_chooses_french(client):
    html = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True)
    assert '<html lang="fr" dir="ltr">' in html


def test_cookie_beats_accept_language_and_saved_choice_beats_cookie(client, officer):
    client.set_cookie("tadafur_lang", "en", domain="tadafur.test")
    html = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    from tadafur.extensions import db

    officer.locale = "fr"  # a saved choice
    db.session.commit()
    login(client, officer)
    assert '<html lang="fr"' in client.get("/").get_data(as_text=True)


def test_language_switch_saves_the_choice_and_returns(client, agent):
    login(client, agent)
    response = client.post("/language", data={"language": "fr", "next": "/communes"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/communes"
    assert "tadafur_lang=fr" in response.headers["Set-Cookie"]
    from tadafur.extensions import db

    db.session.expire_all()
    assert agent.locale == "fr"
    bad = client.post("/language", data={"language": "xx"})
    assert bad.status_code == 400


def test_htmx_is_served_locally_by_default(app, client):
    html = client.get("/login").get_data(as_text=True)
    assert '/static/vendor/htmx-2.0.11.min.js' in html
    assert "unpkg" not in html
    with client.get("/static/vendor/htmx-2.0.11.min.js") as response:
        assert response.status_code == 200
    app.config["HTMX_USE_CDN"] = True
    try:
        html = client.get("/login").get_data(as_text=True)
        assert 'integrity="sha384-' in html and "htmx.org@2.0.11" in html
    finally:
        app.config["HTMX_USE_CDN"] = False


def test_static_files_are_cached_by_the_browser_and_renamed_when_they_change(client):
    """The stylesheet and scripts are linked with their hash (?v=) and cached for a year;
    what the stylesheet links without one (the fonts) for a day. They used to be answered
    with no-cache: six revalidations per page, each loading the user from the database."""
    from tadafur.core import static_files

    html = client.get("/login").get_data(as_text=True)
    links = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert len(links) >= 3 and all(re.search(r"\?v=[0-9a-f]{12}$", link) for link in links)
    with client.get(links[0]) as response:
        assert response.status_code == 200
        assert response.cache_control.max_age == static_files.VERSIONED_MAX_AGE
    with client.get("/static/fonts/Amiri-Regular-arabic.woff2") as response:
        assert response.cache_control.max_age == static_files.UNVERSIONED_MAX_AGE
    assert client.get("/static/css/none.css").status_code == 404


def test_a_changed_static_file_gets_a_new_address(app, tmp_path):
    from tadafur.core import static_files

    (tmp_path / "a.css").write_text("p { color: red; }")
    first = static_files.fingerprint(str(tmp_path), "a.css")
    (tmp_path / "a.css").write_text("p { color: blue; }")
    os.utime(tmp_path / "a.css", (1, 1))  # a different mtime, as an edit gives
    assert static_files.fingerprint(str(tmp_path), "a.css") not in (None, first)
    assert static_files.fingerprint(str(tmp_path), "missing.css") is None


def test_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Request-ID"]
    assert "Strict-Transport-Security" not in response.headers
    secure = client.get("/login", base_url="https://tadafur.test")
    assert "max-age" in secure.headers["Strict-Transport-Security"]


def test_session_cookie_is_http_only(client, agent):
    response = client.post("/login", data={"email": agent.email,
                                           "password": "correct horse battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_not_found_is_a_page_in_the_users_language(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "ar"})
    assert response.status_code == 404
    assert '<html lang="ar"' in response.get_data(as_text=True)


def test_health_reports_the_database(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_post_without_csrf_token_is_refused(app, client, agent):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": agent.email,
                                               "password": "correct horse battery"})
        assert response.status_code == 400
        assert "expired" in response.get_data(as_text=True)
        page = client.get("/login").get_data(as_text=True)
        import re

        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        ok = client.post("/login", data={"email": agent.email,
                                         "password": "correct horse battery",
                                         "csrf_token": token})
        assert ok.status_code == 303
        # htmx sends the token as a header, set by hx-headers on <body>
        assert 'hx-headers=\'{"X-CSRFToken": "' in client.get("/").get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("language, expected", [
    ("ar", "50.000,00\xa0د.م."), ("fr", "50\u202f000,00\xa0MAD"), ("en", "MAD50,000.00")])
def test_amounts_are_formatted_in_dirhams_with_latin_digits(app, language, expected):
    with app.test_request_context():
        assert format_amount(Decimal("50000"), language) == expected


def test_dates_use_latin_digits_in_arabic(app):
    with app.test_request_context():
        assert format_day(dt.date(2026, 11, 29), "short", "ar").replace("\u200f", "") \
            .startswith("29")


def test_ltr_wraps_with_isolates_and_escapes(app):
    """Pages keep the span in every language (app.css keeps it on one line); a document
    printed in French or English needs only the isolates, one printed in Arabic the span too
    (WeasyPrint lays out by the box's direction)."""
    from flask_babel import force_locale

    from tadafur.i18n import printing

    wrapped = '<span dir="ltr">\u2066&lt;b&gt;+212 5&lt;/b&gt;\u2069</span>'
    for language in ("ar", "fr", "en"):
        with force_locale(language):
            assert str(ltr("<b>+212 5</b>")) == wrapped
    with printing():
        with force_locale("ar"):
            assert str(ltr("<b>+212 5</b>")) == wrapped
        for language in ("fr", "en"):
            with force_locale(language):
                assert str(ltr("<b>+212 5</b>")) == "\u2066&lt;b&gt;+212 5&lt;/b&gt;\u2069"
        assert str(ltr("12", "ar")) == '<span dir="ltr">\u206612\u2069</span>'


def test_money_keeps_figures_left_to_right_and_the_arabic_currency_after_them(app):
    from tadafur.i18n import money

    with app.test_request_context():  # a no-break space: the currency never wraps alone
        assert str(money(Decimal("250000"), "ar")) == \
            '<span dir="ltr">\u2066250.000,00\u2069</span>\xa0د.م.'
        assert str(money(Decimal("250000"), "fr")) == \
            '<span dir="ltr">\u2066250\u202f000,00\xa0MAD\u2069</span>'
