"""The authorization matrix, generated from the URL map: every route, every role (and anonymous),
on objects of the user's own commune or association and on another's, with the expected status.

Two small explicit tables drive it:
- ROUTES: endpoint -> the permission it must be guarded by. A route missing here fails the test
  (add it, with its permission): a new route cannot escape the matrix.
- POLICY: permission -> (personas allowed on their own objects, personas allowed on others').
  It is written independently of tadafur/access.py; the test also checks both agree.

Expected: allowed -> neither 401/403 nor 5xx nor a bounce to the login page; refused -> 403;
anonymous -> the login page (public routes: answered, never 5xx). Requests carry no form data,
so an allowed POST answers 422/409/302, never a change of what the matrix uses.
"""

from __future__ import annotations

import pytest

from tadafur.access import RULES, can
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tests.factories import login

COMMUNE = {"agent", "president"}
ASSOCIATION = {"member", "chair"}
PARTIES = COMMUNE | ASSOCIATION
OVERSIGHT = {"officer", "reviewer", "admin"}
EVERYONE = PARTIES | OVERSIGHT
# An outside auditor: no role, a read-only grant on the personas' own commune (the "own" side).
AUDITOR = {"auditor"}
ALL = EVERYONE | AUDITOR
PERSONAS = sorted(ALL)

# permission -> (allowed on their own commune's / association's objects, allowed on others')
POLICY: dict[str, tuple[set[str], set[str]]] = {
    "users.manage": ({"admin"}, {"admin"}),
    "reference.manage": ({"admin"}, {"admin"}),
    "reference.view": (ALL, ALL),
    "associations.manage": ({"admin", "officer"}, {"admin", "officer"}),
    "audit.view": (COMMUNE | OVERSIGHT | AUDITOR, COMMUNE | OVERSIGHT | AUDITOR),  # scoped
    "audit.integrity": ({"officer", "admin"}, {"officer", "admin"}),
    "jobs.manage": ({"officer", "admin"}, {"officer", "admin"}),
    "project.list": (ALL, ALL),
    "project.view": (ALL, OVERSIGHT),
    "project.create": ({"agent", "member"}, {"agent", "member"}),
    "project.edit": (PARTIES, set()),
    "project.act": (PARTIES | {"officer"}, {"officer"}),
    "project.discuss": (PARTIES | {"officer"}, {"officer"}),
    "document.view": (ALL, OVERSIGHT),
    "document.generate": (PARTIES | {"officer"}, {"officer"}),
    "dashboards.view": (OVERSIGHT, OVERSIGHT),
    "project.publish": ({"officer"}, {"officer"}),
    "evidence.download": (OVERSIGHT | AUDITOR, OVERSIGHT),
    "public": (ALL, ALL),
    "authenticated": (ALL, ALL),
    # execution: funders record their own tranches; both partners record the rest
    "tranche.record": (PARTIES | {"officer"}, {"officer"}),
    "execution.record": (PARTIES, set()),
    "attachment.upload": (PARTIES, set()),
    "attachment.download": (ALL, OVERSIGHT),
    # monitoring reports, final report, evaluation (rules in workflows/co_creation.yaml)
    "reports.view": (ALL, OVERSIGHT),
    "reports.write": (ASSOCIATION, set()),
    "reports.validate": (COMMUNE | {"officer"}, {"officer"}),
    "final_report.write": (ASSOCIATION, set()),
    "evaluation.score": (PARTIES | {"officer"}, {"officer"}),
    # amendments and delegations
    "amendment.propose": (PARTIES, set()),
    "amendment.view": (ALL, OVERSIGHT),
    "amendment.sign": (EVERYONE - {"reviewer"}, OVERSIGHT - {"reviewer"}),
    "delegations.view": (ALL, ALL),
    "delegation.grant": ({"president", "chair", "officer"}, {"president", "chair", "officer"}),
    "delegation.revoke": (EVERYONE - {"reviewer"}, EVERYONE - {"reviewer"}),
    # capitalisation (showcase): the matrix's projects are not published
    "project.replicate": ({"agent", "member"}, set()),
    "lessons.view": (EVERYONE, EVERYONE),
    "photo.publish": (ASSOCIATION, set()),
}

# endpoint -> the permission that must guard it (public / authenticated for the open ones)
ROUTES: dict[str, str] = {
    "accounts.accept_invitation": "public",
    "accounts.auditors": "users.manage",
    "accounts.change_password": "authenticated",
    "accounts.choose_language": "public",
    "accounts.edit_user": "users.manage",
    "accounts.forgot_password": "public",
    "accounts.login_code": "public",
    "accounts.reset_password": "public",
    "accounts.reset_two_factor": "users.manage",
    "accounts.two_factor_page": "authenticated",
    "accounts.login": "public",
    "accounts.logout": "authenticated",
    "accounts.new_user": "users.manage",
    "accounts.revoke_auditor": "users.manage",
    "accounts.users": "users.manage",
    "audit.event": "audit.view",
    "audit.evidence_package": "evidence.download",
    "audit.export_csv": "audit.view",
    "audit.export_head": "audit.integrity",
    "audit.extract_pdf": "audit.view",
    "audit.head_statement": "audit.view",
    "audit.overview": "audit.view",
    "audit.start_verification": "audit.integrity",
    "audit.verification_status": "audit.view",
    "core.dashboard": "authenticated",
    "core.health": "public",
    "documents.download": "document.view",
    "jobs.index": "jobs.manage",
    "jobs.project_status": "project.view",
    "jobs.retry": "jobs.manage",
    "documents.generate": "document.generate",
    "documents.project_documents": "project.view",
    "documents.verify": "public",
    "documents.verify_code": "public",
    "notifications.badge": "authenticated",
    "notifications.inbox": "authenticated",
    "notifications.mark_read": "authenticated",
    "organisations.associations": "reference.view",
    "organisations.communes": "reference.view",
    "organisations.edit_association": "associations.manage",
    "organisations.edit_commune": "reference.manage",
    "organisations.import_communes": "reference.manage",
    "organisations.new_association": "associations.manage",
    "organisations.new_commune": "reference.manage",
    "oversight.dashboard": "dashboards.view",
    "oversight.dashboard_csv": "dashboards.view",
    "oversight.dashboard_xlsx": "dashboards.view",
    "oversight.open_data": "public",
    "oversight.open_data_csv": "public",
    "oversight.open_data_iati": "public",
    "oversight.open_data_json": "public",
    "oversight.set_publication": "project.publish",
    "projects.act": "project.act",
    "projects.actions": "project.view",
    "projects.activity_status": "project.edit",
    "projects.add_activity": "project.edit",
    "projects.add_budget_line": "project.edit",
    "projects.add_indicator": "project.edit",
    "projects.edit": "project.edit",
    "projects.edit_theme": "reference.manage",
    "projects.index": "project.list",
    "projects.new": "project.create",
    "projects.new_theme": "reference.manage",
    "projects.post_message": "project.discuss",
    "projects.remove_activity": "project.edit",
    "projects.remove_budget_line": "project.edit",
    "projects.remove_indicator": "project.edit",
    "projects.show": "project.view",
    "projects.tab_fragment": "project.view",
    "projects.themes": "reference.manage",
    "workflow.diagram": "project.view",
    "amendments.new": "amendment.propose",
    "amendments.show": "amendment.view",
    "amendments.sign": "amendment.sign",
    "delegations.grant": "delegation.grant",
    "delegations.index": "delegations.view",
    "delegations.revoke": "delegation.revoke",
    "execution.add_expense": "execution.record",
    "execution.add_indicator_value": "execution.record",
    "execution.add_progress": "execution.record",
    "execution.add_tranche": "tranche.record",
    "execution.download": "attachment.download",
    "execution.pay_tranche": "tranche.record",
    "execution.upload": "attachment.upload",
    "reporting.edit_report": "reports.write",
    "reporting.final_report": "final_report.write",
    "reporting.new_report": "reports.write",
    "reporting.participation": "evaluation.score",
    "reporting.scores": "evaluation.score",
    "reporting.show_report": "reports.view",
    "reporting.submit_report": "reports.write",
    "reporting.validate_report": "reports.validate",
    "showcase.commune": "public",
    "showcase.feed": "public",
    "showcase.index": "public",
    "showcase.library": "lessons.view",
    "showcase.photo": "public",
    "showcase.project": "public",
    "showcase.public_photos": "photo.publish",
    "showcase.sheet": "public",
    "showcase.start_from": "project.replicate",
}
EXEMPT = {"static", "bench_floor"}  # files; the benchmark's floor (only with BENCH_FLOOR)
LAST = ("accounts.logout",)  # ends the session (a redirect to the login page): asked last
# The login's second step: without a half-finished login it sends back to the login page.
LOGIN_STEPS = {"accounts.login_code"}
# Arguments naming objects the matrix does not make: 404 is then as good as 403.
MISSING_OBJECTS = {"grant_id", "token", "code", "tranche_id", "attachment_id", "report_id",
                   "amendment_id", "delegation_id", "photo_id"}
# Arguments that name an object of a commune or an association: asked with own and other's.
SCOPED_ARGUMENTS = {"project_id", "activity_id", "line_id", "indicator_id", "document_id"}


def _routes(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in EXEMPT]
    return sorted(rules, key=lambda r: (r.endpoint in LAST, r.endpoint, r.rule))


def _url(rule, values: dict) -> str:
    fixed = {"tab": "overview", "token": "not-a-real-token", "code": "AAAA-BBBB-CCCC",
             "grant_id": 999_999, **{name: 999_999 for name in MISSING_OBJECTS
                                     if name.endswith("_id")}}
    arguments = {a: values.get(a, fixed.get(a)) for a in rule.arguments}
    return rule.build(arguments, append_unknown=False)[1]


def test_every_route_is_in_the_matrix(app):
    unlisted = [r.endpoint for r in app.url_map.iter_rules()
                if r.endpoint not in EXEMPT and r.endpoint not in ROUTES]
    assert not unlisted, (
        "routes missing from ROUTES in tests/hardening/test_authorization_matrix.py; add each "
        "with the permission that must guard it (and the permission to POLICY if new): "
        + ", ".join(sorted(set(unlisted))))
    wrong = {e: (ROUTES[e], app.view_functions[e].access_rule) for e in ROUTES
             if e in app.view_functions and app.view_functions[e].access_rule != ROUTES[e]}
    assert not wrong, f"routes guarded by another permission than the matrix says: {wrong}"
    unknown = set(RULES) - set(POLICY)
    assert not unknown, f"permissions missing from POLICY: {sorted(unknown)}"


@pytest.fixture
def auditor(admin, world):
    """An outside auditor whose grant covers the personas' own commune, for 30 days."""
    return _auditor(admin, world, "auditor@cabinet.example.org")


def _auditor(admin, world, email: str):
    import datetime as dt

    from tadafur.accounts.auditors import grant
    from tadafur.accounts.services import hash_password
    from tadafur.models_base import utcnow
    from tests.factories import PASSWORD

    access = grant(admin, email, "Cabinet d'audit", [world["own"]["commune_id"]], [],
                   utcnow().date() + dt.timedelta(days=30), "Audit annuel 2026")
    access.user.password_hash = hash_password(PASSWORD)
    db.session.flush()
    return access.user


@pytest.mark.parametrize("persona", PERSONAS)
def test_matrix(app, client, request, world, persona):
    user = request.getfixturevalue(persona)
    for side in ("own", "other"):  # the explicit policy agrees with the rules
        project = world[side]["project"]
        for permission in ("project.view", "project.edit", "project.act", "document.view"):
            expected = persona in POLICY[permission][side == "other"]
            target = project if permission != "document.view" else db.session.get(
                RegisteredDocument, world[side]["document_id"])
            assert can(user, permission, target) == expected, (persona, permission, side)
    login(client, user)
    problems, checked = [], 0
    for rule in _routes(app):
        permission = ROUTES.get(rule.endpoint)
        if permission is None:
            continue  # reported by test_every_route_is_in_the_matrix
        sides = ("own", "other") if SCOPED_ARGUMENTS & set(rule.arguments) else ("own",)
        for side in sides:
            allowed = persona in POLICY[permission][side == "other"]
            url = _url(rule, world[side])
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method, data={} if method == "POST" else None)
                status = response.status_code
                bounced = (status in (301, 302, 303)
                           and "/login" in response.headers.get("Location", "")
                           and rule.endpoint not in {*LAST, *LOGIN_STEPS})
                refusals = {403, 404} if MISSING_OBJECTS & set(rule.arguments) else {403}
                checked += 1
                if allowed and (status in (401, 403) or status >= 500 or bounced):
                    problems.append(f"{method} {url} ({side}): {status}, expected allowed")
                if not allowed and status not in refusals:
                    problems.append(f"{method} {url} ({side}): {status}, expected 403")
    assert not problems, f"{persona}:\n" + "\n".join(problems)
    assert checked >= len(ROUTES)


def test_anonymous_visitors_reach_only_public_routes(app, client, world):
    problems = []
    for rule in _routes(app):
        permission = ROUTES.get(rule.endpoint)
        if permission is None:
            continue
        url = _url(rule, world["own"])
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method, data={} if method == "POST" else None)
            status = response.status_code
            if permission == "public":
                if status >= 500 or status in (401, 403):
                    problems.append(f"{method} {url}: {status}, expected answered")
            elif not (status in (302, 303) and "/login" in response.headers["Location"]):
                problems.append(f"{method} {url}: {status}, expected the login page")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("ending", ["expired", "revoked"])
def test_an_auditor_whose_grant_ended_reaches_only_public_routes(app, client, admin, world,
                                                                 ending):
    """Logged in while the grant held; it then expires or is revoked: the same session now
    gets the login page on every route that is not public, at once."""
    import datetime as dt

    from tadafur.accounts.auditors import revoke
    from tadafur.models_base import utcnow

    user = _auditor(admin, world, f"{ending}@cabinet.example.org")
    login(client, user)
    assert client.get(f"/projects/{world['own']['project_id']}").status_code == 200
    [access] = user_grants(user)
    if ending == "expired":
        access.starts_at = utcnow() - dt.timedelta(days=40)
        access.expires_at = utcnow() - dt.timedelta(minutes=1)
    else:
        revoke(access)
    db.session.flush()
    problems, checked = [], 0
    for rule in _routes(app):
        permission = ROUTES.get(rule.endpoint)
        if permission is None or rule.endpoint in LAST:
            continue
        for side in ("own", "other"):
            url = _url(rule, world[side])
            for method in sorted(rule.methods & {"GET", "POST"}):
                response = client.open(url, method=method,
                                       data={} if method == "POST" else None)
                status = response.status_code
                checked += 1
                if permission == "public":
                    if status >= 500 or status in (401, 403):
                        problems.append(f"{method} {url}: {status}, expected answered")
                elif not (status in (302, 303) and "/login" in response.headers["Location"]):
                    problems.append(f"{method} {url}: {status}, expected the login page")
    assert not problems, "\n".join(problems)
    assert checked >= len(ROUTES)
    # And a new login is refused.
    client.post("/logout")
    from tests.factories import PASSWORD

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "has ended" in response.get_data(as_text=True)


def user_grants(user):
    from sqlalchemy import select

    from tadafur.accounts.models import AuditorGrant

    return list(db.session.scalars(select(AuditorGrant).where(AuditorGrant.user_id == user.id)))
