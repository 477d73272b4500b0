"""Demo steps of the reporting module, used by the demo projects' walk
(tadafur/projects/demo.py): a validated monitoring report, a final report, the three
parties' evaluation. Each goes through the real services (password-signed validations)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tadafur.models_base import today
from tadafur.reporting import services
from tadafur.reporting.models import CRITERIA

# Lessons and recommendations of the closed demo projects (the lessons library searches them),
# in the language each party wrote in; others get the default pair.
LESSONS = {
    "Conseil des enfants": {
        "final": "Associer le conseil dès le lancement facilite la restitution.\n"
                 "Les enfants prennent la parole plus facilement en petits groupes.",
        "commune": ("إشراك المجلس الجماعي منذ البداية يسهل تتبع التوصيات.",
                    "تخصيص قاعة قارة للمجلس داخل مقر الجماعة."),
        "association": ("تكوين المنشطين على الإصغاء للأطفال شرط أساسي لنجاح الجلسات.",
                        "إشراك أولياء الأمور في جلسة الافتتاح."),
    },
    "Budget participatif des jeunes": {
        "final": "Un vote public des jeunes sur les propositions renforce la confiance.\n"
                 "Le calendrier budgétaire de la commune doit être annoncé tôt.",
        "commune": ("نشر نتائج التصويت في مقر الجماعة وعلى صفحتها عزز الشفافية.",
                    "ربط الميزانية التشاركية بدورة إعداد برنامج عمل الجماعة."),
        "association": ("Les jeunes femmes ont davantage voté quand les urnes étaient au "
                        "lycée.", "Prévoir des urnes mobiles dans les douars éloignés."),
    },
    "Espace femmes et citoyenneté": {
        "final": "Une garderie pendant les ateliers a doublé la présence des femmes.\n"
                 "Les horaires doivent suivre ceux des femmes, pas ceux de l'administration.",
        "commune": ("تنظيم الورشات في الفترة الصباحية يناسب النساء أكثر.",
                    "توفير فضاء دائم للنساء داخل دار الجماعة."),
        "association": ("La présence d'élues de la commune a encouragé la prise de parole.",
                        "Former des animatrices issues du quartier."),
    },
}
DEFAULT_LESSONS = ("Le dialogue régulier a renforcé la confiance.",
                   "Reconduire le dispositif avec les douars voisins.")

SCORES = {"commune": (3, 3, 4, 3, 3, 3), "association": (4, 3, 4, 3, 3, 4),
          "programme": (3, 3, 3, 2, 3, 3)}


def monitoring_report(project: Any, cast: dict, password: str) -> None:
    """The first quarter, reported on the values the execution demo recorded (it runs
    before), validated by the commune and the programme officer."""
    start = project.start_date or dt.date(2026, 4, 1)
    report = services.create_report(cast["member"], project, {
        "period_start": start, "period_end": start + dt.timedelta(days=90),
        "narrative": "Le lancement et trois sessions de dialogue ont eu lieu.",
        "achievements": "42 participants, dont 24 femmes et 32 jeunes.",
        "difficulties": "La salle n'était disponible que le samedi."})
    services.submit_report(cast["member"], report)
    services.validate_report(cast["agent"], report, "approve", None, password)
    services.validate_report(cast["officer"], report, "approve", "Conforme.", password)


def final_report(project: Any, cast: dict, password: str) -> None:
    services.save_final_report(cast["member"], project, {
        "narrative": "Toutes les activités ont été menées; 120 jeunes ont participé.",
        "lessons": LESSONS.get(project.title_fr, {}).get(
            "final", "Associer le conseil dès le lancement facilite la restitution."),
        "committee_date": today() - dt.timedelta(days=1),
        "committee_attendees": "Président de la commune, présidente de l'association, "
                               "chargé de programme Enabel",
        "committee_decisions": "Le rapport final est adopté; la restitution publique aura "
                               "lieu en janvier."})


def evaluation(project: Any, cast: dict, password: str) -> None:
    people = {"commune": cast["agent"], "association": cast["member"],
              "programme": cast["officer"]}
    for party, marks in SCORES.items():
        lesson, recommendation = LESSONS.get(project.title_fr, {}).get(party, DEFAULT_LESSONS)
        values = {"lessons": lesson, "recommendations": recommendation}
        for criterion, mark in zip(CRITERIA, marks, strict=True):
            values[f"{criterion}_score"] = str(mark)
            values[f"{criterion}_justification"] = "Constaté lors du comité de suivi."
        services.save_scores(people[party], project, party, values)
    services.save_participation(cast["officer"], project, {
        "women_participants": "64", "youth_participants": "88",
        "participation_notes": "Les jeunes femmes ont animé deux sessions."})


STEPS: dict[str, Callable[[Any, dict, str], None]] = {
    "monitoring_report": monitoring_report,
    "final_report_written": final_report,
    "evaluation_scored": evaluation,
}
