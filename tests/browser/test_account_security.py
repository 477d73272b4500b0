"""Accounts in the browser, in Arabic and in French: a forgotten password reset from the e-mail
found in the outbox; a second factor enrolled and used to sign a convention, a wrong code
first refused beside the field (translated) and counted by the login throttle."""

from __future__ import annotations

import email
import re
import time

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tadafur.accounts.models import LoginAttempt, Role, User
from tadafur.extensions import db
from tadafur.organisations.models import Commune
from tadafur.workflow.models import SignOff
from tests.factories import make_association
from tests.workflow.conftest import build_project, to_state

NEW_PASSWORD = "une promenade tranquille"
WRONG_CODE = {"ar": "الرمز غير صحيح", "fr": "Le code n'est pas correct"}
SENT = {"ar": "تفقّد بريدك الإلكتروني", "fr": "Consultez votre messagerie"}


@pytest.fixture
def outbox(app, tmp_path):
    folder = tmp_path / "outbox"
    app.config["MAIL_OUTBOX"] = str(folder)
    yield folder
    app.config["MAIL_OUTBOX"] = None


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_forgotten_password_is_reset_from_the_e_mail_in_the_outbox(
        page, live_server, browser_user, page_checked, outbox, language):
    from tests.browser.conftest import set_language_cookie

    user = browser_user(Role.ASSOCIATION_MEMBER, locale=language)
    set_language_cookie(page, live_server, language)
    page.goto("/login")
    page.locator('a[href="/password/forgot"]').click()
    page_checked(page, f"forgot-password-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    page_checked(page, f"forgot-password-phone-{language}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#email").fill(user.email)
    page.locator("#forgot-form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(SENT[language])
    page_checked(page, f"reset-sent-{language}")

    [path] = list(outbox.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == user.email
    body = message.get_payload(decode=True).decode()
    assert ("30 دقيقة" if language == "ar" else "30 minutes") in body
    link = re.search(r"(http://\S+/password/reset/\S+)", body).group(1)
    assert link.startswith(live_server.url)

    page.goto(link)
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#confirmation").fill(NEW_PASSWORD)
    page_checked(page, f"reset-password-{language}")
    page.locator("#reset-form button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/login")
    page.locator("#email").fill(user.email)
    page.locator("#password").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form button[type=submit]").click()
    assert page.url == f"{live_server.url}/"
    page.goto(link)  # used once: refused now
    expect(page.locator(".error-box")).to_be_visible()


def _project_awaiting_the_convention(browser_user, language):
    commune = db.session.scalar(select(Commune).where(Commune.is_partner).order_by(Commune.id))
    association = make_association(commune, "Association Nour")
    db.session.commit()
    live = {name: browser_user(role, organisation, locale=language) for name, role, organisation
            in (("member", Role.ASSOCIATION_MEMBER, association),
                ("chair", Role.ASSOCIATION_SIGNATORY, association),
                ("agent", Role.COMMUNE_AGENT, commune),
                ("president", Role.COMMUNE_SIGNATORY, commune),
                ("officer", Role.PROGRAMME_OFFICER, None))}
    users = {name: db.session.get(User, user.id) for name, user in live.items()}
    project = build_project(commune, association, users["agent"])
    to_state(project, "convention_signature", **users)
    db.session.commit()
    return project.id, live["president"]


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_second_factor_enrolled_then_a_convention_signed_with_it(
        page, live_server, browser_user, log_in, page_checked, language):
    project_id, president = _project_awaiting_the_convention(browser_user, language)
    log_in(page, president, language=language)
    page.goto("/account/two-factor")
    expect(page.locator('img[src^="data:image/svg+xml"]')).to_be_visible()
    page_checked(page, f"two-factor-enrol-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    page_checked(page, f"two-factor-enrol-phone-{language}")
    page.set_viewport_size({"width": 1280, "height": 900})
    secret = page.locator("#totp-secret").inner_text()
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("#enrol-form button[type=submit]").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page_checked(page, f"recovery-codes-{language}")

    page.goto(f"/projects/{project_id}")
    action = page.locator("details.action", has=page.locator(
        'input[name=trigger][value="signoff:convention"]'))
    action.locator("summary").click()
    action.locator("input[name=password]").fill(president.password)
    action.locator("input[name=code]").fill("000000")
    action.locator("button[type=submit]").click()
    error = page.locator("#action-panel .field-error")
    expect(error).to_contain_text(WRONG_CODE[language])
    page_checked(page, f"sign-wrong-code-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    page_checked(page, f"sign-wrong-code-phone-{language}")
    page.set_viewport_size({"width": 1280, "height": 900})
    db.session.commit()  # end this thread's read transaction: see what the server wrote
    assert db.session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.email == president.email, LoginAttempt.succeeded.is_(False))) == 1

    action = page.locator("details.action", has=page.locator(
        'input[name=trigger][value="signoff:convention"]'))
    if action.get_attribute("open") is None:
        action.locator("summary").click()
    action.locator("input[name=password]").fill(president.password)
    action.locator("input[name=code]").fill(pyotp.TOTP(secret).at(time.time() + 30))
    action.locator("button[type=submit]").click()
    expect(page.locator("#action-panel details.action", has=page.locator(
        'input[name=trigger][value="signoff:convention"]'))).to_have_count(0)
    db.session.commit()
    signoff = db.session.scalar(select(SignOff).where(SignOff.project_id == project_id,
                                                      SignOff.gate == "convention",
                                                      SignOff.user_id == president.id))
    assert signoff is not None and signoff.second_factor is True
    page_checked(page, f"signed-with-code-{language}")
