"""Forms of the project workspace: the proposal, its budget, activities and indicators, the
discussion, the workflow actions and the themes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    InputRequired,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from tadafur.forms_base import BaseForm, max_length, required
from tadafur.projects.services import (
    BUDGET_CATEGORIES,
    FUNDER_LABELS,
    INDICATOR_LEVELS,
    MESSAGE_MAX,
    PROJECT_FIELDS,
)


def entered():
    """Like required(), but zero is an answer (DataRequired refuses 0)."""
    return InputRequired(message=_l("This field is required."))


def finite(_form, field) -> None:
    """Refuse NaN and Infinity, which Decimal accepts and cannot compare."""
    if field.data is not None and hasattr(field.data, "is_finite") and not field.data.is_finite():
        raise StopValidation(_l("Enter a number."))


def not_negative(maximum: int = 10_000_000):
    """Zero or more, and small enough for the database column (never a 500)."""
    return NumberRange(min=0, max=maximum,
                       message=_l("Enter a number from 0 to %(max)s.", max=f"{maximum:,}"))


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ProjectForm(BaseForm):
    """Create (with the commune) or edit (with the version the form was opened at)."""

    commune_id = SelectField(_l("Commune"), coerce=int, validators=[required()])
    title_ar = StringField(_l("Title in Arabic"), validators=[Optional(), max_length(300)])
    title_fr = StringField(_l("Title in French"), validators=[max_length(300)])
    summary = TextAreaField(_l("Summary"), validators=[Optional(), max_length(5000)])
    objectives = TextAreaField(_l("Objectives"), validators=[Optional(), max_length(5000)])
    target_groups = TextAreaField(_l("Target groups"),
                                  validators=[Optional(), max_length(2000)])
    place = StringField(_l("Place"), validators=[Optional(), max_length(300)])
    start_date = DateField(_l("Start date"), validators=[Optional()],
                           render_kw={"type": "date"})
    end_date = DateField(_l("End date"), validators=[Optional()], render_kw={"type": "date"})
    beneficiaries_women = IntegerField(_l("Women beneficiaries"),
                                       validators=[Optional(), not_negative()], default=0)
    beneficiaries_men = IntegerField(_l("Men beneficiaries"),
                                     validators=[Optional(), not_negative()], default=0)
    beneficiaries_youth = IntegerField(_l("Young beneficiaries (15 to 34)"),
                                       validators=[Optional(), not_negative()], default=0)
    lead_association_id = SelectField(_l("Lead association"), coerce=int,
                                      validators=[required()])
    partner_ids = SelectMultipleField(_l("Partner associations"), coerce=int,
                                      validators=[Optional()])
    theme_ids = CheckboxList(_l("Themes"), coerce=int, validators=[Optional()])
    version = HiddenField()

    def validate_title_fr(self, field) -> None:
        if not (self.title_ar.data or field.data):
            raise ValidationError(_l("Give the project a title in Arabic or in French."))

    def validate_end_date(self, field) -> None:
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def values(self) -> dict:
        values = {name: getattr(self, name).data for name in PROJECT_FIELDS}
        for name in ("beneficiaries_women", "beneficiaries_men", "beneficiaries_youth"):
            values[name] = values[name] or 0
        for name in ("title_ar", "title_fr", "summary", "objectives", "target_groups", "place"):
            values[name] = values[name] or ""
        values["partner_ids"] = list(values["partner_ids"] or [])
        values["theme_ids"] = list(values["theme_ids"] or [])
        return values

    def expected_version(self) -> int | None:
        """The version the sender saw, from the request only: a form sent without it must
        not fall back to the project's current version (that would hide a conflict)."""
        raw = str((self.version.raw_data or [""])[0]).strip()
        return int(raw) if raw.isdigit() else None


class BudgetLineForm(BaseForm):
    category = SelectField(_l("Category"), choices=list(BUDGET_CATEGORIES.items()),
                           validators=[required()])
    description = StringField(_l("Description"), validators=[required(), max_length(300)])
    amount = DecimalField(_l("Amount (MAD)"), places=2,
                          validators=[entered(), finite, not_negative(999_999_999_999)],
                          render_kw={"inputmode": "decimal"})
    funder = SelectField(_l("Funder"), choices=[(f.value, label)
                                                for f, label in FUNDER_LABELS.items()],
                         validators=[required()])
    in_kind = BooleanField(_l("In kind (not cash)"))

    def values(self) -> dict:
        return {"category": self.category.data, "description": self.description.data,
                "amount": self.amount.data, "funder": self.funder.data,
                "in_kind": self.in_kind.data}


class ActivityForm(BaseForm):
    title = StringField(_l("Activity"), validators=[required(), max_length(300)])
    planned_start = DateField(_l("Planned start"), validators=[Optional()],
                              render_kw={"type": "date"})
    planned_end = DateField(_l("Planned end"), validators=[Optional()],
                            render_kw={"type": "date"})

    def validate_planned_end(self, field) -> None:
        if field.data and self.planned_start.data and field.data < self.planned_start.data:
            raise ValidationError(_l("The end date must not be before the start date."))

    def values(self) -> dict:
        return {"title": self.title.data, "planned_start": self.planned_start.data,
                "planned_end": self.planned_end.data}


class IndicatorForm(BaseForm):
    level = SelectField(_l("Level"), choices=list(INDICATOR_LEVELS.items()),
                        validators=[required()])
    name = StringField(_l("Indicator"), validators=[required(), max_length(300)])
    unit = StringField(_l("Unit"), validators=[required(), max_length(60)])
    baseline = DecimalField(_l("Baseline"), places=2,
                            validators=[Optional(), finite, not_negative(999_999_999)])
    target = DecimalField(_l("Target"), places=2,
                          validators=[entered(), finite, not_negative(999_999_999)])
    disaggregated = BooleanField(_l("Disaggregated by sex and age"), default=True)
    counts_people = BooleanField(_l("Counts the people reached (beneficiaries)"),
                                 default=False)

    def values(self) -> dict:
        return {"level": self.level.data, "name": self.name.data, "unit": self.unit.data,
                "baseline": self.baseline.data, "target": self.target.data,
                "disaggregated": self.disaggregated.data,
                "counts_people": self.counts_people.data}


class MessageForm(BaseForm):
    body = TextAreaField(_l("Message"), validators=[required(), max_length(MESSAGE_MAX)])


class ActionForm(BaseForm):
    """A workflow action; extra fields the engine asks for are read from the request."""

    trigger = HiddenField(validators=[required()])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), max_length(4000)])
    password = PasswordField(_l("Your password (to sign)"), validators=[Optional()])
    code = StringField(_l("Code of your authenticator app"),
                       validators=[Optional(), max_length(32)])


class ThemeForm(BaseForm):
    code = StringField(_l("Code"), validators=[
        required(), max_length(40),
        Regexp(r"^[a-z][a-z0-9_]*$",
               message=_l("Lower-case letters, digits and underscores only."))])
    name_ar = StringField(_l("Name in Arabic"), validators=[required(), max_length(200)])
    name_fr = StringField(_l("Name in French"), validators=[required(), max_length(200)])
    name_en = StringField(_l("Name in English"), validators=[required(), max_length(200)])
    active = BooleanField(_l("Offered for new projects"), default=True)

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "code", "name_ar", "name_fr", "name_en", "active")}
