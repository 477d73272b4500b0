"""Forms of the amendments: the proposal (its per-line fields are read by the view, one per
budget line, activity and indicator) and the sign-off (password again)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from tadafur.amendments.services import JUSTIFICATION_MAX
from tadafur.forms_base import BaseForm, max_length, required


class ProposalForm(BaseForm):
    justification = TextAreaField(_l("Justification"),
                                  validators=[required(), max_length(JUSTIFICATION_MAX)])


class SignForm(BaseForm):
    decision = SelectField(_l("Decision"), choices=[
        ("approve", _l("I approve")), ("reject", _l("I refuse (say why in the comment)"))])
    comment = TextAreaField(_l("Comment"), validators=[max_length(JUSTIFICATION_MAX)])
    password = PasswordField(_l("Your password (to sign)"), validators=[required()])
    code = StringField(_l("Code of your authenticator app"),
                       validators=[Optional(), max_length(32)])
