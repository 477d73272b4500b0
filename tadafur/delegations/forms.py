"""The form to delegate one's sign-off."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tadafur.delegations.services import REASON_MAX
from tadafur.forms_base import BaseForm, max_length, required


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DelegationForm(BaseForm):
    membership_id = SelectField(_l("Role you delegate"), coerce=int,
                                validators=[required()])
    delegate_id = SelectField(_l("Delegate (a member of the same organisation)"), coerce=int,
                              validators=[required()])
    starts_on = DateField(_l("First day"), validators=[required()],
                          render_kw={"type": "date"})
    ends_on = DateField(_l("Last day"), validators=[required()], render_kw={"type": "date"})
    scope = RadioField(_l("Projects"), default="all", choices=[
        ("all", _l("All my projects")), ("some", _l("Only the projects chosen below"))])
    project_ids = CheckboxList(_l("Projects covered"), coerce=int, validators=[Optional()])
    reason = TextAreaField(_l("Reason"), validators=[required(), max_length(REASON_MAX)])
    password = PasswordField(_l("Your password (to confirm)"),
                             validators=[required(), max_length(200)])
    code = StringField(_l("Code of your authenticator app"),
                       validators=[Optional(), max_length(32)])


class RevokeForm(BaseForm):
    password = PasswordField(_l("Your password (to confirm)"),
                             validators=[required(), max_length(200)])
    code = StringField(_l("Code of your authenticator app"),
                       validators=[Optional(), max_length(32)])
