"""Documents: the project's documents tab, generating, downloading, and the public
verification page (no login: anyone holding a printed or PDF copy can check it).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import public, requires
from tadafur.accounts import throttle
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.core.uploads import is_pdf
from tadafur.documents import services
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import StoreError
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.projects.queries import project_or_404

blueprint = Blueprint("documents", __name__)


def template_helpers() -> dict:
    """For templates/documents/_project_documents.html, included by the project pages too."""
    return {"document_kind_label": services.kind_label,
            "document_language_label": services.language_label,
            "document_kinds_generatable": lambda: (*services.GENERATABLE,
                                                   *services.COPY_PRODUCERS),
            "document_languages": lambda: services.LANGUAGES}


def load_document(document_id: int) -> RegisteredDocument:
    return db.session.get(RegisteredDocument, document_id) or abort(404)


def _documents_tab(project: Project, status: int = 200, error: str | None = None,
                   message: str | None = None):
    template = ("documents/_project_documents.html" if is_htmx()
                else "documents/project_documents.html")
    return render_template(template, project=project,
                           documents=services.documents_of(project), error=error,
                           message=message), status


@blueprint.get("/projects/<int:project_id>/documents")
@requires("project.view", load=project_or_404)
def project_documents(project: Project):
    return _documents_tab(project)


@blueprint.post("/projects/<int:project_id>/documents")
@requires("document.generate", load=project_or_404)
def generate(project: Project):
    kind = request.form.get("kind", "")
    language = request.form.get("language", "")
    known = (*services.GENERATABLE, *services.COPY_PRODUCERS)
    if kind not in known or language not in services.LANGUAGES:
        return _documents_tab(project, 422, _("Choose a kind of document and a language."))
    try:
        document = services.produce_for_reader(project, kind, current_actor(), language)
    except Exception as error:  # DocumentError, or the reporting module's ReportError
        message = getattr(error, "message", None)
        if message is None:
            raise
        db.session.rollback()
        return _documents_tab(project, 422, message)
    db.session.commit()
    message = _("%(kind)s version %(version)d was generated.",
                kind=services.kind_label(document.kind), version=document.version)
    if is_htmx():
        return _documents_tab(project, message=message)
    flash(message, "success")
    return redirect_to(url_for("documents.project_documents", project_id=project.id))


def current_actor():
    return current_user._get_current_object()


@blueprint.get("/documents/<int:document_id>/download")
@requires("document.view", load=load_document)
def download(document: RegisteredDocument):
    try:
        data = services.stored_bytes(document)
    except StoreError:
        abort(410)
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{document.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["ETag"] = f'"{document.sha256}"'
    return response


@blueprint.route("/verify", methods=["GET", "POST"])
@public
def verify():
    if request.method == "GET":
        return render_template("documents/verify.html", result=None, error=None)
    config = current_app.config
    if not throttle.allow("verify", request.remote_addr or "unknown",
                          config["VERIFY_MAX_PER_CLIENT"], config["VERIFY_WINDOW_SECONDS"]):
        body, status = _verify_page(None, _(
            "Too many verifications from your connection in a short time. Wait %(minutes)d "
            "minutes, then try again.", minutes=config["VERIFY_WINDOW_SECONDS"] // 60), 429)
        return body, status, {"Retry-After": str(config["VERIFY_WINDOW_SECONDS"])}
    db.session.commit()  # the counted request holds even if the check below fails
    upload = request.files.get("document")
    limit = config["VERIFY_MAX_BYTES"]
    data = upload.read(limit + 1) if upload else b""
    if len(data) > limit:
        return _verify_page(None, _("This file is larger than %(size)d MB: the platform's "
                                    "documents are smaller. Check that it is the right file.",
                                    size=limit // (1024 * 1024)), 413)
    text = request.form.get("reference", "").strip()
    if data and not is_pdf(data):
        return _verify_page(None, _("This file is not a PDF. Upload the PDF document itself."),
                            422)
    if data:
        result = services.verify_upload(data)
    elif text:
        result = services.verify_reference(text[:200])
    else:
        return _verify_page(None, _("Upload a PDF file or type a hash or a verification code."),
                            422)
    return _verify_page(result)


@blueprint.get("/verify/<code>")
@public
def verify_code(code: str):
    return _verify_page(services.verify_reference(code[:200]))


def _verify_page(result, error: str | None = None, status: int = 200):
    template = "documents/_verify_result.html" if is_htmx() else "documents/verify.html"
    return render_template(template, result=result, error=error), status
