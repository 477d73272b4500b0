"""Every public URL, crawled as an anonymous visitor over the demo data: nothing unpublished
and no personal data (people's names, e-mails, phones) on any page, feed, export, sheet or
photo, in each of the three languages. The crawl starts from the showcase and follows every
same-site link it finds.

The visitor's language comes the three ways the app reads it (`tadafur.i18n.select_language`;
public pages have no language prefix): nothing chosen (Arabic, the default), the browser's
Accept-Language (French) and the switcher's cookie (English). The demo is seeded once; files
met again in another language (the sheets, photos) are fetched but not read twice."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from tadafur.accounts.models import User
from tadafur.extensions import db
from tadafur.i18n import LANGUAGE_COOKIE
from tadafur.organisations.models import Association
from tadafur.projects.models import Project
from tests.demo_snapshot import demo_data
from tests.pdfs import cheap_pdfs

# Reads its documents' pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs

PUBLIC_PREFIXES = ("/showcase", "/open-data", "/verify")
START = ["/showcase", "/showcase/feed.atom", "/open-data", "/open-data/projects.json",
         "/open-data/projects.csv", "/open-data/iati-activities.xml"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.found.append(value)


def _text(response, tmp_path, extracted: dict[str, str]) -> str:
    """The text a visitor can read in the response; a file already read (the same bytes,
    met again in another language's crawl) is taken from `extracted`."""
    if not (response.mimetype == "application/pdf" or response.mimetype.startswith("image/")):
        return response.get_data(as_text=True)
    digest = hashlib.sha256(response.data).hexdigest()
    if digest in extracted:
        return extracted[digest]
    if response.mimetype == "application/pdf":
        path = tmp_path / "page.pdf"
        path.write_bytes(response.data)
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    else:
        image = Image.open(io.BytesIO(response.data))
        assert not image.getexif() and "exif" not in image.info, response.request.path
        text = ""
    extracted[digest] = text
    return text


def _secrets() -> list[str]:
    """What must never be public: people's names and e-mails, associations' contacts."""
    found = set()
    for user in db.session.scalars(select(User)):
        found |= {user.full_name, user.email}
    for association in db.session.scalars(select(Association)):
        found |= {v for v in (association.contact_phone, association.contact_email) if v}
    found |= {"@demo.tadafur.ma", "+212"}
    return sorted(v for v in found if v and len(v) >= 5)


# What a page in each language must say once (the demo replicates one project once).
REPLICATED = {"ar": "كُرِّر في جماعة واحدة", "fr": "Reproduit dans 1 commune",
              "en": "Replicated in 1 commune"}
# The language mark of a page (html lang) or of the feed (xml:lang), per language.
MARKS = {language: (f'<html lang="{language}"', f'xml:lang="{language}"')
         for language in REPLICATED}


def _visitor(app, language: str):
    """An anonymous client choosing `language` the way a visitor would."""
    client = app.test_client()
    if language == "fr":
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    elif language == "en":
        client.set_cookie(LANGUAGE_COOKIE, "en", domain="tadafur.test")
    return client  # "ar": nothing chosen, the default


def _crawl(client, language: str, secrets: list[str], hidden: list[str], tmp_path,
           extracted: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Every public URL reachable from START: (text by URL, problems found)."""
    queue, seen, problems, texts = list(START), set(), [], {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            if response.status_code >= 500:
                problems.append(f"[{language}] {url}: {response.status_code}")
            continue
        text = _text(response, tmp_path, extracted)
        texts[url] = text
        for secret in secrets:
            if secret in text:
                problems.append(f"[{language}] {url}: shows {secret!r}")
        for reference in hidden:
            if reference in text:
                problems.append(f"[{language}] {url}: shows unpublished {reference}")
        if response.mimetype in ("text/html", "application/atom+xml") \
                and not any(mark in text for mark in MARKS[language]):
            problems.append(f"[{language}] {url}: not in {language}")
        if response.mimetype == "text/html":
            parser = Links()
            parser.feed(text)
            for link in parser.found:
                target = urljoin(url, link)
                parts = urlsplit(target)
                if parts.netloc not in ("", "tadafur.test"):
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if parts.path.startswith(PUBLIC_PREFIXES) and path not in seen:
                    queue.append(path)
    return texts, problems


@pytest.mark.slow
def test_no_public_url_shows_an_unpublished_project_or_personal_data(app, tmp_path):
    with cheap_pdfs():  # the seeded conventions are not public; the sheets below are real
        demo_data()
    secrets = _secrets()
    published = {p.reference for p in db.session.scalars(
        select(Project).where(Project.publication_approved))}
    hidden = [p.reference for p in db.session.scalars(
        select(Project).where(Project.publication_approved.is_(False)))]
    assert len(published) >= 5 and hidden
    closed = db.session.scalars(select(Project).where(Project.publication_approved,
                                                      Project.state == "closed")).all()
    assert len(closed) >= 3
    extracted: dict[str, str] = {}
    for language in ("ar", "fr", "en"):
        texts, problems = _crawl(_visitor(app, language), language, secrets, hidden,
                                 tmp_path, extracted)
        assert not problems, "\n".join(problems)
        pages = [u for u in texts if re.fullmatch(r"/showcase/projects/\d+", u)]
        sheets = [u for u in texts if "/sheet.pdf" in u]
        photos = [u for u in texts if u.endswith(".jpg")]
        assert len(pages) == len(published), language
        assert len(sheets) >= 3 * len(published), language
        assert photos, f"[{language}] no public photo crawled"
        assert "/showcase/feed.atom" in texts, language
        assert f"/open-data/projects.json?lang={language}" in texts, language
        assert any(REPLICATED[language] in t for t in texts.values()), language
        assert len(texts) > 40, language
