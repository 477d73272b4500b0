"""The conventions as printed: text, left-to-right runs, fonts, and what the renderer reads."""

from __future__ import annotations

import subprocess
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tadafur.documents import rendering, services
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.store import document_store
from tadafur.extensions import db
from tadafur.i18n import format_amount
from tests.documents.conftest import first_page_png, pdf_text, pdf_words

# Reads its documents' pages: laid out for real (tests/pdfs.py).
pytestmark = pytest.mark.real_pdfs

LANGUAGES = {"ar": ("ar",), "fr": ("fr",), "bilingual": ("ar", "fr")}


def spaced(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def line_texts(words) -> list[str]:
    """Each printed line as its words sorted by x (visual order, left to right)."""
    lines: dict[tuple[int, int], list] = {}
    for page, x, y, text in words:
        key = next((k for k in lines if k[0] == page and abs(k[1] - y) < 2), (page, y))
        lines.setdefault(key, []).append((x, text))
    return [spaced(" ".join(t for _x, t in sorted(ws))) for ws in lines.values()]


@pytest.mark.parametrize("language", ["ar", "fr", "bilingual"])
def test_convention_prints_parties_amounts_and_reference(project, language, tmp_path):
    document = services.produce(project, "convention", None, language)
    pdf = services.stored_bytes(document)
    text = spaced(pdf_text(pdf, tmp_path))

    assert project.reference in text
    for lang in LANGUAGES[language]:
        assert spaced(getattr(project.commune, f"name_{lang}")) in text
        assert spaced(getattr(project.lead_association, f"name_{lang}")) in text
        assert project.lead_association.receipt_number in text
        # Table cells print figures under a header naming the currency; the total in the
        # text carries it.
        for amount in (Decimal("250000.00"), Decimal("120000.50"), Decimal("445000.50")):
            formatted = spaced(format_amount(amount, lang))
            number = formatted.split(" ")[0] if lang == "ar" else formatted[:-4]
            assert number in text, (lang, formatted)
        if lang == "fr":
            assert spaced(format_amount(Decimal("445000.50"), "fr")) in text
        if language == "ar":  # (in the bilingual layout pdftotext gives visual order)
            assert "د.م" in text  # pdftotext puts the final dot after the bracket
    first_page_png(pdf, f"convention-{language}", tmp_path)


@pytest.mark.parametrize("language", ["ar", "fr", "bilingual"])
def test_numbers_keep_their_left_to_right_order_in_print(project, language, tmp_path):
    pdf = services.stored_bytes(services.produce(project, "convention", None, language))
    lines = line_texts(pdf_words(pdf, tmp_path))

    def printed(expected: str) -> bool:
        return any(expected in line for line in lines)

    assert printed("+212 537 00 00 00")  # not "00 00 00 537 212+"
    assert printed(project.reference)
    assert printed(project.lead_association.receipt_number)
    for lang in LANGUAGES[language]:
        number = spaced(format_amount(Decimal("250000.00"), lang)).split(" ")
        assert printed(" ".join(number[:2] if lang == "fr" else number[:1])), lang
        if lang == "fr":
            assert printed(spaced(format_amount(Decimal("445000.50"), "fr")))
            assert not printed("000,50 445")
        else:  # Arabic reads right to left: the figures, then the currency at their left
            assert printed(".م.د 445.000,50")  # pdftotext gives Arabic glyphs in visual order
            assert not printed("445.000,50 .م.د")


def test_page_one_images_exist_for_each_language(project, tmp_path):
    for language in ("ar", "fr", "bilingual"):
        pdf = services.stored_bytes(services.produce(project, "convention", None, language))
        png = first_page_png(pdf, f"convention-{language}", tmp_path)
        assert png.stat().st_size > 20_000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_documents_embed_amiri_and_no_system_font(project, tmp_path):
    pdf = services.stored_bytes(services.produce(project, "convention", None, "bilingual"))
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    names = {line.split()[0].split("+")[-1] for line in listing}
    assert names == {"Amiri", "Amiri-Bold"}
    assert all(" yes " in line for line in listing)  # embedded


def test_footer_and_qr_carry_the_verification_code(project, tmp_path):
    document = services.produce(project, "convention", None, "fr")
    text = pdf_text(services.stored_bytes(document), tmp_path)
    assert document.code in text
    assert f"/verify/{document.code}" in text


def test_qr_code_encodes_the_verification_address(project, tmp_path):
    """The QR code printed on the page is the verification address, module for module:
    read back from the PDF's image (pdfimages) and compared with the code segno makes."""
    import re

    import segno
    from PIL import Image

    document = services.produce(project, "convention", None, "fr")
    pdf = tmp_path / "convention.pdf"
    pdf.write_bytes(services.stored_bytes(document))
    address = re.search(rf"\S+/verify/{document.code}", pdf_text(pdf.read_bytes(), tmp_path))[0]
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "image")], check=True)
    expected = [[bool(module) for module in row]
                for row in segno.make(address, error="m", micro=False).matrix]
    size = len(expected) + 2  # one module of quiet zone on each side
    printed = []
    for path in sorted(tmp_path.glob("image-*.png")):
        image = Image.open(path).convert("L")
        if image.size == (size, size):
            printed.append([[image.getpixel((x, y)) < 128 for x in range(1, size - 1)]
                            for y in range(1, size - 1)])
    assert printed and all(modules == expected for modules in printed)


def test_fetcher_refuses_files_and_network():
    fetcher = rendering.PackageFetcher()
    for url in ("file:///etc/passwd", "http://example.org/x.css", "https://example.org/",
                "ftp://example.org/x", "tadafur-asset:../../../../etc/passwd",
                "tadafur-asset:/../rendering.py", "data:text/html,<b>x</b>"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    font = fetcher.fetch("tadafur-asset:fonts/Amiri-Regular.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"


def test_user_typed_markup_reads_nothing(project, tmp_path):
    hostile = ('<img src="file:///etc/passwd"><link rel="stylesheet" '
               'href="http://127.0.0.1:9/evil.css">')
    project.summary = hostile
    fetcher = rendering.pipeline().fetcher
    fetcher.refused.clear()
    pdf = services.stored_bytes(services.produce(project, "convention", None, "fr"))
    text = pdf_text(pdf, tmp_path)
    assert "file:///etc/passwd" in text  # printed as the text the user typed
    assert "root:" not in text
    assert fetcher.refused == []  # escaped: never even asked for

    # Even raw HTML reaching the renderer cannot make it read a file or the network.
    raw = ("<html><head><link rel='stylesheet' href='http://127.0.0.1:9/evil.css'>"
           "<link rel='stylesheet' href='file:///etc/passwd'></head><body>"
           "<p>x</p><img src='file:///etc/passwd'><img src='https://example.org/a.png'>"
           "<iframe src='file:///etc/shadow'></iframe></body></html>")
    pdf = rendering.render_pdf(raw)
    assert "root:" not in pdf_text(pdf, tmp_path)
    assert set(fetcher.refused) >= {"file:///etc/passwd", "http://127.0.0.1:9/evil.css",
                                    "https://example.org/a.png"}


def test_failed_render_registers_nothing_and_stores_nothing(project, monkeypatch):
    store = document_store()
    before_files = list(store.backend.list_keys())

    def broken(self, html):
        raise rendering.RenderError("boom")

    monkeypatch.setattr(rendering.Pipeline, "render", broken)
    with pytest.raises(services.DocumentError):
        services.produce(project, "convention", None, "ar")
    assert db.session.scalar(select(func.count()).select_from(RegisteredDocument)
                             .where(RegisteredDocument.project_id == project.id)) == 0
    after_files = list(store.backend.list_keys())
    assert after_files == before_files


def test_failed_registration_removes_the_file_it_stored(project, monkeypatch):
    store = document_store()

    def audit_down(*args, **kwargs):
        raise RuntimeError("audit unavailable")

    monkeypatch.setattr("tadafur.audit.services.record", audit_down)
    written = []
    original_put = type(store).put

    def spy(self, data):
        stored = original_put(self, data)
        written.append(stored)
        return stored

    monkeypatch.setattr(type(store), "put", spy)
    with pytest.raises(RuntimeError):
        services.produce(project, "convention", None, "fr")
    assert written and written[0].created
    assert not store.exists(written[0].key)
    assert services.documents_of(project) == []


def test_arabic_page_numbers_read_one_of_n(project, tmp_path):
    pdf = services.stored_bytes(services.produce(project, "convention", None, "ar"))
    lines = line_texts([w for w in pdf_words(pdf, tmp_path) if w[0] == 1])
    pages = rendering.pdf_page_count(pdf)
    assert pages > 1
    assert f"1 / {pages}" in lines
