"""A project's evidence package for auditors: one ZIP with its registered PDFs, its audit
extract (PDF and CSV), the evidence files attached during execution, and a manifest of SHA-256
checksums signed with the platform's seal key.

manifest.json is the machine-checked source, written with paths and codes. A lawyer opening
the package reads its registered PDF inventory instead (kind "evidence_manifest"): the same
files in words, in the language the package was downloaded in. It is itself listed in
manifest.json, so the signature covers it too.

`check_package` (and `flask --app wsgi evidence check FILE`) verifies a package on its own:
every file against the manifest, the manifest against its signature.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from flask_babel import gettext as _, ngettext
from markupsafe import Markup, escape
from sqlalchemy import select

from tadafur.audit.models import AuditChainHead, AuditEvent
from tadafur.audit.review import CSV_HEADER
from tadafur.audit.services import record
from tadafur.audit.signing import _key_and_certificate, sign_detached, verify_detached
from tadafur.audit.wording import details, document_words, project_references
from tadafur.documents import services as documents
from tadafur.documents.labels import local_minute, moment, typed_block, zone_name
from tadafur.documents.store import sha256_of
from tadafur.execution import attachments as stored
from tadafur.execution.services import attachments_of
from tadafur.exports import csv_writer
from tadafur.extensions import db
from tadafur.i18n import localized, ltr
from tadafur.models_base import utcnow
from tadafur.vocabulary import action_label, file_size, format_value

MANIFEST, SIGNATURE, CERTIFICATE = "manifest.json", "manifest.sig", "platform-certificate.pem"
EXTRACT_ROWS = 2000
INVENTORY_KIND = "evidence_manifest"  # the PDF inventory: a registered, verifiable document
INVENTORY_PREFIX = f"documents/{INVENTORY_KIND}-"
EVENTS_CSV = "audit/events.csv"
SHOWN_HASH = 16  # characters of each SHA-256 the inventory prints; manifest.json has them all


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


def breakable_address(name: str | None) -> str:
    """An actor's e-mail address, free to wrap after its "@" and its dots (and, as any text,
    its hyphens): in the narrow Actor column a long address otherwise broke inside a word
    ("fatima.ezzahra.benjel" / "loun.coordination@fe"). Plain text, for a left-to-right cell
    (the extract's table) or `address_in_text`."""
    if not name:
        return "—"
    # A zero-width space, not <wbr>: WeasyPrint draws <wbr> as generated content, which
    # its line breaker passes over once the cell may break words (overflow-wrap).
    return ZERO_WIDTH_SPACE.join(re.split(r"(?<=[@.])", name))


def address_in_text(name: str | None) -> Markup:
    """`breakable_address` kept left to right inside Arabic text (a span: an isolate would
    not survive the address wrapping)."""
    return Markup('<span dir="ltr">{}</span>').format(breakable_address(name))


def _details_cell(event: AuditEvent, reference: str | None) -> Markup | str:
    """The event in words, then what a person typed as blocks of their own direction."""
    typed: list[str] = []
    words = Markup(details(event, reference, typed_apart=typed)).striptags()
    cell = escape(words) + Markup("").join(typed_block(text) for text in typed)
    return cell or "—"


def extract_sections(project, events: list[AuditEvent],
                     criteria: list[str] | None = None) -> list[dict]:
    """The extract's one section, in the current language; `criteria` describe the filter
    it was made with. Events are put into words as on the audit page (one vocabulary), never
    printed as codes."""


    shown = events[-EXTRACT_ROWS:]
    # A project's extract names the project in its heading: its rows do not repeat it.
    references = project_references(shown) if project is None else {}
    rows = [[str(e.seq), local_minute(e.occurred_at), breakable_address(e.actor_name),
             action_label(e.action), _details_cell(e, references.get(e.project_id)),
             e.hash[:10]] for e in shown]  # columns 0, 1, 2 and 5 run left to right
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
                                _("Hash")], "rows": rows, "ltr": [0, 1, 2, 5],
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


@dataclass
class PackageContents:
    """What an evidence package holds besides its inventory and manifest, as packed."""

    files: dict[str, bytes]  # by path in the ZIP
    described: dict[str, Any]  # path -> what the inventory says the file is
    attachments: list[dict]  # the evidence files' entries of the manifest
    head: tuple[int, str]  # the audit chain's head (seq, hash) the package is chained up to
    built_at: dt.datetime


def package_contents(project, events: list[AuditEvent]) -> PackageContents:
    """The project's registered documents, the events as CSV and the evidence files, with
    the audit chain's head and the time of the build."""
    files: dict[str, bytes] = {}
    described: dict[str, Any] = {}
    for document in documents.documents_of(project):
        name = (f"documents/{document.kind}-{document.language}-v{document.version}-"
                f"{document.sha256[:8]}.pdf")
        files[name] = documents.stored_bytes(document)
        described[name] = document
    files[EVENTS_CSV] = _events_csv(events)
    attachments = _attachments(project, files)
    described.update({a["path"]: a for a in attachments})
    head = db.session.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    return PackageContents(files, described, attachments, (head.seq, head.hash), utcnow())


def build_package(project, actor, language: str = "fr") -> tuple[str, bytes]:
    """(file name, ZIP bytes). Registers the audit extract and the PDF inventory (both in
    `language`: "ar", "fr" or "bilingual") and audits the build."""
    events = _project_events(project)
    produce_extract(project, actor, events, language)
    contents = package_contents(project, events)
    files = dict(contents.files)  # the package: its contents, then the inventory and manifest
    inventory = produce_inventory(project, actor, language, contents)
    inventory_path = (f"{INVENTORY_PREFIX}{inventory.language}-v{inventory.version}-"
                      f"{inventory.sha256[:8]}.pdf")
    files[inventory_path] = documents.stored_bytes(inventory)
    manifest = {
        "project": project.reference,
        "generated_at": contents.built_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "generated_by": getattr(actor, "email", None),
        "audit_chain_head": {"seq": contents.head[0], "hash": contents.head[1]},
        "files": [{"path": path, "sha256": sha256_of(data), "size": len(data)}
                  for path, data in sorted(files.items())],
        "attachments": contents.attachments,
        "inventory": {"path": inventory_path, "code": inventory.code,
                      "language": inventory.language},
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
           after={"files": len(files), "manifest_sha256": sha256_of(manifest_bytes),
                  "language": language, "inventory": inventory.code})
    return f"tadafur-evidence-{project.reference}.zip", buffer.getvalue()


def _file_words(path: str, what: Any) -> str:
    """What a file is, in words of the current language: a document by its kind's label,
    version and language, the events CSV, an attachment by the name it was uploaded with.
    Never the path's codes ("convention_signed-fr-v1-...")."""
    if path == EVENTS_CSV:
        return _("Audit trail events (CSV)")
    if isinstance(what, dict):  # an attachment, as described in the manifest
        return _("Evidence file: %(name)s", name=what["name"])
    if what is not None:
        # The words the History tab gives a registered document.
        return f"{document_words(what)} ({format_value('language', what.language)})"
    return _("Other file")


def inventory_sections(project, actor, contents: PackageContents,
                       language: str) -> list[dict]:
    """The inventory's sections in the current language: the package (project, who built it
    and when, the audit chain head), then one row per file. The full SHA-256 of each file
    stays in manifest.json; the table prints its start, and says so."""
    seq, head_hash = contents.head
    files, described = contents.files, contents.described
    commune = getattr(project, "commune", None)
    facts = [
        [_("Project"), Markup("{} — {}").format(
            ltr(project.reference), localized(project, "title", language))],
        [_("Commune"), localized(commune, "name", language) if commune is not None else "—"],
        [_("Built on"), moment(contents.built_at, language)],
        [_("Built by"), getattr(actor, "full_name", None) or address_in_text(
            getattr(actor, "email", None))],
        [_("Head of the audit trail"), _("Event no. %(seq)s", seq=seq)],
        [_("Hash of the head"), ltr(head_hash)],
    ]
    rows = [[str(number), _file_words(path, described.get(path)), file_size(len(data)),
             sha256_of(data)[:SHOWN_HASH] + "…"]
            for number, (path, data) in enumerate(sorted(files.items()), start=1)]
    return [
        {"title": _("The package"),
         "paragraphs": [_("This inventory lists, in words, the files of the evidence package "
                          "of the project. The audit trail events are chained up to its head "
                          "below: any later change to them would show.")],
         "table": {"head": [_("Item"), _("Value")], "rows": facts, "widths": [30, 70]}},
        {"title": _("Files in the package"),
         "paragraphs": [
             _("Each file is identified by its SHA-256 fingerprint. The table shows its first "
               "%(count)s characters; the full fingerprint of every file, this inventory "
               "included, is in the package's manifest.json, signed by the platform "
               "(manifest.sig, checked with platform-certificate.pem).", count=SHOWN_HASH),
             ngettext("%(num)d file besides this inventory.",
                      "%(num)d files besides this inventory.", len(files))],
         "table": {"head": ["#", _("Content"), _("Size"), _("SHA-256 (start)")],
                   "rows": rows, "ltr": [0, 3], "widths": [6, 54, 14, 26]}},
    ]


def produce_inventory(project, actor, language: str, contents: PackageContents) -> Any:
    """Register the package's PDF inventory in `language` (ar, fr or bilingual), listing
    `contents` (every file of the package but itself, manifest.json, its signature and the
    certificate)."""

    def sections(lang: str) -> list[dict]:
        return inventory_sections(project, actor, contents, lang)

    return documents.produce(project, INVENTORY_KIND, actor, language, sections=sections)


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
    inventory = manifest.get("inventory")
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    for path, entry in sorted(listed.items()):
        if path not in names:
            result.problems.append(f"{path}: missing")
            continue
        if sha256_of(archive.read(path)) != entry["sha256"]:
            what = " (the PDF inventory)" if path == (inventory or {}).get("path") else ""
            result.problems.append(f"{path}: content differs from the manifest{what}")
        result.files += 1
    for extra in sorted(names - set(listed) - {MANIFEST, SIGNATURE, CERTIFICATE}):
        result.problems.append(f"{extra}: not in the manifest")
    if inventory is not None and inventory.get("path") not in listed:
        result.problems.append("the PDF inventory is not covered by the signed manifest")
    for attachment in manifest.get("attachments", []):
        entry = listed.get(attachment.get("path"))
        if entry is None or entry["sha256"] != attachment.get("sha256_at_upload"):
            result.problems.append(f"{attachment.get('path')}: differs from the file uploaded")
    return result
