"""Forms of the showcase: start from a project, publish a photo."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Optional

from tadafur.forms_base import BaseForm, max_length


def _id_or_none(value):
    """A choice's id; anything else becomes None, refused by the service beside its field."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class StartFromForm(BaseForm):
    commune_id = SelectField(_l("Commune of the new project"), coerce=_id_or_none,
                             validate_choice=False,
                             validators=[InputRequired(message=_l("Choose your commune."))])
    lead_association_id = SelectField(
        _l("Lead association"), coerce=_id_or_none, validate_choice=False,
        validators=[InputRequired(message=_l("Choose the lead association."))])
    with_amounts = BooleanField(_l("Copy the amounts of the budget lines (otherwise zero)"))


class PublishPhotoForm(BaseForm):
    attachment_id = IntegerField(validators=[InputRequired(
        message=_l("Choose one of this project's photos."))])
    caption = StringField(_l("Caption (no names of people)"),
                          validators=[Optional(), max_length(300)])
    consent = BooleanField(_l("The people shown agreed that this photo be published"))


class WithdrawPhotoForm(BaseForm):
    photo_id = IntegerField(validators=[InputRequired(
        message=_l("Choose one of this project's published photos."))])
