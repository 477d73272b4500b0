"""Reference data pages: communes (list, add, correct, import) and associations."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tadafur.access import requires
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.extensions import db
from tadafur.organisations import services
from tadafur.organisations.forms import AssociationForm, CommuneForm, CommuneImportForm
from tadafur.organisations.models import Association, Commune, Province

blueprint = Blueprint("organisations", __name__)
PAGE_SIZE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@blueprint.route("/communes")
@requires("reference.view")
def communes():
    criteria = services.CommuneFilter(
        text=request.args.get("q", "")[:100].strip(),
        region_id=_int_arg("region"), province_id=_int_arg("province"),
        partner_only=request.args.get("partner") == "1",
    )
    rows = services.search_communes(criteria, limit=PAGE_SIZE + 1,
                                    after_name=request.args.get("after_name"),
                                    after_id=_int_arg("after_id"))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = {"communes": rows, "criteria": criteria, "more": more,
               "regions": services.programme_regions(),
               "provinces": services.provinces_of(criteria.region_id)}
    if is_htmx() and request.headers.get("HX-Target") == "commune-rows":
        return render_template("organisations/_commune_rows.html", **context)
    return render_template("organisations/communes.html", **context)


def _province_choices() -> list[tuple[int, str]]:
    provinces = db.session.scalars(
        select(Province).options(joinedload(Province.region)).order_by(Province.name_fr))
    return [(p.id, f"{p.name} — {p.region.name}") for p in provinces]


def load_commune(commune_id: int) -> Commune:
    return db.get_or_404(Commune, commune_id)


def _commune_form_page(form: CommuneForm, commune: Commune | None):
    form.province_id.choices = _province_choices()
    status = 200
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in services.COMMUNE_FIELDS}
        try:
            if commune is None:
                commune = services.create_commune(values)
            else:
                services.update_commune(commune, values)
        except services.ReferenceDataError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [error.message]
            status = 422
        else:
            db.session.commit()
            flash(_("Commune saved."), "success")
            return redirect_to(url_for("organisations.communes", q=commune.name_fr))
    elif form.is_submitted():
        status = 422
    return render_template("organisations/commune_form.html", form=form,
                           commune=commune), status


@blueprint.route("/communes/new", methods=["GET", "POST"])
@requires("reference.manage")
def new_commune():
    return _commune_form_page(CommuneForm(), None)


@blueprint.route("/communes/<int:commune_id>/edit", methods=["GET", "POST"])
@requires("reference.manage", load=load_commune)
def edit_commune(commune: Commune):
    return _commune_form_page(CommuneForm(obj=commune), commune)


@blueprint.route("/communes/import", methods=["GET", "POST"])
@requires("reference.manage")
def import_communes():
    form = CommuneImportForm()
    errors: list[tuple[int, str]] = []
    status = 200
    if form.validate_on_submit():
        try:
            text = form.file.data.read().decode("utf-8-sig")
            report = services.import_communes_csv(text)
        except UnicodeDecodeError:
            errors = [(0, _("The file is not UTF-8 text."))]
        except services.CommuneImportError as error:
            errors = error.errors
        if errors:
            db.session.rollback()
            status = 422
        else:
            db.session.commit()
            flash(_("%(created)d communes added, %(updated)d corrected.",
                    created=report.created, updated=report.updated), "success")
            return redirect_to(url_for("organisations.communes"))
    elif form.is_submitted():
        status = 422
    return render_template("organisations/import.html", form=form, errors=errors,
                           columns=services.CSV_COLUMNS), status


@blueprint.route("/associations")
@requires("reference.view")
def associations():
    rows = db.session.scalars(
        select(Association).options(joinedload(Association.commune))
        .order_by(Association.name_fr)).all()
    return render_template("organisations/associations.html", associations=rows)


def load_association(association_id: int) -> Association:
    return db.get_or_404(Association, association_id)


def _association_form_page(form: AssociationForm, association: Association | None):
    form.commune_id.choices = [(c.id, c.name) for c in db.session.scalars(
        select(Commune).where(Commune.is_partner).order_by(Commune.name_fr))]
    if association is not None and association.commune_id not in dict(form.commune_id.choices):
        form.commune_id.choices.append((association.commune_id, association.commune.name))
    status = 200
    if form.validate_on_submit():
        try:
            association = services.save_association(association, form.values())
        except services.ReferenceDataError as error:
            db.session.rollback()
            getattr(form, error.field).errors = [error.message]
            status = 422
        else:
            db.session.commit()
            flash(_("Association saved."), "success")
            return redirect_to(url_for("organisations.associations"))
    elif form.is_submitted():
        status = 422
    return render_template("organisations/association_form.html", form=form,
                           association=association), status


@blueprint.route("/associations/new", methods=["GET", "POST"])
@requires("associations.manage")
def new_association():
    return _association_form_page(AssociationForm(), None)


@blueprint.route("/associations/<int:association_id>/edit", methods=["GET", "POST"])
@requires("associations.manage", load=load_association)
def edit_association(association: Association):
    return _association_form_page(AssociationForm(obj=association), association)
