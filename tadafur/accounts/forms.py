"""Forms of the accounts module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form as PlainForm,
    FormField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, Optional

from tadafur.accounts.models import Role
from tadafur.forms_base import BaseForm, max_length, required

ROLE_LABELS = {
    Role.COMMUNE_AGENT: _l("Commune agent"),
    Role.COMMUNE_SIGNATORY: _l("Commune signatory"),
    Role.ASSOCIATION_MEMBER: _l("Association member"),
    Role.ASSOCIATION_SIGNATORY: _l("Association signatory"),
    Role.PROGRAMME_OFFICER: _l("Programme officer"),
    Role.MINISTRY_REVIEWER: _l("Ministry reviewer"),
    Role.ADMIN: _l("Administrator"),
}


class LoginForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[required(), max_length(254)])
    password = PasswordField(_l("Password"), validators=[required(), max_length(200)])


class SetPasswordForm(BaseForm):
    password = PasswordField(_l("New password"), validators=[required(), max_length(200)])
    confirmation = PasswordField(_l("New password again"),
                                 validators=[required(), max_length(200)])


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField(_l("Current password"), validators=[required(), max_length(200)])


class MembershipRow(PlainForm):
    role = SelectField(_l("Role"), choices=[], validators=[Optional()])
    organisation = SelectField(_l("Organisation"), choices=[], validators=[Optional()])


class UserForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[
        required(), max_length(254), Email(message=_l("Enter a valid e-mail address."))])
    full_name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    locale = SelectField(_l("Language"), choices=[("", "—"), ("ar", "العربية"),
                                                  ("fr", "Français"), ("en", "English")],
                         validators=[Optional()])
    civility = SelectField(_l("Title in documents"),
                           choices=[("", "—"), ("f", _l("Madam (la Présidente, الرئيسة)")),
                                    ("m", _l("Sir (le Président, الرئيس)"))],
                           validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)
    memberships = FieldList(FormField(MembershipRow), min_entries=3, max_entries=6)

    def set_choices(self, organisations: list[tuple[str, str]]) -> None:
        roles = [("", "—")] + [(role.value, str(label)) for role, label in ROLE_LABELS.items()]
        for row in self.memberships:
            row.role.choices = roles
            row.organisation.choices = [("", "—"), *organisations]


class AuditorGrantForm(BaseForm):
    email = EmailField(_l("E-mail address"), validators=[
        required(), max_length(254), Email(message=_l("Enter a valid e-mail address."))])
    full_name = StringField(_l("Full name"), validators=[required(), max_length(120)])
    communes = SelectMultipleField(_l("Communes"), coerce=int, validators=[Optional()])
    projects = StringField(_l("Project references (separated by commas)"),
                           validators=[Optional(), max_length(2000)])
    expires_on = DateField(_l("Access ends on"), validators=[required()],
                           render_kw={"type": "date"})
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(1000)])
