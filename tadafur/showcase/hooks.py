"""The showcase module's registrations (called once by tadafur.wiring at app start):

- documents.RENDERERS['project_sheet']: the public project sheet's layout;
- the lessons index's flush listener (importing `lessons` installs it);
- the demo seeder (publication, public photos, a replication), after the projects' one.
"""

from __future__ import annotations

from tadafur.showcase import demo, lessons, sheet  # noqa: F401  (demo and lessons: listeners)


def register_hooks() -> None:
    sheet.register()
    demo.register()
