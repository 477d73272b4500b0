"""Personas and factories. Personas read English (their messages are what tests assert);
tests about languages set the locale they need. Personas are the programme's roles:
`agent`, `president` (commune signatory), `member`, `chair` (association signatory),
`officer`, `reviewer`, `admin`, and `outsider_agent` / `outsider_member` from elsewhere.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select

from tadafur.accounts.models import Membership, Role, User
from tadafur.accounts.services import hash_password
from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.organisations.models import Association, Commune, Institution

PASSWORD = "correct horse battery"
_sequence = itertools.count(1)

__all__ = [
    "PASSWORD", "admin", "agent", "association", "chair", "commune", "login", "make_association",
    "make_user", "member", "officer", "other_association", "other_commune", "outsider_agent",
    "outsider_member", "president", "reviewer",
]


# A date typed "in the future" by a test: read when the test runs, from the app's clock (a
# fixed date in a test becomes a past one as the calendar moves on; a date computed at
# collection becomes one when a run crosses midnight).
TOMORROW = "<tomorrow>"


def tomorrow() -> dt.date:
    return today() + dt.timedelta(days=1)


def dated(values: dict) -> dict:
    """`values` with TOMORROW (in a value or an ISO date string) replaced by tomorrow's date."""
    return {key: (tomorrow().isoformat() if value == TOMORROW else value)
            for key, value in values.items()}


def _partner_communes() -> list[Commune]:
    return list(db.session.scalars(select(Commune).where(Commune.is_partner)
                                   .order_by(Commune.id).limit(2)))


def make_association(commune: Commune, name: str = "Association Test") -> Association:
    n = next(_sequence)
    association = Association(name_ar=f"جمعية {n}", name_fr=f"{name} {n}",
                              receipt_number=f"T-{n:05d}", commune_id=commune.id,
                              contact_phone="+212 537 00 00 00")
    db.session.add(association)
    db.session.flush()
    return association


def make_user(role: Role, organisation, email: str | None = None,
              locale: str = "en", password: str = PASSWORD) -> User:
    n = next(_sequence)
    user = User(email=email or f"{role.value}{n}@example.org", full_name=f"{role.value} {n}",
                locale=locale, password_hash=hash_password(password))
    key = {Commune: "commune_id", Association: "association_id",
           Institution: "institution_id"}[type(organisation)]
    user.memberships = [Membership(role=role.value, **{key: organisation.id})]
    db.session.add(user)
    db.session.flush()
    return user


def _institution(code: str) -> Institution:
    return db.session.scalar(select(Institution).where(Institution.code == code))


def login(client, user: User, password: str = PASSWORD, language: str | None = None):
    """Log in through the real login form; returns the response."""
    if language:
        client.set_cookie("tadafur_lang", language, domain="tadafur.test")
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def commune() -> Commune:
    return _partner_communes()[0]


@pytest.fixture
def other_commune() -> Commune:
    return _partner_communes()[1]


@pytest.fixture
def association(commune) -> Association:
    return make_association(commune)


@pytest.fixture
def other_association(other_commune) -> Association:
    return make_association(other_commune, "Autre association")


@pytest.fixture
def agent(commune) -> User:
    return make_user(Role.COMMUNE_AGENT, commune)


@pytest.fixture
def president(commune) -> User:
    return make_user(Role.COMMUNE_SIGNATORY, commune)


@pytest.fixture
def member(association) -> User:
    return make_user(Role.ASSOCIATION_MEMBER, association)


@pytest.fixture
def chair(association) -> User:
    return make_user(Role.ASSOCIATION_SIGNATORY, association)


@pytest.fixture
def officer() -> User:
    return make_user(Role.PROGRAMME_OFFICER, _institution("enabel"))


@pytest.fixture
def reviewer() -> User:
    return make_user(Role.MINISTRY_REVIEWER, _institution("dgct"))


@pytest.fixture
def admin() -> User:
    return make_user(Role.ADMIN, _institution("enabel"))


@pytest.fixture
def outsider_agent(other_commune) -> User:
    return make_user(Role.COMMUNE_AGENT, other_commune)


@pytest.fixture
def outsider_member(other_association) -> User:
    return make_user(Role.ASSOCIATION_MEMBER, other_association)
