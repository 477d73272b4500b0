"""E-mails of the accounts module (invitation, password reset), in the recipient's language.

Links are built on PUBLIC_BASE_URL when it is set (always in production): a link built from the
request's Host header could be pointed at another site by whoever sends the request
("password reset poisoning").
"""

from __future__ import annotations

from flask import current_app, has_request_context, request
from flask_babel import force_locale, gettext as _

from tadafur.accounts.models import User
from tadafur.accounts.services import invitation_token
from tadafur.notifications.services import send_mail


def public_link(endpoint: str, **values: str) -> str:
    """An absolute link to `endpoint`, on PUBLIC_BASE_URL (in development: the request's host)."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if not base and has_request_context():
        base = request.host_url.rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


def _language(user: User) -> str:
    return user.locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "ar")


def send_invitation(user: User) -> str:
    link = public_link("accounts.accept_invitation", token=invitation_token(user))
    with force_locale(_language(user)):
        send_mail(user.email, _("Your Tadafur account"),
                  _("An account was created for you on the Tadafur platform. Open this link "
                    "to choose your password (it works once and expires in 7 days):")
                  + f"\n\n{link}\n")
    return link


def send_password_reset(user: User, token: str) -> None:
    link = public_link("accounts.reset_password", token=token)
    with force_locale(_language(user)):
        send_mail(user.email, _("Choose a new Tadafur password"),
                  _("Someone (you, we hope) asked to reset the password of your Tadafur "
                    "account. Open this link within 30 minutes to choose a new one; it works "
                    "once. If you did not ask, ignore this e-mail: your password stays as it "
                    "is.") + f"\n\n{link}\n")
