"""On a phone (390 x 844), over the demo data, in Arabic and French: no page scrolls sideways,
stacked tables keep their column names, references never break inside; and the audit trail and
the notification inbox, as looked at on a desktop and a phone.

The browser part of the language sweep (tests/core/test_language_sweep.py checks every page's
words without a browser): a representative subset, since a browser visit costs about a second.
PAGES lists it: the dashboards, lists, the audit trail and an event, the inbox, and every tab of
a project in execution and of a closed one, for the programme officer, and the commune agent's
own pages.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tadafur.accounts.models import User
from tadafur.audit.models import AuditEvent
from tadafur.demo.seed import DEMO_PASSWORD, seed_demo
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.projects.views import TABS
from tests.browser.conftest import LiveUser
from tests.core.test_language_sweep import cheap_pdfs

PHONE = {"width": 390, "height": 844}
MEASURE = """() => {
  const width = document.documentElement.clientWidth;
  const cells = [...document.querySelectorAll('table.data tbody td, table.data tbody th')]
    .filter(c => c.offsetParent && c.colSpan === 1 && c.textContent.trim()
                 && !c.getAttribute('data-label'));
  const outside = [...document.querySelectorAll('main *')].filter(e => {
    const box = e.getBoundingClientRect();
    return box.width && (box.right > width + 1 || box.left < -1);
  }).slice(0, 4).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                        + ' ' + (e.textContent || '').trim().slice(0, 40));
  const broken = [...document.querySelectorAll('span[dir=ltr]')]
    .filter(s => /^\\u2066?TDF-\\d{4}-[A-Z]+-\\d{4}\\u2069?$/.test(s.textContent.trim())
                 && new Set([...s.getClientRects()].map(r => Math.round(r.top))).size > 1)
    .length;  // on two lines (bidi isolates alone make several boxes on one line)
  return {scroll: document.documentElement.scrollWidth, width, unlabelled: cells.length,
          outside, broken};
}"""


@pytest.fixture
def demo_world(live_server) -> dict:
    with cheap_pdfs():
        seed_demo()
    db.session.commit()
    projects = {p.state: p.id for p in db.session.scalars(select(Project))}
    seq = db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "signoff.given")
                            .order_by(AuditEvent.seq.desc()).limit(1))
    return {"projects": projects, "seq": seq}


def _user(email: str, language: str) -> LiveUser:
    user = db.session.scalar(select(User).where(User.email == email))
    user.locale = language
    db.session.commit()
    return LiveUser(user.id, user.email, user.full_name, DEMO_PASSWORD)


def _pages(world: dict) -> list[str]:
    pages = ["/", "/projects", "/audit/", f"/audit/events/{world['seq']}", "/notifications",
             "/dashboards", "/open-data", "/communes", "/associations", "/delegations",
             "/verify"]
    for state in ("in_execution", "closed"):
        pages += [f"/projects/{world['projects'][state]}?tab={tab}" for tab in TABS]
    return pages


@pytest.mark.browser_context_args(viewport=PHONE)
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_no_page_scrolls_sideways_on_a_phone_and_tables_keep_their_column_names(
        page, log_in, demo_world, language):
    problems = {}
    log_in(page, _user("officer@demo.tadafur.ma", language))
    visited = 0
    for path in _pages(demo_world):
        page.goto(path)
        page.wait_for_load_state("load")
        seen = page.evaluate(MEASURE)
        visited += 1
        if seen["scroll"] > seen["width"] or seen["unlabelled"] or seen["broken"]:
            problems[path] = seen
    assert visited == len(_pages(demo_world))
    assert not problems, "\n".join(f"{path}: {seen}" for path, seen in problems.items())


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_audit_trail_and_inbox_look_right_on_desktop_and_phone(
        page, log_in, page_checked, demo_world, language):
    """Screenshots kept under test-results/screenshots/ (looked at: see the report)."""
    log_in(page, _user("agent@demo.tadafur.ma", language))
    for width, height, size in ((1280, 900, "desktop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        for path, name in (("/audit/", "audit"), ("/notifications", "inbox")):
            page.goto(path)
            page_checked(page, f"i16-{name}-{language}-{size}", full_page=False)
            text = page.locator("main").inner_text()
            assert "signoff.given" not in text and "project.submit" not in text
            assert page.evaluate("document.documentElement.scrollWidth") <= width
