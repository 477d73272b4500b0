"""Password reset by e-mail: a signed link, valid 30 minutes, that works once.

The answer to a request is the same whether the address has an account or not (no account
enumeration); requests are throttled per address and per client in the database (every app
server sees the same counts); every request and every use is audited. A reset ends every
other session of the user (their session version changes) and never skips the second factor:
the user logs in again afterwards.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from tadafur.accounts import throttle
from tadafur.accounts.auditors import has_access
from tadafur.accounts.mail import send_password_reset
from tadafur.accounts.models import User
from tadafur.accounts.services import AccountError, normalise_email, set_password
from tadafur.audit.services import record
from tadafur.extensions import db

RESET_SALT = "tadafur.password-reset"
HOUR = 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _password_state(user: User) -> str:
    """Changes when the password does: a used link stops working."""
    return (user.password_hash or "unset")[-16:]


def reset_token(user: User) -> str:
    return _serializer().dumps({"user": user.id, "state": _password_state(user)})


def request_reset(email: str, address: str) -> None:
    """Send a reset link when the address has an active account; say nothing either way.

    Raises AccountError only when the address or the client asked too often (a limit that
    applies to unknown addresses too, so it reveals nothing).
    """
    config = current_app.config
    email = normalise_email(email)[:254]
    address = (address or "unknown")[:64]
    if not (throttle.allow("reset_client", address, config["PASSWORD_RESET_MAX_PER_CLIENT"],
                           HOUR)
            and throttle.allow("reset_email", email, config["PASSWORD_RESET_MAX_PER_ADDRESS"],
                               HOUR)):
        record("user.password_reset_throttled", object_type="user_account", actor_name=email,
               summary="password reset request refused: too many requests")
        raise AccountError(_("Too many requests for a new password. Wait an hour, then try "
                             "again, or ask your administrator."), field="email")
    user = db.session.scalar(select(User).where(User.email == email))

    sent = user is not None and user.active and has_access(user)
    record("user.password_reset_requested", object_type="user_account",
           object_id=user.id if user else None, actor_name=email,
           summary="password reset requested", after={"link_sent": sent})
    if sent:
        send_password_reset(user, reset_token(user))


def user_from_reset(token: str) -> User:
    try:
        data = _serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"])
    except SignatureExpired:
        raise AccountError(_("This link has expired (it is valid for 30 minutes). Ask for a "
                             "new one.")) from None
    except BadSignature:
        raise AccountError(_("This link is not valid.")) from None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("state") != _password_state(user):
        raise AccountError(_("This link was already used or is no longer valid. Ask for a "
                             "new one."))
    return user


def reset_password(user: User, password: str, confirmation: str) -> None:
    """Set the new password (audited as `user.password_reset`) and end every other session."""
    set_password(user, password, confirmation, via="reset")
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()
