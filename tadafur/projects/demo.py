"""Demo co-creation projects: one in every state of the default workflow, spread over the ten
showcase partner communes, each walked there through the real services (creation, editing,
sign-offs with the password, transitions with their comments and recorded fields), so their
history, sign-offs, documents and audit trail are genuine.

Idempotent: a project is recognised by its French title and commune and never made twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from tadafur.accounts.models import Membership, Role, User
from tadafur.demo.seed import DEMO_PASSWORD, seed_associations, showcase_communes
from tadafur.execution.demo import record_execution
from tadafur.extensions import db
from tadafur.models_base import frozen, today
from tadafur.organisations.models import Association, Commune
from tadafur.projects import services
from tadafur.projects.models import Project, Theme
from tadafur.reporting.demo import STEPS as REPORTING_STEPS
from tadafur.workflow import services as workflow

# The path from a new draft to each state; each step is (who, trigger, comment, data).
# TODAY in the data stands for the day the step is walked on (see `schedule`).
TODAY = "@today"
ENDORSE = [("president", "signoff:endorsement", None, {"decision": "approve"}),
           ("chair", "signoff:endorsement", None, {"decision": "approve"}),
           ("agent", "submit", None, {})]
ELIGIBLE = [*ENDORSE, ("officer", "declare_eligible", "Dossier complet et éligible.", {})]
SELECTED = [*ELIGIBLE, ("officer", "record_selection", "Retenu par le comité.",
                        {"committee_date": TODAY, "score": "82"})]
DELIBERATED = [*SELECTED, ("agent", "record_deliberation", None, {
    "session_date": TODAY, "session_number": "07/2026", "vote_for": "21",
    "vote_against": "2", "vote_abstain": "1"})]
VISA = [*DELIBERATED, ("agent", "record_visa", None, {"visa_date": TODAY,
                                                       "visa_reference": "VISA-2026-114"})]
CONVENTION = [*VISA, ("officer", "prepare_convention", None, {})]
EXECUTION = [*CONVENTION,
             ("president", "signoff:convention", None, {"decision": "approve"}),
             ("chair", "signoff:convention", None, {"decision": "approve"}),
             ("officer", "signoff:convention", "Signée pour le programme.",
              {"decision": "approve"}),
             ("member", "execution_records", None, {})]  # tranches, expenses, values...
COMPLETED = [*EXECUTION, ("agent", "activities_done", None, {}),
             ("agent", "complete", None, {})]
# The final report and the evaluation's scores are written through tadafur.reporting.
REPORTED = [*COMPLETED, ("member", "final_report_written", None, {}),
            ("member", "submit_final_report", None, {})]
VALIDATED = [*REPORTED, ("agent", "signoff:report_validation", None, {"decision": "approve"}),
             ("officer", "signoff:report_validation", None, {"decision": "approve"})]
EVALUATED = [*VALIDATED, ("officer", "evaluation_scored", None, {}),
             ("officer", "submit_evaluation", None, {})]
CLOSED = [*EVALUATED,
          ("president", "signoff:joint_evaluation", None, {"decision": "approve"}),
          ("chair", "signoff:joint_evaluation", None, {"decision": "approve"}),
          ("officer", "signoff:joint_evaluation", None, {"decision": "approve"})]

Step = tuple[str, str, str | None, dict]


@dataclass(frozen=True)
class DemoProject:
    title_fr: str
    title_ar: str
    theme: str
    steps: list[Step]
    complete: bool = True
    amount: int = 40000


DEMO_PROJECTS = [
    DemoProject("Conseil communal des jeunes", "المجلس الجماعي للشباب",
                "youth_participation", [], complete=False),
    DemoProject("Budget participatif des femmes", "الميزانية التشاركية للنساء",
                "women_participation",
                [*ENDORSE, ("officer", "request_changes",
                            "Merci de préciser la contribution de la commune.", {})]),
    DemoProject("Espace de dialogue de quartier", "فضاء الحوار بالحي", "dialogue_spaces",
                ENDORSE),
    DemoProject("Plateforme numérique de doléances", "منصة رقمية للشكايات",
                "digital_participation", ELIGIBLE),
    DemoProject("Jardins partagés et citoyenneté", "حدائق مشتركة ومواطنة", "environment",
                SELECTED),
    DemoProject("Caravane culturelle des douars", "القافلة الثقافية للدواوير", "culture",
                DELIBERATED),
    DemoProject("Inclusion des personnes en situation de handicap",
                "إدماج الأشخاص في وضعية إعاقة", "social_inclusion", VISA),
    DemoProject("Maison des associations", "دار الجمعيات", "dialogue_spaces", CONVENTION,
                amount=90000),
    DemoProject("Forum local de la jeunesse", "المنتدى المحلي للشباب", "youth_participation",
                [*EXECUTION, ("member", "monitoring_report", None, {})], amount=70000),
    DemoProject("Alphabétisation numérique des femmes", "محو الأمية الرقمية للنساء",
                "women_participation",
                [*EXECUTION, ("officer", "suspend", "Suspension en attendant le local.", {})],
                amount=60000),
    DemoProject("Nettoyage citoyen du littoral", "التنظيف المواطن للساحل", "environment",
                [*EXECUTION, ("officer", "terminate",
                              "L'association partenaire a cessé ses activités.", {})],
                amount=55000),
    DemoProject("Festival des arts de la rue", "مهرجان فنون الشارع", "culture", COMPLETED,
                amount=65000),
    DemoProject("Espace jeunes et emploi", "فضاء الشباب والتشغيل", "youth_participation",
                REPORTED, amount=80000),
    DemoProject("Dialogue intergénérationnel", "الحوار بين الأجيال", "dialogue_spaces",
                VALIDATED, amount=52000),
    DemoProject("Tables rondes citoyennes", "موائد مستديرة مواطنة", "social_inclusion",
                EVALUATED, amount=58000),
    DemoProject("Conseil des enfants", "مجلس الأطفال", "youth_participation", CLOSED,
                amount=75000),
    # Two more closed projects, so the public showcase and the lessons library have several.
    DemoProject("Budget participatif des jeunes", "الميزانية التشاركية للشباب",
                "youth_participation", CLOSED, amount=68000),
    DemoProject("Espace femmes et citoyenneté", "فضاء النساء والمواطنة",
                "women_participation", CLOSED, amount=62000),
    DemoProject("Éclairage public solaire", "الإنارة العمومية بالطاقة الشمسية", "environment",
                [*ENDORSE, ("officer", "reject",
                            "Projet d'infrastructure hors du champ du programme.", {})]),
]


def _person(role: Role, organisation, email: str, name: str, password_hash: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user
    key = "commune_id" if isinstance(organisation, Commune) else "association_id"
    user = User(email=email, full_name=name, locale="ar", password_hash=password_hash)
    user.memberships = [Membership(role=role.value, **{key: organisation.id})]
    db.session.add(user)
    db.session.flush()
    return user


def _cast(index: int, commune: Commune, association: Association, officer: User,
          password_hash: str) -> dict[str, User]:
    """The people of one commune and its association (the main demo accounts for the first)."""
    if index == 0:
        emails = {"agent": "agent@demo.tadafur.ma", "president": "president@demo.tadafur.ma",
                  "member": "member@demo.tadafur.ma", "chair": "chair@demo.tadafur.ma"}
        found = {k: db.session.scalar(select(User).where(User.email == v))
                 for k, v in emails.items()}
        if all(found.values()):
            return {**found, "officer": officer}
    return {
        "agent": _person(Role.COMMUNE_AGENT, commune, f"agent{index}@demo.tadafur.ma",
                         f"Agent {commune.name_fr}", password_hash),
        "president": _person(Role.COMMUNE_SIGNATORY, commune,
                             f"president{index}@demo.tadafur.ma",
                             f"Président(e) {commune.name_fr}", password_hash),
        "member": _person(Role.ASSOCIATION_MEMBER, association,
                          f"member{index}@demo.tadafur.ma",
                          f"Membre {association.name_fr[:60]}", password_hash),
        "chair": _person(Role.ASSOCIATION_SIGNATORY, association,
                         f"chair{index}@demo.tadafur.ma",
                         f"Président(e) {association.name_fr[:60]}", password_hash),
        "officer": officer,
    }


# Days from a step to the next one: the demo walks each project on plausible dates (the
# settable clock, `tadafur.models_base.frozen`), so the workflow's date rules hold as they
# would for real partners. The execution records take seven months after the signature.
GAPS = {"submit": 7, "declare_eligible": 10, "record_selection": 20,
        "record_deliberation": 12, "record_visa": 5, "prepare_convention": 5,
        "execution_records": 200, "monitoring_report": 3, "complete": 5,
        "final_report_written": 1, "submit_final_report": 3, "evaluation_scored": 1,
        "submit_evaluation": 2, "signoff:convention": 0}


def schedule(steps: list[Step], last: dt.date) -> list[dt.date]:
    """The day of each step, the last one on `last`."""
    if not steps:
        return []
    days = [last]
    for previous in reversed(steps[:-1]):
        days.insert(0, days[0] - dt.timedelta(days=GAPS.get(previous[1], 1)))
    return days


def _period(steps: list[Step], days: list[dt.date], today: dt.date) -> tuple[dt.date, dt.date]:
    """Starts the day after the convention's signature (or in a month, when not signed)."""
    signed = [d for (_w, t, _c, _d), d in zip(steps, days, strict=True)
              if t == "signoff:convention"]
    start = signed[-1] + dt.timedelta(days=1) if signed and len(signed) == 3 else \
        today + dt.timedelta(days=30)
    return start, start + dt.timedelta(days=240)


def _fill(project: Project, cast: dict[str, User], spec: DemoProject,
          period: tuple[dt.date, dt.date]) -> None:
    """Both sides co-write: the association drafts the texts, the commune adds the budget."""
    services.update_project(cast["member"], project, {
        "summary": f"{spec.title_fr} : un projet co-construit par la commune et l'association.",
        "objectives": "Renforcer la participation citoyenne et le dialogue avec la commune.",
        "target_groups": "Jeunes de 15 à 34 ans, femmes, associations du quartier.",
        "place": "Maison communale", "start_date": period[0],
        "end_date": period[1], "beneficiaries_women": 60,
        "beneficiaries_men": 50, "beneficiaries_youth": 80}, project.version)
    third = Decimal(spec.amount) / 4
    for funder, amount, in_kind in (("programme", third * 2, False), ("commune", third, False),
                                    ("association", third, True)):
        services.add_budget_line(cast["agent"], project, {
            "category": "events", "description": f"Contribution ({funder})",
            "amount": amount, "funder": funder, "in_kind": in_kind})
    for title, month in (("Atelier de lancement", 4), ("Sessions de dialogue", 6),
                         ("Restitution publique", 11)):
        services.add_activity(cast["member"], project, {
            "title": title, "planned_start": dt.date(2026, month, 1),
            "planned_end": dt.date(2026, month, 20)})
    services.add_indicator(cast["member"], project, {
        "level": "output", "name": "Participants aux ateliers", "unit": "personnes",
        "baseline": Decimal("0"), "target": Decimal("120"), "disaggregated": True,
        "counts_people": True})


def _walk(project: Project, cast: dict[str, User], steps: list[Step], password: str,
          days: list[dt.date]) -> None:
    for (who, trigger, comment, data), day in zip(steps, days, strict=True):
        with frozen(day):
            _step(project, cast, cast[who], trigger, comment, data, password)


def _step(project: Project, cast: dict[str, User], actor: User, trigger: str,
          comment: str | None, data: dict, password: str) -> None:
    if trigger in REPORTING_STEPS:
        REPORTING_STEPS[trigger](project, cast, password)
        return
    if trigger == "execution_records":
        record_execution(project, cast)
        return
    if trigger == "activities_done":
        for activity in project.activities:
            services.set_activity_status(actor, project, activity.id, "done")
        return
    data = {k: today().isoformat() if v == TODAY else v for k, v in data.items()}
    workflow.fire(actor, project, trigger, comment=comment, data=data or None,
                  password=password if trigger.startswith("signoff:") else None)


def seed_projects() -> int:
    """Add the demo projects that are missing; return how many were added."""


    services.seed_themes()
    communes = showcase_communes()
    officer = db.session.scalar(select(User).where(User.email == "officer@demo.tadafur.ma"))
    if not communes or officer is None:
        return 0
    associations = seed_associations()
    themes = {t.code: t for t in db.session.scalars(select(Theme))}
    # The demo password is published; a lighter hash keeps `make run` fast for these extra
    # accounts (each demo sign-off checks the password, as a real one does).
    password_hash = generate_password_hash(DEMO_PASSWORD, method="pbkdf2:sha256:60000")
    added = 0
    for n, spec in enumerate(DEMO_PROJECTS):
        index = n % len(communes)
        commune, association = communes[index], associations[2 * index]
        if db.session.scalar(select(Project.id).where(Project.commune_id == commune.id,
                                                      Project.title_fr == spec.title_fr)):
            continue
        cast = _cast(index, commune, association, officer, password_hash)
        now = today()
        days = schedule(spec.steps, now - dt.timedelta(days=1))
        with frozen((days[0] if days else now) - dt.timedelta(days=3)):
            project = services.create_project(cast["member"] if n % 2 else cast["agent"], {
                "commune_id": commune.id, "lead_association_id": association.id,
                "title_fr": spec.title_fr, "title_ar": spec.title_ar,
                "partner_ids": [associations[2 * index + 1].id],
                "theme_ids": [themes[spec.theme].id] if spec.theme in themes else []})
            if spec.complete:
                _fill(project, cast, spec, _period(spec.steps, days, now))
        _walk(project, cast, spec.steps, DEMO_PASSWORD, days)
        services.post_message(cast["member"], project,
                              f"Bonjour @{cast['agent'].full_name}, la proposition est prête "
                              "pour votre relecture.")
        services.post_message(cast["agent"], project,
                              "Merci, nous avons ajouté la contribution de la commune.")
        added += 1
    db.session.flush()
    return added


SEEDER: Callable[[], int] = seed_projects
