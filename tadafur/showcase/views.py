"""The public showcase (no login): the programme page with the list by region and commune,
a page per commune and per published project, the photos' web copies, the Atom feed and the
project sheet. Partners' pages (lessons library, start from a project, photo publication)
are in `partner_views.py`, on the same blueprint.

Public pages are conditional: their ETag and Last-Modified come from one cheap query
(`public.fingerprint`), checked before anything is built, so a revalidation answers 304.
They are `private` (the page carries the visitor's CSRF token for the language switcher).
"""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    session,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from tadafur.access import public
from tadafur.core.errors import render_error
from tadafur.core.storage import MissingObject
from tadafur.documents.services import DocumentError, language_label, stored_bytes
from tadafur.execution.charts import indicator_chart
from tadafur.extensions import db
from tadafur.i18n import current_language, text_direction
from tadafur.oversight.services import programme_figures
from tadafur.projects.services import FUNDER_LABELS
from tadafur.showcase import public as showcase, sheet as sheets
from tadafur.showcase.models import PublicPhoto
from tadafur.showcase.photos import public_bytes
from tadafur.workflow.labels import party_label
from tadafur.workflow.services import phase_label

blueprint = Blueprint("showcase", __name__)


@blueprint.app_context_processor
def _helpers() -> dict:
    """Labels the showcase's templates (and the project sheet) print."""

    return {"showcase_phase_of": showcase.phase_of, "showcase_party": party_label,
            "sheet_language": language_label,
            "funder_label": lambda code: str(FUNDER_LABELS.get(code, code)),
            "phase_pairs": lambda phases: [(p, phase_label(p)) for p in phases]}


@blueprint.app_template_global()
def script_dir(text: str | None) -> str:
    """'rtl' for a text written in Arabic, else 'ltr': the printed sheet's blocks take the
    direction of what users typed (WeasyPrint has no dir="auto")."""
    return "rtl" if any("\u0600" <= ch <= "\u06ff" for ch in text or "") else "ltr"


_figures_cache: dict[int, dict] = {}


def _figures_epoch() -> int:
    """The current period of SHOWCASE_FIGURES_SECONDS (60 by default; 0: no caching)."""
    seconds = current_app.config.get("SHOWCASE_FIGURES_SECONDS", 60)
    return int(time.time() // seconds) if seconds else -1


def _programme_figures() -> dict:
    """The programme's figures (aggregates over every project, published or not), kept for
    a minute per process: they are the index page's dearest part and may lag that much.
    The index's ETag carries the minute, so a revalidation never keeps older figures."""

    epoch = _figures_epoch()
    if epoch < 0:
        return programme_figures()
    if epoch not in _figures_cache:
        _figures_cache.clear()
        _figures_cache[epoch] = programme_figures()
    return _figures_cache[epoch]


def _validators() -> tuple[str, object]:
    """(ETag, Last-Modified) of the public page asked for, for this visitor and language."""
    changed = showcase.fingerprint()
    viewer = current_user.get_id() if current_user.is_authenticated else "anonymous"
    generate_csrf()  # the page will carry it: make it before the tag that covers it
    token = session.get("csrf_token", "")
    epoch = _figures_epoch() if request.endpoint == "showcase.index" else ""
    tag = showcase.etag(request.full_path, current_language(), viewer, token,
                        changed.isoformat(), epoch)
    return tag, changed


def _conditional(build) -> Response:
    """Answer 304 when the visitor's copy is current, else build the page."""
    tag, changed = _validators()
    not_modified = (tag in request.if_none_match) if request.if_none_match else (
        request.if_modified_since is not None
        and request.if_modified_since.replace(tzinfo=None) >= changed.replace(microsecond=0))
    response = Response(status=304) if not_modified else make_response(build())
    response.set_etag(tag)
    response.last_modified = changed.replace(microsecond=0)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@blueprint.route("/showcase")
@public
def index():
    criteria = showcase.ShowcaseFilter.from_args(request.args)

    def build():
        projects, found = showcase.list_projects(criteria)
        return render_template("showcase/index.html", criteria=criteria,
                               figures=_programme_figures(), groups=showcase.grouped(projects),
                               found=found, pages=-(-found // showcase.PAGE_SIZE),
                               choices=showcase.filter_choices(),
                               communes=showcase.communes_by_region())

    return _conditional(build)


@blueprint.route("/showcase/communes/<int:commune_id>")
@public
def commune(commune_id: int):
    found = showcase.commune_or_none(commune_id)
    if found is None:
        abort(404)
    criteria = showcase.ShowcaseFilter.from_args(request.args)

    def build():
        projects, total = showcase.list_projects(criteria, commune_id=found.id)
        return render_template("showcase/commune.html", commune=found, projects=projects,
                               total=total, pages=-(-total // showcase.PAGE_SIZE),
                               criteria=criteria, choices=showcase.filter_choices())

    return _conditional(build)


@blueprint.route("/showcase/projects/<int:project_id>")
@public
def project(project_id: int):
    found = showcase.published_or_none(project_id)
    if found is None:
        abort(404)

    def build():
        page = showcase.project_page(found)
        direction = text_direction()
        page["indicators"] = [(r, indicator_chart(r, direction)) for r in page["indicators"]]
        return render_template("showcase/project.html", **page,
                               sheet_languages=sheets.LANGUAGES)

    return _conditional(build)


@blueprint.route("/showcase/photos/<int:photo_id>.jpg")
@public
def photo(photo_id: int):
    found = db.session.get(PublicPhoto, photo_id)
    if found is None or not found.consent_confirmed \
            or not showcase.is_published(found.project_id):
        abort(404)
    try:
        data = public_bytes(found)
    except MissingObject:  # the web copy is gone from the store: nothing to show, not a 500
        abort(404)
    response = make_response(data)
    response.mimetype = "image/jpeg"
    response.set_etag(found.stored_name)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response.make_conditional(request)


@blueprint.route("/showcase/projects/<int:project_id>/sheet.pdf")
@public
def sheet(project_id: int):
    """The project sheet in ?lang=ar|fr|bilingual (the page's language by default)."""
    found = showcase.published_or_none(project_id)
    if found is None:
        abort(404)
    language = request.args.get("lang") or current_language()
    if language not in sheets.LANGUAGES:
        language = "bilingual"

    try:
        document = sheets.sheet_for(found, language)
    except DocumentError as error:
        db.session.rollback()
        return render_error(503, error.message)
    db.session.commit()

    response = make_response(stored_bytes(document))
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = (
        f"inline; filename={found.reference}-fiche-{language}.pdf")
    response.set_etag(document.sha256)
    response.headers["Cache-Control"] = "public, no-cache"
    return response.make_conditional(request)


@blueprint.route("/showcase/feed.atom")
@public
def feed():
    def build():
        entries = showcase.feed_entries()
        body = render_template("showcase/feed.xml", entries=entries,
                               updated=showcase.fingerprint())
        return Response(body, mimetype="application/atom+xml")

    return _conditional(build)


from tadafur.showcase import partner_views  # noqa: E402,F401  (its routes on this blueprint)
