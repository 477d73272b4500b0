"""The workflow diagram of a project as an htmx fragment (server-rendered, no JavaScript).

Actions themselves are fired from the project page (projects.act), which calls
`workflow.services.fire`: one endpoint, one action panel.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from tadafur.access import requires
from tadafur.projects.models import Project
from tadafur.projects.queries import project_or_404

blueprint = Blueprint("workflow", __name__, url_prefix="/projects/<int:project_id>/workflow")


@blueprint.route("/diagram")
@requires("project.view", load=project_or_404)
def diagram(project: Project):
    return render_template("workflow/_diagram.html", project=project)
