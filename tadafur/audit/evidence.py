"""A project's evidence package for auditors: one ZIP with its registered PDFs, its audit
extract (PDF and CSV), the evidence files attached during execution, and a manifest of SHA-256
checksums signed with the platform's seal key.

`check_package` (and `flask --app wsgi evidence check FILE`) verifies a package on its own:
every file against the manifest, the manifest against its signature.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from flask_babel import gettext as _, ngettext
from markupsafe import Markup
from sqlalchemy import select

from tadafur.audit.models import AuditChainHead, AuditEvent
from tadafur.audit.review import CSV_HEADER
from tadafur.audit.services import record
from tadafur.audit.signing import _key_and_certificate, sign_detached, verify_detached
from tadafur.audit.wording import details, project_references
from tadafur.documents import services as documents
from tadafur.documents.labels import local_minute, zone_name
from tadafur.documents.store import sha256_of
from tadafur.execution import attachments as stored
from tadafur.execution.services import attachments_of
from tadafur.exports import csv_writer
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.vocabulary import action_label

MANIFEST, SIGNATURE, CERTIFICATE = "manifest.json", "manifest.sig", "platform-certificate.pem"
EXTRACT_ROWS = 2000


def _project_events(project) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.project_id == project.id)
                                   .order_by(AuditEvent.seq)))


def _events_csv(events: list[AuditEvent]) -> bytes:
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(CSV_HEADER)
    for e in events:
        writer.writerow((e.seq, e.occurred_at.isoformat(), e.actor_name, e.actor_role, e.action,
                         e.object_type, e.object_id, e.project_id, e.commune_id, e.summary,
                         e.before, e.after, e.address, e.request_id, e.prev_hash, e.hash))
    return buffer.getvalue().encode("utf-8")


ZERO_WIDTH_SPACE = "\u200b"


def breakable_address(name: str | None) -> Markup | str:
    """An actor's e-mail address, free to wrap after its "@" and its dots (and, as any text,
    its hyphens) and kept left-to-right: in the narrow Actor column a long address otherwise
    broke inside a word ("fatima.ezzahra.benjel" / "loun.coordination@fe")."""
    if not name:
        return "—"
    # A zero-width space, not <wbr>: WeasyPrint draws <wbr> as generated content, which
    # its line breaker passes over once the cell may break words (overflow-wrap).
    return Markup('<span dir="ltr">{}</span>').format(
        ZERO_WIDTH_SPACE.join(re.split(r"(?<=[@.])", name)))


def extract_sections(project, events: list[AuditEvent],
                     criteria: list[str] | None = None) -> list[dict]:
    """The extract's one section, in the current language; `criteria` describe the filter
    it was made with. Events are put into words as on the audit page (one vocabulary), never
    printed as codes."""


    shown = events[-EXTRACT_ROWS:]
    references = project_references(shown)
    rows = [[str(e.seq), local_minute(e.occurred_at), breakable_address(e.actor_name),
             action_label(e.action),
             Markup(details(e, references.get(e.project_id))).striptags() or "—",
             e.hash[:10]] for e in shown]
    paragraphs = [_("Times are Morocco's legal time (%(zone)s).",
                    zone=zone_name(events[-1].occurred_at if events else None)),
                  ngettext("%(num)d event; each is chained to the whole trail by its hash.",
                           "%(num)d events; each is chained to the whole trail by its hash.",
                           len(events))]
    if criteria:
        paragraphs.insert(0, _("Filter: %(criteria)s.", criteria="; ".join(criteria)))
    title = (_("Events of this project in the audit trail") if project is not None
             else _("Events of the audit trail matching the filter"))
    return [{"title": title, "paragraphs": paragraphs,
             "table": {"head": ["#", _("Time"), _("Actor"), _("Action"), _("Details"),
                                _("Hash")], "rows": rows, "ltr": [0, 5],
                       "widths": [6, 16, 20, 20, 24, 14]}}]


def produce_extract(project, actor, events: list[AuditEvent], language: str = "fr",
                    criteria=None):
    """Register a PDF audit extract of `events`: verifiable like any document. `project` is
    None for an extract across projects (a region, a commune, an actor, a period...).
    `criteria`: the filter in words, a list or a callable() giving it in the current
    language (a bilingual extract describes it in both)."""

    def sections(lang: str) -> list[dict]:
        described = criteria() if callable(criteria) else criteria
        return extract_sections(project, events, described)

    return documents.produce(project, "audit_extract", actor, language, sections=sections)


def build_package(project, actor, language: str = "fr") -> tuple[str, bytes]:
    """(file name, ZIP bytes). Registers the audit extract PDF and audits the build."""
    events = _project_events(project)
    produce_extract(project, actor, events, language)
    files: dict[str, bytes] = {}
    for document in documents.documents_of(project):
        name = (f"documents/{document.kind}-{document.language}-v{document.version}-"
                f"{document.sha256[:8]}.pdf")
        files[name] = documents.stored_bytes(document)
    files["audit/events.csv"] = _events_csv(events)
    attachments = _attachments(project, files)
    head = db.session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    manifest = {
        "project": project.reference,
        "generated_at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_by": getattr(actor, "email", None),
        "audit_chain_head": {"seq": head.seq, "hash": head.hash},
        "files": [{"path": path, "sha256": sha256_of(data), "size": len(data)}
                  for path, data in sorted(files.items())],
        "attachments": attachments,
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1,
                                sort_keys=True).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in sorted(files.items()):
            archive.writestr(path, data)
        archive.writestr(MANIFEST, manifest_bytes)
        archive.writestr(SIGNATURE, sign_detached(manifest_bytes))
        archive.writestr(CERTIFICATE, _certificate_pem())
    record("evidence.package_built", object_type="project", object_id=project.id,
           project=project, summary=f"evidence package of {project.reference}",
           after={"files": len(files), "manifest_sha256": sha256_of(manifest_bytes)})
    return f"tadafur-evidence-{project.reference}.zip", buffer.getvalue()


def _attachments(project, files: dict[str, bytes]) -> list[dict]:
    """Add the project's evidence files to `files`; describe each for the manifest (with the
    SHA-256 recorded at upload, which the file's own checksum must equal)."""
    described = []
    for attachment in sorted(attachments_of(project), key=lambda a: a.id):
        path = f"attachments/{attachment.id:06d}-{attachment.display_name}"
        files[path] = stored.read(attachment.stored_name)
        described.append({"path": path, "name": attachment.display_name,
                          "content_type": attachment.content_type,
                          "sha256_at_upload": attachment.sha256,
                          "uploaded_at": attachment.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                          "activity_id": attachment.activity_id})
    return described


def _certificate_pem() -> bytes:
    return _key_and_certificate()[1].public_bytes(serialization.Encoding.PEM)


@dataclass
class PackageCheck:
    problems: list[str] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def check_package(data: bytes) -> PackageCheck:
    """Every file listed with the right hash, nothing extra, and a valid manifest signature."""
    result = PackageCheck()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        result.problems.append("not a ZIP archive")
        return result
    names = set(archive.namelist())
    for required in (MANIFEST, SIGNATURE):
        if required not in names:
            result.problems.append(f"{required} is missing")
    if result.problems:
        return result
    manifest_bytes = archive.read(MANIFEST)
    if not verify_detached(manifest_bytes, archive.read(SIGNATURE).decode("ascii", "replace")):
        result.problems.append("the manifest's signature does not match the platform's key")
    manifest = json.loads(manifest_bytes)
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    for path, entry in sorted(listed.items()):
        if path not in names:
            result.problems.append(f"{path}: missing")
            continue
        if sha256_of(archive.read(path)) != entry["sha256"]:
            result.problems.append(f"{path}: content differs from the manifest")
        result.files += 1
    for extra in sorted(names - set(listed) - {MANIFEST, SIGNATURE, CERTIFICATE}):
        result.problems.append(f"{extra}: not in the manifest")
    for attachment in manifest.get("attachments", []):
        entry = listed.get(attachment.get("path"))
        if entry is None or entry["sha256"] != attachment.get("sha256_at_upload"):
            result.problems.append(f"{attachment.get('path')}: differs from the file uploaded")
    return result
