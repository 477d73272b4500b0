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
from tadafur.amendments.models import Amendment
from tadafur.audit.models import AuditEvent
from tadafur.demo.seed import DEMO_PASSWORD
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.projects.views import TABS
from tests.browser.conftest import LiveUser
from tests.demo_amendment import open_an_amendment
from tests.demo_snapshot import demo_data

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
    demo_data()
    db.session.commit()
    amendment = open_an_amendment()  # its page, and History rows telling its terms
    projects = {p.state: p.id for p in db.session.scalars(select(Project))}
    seq = db.session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "signoff.given")
                            .order_by(AuditEvent.seq.desc()).limit(1))
    amended = db.session.get(Amendment, amendment).project_id
    return {"projects": projects, "seq": seq, "amendment": amendment, "amended": amended}


def _user(email: str, language: str) -> LiveUser:
    db.session.rollback()  # end the read snapshot: the live server has written since (SQLite)
    user = db.session.scalar(select(User).where(User.email == email))
    user.locale = language
    db.session.commit()
    return LiveUser(user.id, user.email, user.full_name, DEMO_PASSWORD)


def _pages(world: dict) -> list[str]:
    pages = ["/", "/projects", "/audit/", f"/audit/events/{world['seq']}", "/notifications",
             "/dashboards", "/open-data", "/communes", "/associations", "/delegations",
             "/verify", f"/amendments/{world['amendment']}",
             f"/projects/{world['amended']}?tab=history"]
    for state in ("in_execution", "closed"):
        pages += [f"/projects/{world['projects'][state]}?tab={tab}" for tab in TABS]
    return pages


def _check_phone_pages(page, log_in, world: dict, language: str) -> dict:
    page.set_viewport_size(PHONE)
    log_in(page, _user("officer@demo.tadafur.ma", language))
    problems = {}
    for path in _pages(world):
        page.goto(path)
        page.wait_for_load_state("load")
        seen = page.evaluate(MEASURE)
        if seen["scroll"] > seen["width"] or seen["unlabelled"] or seen["broken"]:
            problems[f"{language} {path}"] = seen
    page.context.clear_cookies()
    return problems


def _look_at_audit_and_inbox(page, log_in, page_checked, language: str) -> None:
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
    page.context.clear_cookies()


def test_no_page_scrolls_sideways_on_a_phone_and_tables_keep_their_column_names(
        page, log_in, page_checked, demo_world):
    """One test for both languages: the demo (copied, tests/demo_snapshot.py) is set up once."""
    problems = {}
    for language in ("ar", "fr"):
        problems.update(_check_phone_pages(page, log_in, demo_world, language))
        _look_at_audit_and_inbox(page, log_in, page_checked, language)
    assert not problems, "\n".join(f"{path}: {seen}" for path, seen in problems.items())
