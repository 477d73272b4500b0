"""Forms of the execution tab: tranches, expenses, activity progress, indicator values and
evidence files. Choices that depend on the project are filled by the views."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, StopValidation

from tadafur.forms_base import BaseForm, max_length, required
from tadafur.projects.forms import entered, finite

MAX_AMOUNT = 999_999_999_999


def parsed(_form, field) -> None:
    """Stop at "not a valid number": a range message on top of it would only confuse."""
    if field.data is None and field.process_errors:
        raise StopValidation()


def positive_amount():
    return NumberRange(min=0.01, max=MAX_AMOUNT,
                       message=_l("Enter an amount greater than zero."))


def date_field(label, optional: bool = False) -> DateField:
    validators = [Optional()] if optional else [entered()]  # keeps "Not a valid date"
    return DateField(label, validators=validators, render_kw={"type": "date"})


class TrancheForm(BaseForm):
    funder = SelectField(_l("Funder"), validators=[required()])
    amount = DecimalField(_l("Amount (MAD)"), places=2,
                          validators=[entered(), parsed, finite, positive_amount()],
                          render_kw={"inputmode": "decimal"})
    planned_on = date_field(_l("Planned date"), optional=True)
    paid_on = date_field(_l("Paid on"), optional=True)
    justification = TextAreaField(_l("Justification (when paying more than the budget)"),
                                  validators=[Optional(), max_length(2000)])

    def values(self) -> dict:
        return {name: getattr(self, name).data
                for name in ("funder", "amount", "planned_on", "paid_on", "justification")}


class PayTrancheForm(BaseForm):
    paid_on = date_field(_l("Paid on"))
    justification = TextAreaField(_l("Justification (when paying more than the budget)"),
                                  validators=[Optional(), max_length(2000)])


class ExpenseForm(BaseForm):
    budget_line_id = SelectField(_l("Budget line"), coerce=int, validators=[required()])
    amount = DecimalField(_l("Amount (MAD)"), places=2,
                          validators=[entered(), parsed, finite, positive_amount()],
                          render_kw={"inputmode": "decimal"})
    spent_on = date_field(_l("Date"))
    description = StringField(_l("Description"), validators=[required(), max_length(300)])

    def values(self) -> dict:
        return {name: getattr(self, name).data
                for name in ("budget_line_id", "amount", "spent_on", "description")}


class ProgressForm(BaseForm):
    activity_id = SelectField(_l("Activity"), coerce=int, validators=[required()])
    percent = IntegerField(_l("Progress (%)"), validators=[
        entered(), parsed,
        NumberRange(min=0, max=100, message=_l("Enter a percentage from 0 to 100."))],
        render_kw={"inputmode": "numeric"})
    note = TextAreaField(_l("Progress note"), validators=[Optional(), max_length(4000)])

    def values(self) -> dict:
        return {"activity_id": self.activity_id.data, "percent": self.percent.data,
                "note": self.note.data}


def cell(label) -> DecimalField:
    return DecimalField(label, places=2, validators=[
        Optional(), parsed, finite, NumberRange(min=0, max=MAX_AMOUNT,
                                        message=_l("Enter a number of zero or more."))],
        render_kw={"inputmode": "decimal"})


class IndicatorValueForm(BaseForm):
    indicator_id = SelectField(_l("Indicator"), coerce=int, validators=[required()])
    period_start = date_field(_l("Period from"))
    period_end = date_field(_l("Period until"))
    women_youth = cell(_l("Young women (15 to 34)"))
    women_adult = cell(_l("Women (35 and over)"))
    men_youth = cell(_l("Young men (15 to 34)"))
    men_adult = cell(_l("Men (35 and over)"))
    total = cell(_l("Total (when not by sex and age)"))
    note = StringField(_l("Source or note"), validators=[Optional(), max_length(1000)])

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "indicator_id", "period_start", "period_end", "women_youth", "women_adult",
            "men_youth", "men_adult", "total", "note")}


class AttachmentForm(BaseForm):
    file = FileField(_l("File (PDF, JPEG or PNG)"))
    activity_id = SelectField(_l("Activity"), coerce=int, default=0, validators=[Optional()])
    caption = StringField(_l("Caption"), validators=[Optional(), max_length(300)])
