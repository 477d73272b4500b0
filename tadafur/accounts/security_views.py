"""Forgotten password, the login's second step, enrolment of the second factor, and its reset
by an administrator. Plain POST + redirect; registered on the accounts blueprint."""

from __future__ import annotations

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from tadafur.access import authenticated, public, requires
from tadafur.accounts import recovery, services, two_factor
from tadafur.accounts.forms import CodeForm, ForgotPasswordForm, SetPasswordForm
from tadafur.accounts.models import User
from tadafur.accounts.views import blueprint, load_user
from tadafur.core.htmx import redirect_to, safe_next
from tadafur.extensions import db

PENDING = "tadafur.second_step"
ENROLMENT = "tadafur.totp_enrolment"


# ---------------------------------------------------------------- forgotten password

@blueprint.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    form = ForgotPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            recovery.request_reset(form.email.data, request.remote_addr)
        except services.AccountError as error:
            db.session.commit()  # keep the refused request's audit event
            form.email.errors = [error.message]
            status = 429
        else:
            db.session.commit()
            return render_template("accounts/reset_sent.html"), 200
    elif form.is_submitted():
        status = 422
    return render_template("accounts/forgot_password.html", form=form), status


@blueprint.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        user = recovery.user_from_reset(token)
    except services.AccountError as error:
        return render_template("accounts/link_invalid.html", message=error.message), 400
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            recovery.reset_password(user, form.password.data, form.confirmation.data)
        except services.AccountError as error:
            getattr(form, error.field or "password").errors = [error.message]
            status = 422
        else:
            db.session.commit()
            flash(_("Your password was changed. Log in with it; every other session of "
                    "your account has ended."), "success")
            return redirect_to(url_for("accounts.login"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/reset_password.html", form=form, user=user), status


# ---------------------------------------------------------------- login, second step

def start_second_step(user: User, target: str):
    """The password was right: remember who is half logged in, for a few minutes."""
    session[PENDING] = {"user": user.get_id(), "next": target, "at": int(time.time())}
    return redirect_to(url_for("accounts.login_code"))


def _pending_user() -> tuple[User | None, str]:
    pending = session.get(PENDING) or {}
    if int(time.time()) - int(pending.get("at", 0)) > two_factor.PENDING_LOGIN_SECONDS:
        return None, ""
    ident, _sep, version = str(pending.get("user", "")).partition(":")
    user = db.session.get(User, int(ident)) if ident.isdigit() else None
    if user is None or str(user.session_version or 0) != version or not user.active:
        return None, ""
    return user, safe_next(pending.get("next"), url_for("core.dashboard"))


@blueprint.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    user, target = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in again: the code was not typed in time."), "info")
        return redirect_to(url_for("accounts.login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            two_factor.complete_login(user, form.code.data, request.remote_addr)
        except services.AccountError as error:
            db.session.commit()  # the failed attempt counts
            form.code.errors = [error.message]
            status = 422
        else:
            db.session.commit()
            session.pop(PENDING, None)
            login_user(user)
            return redirect_to(target)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login_code.html", form=form), status


# ---------------------------------------------------------------- enrolment

@blueprint.route("/account/two-factor", methods=["GET", "POST"])
@authenticated
def two_factor_page():
    user = current_user._get_current_object()
    if user.has_two_factor:
        return render_template("accounts/two_factor.html", enrolled=True,
                               remaining=two_factor.remaining_recovery_codes(user))
    secret = session.get(ENROLMENT)
    if not secret or request.method == "GET":
        secret = session[ENROLMENT] = two_factor.new_secret()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(user, secret, form.code.data)
        except services.AccountError as error:
            db.session.rollback()
            form.code.errors = [error.message]
            status = 422
        else:
            db.session.commit()
            session.pop(ENROLMENT, None)
            login_user(user)  # the session version changed: this session goes on
            return render_template("accounts/recovery_codes.html", codes=codes)
    elif form.is_submitted():
        status = 422
    uri = two_factor.provisioning_uri(user, secret)
    return render_template("accounts/two_factor.html", enrolled=False, form=form,
                           secret=secret, qr=two_factor.qr_data_uri(uri),
                           required=two_factor.required_for(user)), status


@blueprint.route("/admin/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires("users.manage", load=load_user)
def reset_two_factor(user: User):
    two_factor.reset(current_user._get_current_object(), user)
    db.session.commit()
    flash(_("The second factor of %(email)s was removed: they set up a new one at their next "
            "login.", email=user.email), "success")
    return redirect(url_for("accounts.edit_user", user_id=user.id), 303)


# ---------------------------------------------------------------- enrolment when required

ALWAYS_OPEN = frozenset({"accounts.two_factor_page", "accounts.logout", "accounts.login",
                         "accounts.choose_language", "static", "core.health"})


def require_enrolment():
    """Before every request: a user who must have a second factor enrols first."""
    if (request.endpoint in ALWAYS_OPEN or not current_user.is_authenticated
            or not two_factor.needs_enrolment(current_user)):
        return None
    flash(_("Set up your second factor to continue: your role requires it."), "info")
    return redirect_to(url_for("accounts.two_factor_page"))


def register(app) -> None:
    app.before_request(require_enrolment)
