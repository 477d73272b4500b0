"""The amendment pages: proposal form (plain POST, 422 beside the field), the amendment page
with its diff and sign-off panel, signing through the page, who may do what."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tadafur.amendments import services
from tadafur.amendments.models import Amendment
from tadafur.extensions import db
from tests.amendments.conftest import line
from tests.factories import PASSWORD, login

HX = {"HX-Request": "true"}


def _form(project, **extra):
    data = {"justification": "Hausse des prix du mobilier."}
    data.update(extra)
    return data


def test_proposal_by_plain_post_then_the_diff_page(client, running, people):
    furniture = line(running, "programme")
    login(client, people["member"])
    page = client.get(f"/projects/{running.id}/amendments/new")
    assert page.status_code == 200 and f'name="line-{furniture.id}-amount"' in page.text
    response = client.post(f"/projects/{running.id}/amendments/new", data=_form(
        running, **{f"line-{furniture.id}-amount": "43000.00", "end_date": "2027-03-31"}))
    assert response.status_code == 303, response.text[:400]
    amendment = db.session.scalar(select(Amendment).where(Amendment.project_id == running.id))
    assert response.headers["Location"] == f"/amendments/{amendment.id}"
    shown = client.get(f"/amendments/{amendment.id}")
    assert shown.status_code == 200
    assert "40,000.00" in shown.text and "43,000.00" in shown.text
    assert 'id="amendment-budget"' in shown.text and 'id="amendment-fields"' in shown.text
    tab = client.get(f"/projects/{running.id}/tabs/amendments", headers=HX)
    assert tab.status_code == 200 and "Amendment No. 1" in tab.text


def test_bad_amount_comes_back_beside_its_field_with_422(client, running, people):
    furniture = line(running, "programme")
    login(client, people["agent"])
    response = client.post(f"/projects/{running.id}/amendments/new", data=_form(
        running, **{f"line-{furniture.id}-amount": "beaucoup"}))
    assert response.status_code == 422
    assert f'id="line-{furniture.id}-amount-error"' in response.text
    assert 'value="beaucoup"' in response.text
    assert db.session.scalar(select(Amendment)) is None


def test_missing_justification_is_refused_with_422(client, running, people):
    login(client, people["agent"])
    response = client.post(f"/projects/{running.id}/amendments/new",
                           data={"justification": "", "end_date": "2027-01-31"})
    assert response.status_code == 422 and "This field is required." in response.text


def test_extension_beyond_the_programme_is_refused_on_the_page(client, running, people):
    login(client, people["agent"])
    response = client.post(f"/projects/{running.id}/amendments/new",
                           data=_form(running, end_date="2030-01-01"))
    assert response.status_code == 422 and "2028-12-31" in response.text


def test_signing_on_the_page_with_the_password(client, running, people):
    amendment = services.propose(people["agent"], running, "Prolongation.",
                                 services.Proposal(end_date="2027-02-28"))
    db.session.commit()
    login(client, people["president"])
    page = client.get(f"/amendments/{amendment.id}")
    assert 'name="password"' in page.text
    wrong = client.post(f"/amendments/{amendment.id}/sign",
                        data={"decision": "approve", "password": "nope"}, headers=HX)
    assert wrong.status_code == 422 and "The password is not correct." in wrong.text
    assert 'id="amendment-signoff"' in wrong.text and "<html" not in wrong.text
    done = client.post(f"/amendments/{amendment.id}/sign",
                       data={"decision": "approve", "password": PASSWORD})
    assert done.status_code == 303
    assert [s.party for s in services.signoffs_of(amendment)] == ["commune"]


def test_outsiders_and_reviewers_cannot_see_or_propose(client, running, people,
                                                       outsider_agent, reviewer):
    amendment = services.propose(people["agent"], running, "Prolongation.",
                                 services.Proposal(end_date="2027-02-28"))
    db.session.commit()
    login(client, outsider_agent)
    assert client.get(f"/amendments/{amendment.id}").status_code == 403
    assert client.get(f"/projects/{running.id}/amendments/new").status_code == 403
    client.post("/logout")
    login(client, reviewer)
    assert client.get(f"/amendments/{amendment.id}").status_code == 200
    assert client.post(f"/amendments/{amendment.id}/sign",
                       data={"decision": "approve", "password": PASSWORD}).status_code == 403


def test_proposal_page_of_a_draft_project_says_why_with_409(client, make_draft, people):
    login(client, people["agent"])
    assert client.get(f"/projects/{make_draft.id}/amendments/new").status_code == 409


def test_amendment_page_in_arabic(client, running, people):
    amendment = services.propose(people["agent"], running, "تمديد المدة.",
                                 services.Proposal(end_date="2027-02-28"))
    db.session.commit()
    people["agent"].locale = "ar"
    db.session.commit()
    login(client, people["agent"])
    page = client.get(f"/amendments/{amendment.id}")
    assert page.status_code == 200 and 'dir="rtl"' in page.text


@pytest.fixture
def make_draft(commune, association, agent):
    from tests.workflow.conftest import build_project

    return build_project(commune, association, agent)


def test_home_page_lists_the_amendments_awaiting_my_sign_off(client, running, people,
                                                             count_queries):
    from tadafur.amendments.dashboard import awaiting

    amendment = services.propose(people["agent"], running, "Prolongation.",
                                 services.Proposal(end_date="2027-02-28"))
    db.session.commit()
    assert [a.id for a, _behalf in awaiting(people["president"])] == [amendment.id]
    assert awaiting(people["member"]) == []  # not a signatory
    login(client, people["president"])
    home = client.get("/")
    assert 'id="my-amendments"' in home.text and f"/amendments/{amendment.id}" in home.text
    services.sign(people["president"], amendment, decision="approve", comment=None,
                  password=PASSWORD)
    db.session.commit()
    assert awaiting(people["president"]) == []
    db.session.expire_all()
    with count_queries() as counter:
        awaiting(people["chair"])
    assert counter.count <= 8


def test_signing_an_amendment_asks_the_second_factor_of_a_signer_who_has_one(client, running,
                                                                            people):
    from sqlalchemy import select

    from tadafur.accounts.models import LoginAttempt
    from tadafur.workflow.models import SignOff
    from tests.accounts.test_two_factor import enrol, next_code

    amendment = services.propose(people["agent"], running, "Prolongation.",
                                 services.Proposal(end_date="2027-02-28"))
    db.session.commit()
    president = people["president"]
    login(client, president)
    secret, _codes = enrol(client, president)
    assert 'name="code"' in client.get(f"/amendments/{amendment.id}").text
    wrong = client.post(f"/amendments/{amendment.id}/sign",
                        data={"decision": "approve", "password": PASSWORD, "code": "111111"})
    assert wrong.status_code == 422 and "The code is not correct" in wrong.text
    assert db.session.scalars(select(LoginAttempt).where(
        LoginAttempt.email == president.email, LoginAttempt.succeeded.is_(False))).all()
    done = client.post(f"/amendments/{amendment.id}/sign", data={
        "decision": "approve", "password": PASSWORD, "code": next_code(secret)})
    assert done.status_code in (302, 303)
    signoff = db.session.scalar(select(SignOff).where(SignOff.gate == "amendment",
                                                      SignOff.user_id == president.id))
    assert signoff.second_factor is True
