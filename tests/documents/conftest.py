"""Projects to print: a commune, a lead association with its receipt number, signatories,
and a budget shared by several funders. Helpers read PDFs with poppler (pdftotext, pdftoppm).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from tadafur.accounts.models import Role
from tadafur.extensions import db
from tadafur.organisations.models import Association
from tadafur.projects.models import BudgetLine, Indicator, Project
from tests.factories import make_user

_numbers = itertools.count(1)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results" / "documents"
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

BUDGET = [
    ("Animation", "Ateliers de dialogue avec les jeunes", Decimal("250000.00"), "programme", False),
    ("Équipement", "Mobilier et matériel informatique", Decimal("120000.50"), "commune", False),
    ("Ressources humaines", "Bénévolat des animateurs", Decimal("30000.00"), "association",
     True),
    ("Local", "Mise à disposition de la salle", Decimal("45000.00"), "commune", True),
]


def make_lead_association(commune) -> Association:
    n = next(_numbers)
    association = Association(
        name_ar="جمعية النور للتنمية والمواطنة",
        name_fr="Association Annour pour le développement",
        receipt_number=f"RC-2019/{n:04d}", commune_id=commune.id,
        contact_phone="+212 537 00 00 00")
    db.session.add(association)
    db.session.flush()
    return association


def make_project(commune, association, **values) -> Project:
    n = next(_numbers)
    project = Project(
        reference=f"TDF-2026-RSK-{n:04d}",
        title_ar="فضاء الشباب للحوار والمشاركة",
        title_fr="Espace jeunesse de dialogue et de participation",
        summary="Un espace où les jeunes débattent des priorités de la commune.",
        objectives="Renforcer la participation des jeunes à la vie communale.",
        place="Maison des jeunes",
        commune_id=commune.id, lead_association_id=association.id,
        start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 31),
        workflow_name="co_creation", workflow_version=1, state="convention_signature",
        **values)
    for position, (category, description, amount, funder, in_kind) in enumerate(BUDGET):
        project.budget_lines.append(BudgetLine(
            position=position, category=category, description=description, amount=amount,
            funder=funder, in_kind=in_kind))
    project.indicators.append(Indicator(position=0, level="output", name="Jeunes formés",
                                        unit="personnes", baseline=0, target=120))
    db.session.add(project)
    db.session.flush()
    return project


@pytest.fixture
def lead_association(commune) -> Association:
    return make_lead_association(commune)


@pytest.fixture
def project(commune, lead_association) -> Project:
    make_user(Role.COMMUNE_SIGNATORY, commune)
    make_user(Role.ASSOCIATION_SIGNATORY, lead_association)
    return make_project(commune, lead_association)


@pytest.fixture
def party_member(lead_association):
    return make_user(Role.ASSOCIATION_MEMBER, lead_association)


# ---------------------------------------------------------------- reading PDFs

def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return " ".join(BIDI_MARKS.sub("", text).split())


def pdf_words(pdf: bytes, tmp_path: Path) -> list[tuple[int, float, float, str]]:
    """(page, x, y, word) for every word, from `pdftotext -bbox`."""
    path = tmp_path / "words.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout
    words = []
    for page, content in enumerate(html.split("<page ")[1:], start=1):
        for match in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>',
                                 content):
            text = BIDI_MARKS.sub("", match[3]).replace("&amp;", "&")
            if text:
                words.append((page, float(match[1]), float(match[2]), text))
    return words


def printed_left_to_right(words, tokens: list[str]) -> bool:
    """True if some line shows `tokens` side by side, in this order from left to right."""
    for page, _x, y, text in words:
        if text != tokens[0]:
            continue
        line = sorted((w for w in words if w[0] == page and abs(w[2] - y) < 2),
                      key=lambda w: w[1])
        texts = [w[3] for w in line]
        for start in range(len(texts) - len(tokens) + 1):
            if texts[start:start + len(tokens)] == tokens:
                return True
    return False


def first_page_png(pdf: bytes, name: str, workdir: Path) -> Path:
    """Page 1 as a PNG (pdftoppm), also kept as an artifact under test-results/documents/.

    pytest-playwright empties test-results/ when any pytest session starts, so the image is
    made in `workdir` and copied; the returned path is the working copy.
    """
    source = workdir / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    str(source), str(workdir / name)], check=True)
    png = workdir / f"{name}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(png, ARTIFACTS / png.name)
    shutil.copyfile(source, ARTIFACTS / source.name)
    return png


def seal_convention(project, president, chair, officer):
    """The convention frozen, signed by the three parties and sealed with its sign-off
    record (the gate's completion, as the workflow calls it); committed."""
    from tadafur.documents import hooks, services
    from tadafur.workflow.models import SignOff

    frozen = services.freeze_convention(project, None)
    for party, user in (("commune", president), ("association", chair),
                        ("programme", officer)):
        db.session.add(SignOff(project_id=project.id, gate="convention", round=3, party=party,
                               user_id=user.id, decision="approve", subject="document:convention",
                               signed_hash=frozen.sha256))
    db.session.flush()
    hooks.gate_completed(project, "convention", officer)
    db.session.commit()
    return services.latest(project, "convention_signed")
