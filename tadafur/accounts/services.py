"""Accounts: authentication with throttling, invitations, passwords, user administration.

Services flush; the caller (request or command) commits, so each change commits with its
audit event or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from tadafur.accounts.models import (
    ASSOCIATION_ROLES,
    COMMUNE_ROLES,
    INSTITUTION_ROLES,
    LoginAttempt,
    Membership,
    Role,
    User,
)
from tadafur.accounts.scope import has_access
from tadafur.audit.services import changes, record
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.models_base import utcnow

MIN_PASSWORD_LENGTH = 10
INVITATION_SALT = "tadafur.invitation"
# A fixed hash checked when the e-mail is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password-just-for-timing")


class AccountError(TadafurError):
    """A refusal the user must read; `message` is already translated."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def hash_password(password: str) -> str:
    """scrypt by default; tests may set PASSWORD_HASH_METHOD to something cheaper."""

    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method=method or "scrypt")


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    return check_password_hash(user.password_hash, password or "")


# ---------------------------------------------------------------- login and throttling

@dataclass(frozen=True)
class LockState:
    locked: bool
    until: dt.datetime | None = None


def _lock_state(column, value: str, limit: int) -> LockState:
    config = current_app.config
    window_start = utcnow() - dt.timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])
    last_success = db.session.scalar(
        select(func.max(LoginAttempt.at)).where(column == value, LoginAttempt.succeeded)
    )
    since = max(window_start, last_success) if last_success else window_start
    failures = db.session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since
        )
    ).one()
    count, last_failure = failures
    if count >= limit and last_failure is not None:
        until = last_failure + dt.timedelta(seconds=config["LOGIN_LOCK_SECONDS"])
        if until > utcnow():
            return LockState(True, until)
    return LockState(False)


def login_lock(email: str, address: str) -> LockState:
    """Locked when the account or the address has too many recent failures."""
    config = current_app.config
    by_account = _lock_state(LoginAttempt.email, email, config["LOGIN_MAX_FAILURES"])
    if by_account.locked:
        return by_account
    return _lock_state(LoginAttempt.address, address, config["LOGIN_MAX_ADDRESS_FAILURES"])


def authenticate(email: str, password: str, address: str) -> User:
    """Return the user or raise AccountError. Every attempt is stored; failures audited."""

    email = normalise_email(email)[:254]
    address = (address or "unknown")[:64]
    lock = login_lock(email, address)
    if lock.locked:
        _store_attempt(email, address, succeeded=False)
        record("user.login_refused_locked", object_type="user_account", actor_name=email,
               summary="login refused: account or address locked")
        raise AccountError(
            _("Too many failed attempts: this account is locked for a while. "
              "Try again in %(minutes)d minutes or ask your administrator.",
              minutes=_minutes_left(lock.until))
        )
    user = db.session.scalar(select(User).where(User.email == email))
    valid = check_password(user, password) if user else check_password_hash(
        _DUMMY_HASH, password or "")
    if not user or not valid or not user.active:
        _store_attempt(email, address, succeeded=False)
        record("user.login_failed", object_type="user_account",
               object_id=user.id if user else None, actor_name=email,
               summary="failed login")
        if login_lock(email, address).locked:
            raise AccountError(
                _("Too many failed attempts: this account is locked for %(minutes)d minutes.",
                  minutes=current_app.config["LOGIN_LOCK_SECONDS"] // 60)
            )
        raise AccountError(_("The e-mail address or the password is not correct."))

    if not has_access(user):
        _store_attempt(email, address, succeeded=False)
        record("user.login_refused_no_access", obj=user, actor_name=email,
               summary="login refused: no role and no active auditor access")
        raise AccountError(_("Your access to the platform has ended. Ask your administrator "
                             "if you still need it."))
    if user.has_two_factor:
        # Not yet a success: a stored success would reset the failure count, and codes
        # could then be guessed without end. two_factor.complete_login records it.
        record("user.login_password_checked", obj=user, actor=user,
               summary="password checked, second factor asked")
        return user
    _store_attempt(email, address, succeeded=True)
    record("user.login", obj=user, actor=user, summary="logged in")
    return user


def _minutes_left(until: dt.datetime | None) -> int:
    if until is None:
        return 0
    return max(1, int((until - utcnow()).total_seconds() // 60) + 1)


def _store_attempt(email: str, address: str, succeeded: bool) -> None:
    db.session.add(LoginAttempt(email=email, address=address, succeeded=succeeded))
    db.session.flush()


# ---------------------------------------------------------------- invitations and passwords

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITATION_SALT)


def invitation_token(user: User) -> str:
    """A signed token naming the user and their current password state.

    Once the password is set, the state changes and the token stops working: one use.
    """
    return _serializer().dumps({"user": user.id, "state": _password_state(user)})


def _password_state(user: User) -> str:
    return (user.password_hash or "unset")[-16:]


def user_from_invitation(token: str) -> User:
    try:
        data = _serializer().loads(
            token, max_age=current_app.config["INVITATION_MAX_AGE_SECONDS"]
        )
    except SignatureExpired:
        raise AccountError(_("This invitation link has expired. Ask your administrator for a "
                             "new one.")) from None
    except BadSignature:
        raise AccountError(_("This invitation link is not valid.")) from None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("state") != _password_state(user):
        raise AccountError(_("This invitation link was already used or is no longer valid."))
    return user


# Passwords seen first in every leaked list, in the programme's languages: refused outright.
COMMON_PASSWORDS = frozenset({
    "1234567890", "12345678910", "0123456789", "1234512345", "123456789a", "azerty1234",
    "azertyuiop", "qwertyuiop", "qwerty1234", "password12", "password123", "motdepasse",
    "motdepasse1", "motdepasse123", "bonjour123", "soleil1234", "maroc12345", "marrakech1",
    "casablanca", "casablanca1", "tadafur123", "tadafur2026", "administrator", "admin12345",
    "administrateur", "iloveyou12", "welcome123", "changeme123", "letmein123", "1q2w3e4r5t",
})


def validate_new_password(password: str, confirmation: str, email: str | None = None) -> None:
    """Long enough, not too long, not a known or guessable one (the e-mail, one repeated
    character, a leaked classic), and typed twice the same."""

    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(_("The password must have at least %(n)d characters.",
                             n=MIN_PASSWORD_LENGTH), field="password")
    if len(password) > 200:
        raise AccountError(_("The password is too long (200 characters at most)."),
                           field="password")
    folded = password.casefold()
    local_part = normalise_email(email or "").partition("@")[0]
    if (folded in COMMON_PASSWORDS or len(set(folded)) < 5
            or (len(local_part) >= 4 and local_part in folded)):
        raise AccountError(_("This password is too easy to guess: avoid your e-mail address, "
                             "repeated characters and common passwords. A short sentence "
                             "is easy to remember and hard to guess."), field="password")
    if password != confirmation:
        raise AccountError(_("The two passwords are not the same."), field="confirmation")


def set_password(user: User, password: str, confirmation: str, *, via: str) -> None:
    validate_new_password(password, confirmation, user.email)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    db.session.flush()
    record(f"user.password_{via}", obj=user, actor=user, summary=f"password {via}",
           after={"password": "changed"})


def change_password(user: User, current: str, password: str, confirmation: str) -> None:
    if not check_password(user, current):
        raise AccountError(_("Your current password is not correct."), field="current")
    set_password(user, password, confirmation, via="changed")
    user.session_version = (user.session_version or 0) + 1  # other sessions end
    db.session.flush()


# ---------------------------------------------------------------- administration

@dataclass(frozen=True)
class MembershipSpec:
    role: Role
    commune_id: int | None = None
    association_id: int | None = None
    institution_id: int | None = None

    def describe(self) -> str:
        target = (f"commune:{self.commune_id}" if self.commune_id else
                  f"association:{self.association_id}" if self.association_id else
                  f"institution:{self.institution_id}")
        return f"{self.role.value}@{target}"


def check_membership(spec: MembershipSpec) -> None:
    """A role belongs with one kind of organisation: commune, association or institution."""

    expected = (
        "commune" if spec.role in COMMUNE_ROLES else
        "association" if spec.role in ASSOCIATION_ROLES else
        "institution" if spec.role in INSTITUTION_ROLES else None
    )
    given = [name for name, value in (("commune", spec.commune_id),
                                      ("association", spec.association_id),
                                      ("institution", spec.institution_id)) if value]
    if given != [expected]:
        raise AccountError(_("This role needs exactly one organisation of the right kind."),
                           field="organisation")


def _membership_summary(user: User) -> list[str]:
    return sorted(
        MembershipSpec(Role(m.role), m.commune_id, m.association_id, m.institution_id).describe()
        for m in user.memberships
    )


def create_user(email: str, full_name: str, locale: str | None,
                memberships: list[MembershipSpec], civility: str | None = None) -> User:

    email = normalise_email(email)
    if db.session.scalar(select(User.id).where(User.email == email)):
        raise AccountError(_("An account with this e-mail address already exists."),
                           field="email")
    for spec in memberships:
        check_membership(spec)
    user = User(email=email, full_name=full_name.strip(), locale=locale or None,
                civility=civility if civility in ("f", "m") else None)
    user.memberships = [Membership(role=s.role.value, commune_id=s.commune_id,
                                   association_id=s.association_id,
                                   institution_id=s.institution_id) for s in memberships]
    db.session.add(user)
    db.session.flush()
    record("user.created", obj=user, summary=f"account created for {email}",
           after={"email": email, "full_name": user.full_name,
                  "memberships": _membership_summary(user)})
    return user


def update_user(user: User, full_name: str, active: bool,
                memberships: list[MembershipSpec], civility: str | None = None) -> None:
    for spec in memberships:
        check_membership(spec)
    before = {"full_name": user.full_name, "active": user.active, "civility": user.civility,
              "memberships": _membership_summary(user)}
    user.full_name = full_name.strip()
    user.active = active
    user.civility = civility if civility in ("f", "m") else None
    wanted = {spec.describe(): spec for spec in memberships}
    for membership in list(user.memberships):
        key = MembershipSpec(Role(membership.role), membership.commune_id,
                             membership.association_id, membership.institution_id).describe()
        if key not in wanted:
            user.memberships.remove(membership)
        else:
            wanted.pop(key)
    for spec in wanted.values():
        user.memberships.append(Membership(role=spec.role.value, commune_id=spec.commune_id,
                                           association_id=spec.association_id,
                                           institution_id=spec.institution_id))
    db.session.flush()
    after = {"full_name": user.full_name, "active": user.active, "civility": user.civility,
             "memberships": _membership_summary(user)}
    if before != after:
        old, new = changes(before, after)
        record("user.updated", obj=user, summary=f"account {user.email} changed",
               before=old, after=new)


def set_language(user: User | None, language: str) -> None:
    if user is not None and user.is_authenticated and user.locale != language:
        user.locale = language
        db.session.flush()
