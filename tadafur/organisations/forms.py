"""Forms for communes and associations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.validators import Email, Optional

from tadafur.forms_base import BaseForm, max_length, required


class CommuneForm(BaseForm):
    name_ar = StringField(_l("Name in Arabic"), validators=[required(), max_length(200)])
    name_fr = StringField(_l("Name in French"), validators=[required(), max_length(200)])
    name_en = StringField(_l("Name in English"), validators=[required(), max_length(200)])
    province_id = SelectField(_l("Province or prefecture"), coerce=int,
                              validators=[required()])
    kind = SelectField(_l("Kind"), choices=[("rural", _l("Rural")), ("urban", _l("Urban"))])
    is_partner = BooleanField(_l("Partner commune of the programme"))
    official_code = StringField(_l("Official code (optional)"),
                                validators=[Optional(), max_length(20)])


class CommuneImportForm(BaseForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a file."))])


class AssociationForm(BaseForm):
    name_ar = StringField(_l("Name in Arabic"), validators=[required(), max_length(200)])
    name_fr = StringField(_l("Name in French"), validators=[required(), max_length(200)])
    receipt_number = StringField(_l("Registration receipt number"),
                                 validators=[required(), max_length(40)])
    founded_on = DateField(_l("Founding date"), validators=[Optional()],
                           render_kw={"type": "date"})
    commune_id = SelectField(_l("Commune"), coerce=int, validators=[required()])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), max_length(120)])
    contact_phone = StringField(_l("Telephone"), validators=[Optional(), max_length(30)])
    contact_email = EmailField(_l("E-mail address"), validators=[
        Optional(), max_length(254), Email(message=_l("Enter a valid e-mail address."))])

    def values(self) -> dict:
        return {name: getattr(self, name).data or None for name in (
            "name_ar", "name_fr", "receipt_number", "founded_on", "commune_id",
            "contact_name", "contact_phone", "contact_email")}
