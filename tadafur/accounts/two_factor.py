"""The second factor: a TOTP authenticator app (RFC 6238, pyotp) and one-time recovery codes.

Required of administrators, programme officers and every signatory role when the setting
TWO_FACTOR_REQUIRED is on (they are sent to enrol before anything else); optional for
everyone else. Asked at login after the password, and again with the password when signing.
A wrong code counts as a failed login attempt of the account and the client (the same
throttle as the password), so guessing codes locks the account like guessing passwords.
A code is accepted once (the last used time step is kept). Enrolment, use of a recovery
code and reset by an administrator are audited; the secret itself never is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select

from tadafur.accounts.models import RecoveryCode, Role, User
from tadafur.accounts.services import (
    AccountError,
    _minutes_left,
    _store_attempt,
    login_lock,
)
from tadafur.audit.services import record
from tadafur.extensions import db
from tadafur.models_base import utcnow

REQUIRED_ROLES = frozenset({Role.ADMIN, Role.PROGRAMME_OFFICER, Role.COMMUNE_SIGNATORY,
                            Role.ASSOCIATION_SIGNATORY})
RECOVERY_CODES = 10
PENDING_LOGIN_SECONDS = 5 * 60


def required_for(user: User) -> bool:
    return bool(current_app.config.get("TWO_FACTOR_REQUIRED")) and user.has_role(
        *REQUIRED_ROLES)


def needs_enrolment(user: User) -> bool:
    return required_for(user) and not user.has_two_factor


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=user.email, issuer_name=current_app.config.get("TWO_FACTOR_ISSUER", "Tadafur"))


def qr_data_uri(uri: str) -> str:
    """The enrolment QR code as an SVG data URI (no request to any outside service)."""
    return segno.make(uri, error="m", micro=False).svg_data_uri(scale=5, border=2)


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _normalise(code: str) -> str:
    return "".join(ch for ch in (code or "") if ch.isalnum()).lower()[:32]


def _matching_step(secret: str, code: str) -> int | None:
    """The time step `code` belongs to (now, or one step either side), if any."""
    digits = _normalise(code)
    if len(digits) != 6 or not digits.isdigit() or not secret:
        return None
    totp = pyotp.TOTP(secret)
    now = dt.datetime.now(dt.UTC)  # aware: pyotp reads a naive time as local time
    for offset in (0, -1, 1):
        step = totp.timecode(now) + offset
        if secrets.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _totp_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The step of a right code not used yet (a code is accepted once)."""
    step = _matching_step(secret, code)
    return None if step is None or (last_step is not None and step <= last_step) else step


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash_code(code))
                       for code in codes)
    return codes


def confirm_enrolment(user: User, secret: str, code: str) -> list[str]:
    """Turn the factor on once the app shows a right code; return the recovery codes (shown
    once). Other sessions end (the session version changes)."""
    step = _totp_step(secret, code, None)
    if step is None:
        raise AccountError(_("This code is not the one your app shows. Check the time of "
                             "your phone and type the 6 digits again."), field="code")
    user.totp_secret, user.totp_enabled_at, user.totp_last_step = secret, utcnow(), step
    user.session_version = (user.session_version or 0) + 1
    codes = _new_recovery_codes(user)
    db.session.flush()
    record("user.two_factor_enrolled", obj=user, actor=user, summary="second factor enrolled",
           after={"method": "totp", "recovery_codes": len(codes)})
    return codes


def reset(admin: User, user: User) -> None:
    """An administrator removes a lost factor: the owner enrols again at next login."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    user.session_version = (user.session_version or 0) + 1
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()
    record("user.two_factor_reset", obj=user, actor=admin,
           summary=f"second factor of {user.email} reset by an administrator",
           before={"two_factor": True}, after={"two_factor": False})


def _accept(user: User, code: str) -> str | None:
    """'totp' or 'recovery' when `code` is right (and marks it used), else None."""
    step = _totp_step(user.totp_secret or "", code, user.totp_last_step)
    if step is not None:
        user.totp_last_step = step
        db.session.flush()
        return "totp"
    if len(_normalise(code)) == 12:
        unused = db.session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code),
            RecoveryCode.used_at.is_(None)).with_for_update())
        if unused is not None:
            unused.used_at = utcnow()
            db.session.flush()
            record("user.recovery_code_used", obj=user, actor=user,
                   summary="a recovery code replaced the authenticator app")
            return "recovery"
    return None


def verify(user: User, code: str, address: str, purpose: str) -> str:
    """Check a code typed at login or when signing; raise AccountError (field `code`).

    A wrong code is stored as a failed login attempt: the login throttle counts it.
    """
    address = (address or "unknown")[:64]
    lock = login_lock(user.email, address)
    if lock.locked:
        record("user.two_factor_refused_locked", obj=user, actor_name=user.email,
               summary=f"{purpose}: second factor refused, account or address locked")
        raise AccountError(_("Too many failed attempts: this account is locked for a while. "
                             "Try again in %(minutes)d minutes or ask your administrator.",
                             minutes=_minutes_left(lock.until)), field="code")
    method = _accept(user, code) if user.has_two_factor else None
    if method is None:
        _store_attempt(user.email, address, succeeded=False)
        record("user.two_factor_failed", obj=user, actor_name=user.email,
               summary=f"{purpose}: wrong second-factor code", after={"purpose": purpose})
        if login_lock(user.email, address).locked:
            raise AccountError(_("Too many failed attempts: this account is locked for "
                                 "%(minutes)d minutes.",
                                 minutes=current_app.config["LOGIN_LOCK_SECONDS"] // 60),
                               field="code")
        step = _matching_step(user.totp_secret or "", code)
        if step is not None:  # right, but already used (at login, or a moment ago)
            raise AccountError(_("This code was already used. Wait for the next one (at most "
                                 "30 seconds), then type it."), field="code")
        raise AccountError(_("The code is not correct. Type the 6 digits your app shows now, "
                           "or one of your recovery codes."), field="code")
    return method


def complete_login(user: User, code: str, address: str) -> None:
    """The second step of a login: the code, then the login is recorded as a success."""
    method = verify(user, code, address, "login")
    _store_attempt(user.email, address, succeeded=True)
    record("user.login", obj=user, actor=user, summary="logged in",
           after={"second_factor": method})


def check_for_signing(user: User, code: str | None, address: str) -> bool:
    """True when the signer's second factor was checked; raise when it is missing or wrong.

    A signer without a factor signs with the password alone unless the factor is required
    of them (then they must enrol first).
    """
    if not user.has_two_factor:
        if required_for(user):
            raise AccountError(_("Set up your second factor (authenticator app) before "
                                 "signing."), field="code")
        return False
    if not (code or "").strip():
        raise AccountError(_("Type the code of your authenticator app to sign."),
                           field="code")
    verify(user, code or "", address, "signing")
    return True


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())
