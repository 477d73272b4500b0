"""Browser tests: Chromium (its headless shell) driven by Playwright against a live server.

What this gives every browser test (any module under tests/browser/):

- markers `browser` and `committing` added automatically: the live server answers from other
  threads, so data must really be committed (it is wiped after each test, reference data kept);
- `live_server`: the session `app` (SQLite, or PostgreSQL when TADAFUR_TEST_DATABASE_URL is
  set) served by werkzeug on 127.0.0.1 and a free port, with real CSRF protection and
  SERVER_NAME set to that host for the duration of the test; `live_server.url`;
- `page`: a fresh context per test (one Chromium per session) with base_url set, so
  `page.goto("/communes")` works; Arabic Accept-Language by default, 1280x900. Other
  context options per test: `@pytest.mark.browser_context_args(viewport={...}, locale=...)`.
  The page records console errors (CSP refusals included), uncaught script errors and 5xx
  answers; `page_checked` and the teardown fail on any of them;
- `browser_user(role, ..., locale=...)`: a committed user with the known PASSWORD;
- `log_in(page, user, language=None)`: through the real login form;
- `page_checked(page, name=None)`: after a page load, runs axe-core and fails on serious or
  critical violations (printed readably); with `name`, keeps a full-page screenshot as
  test-results/screenshots/<name>-<database>.png.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role
from tadafur.extensions import db
from tadafur.i18n import LANGUAGE_COOKIE
from tadafur.organisations.models import Commune, Institution
from tests.factories import PASSWORD, make_association, make_user

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
SCREENSHOTS = PROJECT_ROOT / "test-results" / "screenshots"
# Debian's chromium-headless-shell (Makefile, DEBIAN_TEST): the same Blink as the full browser,
# without the browser around it. The browser tests on SQLite took 151.7 s of CPU with it,
# 198.8 s with /usr/bin/chromium (same tests, 3 workers).
CHROMIUM = "/usr/bin/chromium-headless-shell"
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
# How long an action or a navigation may take. A sign-off that completes a gate renders and seals
# a PDF in the request (about 4 s for an amendment's last approval on a quiet machine; issue 18
# moves that work off the request), and under `make test` the other xdist worker shares the
# two cores: 10 s was seen to run out there. Assertions (`expect`) wait for what htmx swaps in
# after such a request, so they get half of it.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS // 2)


def pytest_collection_modifyitems(config, items) -> None:
    """Every test under tests/browser/ drives Chromium and commits for real."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.committing)


# ---------------------------------------------------------------- Chromium

@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    """Chromium's headless shell, without the background chatter that slows CI."""
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"],
    }


# ---------------------------------------------------------------- live server

class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # one line per request is only noise
        pass


@dataclass
class LiveServer:
    app: Flask
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def path(self, endpoint: str, **values) -> str:
        """The path of an endpoint, e.g. live_server.path("organisations.communes")."""
        return self.app.url_map.bind(self.netloc).build(endpoint, values)


@pytest.fixture(scope="session")
def _live_server_thread(app) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, "127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_server(_live_server_thread, app) -> Iterator[LiveServer]:
    """The app served for real: CSRF on, SERVER_NAME the live host; both restored after."""
    saved = {key: app.config.get(key) for key in ("SERVER_NAME", "WTF_CSRF_ENABLED")}
    app.config.update(SERVER_NAME=_live_server_thread.netloc, WTF_CSRF_ENABLED=True)
    try:
        yield _live_server_thread
    finally:
        app.config.update(saved)


# ---------------------------------------------------------------- pages

@pytest.fixture
def browser_context_args(live_server) -> dict:
    """Per test (overrides pytest-playwright's session default): the live server's base URL."""
    return {
        "base_url": live_server.url,
        "locale": "ar-MA",
        "timezone_id": "Africa/Casablanca",
        "viewport": {"width": 1280, "height": 900},
    }


@dataclass
class PageProblems:
    """What went wrong in the browser besides the assertions: shown when a test fails."""

    console_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.on("response", self._response)

    def _console(self, message) -> None:
        # A 4xx answer (422 form errors, 403) is expected behaviour, not a page problem.
        if message.type == "error" and "the server responded with a status of 4" not in (
                message.text):
            self.console_errors.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} "
                                      f"{response.url}")

    def report(self) -> str:
        lines = []
        for title, entries in (("console errors (CSP refusals included)", self.console_errors),
                               ("uncaught script errors", self.script_errors),
                               ("server errors", self.server_errors)):
            if entries:
                lines.append(f"{title}:")
                lines.extend(f"  - {entry}" for entry in entries)
        return "\n".join(lines)


@pytest.fixture
def page(context) -> Iterator[Page]:
    """pytest-playwright's page, watched for console, script and server errors."""
    new_page = context.new_page()
    new_page.set_default_timeout(TIMEOUT_MS)
    new_page.set_default_navigation_timeout(TIMEOUT_MS)
    problems = PageProblems()
    problems.watch(new_page)
    new_page.problems = problems
    yield new_page
    assert not problems.report(), problems.report()


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.append(f"    {violation['helpUrl']}")
        for node in violation["nodes"][:8]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node['html'][:200]}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"       {line}" for line in summary.splitlines())
        if len(violation["nodes"]) > 8:
            lines.append(f"    ... and {len(violation['nodes']) - 8} more elements")
    return "\n".join(lines)


_AXE = Axe()


@pytest.fixture
def page_checked(dialect) -> Callable[..., list[dict]]:
    """`page_checked(page, "dashboard-ar")`: axe-core on the current page, plus screenshot.

    Fails on serious or critical violations and on console/script/server errors seen so far;
    returns the minor and moderate violations, for tests that want to look at them.
    """

    def check(page: Page, name: str | None = None, *, full_page: bool = True) -> list[dict]:
        page.wait_for_load_state("load")
        if name:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=SCREENSHOTS / f"{name}-{dialect}.png", full_page=full_page)
        problems: PageProblems | None = getattr(page, "problems", None)
        if problems is not None:
            assert not problems.report(), f"{page.url}\n{problems.report()}"
        violations = _AXE.run(page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, (f"axe-core: {len(blocking)} serious or critical violation(s) on "
                              f"{page.url}:\n{format_violations(blocking)}")
        return [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]

    return check


def screenshot_path(name: str, dialect: str) -> Path:
    return SCREENSHOTS / f"{name}-{dialect}.png"


# ---------------------------------------------------------------- users and login

@dataclass(frozen=True)
class LiveUser:
    """A committed user as the browser knows them (no ORM object to expire between threads)."""

    id: int
    email: str
    full_name: str
    password: str


def _default_organisation(role: Role):
    if role in COMMUNE_ROLES or role in ASSOCIATION_ROLES:
        commune = db.session.scalar(select(Commune).where(Commune.is_partner)
                                    .order_by(Commune.id).limit(1))
        return commune if role in COMMUNE_ROLES else make_association(commune)
    return db.session.scalar(select(Institution).where(Institution.code == "enabel"))


@pytest.fixture
def browser_user(live_server) -> Callable[..., LiveUser]:
    """`browser_user(Role.ADMIN, locale="fr")`: a user committed for the live server to see."""

    def create(role: Role = Role.ADMIN, organisation=None, *, locale: str = "ar",
               email: str | None = None, password: str = PASSWORD) -> LiveUser:
        user = make_user(role, organisation or _default_organisation(role), email=email,
                         locale=locale, password=password)
        live = LiveUser(user.id, user.email, user.full_name, password)
        db.session.commit()
        return live

    return create


def set_language_cookie(page: Page, live_server: LiveServer, language: str) -> None:
    page.context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language,
                               "url": live_server.url}])


@pytest.fixture
def log_in(live_server) -> Callable[..., None]:
    """`log_in(page, user)`: the real login form; lands on the dashboard."""

    def submit(page: Page, user: LiveUser, *, language: str | None = None) -> None:
        if language:
            set_language_cookie(page, live_server, language)
        page.goto("/login")
        page.locator("#email").fill(user.email)
        page.locator("#password").fill(user.password)
        with page.expect_navigation():
            page.locator("#login-form button[type=submit]").click()
        assert page.url == f"{live_server.url}/", page.url

    return submit
