"""My delegations: grant one (role, delegate, period, scope, reason), revoke one, and see
those received. Plain POST + redirect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tadafur.access import can, requires, visible_projects
from tadafur.core.htmx import redirect_to
from tadafur.delegations import services
from tadafur.delegations.forms import DelegationForm, RevokeForm
from tadafur.delegations.models import Delegation
from tadafur.extensions import db
from tadafur.projects.models import Project

blueprint = Blueprint("delegations", __name__)
PROJECT_CHOICES = 200


def load_delegation(delegation_id: int) -> Delegation:
    return db.session.get(Delegation, delegation_id) or abort(404)


def _fill(form: DelegationForm) -> None:
    form.membership_id.choices = [(m.membership_id, m.label)
                                  for m in services.mandates_of(current_user)]
    form.delegate_id.choices = [(u.id, f"{u.full_name} ({u.email})")
                                for u in services.colleagues_of(current_user)]
    projects = db.session.scalars(visible_projects(
        select(Project).order_by(Project.reference.desc()), current_user)
        .limit(PROJECT_CHOICES))
    form.project_ids.choices = [(p.id, f"{p.reference} · {p.title}") for p in projects]


def _page(form: DelegationForm, status: int = 200):
    return render_template("delegations/index.html", form=form,
                           given=services.given_by(current_user),
                           received=services.received_by(current_user),
                           may_grant=can(current_user, "delegation.grant"),
                           role_labels=services.ROLE_LABELS), status


@blueprint.get("/delegations")
@requires("delegations.view")
def index():
    form = DelegationForm(formdata=None)
    _fill(form)
    return _page(form)


@blueprint.post("/delegations")
@requires("delegation.grant")
def grant():
    form = DelegationForm()
    _fill(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    try:
        services.confirm_identity(current_user, form.password.data, form.code.data)
        services.grant(current_user, membership_id=form.membership_id.data,
                       delegate_id=form.delegate_id.data, starts_on=form.starts_on.data,
                       ends_on=form.ends_on.data, reason=form.reason.data,
                       project_ids=(form.project_ids.data or []) if form.scope.data == "some"
                       else None)
    except services.DelegationError as refused:
        # A wrong second-factor code is kept as a failed attempt (nothing else changed).
        db.session.commit() if refused.field == "code" else db.session.rollback()
        field = getattr(form, refused.field, None) if refused.field else None
        if field is not None:
            field.errors = [*field.errors, refused.message]
        else:
            form.form_errors.append(refused.message)
        return _page(form, 422)
    db.session.commit()
    flash(_("Delegation granted."), "success")
    return redirect_to(url_for("delegations.index"))


@blueprint.post("/delegations/<int:delegation_id>/revoke")
@requires("delegation.revoke", load=load_delegation)
def revoke(delegation: Delegation):
    form = RevokeForm()
    try:
        if not form.validate_on_submit():
            raise services.DelegationError(_("Enter your password to revoke."), "password")
        services.confirm_identity(current_user, form.password.data, form.code.data)
        services.revoke(current_user, delegation)
    except services.DelegationError as refused:
        db.session.commit() if refused.field == "code" else db.session.rollback()
        page = DelegationForm(formdata=None)
        _fill(page)
        return render_template("delegations/index.html", form=page,
                               given=services.given_by(current_user),
                               received=services.received_by(current_user),
                               may_grant=can(current_user, "delegation.grant"),
                               role_labels=services.ROLE_LABELS,
                               revoke_failed=delegation.id,
                               revoke_error=refused.message), 422
    db.session.commit()
    flash(_("Delegation revoked: it no longer allows anyone to sign for you."), "success")
    return redirect_to(url_for("delegations.index"))
