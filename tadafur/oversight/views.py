"""Programme dashboards (with CSV/XLSX export) and the public open-data page."""

from __future__ import annotations

import csv
import io
import json

from flask import Blueprint, Response, current_app, render_template, request, url_for
from openpyxl import Workbook

from tadafur.access import public, requires
from tadafur.core.htmx import redirect_to, safe_next
from tadafur.extensions import db
from tadafur.i18n import current_language
from tadafur.organisations.services import programme_regions
from tadafur.oversight import services
from tadafur.oversight.iati import activities_xml
from tadafur.projects.models import Project
from tadafur.projects.queries import project_or_404
from tadafur.workflow.services import phase_label

blueprint = Blueprint("oversight", __name__)
PHASE_COLOURS = {"proposal": "#8a96a3", "approval": "#f2a900", "execution": "#00586b",
                 "follow_up": "#4f7cac", "evaluation": "#1e6b34"}


def _names(names: tuple[str, str, str]) -> str:
    language = current_language()
    return dict(zip(("ar", "fr", "en"), names, strict=True)).get(language) or names[1]


@blueprint.route("/dashboards")
@requires("dashboards.view")
def dashboard():
    criteria = services.DashboardFilter.from_args(request.args)
    data = services.build(criteria)
    return render_template("oversight/dashboard.html", data=data, criteria=criteria,
                           regions=programme_regions(), names=_names,
                           colours=PHASE_COLOURS, export_args=criteria.as_args())


def _table(data: services.Dashboard) -> list[list]:
    header = ["commune", "region", *[str(phase_label(p)) for p in data.phase_names], "total"]
    rows = [header]
    for row in data.by_commune:
        rows.append([_names(row["names"]), _names(row["region"]),
                     *[row["phases"].get(p, 0) for p in data.phase_names], row["total"]])
    rows.append([])
    rows.append(["funder", "planned_mad", "committed_mad", "disbursed_mad"])
    for line in data.budget_by_funder:
        rows.append([line["funder"], float(line["planned"]), float(line["committed"]),
                     float(line["disbursed"])])
    rows.append([])
    rows.append(["beneficiaries_reached", "women", "men", "youth", "young_women", "total"])
    rows.append(["reached", *(data.reached.get(k, 0)
                              for k in ("women", "men", "youth", "young_women", "total"))])
    rows.append([])
    rows.append(["commune", "overdue_steps"])
    for row in data.overdue_by_commune:
        rows.append([_names(row["names"]), row["overdue"]])
    return rows


@blueprint.route("/dashboards.csv")
@requires("dashboards.view")
def dashboard_csv():
    data = services.build(services.DashboardFilter.from_args(request.args))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(_table(data))
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=tadafur-dashboard.csv"
    return response


@blueprint.route("/dashboards.xlsx")
@requires("dashboards.view")
def dashboard_xlsx():
    data = services.build(services.DashboardFilter.from_args(request.args))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Tadafur"
    for row in _table(data):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = Response(buffer.getvalue(), mimetype=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    response.headers["Content-Disposition"] = "attachment; filename=tadafur-dashboard.xlsx"
    return response


@blueprint.route("/open-data")
@public
def open_data():
    projects = services.published_projects(current_language())
    return render_template("oversight/open_data.html", projects=projects)


def _download_language() -> str:
    """?lang=ar|fr|en for the downloads; French (the administration's) otherwise."""
    language = request.args.get("lang", "")
    return language if language in current_app.config["LANGUAGES"] else "fr"


@blueprint.route("/open-data/projects.json")
@public
def open_data_json():
    language = _download_language()
    body = json.dumps({"projects": services.published_projects(language)},
                      ensure_ascii=False, indent=1)
    return Response(body, mimetype="application/json")


@blueprint.route("/open-data/projects.csv")
@public
def open_data_csv():
    language = _download_language()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=services.PUBLIC_FIELDS)
    writer.writeheader()
    for row in services.published_projects(language):
        writer.writerow({**row, "themes": "; ".join(row["themes"])})
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=tadafur-projects.csv"
    return response


@blueprint.route("/open-data/iati-activities.xml")
@public
def open_data_iati():
    """The published projects as an IATI 2.03 activity file, for the EU and Enabel's tools."""
    response = Response(activities_xml(), mimetype="application/xml")
    response.headers["Content-Disposition"] = "inline; filename=tadafur-iati-activities.xml"
    return response


@blueprint.route("/projects/<int:project_id>/publication", methods=["POST"])
@requires("project.publish", load=project_or_404)
def set_publication(project: Project):
    services.set_publication(project, request.form.get("publish") == "1")
    db.session.commit()
    return redirect_to(safe_next(request.form.get("next"), url_for("oversight.open_data")))


