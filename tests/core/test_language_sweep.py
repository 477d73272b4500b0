"""The language sweep: every page and fragment of the URL map, for every role, in Arabic and
French, over the demo data (a project in every state of the workflow), checked for what a
reader must never meet (tests/core/language_checks.py): internal codes, English source
sentences, raw ISO dates, JSON. Horizontal scroll at 390 px is measured in the browser
(tests/browser/test_phone_width.py).

Coverage: every GET route that answers HTML (on 2026-11-30: 1,084 answered pages and
fragments over 7 roles x 2 languages, about 90 s on a shared 2-core machine; the demo is
seeded once per database and worker and copied in, tests/demo_snapshot.py). Project routes
run over the 17 demo projects (every state) for the programme officer, who sees them all, and
over the projects of their own commune or association for the others.
The demo's amendment is opened here (the demo has none); routes whose objects the demo has
none of (invitations) are listed in NO_DEMO_OBJECT and swept by a test of their own below;
files (PDF, CSV, ZIP) in NOT_PAGES.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from flask_babel import get_translations
from sqlalchemy import select

from tadafur.accounts.models import User
from tadafur.amendments.models import Amendment
from tadafur.audit.models import AuditEvent
from tadafur.demo.seed import DEMO_PASSWORD
from tadafur.documents.models import RegisteredDocument
from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tadafur.organisations.models import Association, Commune
from tadafur.projects.models import Project, Theme
from tadafur.projects.views import TABS
from tadafur.reporting.models import MonitoringReport
from tests.core.language_checks import problems
from tests.demo_amendment import open_an_amendment
from tests.demo_snapshot import demo_data
from tests.factories import PASSWORD, login

LANGUAGES = ("ar", "fr")
ROLES = {"admin": "admin@demo.tadafur.ma", "officer": "officer@demo.tadafur.ma",
         "reviewer": "reviewer@demo.tadafur.ma", "agent": "agent@demo.tadafur.ma",
         "president": "president@demo.tadafur.ma", "member": "member@demo.tadafur.ma",
         "chair": "chair@demo.tadafur.ma"}
NOT_PAGES = {"static", "core.health", "accounts.logout", "accounts.choose_language",
             "bench_floor",
             # files, not pages (their words: tests/core/test_vocabulary.py, documents' tests)
             "audit.extract_pdf", "audit.evidence_package", "audit.export_csv",
             "audit.head_statement", "documents.download", "execution.download",
             "oversight.dashboard_csv", "oversight.dashboard_xlsx", "oversight.open_data_csv",
             "oversight.open_data_iati", "oversight.open_data_json"}
NO_DEMO_OBJECT = {"accounts.accept_invitation"}
SKIPPED_CONTENT = ("application/pdf", "application/zip", "text/csv", "application/json",
                   "text/plain", "application/xml", "text/xml", "image/",
                   "application/vnd.openxmlformats")
ALL_PROJECTS = {"officer"}


@pytest.fixture
def demo(app):
    from tadafur.oversight.services import set_publication

    demo_data()
    for project in db.session.scalars(select(Project).where(Project.state.in_(
            ("in_execution", "closed")))):
        set_publication(project, True)  # the open data then has rows to show
    open_an_amendment()
    db.session.commit()


def _values(project: Project) -> dict:
    document = db.session.scalar(select(RegisteredDocument.id).where(
        RegisteredDocument.project_id == project.id).limit(1))
    report = db.session.scalar(select(MonitoringReport.id).where(
        MonitoringReport.project_id == project.id).limit(1))
    attachment = db.session.scalar(select(Attachment.id).where(
        Attachment.project_id == project.id).limit(1))
    return {"project_id": project.id, "document_id": document, "report_id": report,
            "attachment_id": attachment}


def _global_values() -> dict:
    document = db.session.scalar(select(RegisteredDocument).limit(1))
    return {
        "seq": db.session.scalar(select(AuditEvent.seq).where(AuditEvent.project_id.is_not(
            None)).order_by(AuditEvent.seq.desc()).limit(1)),
        "user_id": db.session.scalar(select(User.id).limit(1)),
        "commune_id": db.session.scalar(select(Commune.id).where(Commune.is_partner).limit(1)),
        "association_id": db.session.scalar(select(Association.id).limit(1)),
        "theme_id": db.session.scalar(select(Theme.id).limit(1)),
        "code": document.code if document else None,
        "amendment_id": db.session.scalar(select(Amendment.id).limit(1)),
    }


def _urls(app, user, role: str) -> list[str]:
    """Every page and fragment the role can be asked for, with demo objects filled in."""
    from tadafur.access import can

    rules = [r for r in app.url_map.iter_rules()
             if "GET" in r.methods and r.endpoint not in NOT_PAGES | NO_DEMO_OBJECT]
    base = _global_values()
    projects = list(db.session.scalars(select(Project).order_by(Project.id)))
    if role not in ALL_PROJECTS:
        projects = [p for p in projects if can(user, "project.view", p)
                    and (p.commune_id in {m.commune_id for m in user.memberships}
                         or {m.association_id for m in user.memberships} & set(
                             p.association_ids))]
    urls = []
    adapter = app.url_map.bind("tadafur.test")
    for rule in rules:
        if "project_id" not in rule.arguments:
            if all(base.get(a) for a in rule.arguments):
                urls.append(adapter.build(rule.endpoint, {a: base[a] for a in rule.arguments}))
            continue
        for project in projects:
            values = {**base, **_values(project)}
            tabs = TABS if "tab" in rule.arguments else (None,)
            for tab in tabs:
                values["tab"] = tab
                if all(values.get(a) for a in rule.arguments):
                    urls.append(adapter.build(rule.endpoint,
                                              {a: values[a] for a in rule.arguments}))
    return sorted(set(urls))


def sweep(app, client, roles=ROLES, languages=LANGUAGES, only=None, users=None,
          password=DEMO_PASSWORD) -> tuple[dict, Counter]:
    """{(role, language, url): [problems]} and what was covered."""
    found, covered = {}, Counter()
    for role in roles:
        user = (users or {}).get(role) or db.session.scalar(
            select(User).where(User.email == ROLES[role]))
        for language in languages:
            user.locale = language
            db.session.commit()
            login(client, user, password=password)
            home = client.get("/").get_data(as_text=True)
            assert f'<html lang="{language}"' in home and user.full_name in home, (role, language)
            for url in only or _urls(app, user, role):
                response = client.get(url, headers={"Accept-Language": language})
                if response.status_code in (403, 404, 405) or (response.status_code >= 300 \
                        and response.status_code < 400):
                    continue
                assert response.status_code < 500, (role, language, url)
                if response.mimetype.startswith(SKIPPED_CONTENT) or \
                        response.mimetype != "text/html":
                    continue
                covered[(role, language)] += 1
                items = problems(response.get_data(as_text=True), language)
                if items:
                    found[(role, language, url)] = items
            assert client.post("/logout").status_code in (302, 303)
    return found, covered


def _report(found: dict) -> str:
    lines = []
    for (role, language, url), items in sorted(found.items()):
        lines.append(f"{role} {language} {url}:")
        lines.extend(f"    {item}" for item in sorted(set(items))[:12])
    return "\n".join(lines[:400])


def test_every_page_speaks_the_readers_language(app, client, demo):
    started = time.perf_counter()
    found, covered = sweep(app, client)
    elapsed = time.perf_counter() - started
    pages = sum(covered.values())
    print(f"\nlanguage sweep: {pages} pages x roles x languages "
          f"({len(ROLES)} roles, {len(LANGUAGES)} languages) in {elapsed:.1f} s")
    assert pages > 400
    assert not found, f"{len(found)} pages with problems:\n" + _report(found)


def test_the_sweep_finds_a_planted_untranslated_string(app, client, officer):
    """Take 'Audit trail' out of the Arabic catalog for a moment: the audit page must fail."""
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        from flask_babel import force_locale

        with force_locale("ar"):
            catalog = get_translations()._catalog
    saved = catalog.pop("Audit trail")
    try:
        found, covered = sweep(app, client, roles=("officer",), languages=("ar",),
                               only=["/audit/"], users={"officer": officer},
                               password=PASSWORD)
    finally:
        catalog["Audit trail"] = saved
    assert covered[("officer", "ar")] == 1
    assert "English: Audit trail" in found[("officer", "ar", "/audit/")]


def test_the_checks_name_what_the_review_found_on_the_old_audit_trail():
    """Rows as the audit trail and History tab printed them before (issue 16)."""
    old_rows = ('<tr><td><code dir="ltr">signoff.given</code></td><td>convention: programme '
                'approve</td><td>logged in</td><td class="json">{"state":"in_execution"}</td>'
                '<td>2026-02-10</td><td>programme_officer</td></tr>')
    found = problems(old_rows, "ar")
    assert {"code: signoff.given", "code: programme_officer", "code: in_execution"} <= set(
        found)
    assert any(item.startswith("JSON:") for item in found)
    assert any(item.startswith("ISO date:") for item in found)
    assert "English: Submit the proposal" in problems("<p>Submit the proposal</p>", "fr")
    clean = ('<p>تقديم المقترح · <span dir="ltr">TDF-2026-BMK-0001</span> · 10 فبراير 2026 · '
             'agent@demo.tadafur.ma <code translate="no">youth_participation</code></p>')
    assert problems(clean, "ar") == []


def test_the_invitation_pages_speak_the_readers_language(app, client, commune):
    """An invitation is opened by someone with no account yet, in the language their browser
    asks for: the set-password page and the refusal of a spoilt link, in Arabic and French."""
    from tadafur.accounts.models import Role
    from tadafur.accounts.services import invitation_token
    from tests.factories import make_user

    invited = make_user(Role.COMMUNE_AGENT, commune, email="salma.idrissi@example.org")
    invited.full_name, invited.password_hash = "Salma Idrissi", None
    db.session.commit()
    token = invitation_token(invited)
    for language in LANGUAGES:
        for url, status in ((f"/invitation/{token}", 200), (f"/invitation/{token}x", 400)):
            response = client.get(url, headers={"Accept-Language": language})
            page = response.get_data(as_text=True)
            assert response.status_code == status, (language, url)
            assert f'<html lang="{language}"' in page, (language, url)
            assert problems(page, language) == [], (language, url)
            if status == 200:  # the address kept left to right inside the sentence
                assert '<span dir="ltr">\u2066salma.idrissi@example.org' in page
