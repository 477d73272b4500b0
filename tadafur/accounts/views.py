"""Login, logout, invitations, passwords, language, and user administration."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tadafur.access import authenticated, public, requires
from tadafur.accounts import auditors as service, services
from tadafur.accounts.forms import (
    ROLE_LABELS,
    AuditorGrantForm,
    ChangePasswordForm,
    LoginForm,
    SetPasswordForm,
    UserForm,
)
from tadafur.accounts.models import AuditorGrant, Membership, Role, User
from tadafur.audit.services import record
from tadafur.core.htmx import redirect_to, safe_next
from tadafur.core.urls import public_url
from tadafur.extensions import db
from tadafur.i18n import LANGUAGE_COOKIE
from tadafur.organisations.models import Commune
from tadafur.organisations.services import organisation_choices

blueprint = Blueprint("accounts", __name__)


@blueprint.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect_to(url_for("core.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data,
                                         request.remote_addr)
        except services.AccountError as error:
            db.session.commit()  # keep the failed attempt and its audit event
            form.password.errors = [error.message]
            status = 422
        else:
            db.session.commit()
            target = safe_next(request.args.get("next"), url_for("core.dashboard"))
            if user.has_two_factor:
                # security_views registers on this blueprint, so it is imported at the
                # bottom of this file; its function is looked up when called.
                return security_views.start_second_step(user, target)
            login_user(user)
            return redirect_to(target)
    elif form.is_submitted():
        status = 422
    return render_template("accounts/login.html", form=form), status


@blueprint.route("/logout", methods=["POST"])
@authenticated
def logout():
    record("user.logout", obj=current_user._get_current_object(), summary="logged out")
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect_to(url_for("accounts.login"))


@blueprint.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    try:
        user = services.user_from_invitation(token)
    except services.AccountError as error:
        return render_template("accounts/invitation_invalid.html", message=error.message), 400
    form = SetPasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data, form.confirmation.data, via="set")
        except services.AccountError as error:
            getattr(form, error.field or "password").errors = [error.message]
            status = 422
        else:
            db.session.commit()
            login_user(user)
            flash(_("Your password is set. Welcome to Tadafur."), "success")
            return redirect_to(url_for("core.dashboard"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/set_password.html", form=form, user=user), status


@blueprint.route("/account/password", methods=["GET", "POST"])
@authenticated
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current.data, form.password.data,
                                     form.confirmation.data)
        except services.AccountError as error:
            getattr(form, error.field or "password").errors = [error.message]
            status = 422
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session goes on
            flash(_("Your password was changed."), "success")
            return redirect_to(url_for("core.dashboard"))
    elif form.is_submitted():
        status = 422
    return render_template("accounts/change_password.html", form=form), status


@blueprint.route("/language", methods=["POST"])
@public
def choose_language():
    language = request.form.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(400)
    services.set_language(current_user, language)
    db.session.commit()
    response = make_response(redirect_to(safe_next(request.form.get("next"),
                                                   url_for("core.dashboard"))))
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


# ---------------------------------------------------------------- administration

def load_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _memberships_from(form: UserForm) -> list[services.MembershipSpec]:
    specs = []
    for row in form.memberships:
        role, organisation = row.role.data, row.organisation.data
        if not role and not organisation:
            continue
        kind, _sep, ident = (organisation or "").partition(":")
        ids = {"commune": None, "association": None, "institution": None}
        if kind in ids and ident.isdigit():
            ids[kind] = int(ident)
        try:
            specs.append(services.MembershipSpec(Role(role), ids["commune"],
                                                 ids["association"], ids["institution"]))
        except ValueError:
            raise services.AccountError(_("Choose a role."), field="memberships") from None
    return specs


@blueprint.route("/admin/users")
@requires("users.manage")
def users():
    people = db.session.scalars(
        select(User).options(selectinload(User.memberships)).order_by(User.full_name)
    ).all()
    return render_template("accounts/users.html", users=people, role_labels=ROLE_LABELS)


def _user_form_page(form: UserForm, user: User | None):
    status = 200
    if form.validate_on_submit():
        try:
            specs = _memberships_from(form)
            if user is None:
                user = services.create_user(form.email.data, form.full_name.data,
                                            form.locale.data, specs,
                                            civility=form.civility.data or None)
                message = _("Account created. Send the invitation link to its owner.")
            else:
                services.update_user(user, form.full_name.data, form.active.data, specs,
                                     civility=form.civility.data or None)
                message = _("Account saved.")
        except services.AccountError as error:
            db.session.rollback()
            field = getattr(form, error.field, None) if error.field else None
            if field is not None and error.field != "memberships":
                field.errors = [*field.errors, error.message]
            else:
                form.form_errors.append(error.message)
            status = 422
        else:
            db.session.commit()
            flash(message, "success")
            return redirect_to(url_for("accounts.edit_user", user_id=user.id))
    elif form.is_submitted():
        status = 422
    invitation = None
    if user is not None and not user.password_hash:
        invitation = public_url("accounts.accept_invitation",
                                token=services.invitation_token(user))
    return render_template("accounts/user_form.html", form=form, user=user,
                           invitation=invitation), status


@blueprint.route("/admin/users/new", methods=["GET", "POST"])
@requires("users.manage")
def new_user():
    form = UserForm()
    form.set_choices(organisation_choices())
    return _user_form_page(form, None)


@blueprint.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("users.manage", load=load_user)
def edit_user(user: User):
    form = UserForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        for row, membership in zip(form.memberships, user.memberships, strict=False):
            row.role.data = membership.role
            row.organisation.data = _organisation_key(membership)
    form.set_choices(organisation_choices())
    form.email.render_kw = {"readonly": True}
    if request.method == "POST":
        form.email.data = user.email
    return _user_form_page(form, user)


def _organisation_key(membership: Membership) -> str:
    if membership.commune_id:
        return f"commune:{membership.commune_id}"
    if membership.association_id:
        return f"association:{membership.association_id}"
    return f"institution:{membership.institution_id}"


# ---------------------------------------------------------------- outside auditors

def load_grant(grant_id: int):
    return db.get_or_404(AuditorGrant, grant_id)


@blueprint.route("/admin/auditors", methods=["GET", "POST"])
@requires("users.manage")
def auditors():
    form = AuditorGrantForm()
    form.communes.choices = [(c.id, c.name) for c in db.session.scalars(
        select(Commune).where(Commune.is_partner).order_by(Commune.name_fr))]
    status = 200
    invitation = None
    if form.validate_on_submit():
        try:
            access = service.grant(current_user, form.email.data, form.full_name.data,
                                   form.communes.data or [],
                                   (form.projects.data or "").split(","),
                                   form.expires_on.data, form.reason.data)
        except services.AccountError as error:
            db.session.rollback()
            field = getattr(form, error.field, None) if error.field else None
            (field.errors if field is not None else form.form_errors).append(error.message)
            status = 422
        else:
            db.session.commit()
            flash(_("Auditor access granted."), "success")
            if not access.user.password_hash:
                invitation = public_url("accounts.accept_invitation",
                                        token=services.invitation_token(access.user))
            form = AuditorGrantForm(formdata=None)
            form.communes.choices = [(c.id, c.name) for c in db.session.scalars(
                select(Commune).where(Commune.is_partner).order_by(Commune.name_fr))]
    elif form.is_submitted():
        status = 422
    return render_template("accounts/auditors.html", form=form, grants=service.grants(),
                           invitation=invitation), status


@blueprint.route("/admin/auditors/<int:grant_id>/revoke", methods=["POST"])
@requires("users.manage", load=load_grant)
def revoke_auditor(access):
    service.revoke(access)
    db.session.commit()
    flash(_("Auditor access revoked."), "success")
    return redirect_to(url_for("accounts.auditors"))


# The password-reset and second-factor pages register on this blueprint.
from tadafur.accounts import security_views  # noqa: E402
