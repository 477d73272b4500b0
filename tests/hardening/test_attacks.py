"""Refused attacks, generated from what the app shows: the forms a user is given (crawled from
the URL map, see forms.py) and the form classes themselves.

- XSS: a payload in every free-text field of every form comes back escaped, on the answer to
  the form and on every page that shows it afterwards;
- CSRF: with protection on (as in production), every POST route refuses a request without the
  token; the same request with the token is not refused for that reason;
- headers: every page, download and error carries the CSP (no inline script, no framing),
  Referrer-Policy and nosniff; HSTS only over HTTPS;
- fuzzing (hypothesis): arbitrary text in every field of every form class, and of every form
  posted to its route, never gives a 5xx.
"""

from __future__ import annotations

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings, strategies as st
from werkzeug.datastructures import MultiDict

from tests.factories import login
from tests.hardening import forms as crawl

PAYLOADS = ('<script>window.__xss=1</script>', '"><img src=x onerror=window.__xss=1>',
            "'><svg onload=window.__xss=1>")
RAW_MARKERS = ("<script>window.__xss", "<img src=x onerror", "<svg onload")
CRAWLERS = ("admin", "agent", "member", "officer")  # between them, every form shown


def _pages(app, client, values) -> dict[str, str]:
    """The HTML pages (CSV, JSON and PDF answers are not rendered by a browser: nosniff)."""
    bodies = {}
    for url in crawl.page_urls(app, values):
        response = client.get(url)
        if "html" in response.content_type:
            bodies[url] = response.get_data(as_text=True)
    return bodies


@pytest.mark.parametrize("persona", CRAWLERS)
def test_text_in_every_form_comes_back_escaped(app, client, request, world, persona):
    login(client, request.getfixturevalue(persona))
    values = world["own"]
    found = crawl.discover(app, client, values)
    assert found, "no form found: the crawler is broken"
    leaks, echoed, submitted = [], 0, 0
    for payload in PAYLOADS:
        for form in found.values():
            if not form.text_fields():
                continue
            response = client.post(form.action, data=crawl.valid_values(form, payload))
            body = response.get_data(as_text=True)
            submitted += 1
            assert response.status_code < 500, (form.action, response.status_code)
            if any(marker in body for marker in RAW_MARKERS):
                leaks.append(f"{form.action} (answer to the form)")
            echoed += "window.__xss" in body
        for url, body in _pages(app, client, values).items():
            if any(marker in body for marker in RAW_MARKERS):
                leaks.append(f"{url} (after storing {payload!r})")
            echoed += "window.__xss" in body
    assert not leaks, "unescaped payloads:\n" + "\n".join(sorted(set(leaks)))
    assert submitted >= 3 and echoed, "nothing came back: the test would not see a leak"


def _csrf_app(app) -> Flask:
    from tests.conftest import make_app

    return make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True,
                    INSTANCE_DOCUMENTS=app.config["INSTANCE_DOCUMENTS"],
                    SEAL_DIR=app.config["SEAL_DIR"])


def test_every_post_route_refuses_a_request_without_the_csrf_token(app, admin, world):
    import re

    protected = _csrf_app(app)
    client = protected.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": admin.email, "password": "x"})
    assert response.status_code == 400  # even the login form needs its token
    from tests.factories import PASSWORD

    response = client.post("/login", data={"email": admin.email, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code in (302, 303)
    checked = []
    for rule in protected.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in ("static", "accounts.logout"):
            continue
        values = {**crawl.FIXED, **world["own"]}
        # Objects the world does not make (a tranche, a report...): CSRF is refused first.
        url = rule.build({a: values.get(a, 999_999) for a in rule.arguments},
                         append_unknown=False)[1]
        response = client.post(url, data={"field": "value"})
        body = response.get_data(as_text=True)
        assert response.status_code == 400, (url, response.status_code)
        assert "expired or was sent from elsewhere" in body, url
        htmx = client.post(url, data={}, headers={"HX-Request": "true",
                                                  "X-CSRFToken": "forged"})
        assert htmx.status_code == 400, url
        checked.append(url)
    with_token = client.post("/notifications/read", data={"csrf_token": token})
    assert with_token.status_code != 400
    assert len(checked) >= 20


@pytest.mark.parametrize("persona", ("admin", "agent"))
def test_every_answer_carries_the_security_headers(app, client, request, world, persona):
    login(client, request.getfixturevalue(persona))
    download = f"/documents/{world['own']['document_id']}/download"
    urls = [*crawl.page_urls(app, world["own"]), "/no/such/page", download, "/audit/extract.pdf"]
    for url in urls:
        response = client.get(url)
        csp = response.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp, url
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, url
        assert "unsafe-eval" not in csp and "object-src 'none'" in csp, url
        assert response.headers.get("Referrer-Policy") == "same-origin", url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
        assert "Strict-Transport-Security" not in response.headers, url
    secure = client.get("/login", base_url="https://tadafur.test")
    assert "max-age=31536000" in secure.headers["Strict-Transport-Security"]


def test_pages_have_no_inline_script_or_style(app, client, admin, world):
    """What the CSP would block must not be needed: no inline <script>, handler or style."""
    import re

    login(client, admin)
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=\"|\sstyle=\"", re.I)
    offenders = []
    for url, body in _pages(app, client, world["own"]).items():
        found = inline.search(body)
        if found:
            offenders.append(f"{url}: {found.group(0)}")
    assert not offenders, "\n".join(offenders)


# ---------------------------------------------------------------- fuzzing

TEXT = st.one_of(st.text(max_size=300), st.sampled_from(
    ["", "0", "-1", "1e309", "NaN", "2026-02-30", "9" * 40, "\x00", "' OR 1=1 --", "\u202e",
     "%s%n", "../../etc/passwd", "<b>", "😀" * 50]))


def _form_classes() -> list[type]:
    from tadafur.forms_base import BaseForm
    from tadafur.modules import domain_submodules

    domain_submodules("forms")
    domain_submodules("views")  # forms defined beside their views
    found, todo = [], list(BaseForm.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return sorted(set(found), key=lambda c: c.__qualname__)


def test_every_form_class_validates_any_input_without_an_error(app):
    classes = _form_classes()
    assert len(classes) >= 8

    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data):
        for cls in classes:
            with app.test_request_context("/", method="POST"):
                names = [name for name, _ in cls()._fields.items()]
                formdata = MultiDict([(n, data.draw(TEXT, label=f"{cls.__name__}.{n}"))
                                      for n in names])
                form = cls(formdata=formdata, meta={"csrf": False})
                for field in form:
                    if getattr(field, "choices", False) is None:
                        field.choices = []  # filled by the view from the database
                form.validate()

    fuzz()


@pytest.mark.parametrize("persona", CRAWLERS)
def test_fuzzing_every_form_on_its_route_never_gives_a_server_error(app, client, request,
                                                                   world, persona):
    login(client, request.getfixturevalue(persona))
    found = [f for f in crawl.discover(app, client, world["own"]).values()
             if f.endpoint != "accounts.change_password"]  # would end the session's password
    assert found

    @settings(max_examples=6, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def fuzz(data):
        for form in found:
            values = crawl.valid_values(form, "x")
            for name in form.fields:
                if name != "csrf_token" and data.draw(st.booleans(), label=f"fuzz {name}"):
                    values[name] = data.draw(TEXT, label=f"{form.action} {name}")
            response = client.post(form.action, data=values)
            assert response.status_code < 500, (form.action, values, response.status_code)

    fuzz()


def test_a_project_edit_without_its_version_is_a_conflict_not_a_crash(app, client, agent,
                                                                       world):
    login(client, agent)
    response = client.post(f"/projects/{world['own']['project_id']}/edit",
                           data={"title_fr": "Sans version", "title_ar": "بدون"})
    assert response.status_code in (409, 422)
