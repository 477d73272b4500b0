"""Amendments: the diff, the guards, the locks, the gate, and what approval produces."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from tadafur.amendments import services
from tadafur.amendments.models import Amendment
from tadafur.audit.models import AuditEvent
from tadafur.documents import sealing, services as documents
from tadafur.extensions import db
from tadafur.projects import services as projects
from tests.amendments.conftest import line, sign
from tests.documents.conftest import pdf_text
from tests.factories import PASSWORD


def _propose(user, project, **proposal):
    amendment = services.propose(user, project, "Les prix du mobilier ont augmenté.",
                                 services.Proposal(**proposal))
    db.session.commit()
    return amendment


def test_small_reallocation_needs_commune_and_association_only(running, people):
    furniture, works = line(running, "programme"), line(running, "commune")
    amendment = _propose(people["agent"], running, lines={
        furniture.id: {"amount": "42000"}, works.id: {"amount": "38000"}})
    assert amendment.kind_list == ["budget"]
    assert amendment.party_list == ["commune", "association"]  # 5 % of each line
    diff = services.diff(amendment)
    assert diff.total_before == diff.total_after == Decimal("90000.00")
    row = next(r for r in diff.budget if r.label == "Mobilier")
    assert (row.before, row.after, row.delta) == (Decimal("40000.00"), Decimal("42000.00"),
                                                  Decimal("2000.00"))
    assert (row.share_before, row.share_after) == (Decimal("44.44"), Decimal("46.67"))


def test_reallocation_above_the_share_needs_the_programme_officer(running, people):
    furniture, works = line(running, "programme"), line(running, "commune")
    amendment = _propose(people["member"], running, lines={
        furniture.id: {"amount": "47000"}, works.id: {"amount": "33000"}})  # 17.5 %
    assert amendment.party_list == ["commune", "association", "programme"]


def test_moving_a_line_to_another_funder_needs_the_programme_officer(running, people):
    furniture = line(running, "programme")
    amendment = _propose(people["agent"], running,
                         lines={furniture.id: {"funder": "commune"}})
    assert "programme" in amendment.party_list


def test_extension_beyond_the_programme_end_is_refused(running, people):
    with pytest.raises(services.AmendmentError) as refused:
        services.propose(people["agent"], running, "Retard des travaux.",
                         services.Proposal(end_date="2029-01-15"))
    assert refused.value.field == "end_date" and "2028-12-31" in refused.value.message
    assert db.session.scalar(select(Amendment).where(Amendment.project_id == running.id)) \
        is None


def test_an_amendment_that_changes_nothing_is_refused(running, people):
    with pytest.raises(services.AmendmentError, match="changes nothing"):
        services.propose(people["agent"], running, "Rien.",
                         services.Proposal(end_date=running.end_date.isoformat()))


def test_bad_amount_is_refused_beside_its_field(running, people):
    furniture = line(running, "programme")
    with pytest.raises(services.AmendmentError) as refused:
        services.propose(people["agent"], running, "x", services.Proposal(
            lines={furniture.id: {"amount": "-5"}}))
    assert refused.value.field == f"line-{furniture.id}-amount"


def test_a_draft_project_cannot_be_amended(make_project_in_draft, people):
    with pytest.raises(services.AmendmentError, match="execution or follow-up"):
        services.propose(people["agent"], make_project_in_draft, "x",
                         services.Proposal(end_date="2027-01-01"))


@pytest.fixture
def make_project_in_draft(commune, association, agent):
    from tests.workflow.conftest import build_project

    return build_project(commune, association, agent)


def test_the_officer_cannot_propose(running, people):
    with pytest.raises(services.AmendmentError, match="commune or the association"):
        services.propose(people["officer"], running, "x",
                         services.Proposal(end_date="2027-06-30"))


def test_two_amendments_touching_the_same_line_cannot_both_be_open(running, people):
    furniture, works = line(running, "programme"), line(running, "commune")
    first = _propose(people["agent"], running, lines={furniture.id: {"amount": "41000"}})
    with pytest.raises(services.AmendmentError, match=r"No\. 1 is already open"):
        services.propose(people["member"], running, "Autre chose.", services.Proposal(
            lines={furniture.id: {"amount": "39000"}, works.id: {"amount": "41000"}}))
    db.session.rollback()
    # another line is free
    second = _propose(people["member"], running, lines={works.id: {"amount": "41000"}})
    assert (first.number, second.number) == (1, 2)
    assert services.locked_keys(running) == {f"budget_line:{furniture.id}": 1,
                                             f"budget_line:{works.id}": 2}


def test_fields_an_open_amendment_touches_cannot_be_edited_elsewhere(running, people):
    activity = running.activities[0]
    _propose(people["agent"], running, activities={activity.id: {"planned_end": "2026-09-30"}})
    with pytest.raises(projects.ProjectError, match=r"Amendment No\. 1 is open"):
        projects.set_activity_status(people["agent"], running, activity.id, "done")
    other = running.activities[1]
    projects.set_activity_status(people["agent"], running, other.id, "done")  # not touched


def test_a_rejected_amendment_leaves_every_value_as_it_was(running, people):
    furniture, works = line(running, "programme"), line(running, "commune")
    before = (furniture.amount, works.amount, running.end_date, running.version,
              len(documents.documents_of(running)))
    amendment = _propose(people["agent"], running, end_date="2027-06-30", lines={
        furniture.id: {"amount": "47000"}, works.id: {"amount": "33000"}})
    sign(people["president"], amendment)
    with pytest.raises(services.AmendmentError, match="comment is required"):
        services.sign(people["chair"], amendment, decision="reject", comment="",
                      password=PASSWORD)
    db.session.rollback()
    sign(people["chair"], amendment, "reject", "Le plan de financement doit rester.")
    db.session.expire_all()
    assert amendment.status == "rejected"
    assert (furniture.amount, works.amount, running.end_date) == before[:3]
    assert len(documents.documents_of(running)) == before[4]
    assert services.locked_keys(running) == {}
    with pytest.raises(services.AmendmentError, match="no longer open"):
        services.sign(people["officer"], amendment, decision="approve", comment=None,
                      password=PASSWORD)


def test_wrong_password_signs_nothing(running, people):
    amendment = _propose(people["agent"], running, end_date="2027-03-31")
    with pytest.raises(services.AmendmentError) as refused:
        services.sign(people["president"], amendment, decision="approve", comment=None,
                      password="wrong")
    assert refused.value.field == "password"
    assert services.signoffs_of(amendment) == []


def test_a_party_outside_the_gate_cannot_sign(running, people):
    amendment = _propose(people["agent"], running, activities={
        running.activities[0].id: {"title": "Atelier de lancement"}})
    assert "programme" not in amendment.party_list
    with pytest.raises(services.AmendmentError, match="cannot sign"):
        services.sign(people["officer"], amendment, decision="approve", comment=None,
                      password=PASSWORD)


@pytest.mark.real_pdfs
def test_approval_applies_the_changes_and_seals_the_amendment_and_the_new_convention(
        running, people, tmp_path):
    furniture, works = line(running, "programme"), line(running, "commune")
    first_convention = documents.latest(running, documents.CONVENTION_SIGNED)
    indicator = running.indicators[0]
    amendment = _propose(people["member"], running, end_date="2027-06-30", lines={
        furniture.id: {"amount": "47000"}, works.id: {"amount": "33000"}},
        indicators={indicator.id: {"target": "150"}})
    assert amendment.party_list == ["commune", "association", "programme"]
    sign(people["president"], amendment)
    sign(people["chair"], amendment)
    assert furniture.amount == Decimal("40000.00")  # not before the last sign-off
    sign(people["officer"], amendment)
    db.session.expire_all()

    assert amendment.status == "approved" and services.locked_keys(running) == {}
    assert (furniture.amount, works.amount) == (Decimal("47000.00"), Decimal("33000.00"))
    assert running.end_date == dt.date(2027, 6, 30)
    assert running.indicators[0].target == Decimal("150.00")

    sealed = db.session.get(documents.RegisteredDocument, amendment.document_id)
    consolidated = db.session.get(documents.RegisteredDocument, amendment.consolidated_id)
    assert sealed.kind == "amendment" and sealed.sealed
    assert consolidated.kind == "convention_signed" and consolidated.sealed
    assert consolidated.version == first_convention.version + 1
    assert consolidated.supersedes_id == first_convention.id
    assert sealing.validate(documents.stored_bytes(sealed)).ok

    text = pdf_text(documents.stored_bytes(consolidated), tmp_path)
    assert "47 000,00" in text and "33 000,00" in text  # the new figures, French part
    from tests.documents.conftest import first_page_png

    first_page_png(documents.stored_bytes(consolidated), "consolidated-convention", tmp_path)
    assert "Consolidated" in text or "consolid" in text.lower()
    amendment_text = pdf_text(documents.stored_bytes(sealed), tmp_path)
    for figure in ("40 000,00", "47 000,00", "7 000,00", "44,44", "52,22"):
        assert figure in amendment_text, figure
    for signer in ("president", "chair", "officer"):
        assert people[signer].full_name in amendment_text

    earlier = documents.verify_reference(first_convention.code)
    assert earlier.authentic and earlier.superseded_by.id == consolidated.id
    assert {s.gate for s in earlier.signoffs} == {"convention"}
    latest = documents.verify_reference(consolidated.code)
    assert latest.authentic and latest.superseded_by is None
    assert {s.party for s in latest.signoffs} == {"commune", "association", "programme"}
    actions = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.project_id == running.id)))
    assert {"amendment.proposed", "amendment.approved", "project.amended",
            "document.sealed"} <= actions


@pytest.mark.real_pdfs
@pytest.mark.parametrize("language", ["ar", "fr"])
def test_amendment_pdf_in_each_language_keeps_figures_in_order(running, people, tmp_path,
                                                               language):
    from tests.documents.conftest import first_page_png, pdf_words, printed_left_to_right

    furniture, works = line(running, "programme"), line(running, "commune")
    amendment = _propose(people["agent"], running, end_date="2027-06-30", lines={
        furniture.id: {"amount": "47000"}, works.id: {"amount": "33000"}})
    document = documents.produce(running, documents.AMENDMENT, people["agent"], language,
                                 gate=services.GATE, context=services.document_context(amendment))
    pdf = documents.stored_bytes(document)
    words = pdf_words(pdf, tmp_path)
    figure = "47.000,00" if language == "ar" else "47"
    assert any(w[3] == figure for w in words), sorted({w[3] for w in words})[:80]
    if language == "fr":
        assert printed_left_to_right(words, ["47", "000,00", "MAD"])
    assert printed_left_to_right(words, ["52,22", "%"])
    first_page_png(pdf, f"amendment-{language}", tmp_path)


@pytest.mark.real_pdfs
def test_change_of_signatory_names_the_new_one_in_the_consolidated_convention(
        running, people, commune, tmp_path):
    from tadafur.accounts.models import Role
    from tests.factories import make_user

    deputy = make_user(Role.COMMUNE_SIGNATORY, commune)
    assert services.current_signatory(running, "commune").id == people["president"].id
    amendment = _propose(people["agent"], running, signatories={"commune": str(deputy.id)})
    assert amendment.kind_list == ["signatory"]
    assert amendment.party_list == ["commune", "association", "programme"]
    assert services.locked_keys(running) == {"signatory:commune": 1}
    [row] = services.diff(amendment).fields
    assert (row.before, row.after) == (people["president"].full_name, deputy.full_name)
    for signer in ("president", "chair", "officer"):
        sign(people[signer], amendment)
    db.session.expire_all()
    assert services.current_signatory(running, "commune").id == deputy.id
    consolidated = db.session.get(documents.RegisteredDocument, amendment.consolidated_id)
    assert deputy.full_name in pdf_text(documents.stored_bytes(consolidated), tmp_path)


def test_a_signatory_outside_the_commune_is_refused(running, people, other_commune):
    from tadafur.accounts.models import Role
    from tests.factories import make_user

    stranger = make_user(Role.COMMUNE_SIGNATORY, other_commune)
    with pytest.raises(services.AmendmentError) as refused:
        services.propose(people["agent"], running, "x", services.Proposal(
            signatories={"commune": str(stranger.id)}))
    assert refused.value.field == "signatory-commune"


def test_overdue_amendments_remind_the_awaited_signatories_then_the_officers(running, people):
    from tadafur.notifications.models import Notification

    amendment = _propose(people["agent"], running, activities={
        running.activities[0].id: {"title": "Atelier de lancement"}})
    sign(people["president"], amendment)

    def told(kind):
        return {n.user_id for n in db.session.scalars(select(Notification).where(
            Notification.kind == kind))}

    assert services.send_reminders() == 0  # not yet due (30 days)
    amendment.proposed_at -= dt.timedelta(days=31)
    db.session.commit()
    services.send_reminders()
    assert told("amendment_overdue") == {people["chair"].id}  # the commune has signed
    assert told("amendment_escalated") == set()
    amendment.proposed_at -= dt.timedelta(days=30)
    db.session.commit()
    services.send_reminders()
    services.send_reminders()
    assert told("amendment_escalated") == {people["officer"].id}
    assert len(list(db.session.scalars(select(Notification).where(
        Notification.kind.in_(["amendment_overdue", "amendment_escalated"]))))) == 2


@pytest.mark.real_pdfs
def test_the_stand_alone_sign_off_record_says_which_amendment_each_sign_off_bound_to(
        running, people, tmp_path):
    """Issue 15: the record of every sign-off named amendment sign-offs by their gate only."""
    furniture, works = line(running, "programme"), line(running, "commune")
    amendment = _propose(people["agent"], running, lines={
        furniture.id: {"amount": "42000"}, works.id: {"amount": "38000"}})
    sign(people["president"], amendment)
    sign(people["chair"], amendment)
    record = documents.produce(running, documents.SIGNOFF_RECORD, people["officer"], "fr")
    text = pdf_text(documents.stored_bytes(record), tmp_path)
    assert text.count(f"Avenant n° {amendment.number}") == 2, text  # the two sign-offs
