"""Administrators add and correct communes in the browser and by CSV; every change audited."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.extensions import db
from tadafur.organisations.models import Commune, Province, Region
from tests.factories import login

HEADER = "region_code,province_fr,name_ar,name_fr,name_en,kind,partner,official_code\n"


def _province(code="CS") -> Province:
    return db.session.scalar(select(Province).join(Region).where(Region.code == code)
                             .order_by(Province.name_fr))


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Commune))


def test_seeded_reference_data_has_the_programme_shape():
    assert db.session.scalar(select(func.count()).select_from(Region)) == 12
    programme = db.session.scalars(select(Region.code).where(Region.in_programme)).all()
    assert sorted(programme) == ["BMK", "CS", "OR", "SM", "TTA"]
    assert db.session.scalar(select(func.count()).where(Commune.is_partner)) == 60
    assert _count() > 400


def test_seeding_again_adds_nothing():
    from tadafur.organisations.services import seed_reference_data

    assert seed_reference_data() == {"regions": 0, "provinces": 0, "communes": 0,
                                     "institutions": 0}


def test_admin_adds_a_commune_and_it_is_audited(client, admin):
    login(client, admin)
    province = _province()
    response = client.post("/communes/new", data={
        "name_ar": "جماعة تجريبية", "name_fr": "Commune Essai", "name_en": "Test Commune",
        "province_id": province.id, "kind": "urban", "is_partner": "y",
        "official_code": "12.345.67"})
    assert response.status_code == 303
    commune = db.session.scalar(select(Commune).where(Commune.name_fr == "Commune Essai"))
    assert commune.is_partner and commune.official_code == "12.345.67"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "commune.created"))
    assert "Commune Essai" in event.after


def test_admin_corrects_a_commune_with_before_and_after(client, admin, commune):
    login(client, admin)
    old = commune.name_fr
    response = client.post(f"/communes/{commune.id}/edit", data={
        "name_ar": commune.name_ar, "name_fr": "Nom corrigé", "name_en": commune.name_en,
        "province_id": commune.province_id, "kind": commune.kind, "is_partner": "y"})
    assert response.status_code == 303
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "commune.updated")
                               .order_by(AuditEvent.seq.desc())).first()
    assert old in event.before and "Nom corrigé" in event.after
    assert event.commune_id == commune.id


def test_bad_commune_input_gets_messages_not_errors(client, admin, commune):
    login(client, admin)
    cases = [
        {"name_ar": "", "name_fr": "", "name_en": "", "province_id": "", "kind": "rural"},
        {"name_ar": "x" * 500, "name_fr": "y", "name_en": "z", "province_id": commune.province_id,
         "kind": "rural"},
        {"name_ar": "x", "name_fr": "y", "name_en": "z", "province_id": "not-a-number",
         "kind": "volcanic"},
        {"name_ar": "x", "name_fr": "y", "name_en": "z", "province_id": 999999, "kind": "rural"},
    ]
    for data in cases:
        response = client.post("/communes/new", data=data)
        assert response.status_code == 422, data
        assert "field-error" in response.get_data(as_text=True)


def test_duplicate_official_code_is_refused(client, admin, commune, other_commune):
    commune.official_code = "99.1"
    db.session.commit()
    login(client, admin)
    response = client.post(f"/communes/{other_commune.id}/edit", data={
        "name_ar": other_commune.name_ar, "name_fr": other_commune.name_fr,
        "name_en": other_commune.name_en, "province_id": other_commune.province_id,
        "kind": other_commune.kind, "official_code": "99.1"})
    assert response.status_code == 422
    assert "already has this official code" in response.get_data(as_text=True)


def test_non_admins_cannot_change_communes(client, officer, agent, commune):
    for user in (officer, agent):
        login(client, user)
        assert client.get("/communes").status_code == 200
        assert client.post(f"/communes/{commune.id}/edit", data={}).status_code == 403
        client.post("/logout")


def test_communes_list_filters_and_pages_by_keyset(client, agent):
    agent.locale = "ar"
    db.session.commit()
    login(client, agent)
    first = client.get("/communes?partner=1").get_data(as_text=True)
    assert "after_id=" in first
    region = db.session.scalar(select(Region).where(Region.code == "OR"))
    page = client.get(f"/communes?region={region.id}", headers={
        "HX-Request": "true", "HX-Target": "commune-rows"}).get_data(as_text=True)
    assert "<html" not in page
    other = db.session.scalar(select(Region).where(Region.code == "CS"))
    assert page.count(f">{region.name_ar}</td>") >= 10
    assert f">{other.name_ar}</td>" not in page


# ------------------------------------------------------------------ CSV import

def test_cli_import_creates_and_corrects(app, tmp_path, commune):
    province = commune.province
    csv_text = HEADER + (
        f"{province.region.code},{province.name_fr},جماعة جديدة,Nouvelle Commune,New Commune,"
        "rural,yes,77.001\n"
        f"{province.region.code},{province.name_fr},{commune.name_ar},{commune.name_fr},"
        f"{commune.name_en},{commune.kind},no,77.002\n")
    path = tmp_path / "communes.csv"
    path.write_text(csv_text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["communes", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 communes added, 1 corrected" in result.output
    db.session.expire_all()
    assert commune.official_code == "77.002" and not commune.is_partner


def test_cli_import_reports_bad_lines_and_writes_nothing(app, tmp_path, commune):
    province = commune.province
    before = _count()
    csv_text = HEADER + (
        f"{province.region.code},{province.name_fr},أ,Bonne Ligne,Good,rural,yes,\n"
        "XX,Nowhere,ب,Mauvaise,Bad,rural,yes,\n"
        f"{province.region.code},{province.name_fr},ج,Autre,Other,volcanic,maybe,\n")
    path = tmp_path / "bad.csv"
    path.write_text(csv_text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["communes", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3: unknown province 'Nowhere'" in result.output
    assert "line 4: partner must be yes or no" in result.output
    assert "nothing was imported" in result.output
    assert _count() == before


def test_cli_import_refuses_missing_columns_and_non_utf8(app, tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("name_fr\nX\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["communes", "import", str(path)])
    assert result.exit_code == 1 and "missing columns" in result.output
    path.write_bytes("name_fr\n\xe9\n".encode("latin-1"))
    result = app.test_cli_runner().invoke(args=["communes", "import", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output


def test_web_import_shows_line_numbers_and_writes_nothing(client, admin, commune):
    login(client, admin)
    before = _count()
    data = HEADER + f"{commune.province.region.code},Nowhere,أ,X,X,rural,yes,\n"
    response = client.post("/communes/import", data={
        "file": (io.BytesIO(data.encode()), "c.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Line 2" in response.get_data(as_text=True)
    assert _count() == before
    response = client.post("/communes/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422
