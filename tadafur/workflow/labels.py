"""Translatable texts of the workflow definitions and of the recorded fields.

The YAML files hold English labels; they are translated at display time with gettext. The
markers below put them in the message catalog (pybabel reads this module).
"""

from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from tadafur.vocabulary import FIELDS, PARTIES

# One vocabulary (tadafur/vocabulary.py): the recorded fields and the parties are named there.
FIELD_LABELS = FIELDS
PARTY_LABELS = PARTIES

# Labels of workflows/co_creation.yaml, for extraction only.
_DEFINITION_TEXTS = (
    _l("Co-creation project"), _l("Proposal"), _l("Approval"), _l("Execution"),
    _l("Follow-up"), _l("Evaluation"), _l("Draft"), _l("Endorsement of the proposal"),
    _l("Eligibility review"), _l("Committee selection"), _l("Council deliberation"),
    _l("Governor's visa"), _l("Approval path"), _l("Convention signature"),
    _l("Signature of the convention"), _l("Rejected"), _l("In execution"), _l("Suspended"),
    _l("Terminated"), _l("Final report"), _l("Validation of the final report"),
    _l("Joint evaluation"), _l("Signature of the evaluation"),
    _l("Signature of the joint evaluation"), _l("Closed"), _l("Submit the proposal"),
    _l("Declare eligible"), _l("Request changes"), _l("Reject"),
    _l("Record the committee's selection"), _l("Record that the committee did not select it"),
    _l("Record the council's deliberation"), _l("Record the governor's visa"),
    _l("Produce the convention for signature"), _l("Approve by simple decision"),
    _l("Convention signed by all parties"), _l("Declare the execution complete"),
    _l("Suspend"), _l("Resume"), _l("Terminate the project"), _l("Submit the final report"),
    _l("Return the report for corrections"), _l("Final report validated"),
    _l("Submit the joint evaluation for signature"), _l("Evaluation signed by all parties"),
    _l("Budget reallocation"), _l("Extension of the end date"), _l("Change of activities"),
    _l("Change of indicators"), _l("Change of a signatory"),
    _l("Endorse the proposal"), _l("Sign the convention"), _l("Validate the final report"),
    _l("Sign the joint evaluation"),
)


def translate(text: str) -> str:
    """A definition's English label in the current language."""
    return _(text) if text else ""


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name.replace("_", " ")))


def party_label(party: str) -> str:
    return str(PARTY_LABELS.get(party, party))
