"""The execution module's registrations (called once by tadafur.wiring at app start): the
project page's execution tab."""

from __future__ import annotations

from tadafur.execution import views
from tadafur.projects import tabs


def register_hooks() -> None:
    tabs.register("execution", lambda project, tab, **forms: views.tab_context(project, **forms))
