"""The execution module's registrations (called once by tadafur.wiring at app start): the
project page's execution tab; the paid tranches a consolidated convention keeps as paid."""

from __future__ import annotations

from tadafur.documents import queries as documents
from tadafur.execution import services, views
from tadafur.projects import tabs


def register_hooks() -> None:
    tabs.register("execution", lambda project, tab, **forms: views.tab_context(project, **forms))
    if services.paid_tranches not in documents.PAID_TRANCHE_FINDERS:
        documents.PAID_TRANCHE_FINDERS.append(services.paid_tranches)
