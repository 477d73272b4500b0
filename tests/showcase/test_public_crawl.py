"""Every public URL, crawled as an anonymous visitor over the demo data: nothing unpublished
and no personal data (people's names, e-mails, phones) on any page, feed, export, sheet or
photo. The crawl starts from the showcase and follows every same-site link it finds."""

from __future__ import annotations

import io
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from PIL import Image
from sqlalchemy import select

from tadafur.accounts.models import User
from tadafur.demo.seed import seed_demo
from tadafur.extensions import db
from tadafur.organisations.models import Association
from tadafur.projects.models import Project
from tests.pdfs import cheap_pdfs

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


def _text(response, tmp_path) -> str:
    if response.mimetype == "application/pdf":
        path = tmp_path / "page.pdf"
        path.write_bytes(response.data)
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
    if response.mimetype.startswith("image/"):
        image = Image.open(io.BytesIO(response.data))
        assert not image.getexif() and "exif" not in image.info, response.request.path
        return ""
    return response.get_data(as_text=True)


def _secrets() -> list[str]:
    """What must never be public: people's names and e-mails, associations' contacts."""
    found = set()
    for user in db.session.scalars(select(User)):
        found |= {user.full_name, user.email}
    for association in db.session.scalars(select(Association)):
        found |= {v for v in (association.contact_phone, association.contact_email) if v}
    found |= {"@demo.tadafur.ma", "+212"}
    return sorted(v for v in found if v and len(v) >= 5)


@pytest.mark.slow
def test_no_public_url_shows_an_unpublished_project_or_personal_data(app, tmp_path):
    with cheap_pdfs():  # the seeded conventions are not public; the sheets below are real
        seed_demo()
    db.session.flush()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    secrets = _secrets()
    published = {p.reference for p in db.session.scalars(
        select(Project).where(Project.publication_approved))}
    hidden = [p.reference for p in db.session.scalars(
        select(Project).where(Project.publication_approved.is_(False)))]
    assert len(published) >= 5 and hidden
    closed = db.session.scalars(select(Project).where(Project.publication_approved,
                                                      Project.state == "closed")).all()
    assert len(closed) >= 3
    queue, seen, problems, texts = list(START), set(), [], {}
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200:
            if response.status_code >= 500:
                problems.append(f"{url}: {response.status_code}")
            continue
        text = _text(response, tmp_path)
        texts[url] = text
        for secret in secrets:
            if secret in text:
                problems.append(f"{url}: shows {secret!r}")
        for reference in hidden:
            if reference in text:
                problems.append(f"{url}: shows unpublished {reference}")
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
    assert not problems, "\n".join(problems)
    pages = [u for u in texts if re.fullmatch(r"/showcase/projects/\d+", u)]
    sheets = [u for u in texts if "/sheet.pdf" in u]
    photos = [u for u in texts if u.endswith(".jpg")]
    assert len(pages) == len(published) and len(sheets) >= 3 * len(published)
    assert photos, "no public photo crawled"
    assert any("Reproduit dans 1 commune" in t for t in texts.values())
    assert len(seen) > 40
