"""Forms of the monitoring reports, the final report and the evaluation.

Fields only parse what was typed; the rules (periods within the project, no overlap, scores
from 1 to 4 with a justification) are the service's, so the same message appears whatever
the way in.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from tadafur.forms_base import BaseForm, max_length
from tadafur.reporting.models import CRITERIA
from tadafur.reporting.services import MAX_TEXT, SCORE_LABELS


def _text(label, rows: int = 6) -> TextAreaField:
    return TextAreaField(label, validators=[Optional(), max_length(MAX_TEXT)],
                         render_kw={"rows": rows})


class MonitoringReportForm(BaseForm):
    period_start = DateField(_l("First day of the period"), validators=[Optional()],
                             render_kw={"type": "date"})
    period_end = DateField(_l("Last day of the period"), validators=[Optional()],
                           render_kw={"type": "date"})
    narrative = _text(_l("Narrative"))
    achievements = _text(_l("Achievements"))
    difficulties = _text(_l("Difficulties"))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("period_start", "period_end", "narrative", "achievements", "difficulties")}


class ValidationForm(BaseForm):
    decision = SelectField(_l("Decision"), choices=[
        ("approve", _l("Validate the report")), ("return", _l("Return it for corrections"))],
        validate_choice=False)
    comment = _text(_l("Comment (required to return it)"), rows=3)
    password = PasswordField(_l("Your password (to sign)"), validators=[Optional()])
    code = StringField(_l("Code of your authenticator app"),
                       validators=[Optional(), max_length(32)])


class FinalReportForm(BaseForm):
    narrative = _text(_l("Technical narrative"), rows=8)
    lessons = _text(_l("Lessons learned"))
    committee_date = DateField(_l("Date of the joint monitoring committee"),
                               validators=[Optional()], render_kw={"type": "date"})
    committee_attendees = _text(_l("Attendees of the committee"), rows=3)
    committee_decisions = _text(_l("Decisions of the committee"), rows=4)
    financial_justification = _text(
        _l("Justification of the financial closure (money not disbursed, spending above "
           "what was disbursed)"), rows=4)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("narrative", "lessons", "committee_date", "committee_attendees",
                 "committee_decisions", "financial_justification")}


def _score_choices() -> list[tuple[str, str]]:
    return [("", _l("Choose a score")), *((str(k), v) for k, v in SCORE_LABELS.items())]


class ScoresForm(BaseForm):
    """Six criteria, each a score (1 to 4) and its justification; lessons, recommendations."""

    lessons = _text(_l("Lessons learned"), rows=4)
    recommendations = _text(_l("Recommendations"), rows=4)

    def values(self) -> dict:
        values = {"lessons": self.lessons.data, "recommendations": self.recommendations.data}
        for criterion in CRITERIA:
            for suffix in ("score", "justification"):
                name = f"{criterion}_{suffix}"
                values[name] = getattr(self, name).data
        return values

    def criteria(self) -> list[tuple[str, object, object]]:
        return [(criterion, getattr(self, f"{criterion}_score"),
                 getattr(self, f"{criterion}_justification")) for criterion in CRITERIA]


for _criterion in CRITERIA:
    setattr(ScoresForm, f"{_criterion}_score", SelectField(
        _l("Score (1 to 4)"), choices=_score_choices, validate_choice=False))
    setattr(ScoresForm, f"{_criterion}_justification", TextAreaField(
        _l("Justification"), validators=[Optional(), max_length(MAX_TEXT)],
        render_kw={"rows": 2}))


class ParticipationForm(BaseForm):
    women_participants = StringField(_l("Women who took part"), validators=[Optional()],
                                     render_kw={"inputmode": "numeric"})
    youth_participants = StringField(_l("Young people who took part (15 to 34)"),
                                     validators=[Optional()],
                                     render_kw={"inputmode": "numeric"})
    participation_notes = _text(_l("Comments on participation"), rows=3)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in
                ("women_participants", "youth_participants", "participation_notes")}
