"""The foundation as its users meet it in Chromium: languages and direction, login lock,
the administrator's pages with htmx, and axe-core on every page, in Arabic and in French.

Catalogs are filled at the end of the project, so assertions look at structure (lang, dir,
URLs, ids, roles) and at data-driven text (organisation names), not at translated words.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tadafur.accounts.models import Role
from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tadafur.organisations.models import Commune, Institution
from tests.browser.conftest import screenshot_path
from tests.factories import make_association

pytestmark = [pytest.mark.browser, pytest.mark.committing]

TOUR_LANGUAGES = ["ar", "fr"]
DIRECTIONS = {"ar": "rtl", "fr": "ltr", "en": "ltr"}


def html_lang_dir(page: Page) -> tuple[str | None, str | None]:
    html = page.locator("html")
    return html.get_attribute("lang"), html.get_attribute("dir")


def submit(page: Page, form_selector: str) -> None:
    """Click the form's primary button and wait for the full page answer (plain POST)."""
    with page.expect_navigation():
        page.locator(f"{form_selector} button[type=submit]").first.click()


def mark_window(page: Page) -> None:
    """A marker that survives htmx swaps and disappears on a full page load."""
    page.evaluate("window.__tadafurNoReload = 'kept'")


def window_marker(page: Page) -> str | None:
    return page.evaluate("window.__tadafurNoReload || null")


# ---------------------------------------------------------------- languages and direction

def test_login_in_arabic_shows_right_to_left_pages(page, live_server, browser_user, log_in,
                                                   page_checked):
    user = browser_user(Role.COMMUNE_AGENT, locale="ar")

    page.goto("/login")
    assert html_lang_dir(page) == ("ar", "rtl")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page_checked(page, "login-ar")

    log_in(page, user)
    assert html_lang_dir(page) == ("ar", "rtl")
    expect(page.locator(".user-menu .user-name")).to_have_text(user.full_name)
    expect(page.locator("nav.main-nav a[aria-current=page]")).to_have_attribute("href", "/")
    # The skip link is the first stop of the keyboard and shows when focused.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["x"] + box["width"] <= 1280
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    # Mirrored layout: the brand sits at the right edge, the switcher to its left.
    brand = page.locator(".brand").bounding_box()
    switcher = page.locator(".language-switcher").bounding_box()
    assert brand["x"] > switcher["x"]
    page_checked(page)


def test_language_switcher_turns_pages_french_left_to_right(page, live_server, browser_user,
                                                            log_in, page_checked):
    user = browser_user(Role.ADMIN, locale="ar")
    enabel = db.session.scalar(select(Institution).where(Institution.code == "enabel"))
    log_in(page, user)
    roles = page.locator("#memberships-title + ul")
    expect(roles).to_contain_text(enabel.name_ar)

    with page.expect_navigation():
        page.locator(".language-switcher button[value=fr]").click()
    assert page.url == f"{live_server.url}/"
    assert html_lang_dir(page) == ("fr", "ltr")
    expect(page.locator(".language-switcher button[value=fr]")).to_have_attribute(
        "aria-current", "true")
    expect(roles).to_contain_text(enabel.name_fr)  # French data, in the French page
    expect(roles).not_to_contain_text(enabel.name_ar)
    brand = page.locator(".brand").bounding_box()
    switcher = page.locator(".language-switcher").bounding_box()
    assert brand["x"] < switcher["x"]  # left to right: the brand is back on the left
    page_checked(page)

    # The choice is saved on the account: a new page load is still French; the switcher
    # brings the user back to the page they were on.
    page.goto("/account/password")
    assert html_lang_dir(page) == ("fr", "ltr")
    with page.expect_navigation():
        page.locator(".language-switcher button[value=en]").click()
    assert page.url == f"{live_server.url}/account/password"
    assert html_lang_dir(page) == ("en", "ltr")


def test_a_form_with_a_forged_csrf_token_is_refused(page, live_server, browser_user, log_in,
                                                    page_checked):
    log_in(page, browser_user(Role.COMMUNE_AGENT, locale="ar"))
    page.locator(".language-switcher input[name=csrf_token]").evaluate(
        "input => { input.value = 'forged'; }")
    with page.expect_navigation() as navigation:
        page.locator(".language-switcher button[value=fr]").click()
    assert navigation.value.status == 400
    page_checked(page, "csrf-refused-ar")
    page.goto("/")
    assert html_lang_dir(page) == ("ar", "rtl")  # the language was not changed


# ---------------------------------------------------------------- login lock

@pytest.mark.parametrize("language", ["ar", "en"])
def test_five_bad_passwords_lock_the_account_even_for_the_right_password(
        page, live_server, browser_user, page_checked, language):
    user = browser_user(Role.ASSOCIATION_MEMBER, locale=language)
    if language != "ar":
        page.context.add_cookies([{"name": "tadafur_lang", "value": language,
                                   "url": live_server.url}])
    page.goto("/login")
    assert html_lang_dir(page) == (language, DIRECTIONS[language])

    def attempt(password: str) -> str:
        page.locator("#email").fill(user.email)
        page.locator("#password").fill(password)
        submit(page, "#login-form")
        assert page.url.startswith(f"{live_server.url}/login")
        error = page.locator("#password-error")
        expect(error).to_be_visible()
        expect(page.locator("#password")).to_have_attribute("aria-invalid", "true")
        assert "password-error" in page.locator("#password").get_attribute(
            "aria-describedby")
        return error.inner_text().strip()

    wrong = [attempt(f"wrong password {n}") for n in range(1, 5)]
    assert len(set(wrong)) == 1  # the same "not correct" message four times
    locked = attempt("wrong password 5")
    assert locked != wrong[0]  # the fifth failure says the account is now locked
    page_checked(page, f"login-locked-{language}")

    refused = attempt(user.password)  # right password, but locked
    assert refused != wrong[0]
    expect(page.locator(".user-menu")).to_have_count(0)
    if language == "en":
        assert "locked" in locked and "locked" in refused

    page.goto("/")
    assert page.url.startswith(f"{live_server.url}/login")  # still not logged in

    counts = dict(db.session.execute(
        select(AuditEvent.action, func.count()).where(AuditEvent.action.like("user.login%"))
        .group_by(AuditEvent.action)).all())
    assert counts == {"user.login_failed": 5, "user.login_refused_locked": 1}


# ---------------------------------------------------------------- dashboard screenshots

@pytest.mark.parametrize("language", ["ar", "fr", "en"])
def test_dashboard_screenshot_in_each_language(page, live_server, browser_user, log_in,
                                               page_checked, dialect, language):
    user = browser_user(Role.COMMUNE_SIGNATORY, locale=language)
    log_in(page, user, language=language)
    assert html_lang_dir(page) == (language, DIRECTIONS[language])
    page_checked(page, f"dashboard-{language}")
    assert screenshot_path(f"dashboard-{language}", dialect).stat().st_size > 10_000


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
def test_dashboard_fits_a_phone_width_in_arabic(page, live_server, browser_user, log_in,
                                                page_checked, dialect):
    user = browser_user(Role.ADMIN, locale="ar")
    log_in(page, user)
    assert html_lang_dir(page) == ("ar", "rtl")
    page_checked(page, "dashboard-phone-ar")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert widths[0] <= widths[1], f"horizontal scrolling on a phone: {widths}"
    for selector in (".brand", ".language-switcher", ".user-menu", "nav.main-nav", "h1"):
        box = page.locator(selector).first.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= widths[1] + 1, selector
    assert screenshot_path("dashboard-phone-ar", dialect).exists()


def page_width(page: Page) -> tuple[int, int]:
    return tuple(page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))


@pytest.mark.browser_context_args(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
def test_lists_and_forms_fit_a_phone_width_in_arabic(page, live_server, browser_user, log_in,
                                                     page_checked):
    """Stacked table rows keep their column names; long select options do not widen forms."""
    log_in(page, browser_user(Role.ADMIN, locale="ar"))
    for path, name in (("/communes", "communes-phone-ar"), ("/admin/users/new",
                                                            "invite-phone-ar")):
        page.goto(path)
        scroll_width, client_width = page_width(page)
        assert scroll_width <= client_width, f"{path} scrolls sideways: {scroll_width}px"
        page_checked(page, name, full_page=False)
    page.goto("/communes")
    first_cell = page.locator("#commune-rows td").first
    expect(first_cell).to_have_attribute("data-label", re.compile(r"\S"))
    label = first_cell.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label not in ("none", "normal", ""), label


# ---------------------------------------------------------------- the administrator's pages

@pytest.fixture
def admin_in(browser_user, log_in, page):
    """An administrator logged in with the given language saved on their account."""

    def enter(language: str):
        user = browser_user(Role.ADMIN, locale=language)
        log_in(page, user, language=language)
        assert html_lang_dir(page) == (language, DIRECTIONS[language])
        return user

    return enter


def _commune_beyond_first_page() -> Commune:
    """A commune that the unfiltered list does not show (it sorts after the first 50)."""
    return db.session.scalar(select(Commune).where(func.length(Commune.name_fr) > 5)
                             .order_by(Commune.name_fr.desc(), Commune.id.desc()).limit(1))


@pytest.mark.parametrize("language", TOUR_LANGUAGES)
def test_communes_filter_updates_rows_in_place_as_you_type(page, live_server, admin_in,
                                                          page_checked, language):
    admin_in(language)
    commune = _commune_beyond_first_page()
    target = page.locator(f'#commune-rows a[href="/communes/{commune.id}/edit"]')

    page.locator(f'nav.main-nav a[href="{live_server.path("organisations.communes")}"]').click()
    page.wait_for_url(re.compile(r"/communes$"))
    rows = page.locator("#commune-rows > tr")
    before = rows.count()
    assert before > 1
    expect(target).to_have_count(0)
    page_checked(page, f"communes-{language}")

    mark_window(page)
    with page.expect_response(lambda r: "/communes?" in r.url
                              and r.request.headers.get("hx-request") == "true") as answer:
        page.locator("#q").press_sequentially(commune.name_fr, delay=15)
    assert answer.value.status == 200
    expect(target).to_have_count(1)
    assert rows.count() < before
    assert window_marker(page) == "kept", "the filter reloaded the whole page"
    assert "q=" in page.url  # the filtered list has its own address (hx-push-url)
    page_checked(page, f"communes-filtered-{language}")


@pytest.mark.parametrize("language", TOUR_LANGUAGES)
def test_commune_form_shows_the_error_beside_the_field_and_writes_nothing(
        page, live_server, admin_in, page_checked, language):
    admin_in(language)
    commune = _commune_beyond_first_page()
    original = commune.name_fr

    page.goto(live_server.path("organisations.edit_commune", commune_id=commune.id))
    expect(page.locator("#name_fr")).to_have_value(original)
    page_checked(page, f"commune-form-{language}")

    page.locator("#name_fr").fill("")
    page.locator("#name_en").fill("   ")  # only spaces: stripped, so missing too
    submit(page, "form.card")
    assert page.url.endswith(f"/communes/{commune.id}/edit")
    for name in ("name_fr", "name_en"):
        expect(page.locator(f"#{name}-error")).to_be_visible()
        expect(page.locator(f"#{name}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name_ar")).not_to_have_attribute("aria-invalid", "true")
    page_checked(page, f"commune-form-error-{language}")

    db.session.expire_all()
    assert db.session.get(Commune, commune.id).name_fr == original


@pytest.mark.parametrize("language", TOUR_LANGUAGES)
def test_association_and_user_pages_for_the_administrator(page, live_server, admin_in,
                                                          page_checked, language):
    association = make_association(
        db.session.scalar(select(Commune).where(Commune.is_partner).limit(1)))
    association_id = association.id
    db.session.commit()
    admin = admin_in(language)

    page.locator('nav.main-nav a[href="/associations"]').click()
    page.wait_for_url(re.compile(r"/associations$"))
    expect(page.locator(f'a[href="/associations/{association_id}/edit"]')).to_have_count(1)
    page_checked(page, f"associations-{language}")

    page.locator('nav.main-nav a[href="/admin/users"]').click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    expect(page.locator(f'a[href="/admin/users/{admin.id}"]')).to_have_count(1)
    page_checked(page, f"users-{language}")

    page.locator('.page-head a[href="/admin/users/new"]').click()
    page.wait_for_url(re.compile(r"/admin/users/new$"))
    page_checked(page, f"invite-{language}")

    submit(page, "form.card")  # empty: errors beside the fields, nothing created
    for name in ("email", "full_name"):
        expect(page.locator(f"#{name}-error")).to_be_visible()
    page_checked(page, f"invite-error-{language}")

    page.locator("#email").fill(f"new.agent.{language}@example.org")
    page.locator("#full_name").fill("Nouvel Agent")
    page.locator("#memberships-0-role").select_option("commune_agent")
    page.locator("#memberships-0-organisation").select_option(
        f"commune:{db.session.scalar(select(Commune.id).where(Commune.is_partner).limit(1))}")
    submit(page, "form.card")
    assert re.search(r"/admin/users/\d+$", page.url), page.locator("main").inner_text()
    expect(page.locator(".copyable")).to_contain_text("/invitation/")
    page_checked(page, f"invited-{language}")


@pytest.mark.parametrize("language", TOUR_LANGUAGES)
def test_audit_verify_button_shows_the_result_in_place(page, live_server, admin_in,
                                                       page_checked, language):
    admin_in(language)
    page.locator('nav.main-nav a[href="/audit/"]').click()
    page.wait_for_url(re.compile(r"/audit/$"))
    expect(page.locator("#audit-rows tr").first).to_be_visible()  # the admin's login
    page_checked(page, f"audit-{language}")

    mark_window(page)
    result = page.locator("#verification")
    expect(result.locator(".flash-success")).to_have_count(0)
    # An htmx POST: it passes the real CSRF check through the X-CSRFToken header.
    with page.expect_response(lambda r: r.url.endswith("/audit/verifications")
                              and r.request.method == "POST") as answer:
        page.locator('form[action="/audit/verifications"] button[type=submit]').click()
    assert answer.value.request.headers.get("hx-request") == "true"
    assert answer.value.status < 400
    expect(result.locator(".flash-success")).to_be_visible()
    expect(result.locator(".flash-error")).to_have_count(0)
    assert window_marker(page) == "kept", "verify reloaded the whole page"
    assert page.url.endswith("/audit/")
    page_checked(page, f"audit-verified-{language}")


@pytest.mark.parametrize("language", TOUR_LANGUAGES)
def test_change_password_page_refuses_a_wrong_current_password(page, live_server, admin_in,
                                                               page_checked, language):
    admin_in(language)
    page.locator('.user-menu a[href="/account/password"]').click()
    page.wait_for_url(re.compile(r"/account/password$"))
    page_checked(page, f"password-{language}")

    page.locator("#current").fill("not my password")
    page.locator("#password").fill("a brand new password")
    page.locator("#confirmation").fill("a brand new password")
    submit(page, "form.card")
    assert page.url.endswith("/account/password")
    expect(page.locator("#current-error")).to_be_visible()
    expect(page.locator("#current")).to_have_attribute("aria-invalid", "true")
    page_checked(page, f"password-error-{language}")
