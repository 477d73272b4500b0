from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tadafur.organisations.models import Association
from tests.factories import login


def test_officer_registers_an_association(client, officer, commune):
    login(client, officer)
    response = client.post("/associations/new", data={
        "name_ar": "جمعية الأمل", "name_fr": "Association Al Amal", "receipt_number": "R-2020-17",
        "founded_on": "2020-03-01", "commune_id": commune.id, "contact_phone": "+212 600 00 00 00"})
    assert response.status_code == 303
    association = db.session.scalar(select(Association).where(
        Association.receipt_number == "R-2020-17"))
    assert association.commune_id == commune.id
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "association.created", AuditEvent.object_id == str(association.id)))


def test_bad_association_input_is_explained(client, officer, association, commune):
    login(client, officer)
    for data in (
        {"name_ar": "", "name_fr": "", "receipt_number": "", "commune_id": ""},
        {"name_ar": "a", "name_fr": "b", "receipt_number": association.receipt_number,
         "commune_id": commune.id},
        {"name_ar": "a", "name_fr": "b", "receipt_number": "N1", "commune_id": commune.id,
         "founded_on": "31/31/2020", "contact_email": "not-an-email"},
    ):
        response = client.post("/associations/new", data=data)
        assert response.status_code == 422, data
        assert "field-error" in response.get_data(as_text=True)


def test_association_members_cannot_edit_the_register(client, member, association):
    login(client, member)
    assert client.get(f"/associations/{association.id}/edit").status_code == 403
