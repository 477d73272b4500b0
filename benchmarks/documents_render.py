"""Rendering speed of the documents: our pipeline beside WeasyPrint alone, same HTML.

    .venv/bin/python benchmarks/documents_render.py [--runs 15] [--only convention|extract]

Builds a throw-away SQLite database with one project (four budget lines, three funders) and
prints the median of:
- produce(): template + render + store + register (what a user waits for), per language;
- our pipeline's render of the HTML: the FontConfiguration and the @font-face / document
  stylesheets built once per process and reused;
- WeasyPrint alone on the same HTML: a new FontConfiguration and new stylesheets each time
  (what a naive call costs);
- sealing the bilingual convention (EC P-256, bytes_reserved);
- produce() of the audit extract of the demo's project with the longest trail (the demo
  seeded in a second throw-away database), per language: the extract grows with the trail.
The full convention must stay within 1.0 s (median), and so must every other kind.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def median_seconds(function, runs: int) -> float:
    """Median CPU seconds of this process (wall time too, when BENCH_WALL=1).

    CPU time, because the machine is shared: wall time mostly measures the neighbours.
    """
    clock = time.perf_counter if os.environ.get("BENCH_WALL") == "1" else time.process_time
    timings = []
    for _ in range(runs):
        started = clock()
        function()
        timings.append(clock() - started)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--only", choices=("convention", "extract"))
    arguments = parser.parse_args()
    runs = arguments.runs
    work = Path(tempfile.mkdtemp(prefix="tadafur-bench-"))
    if arguments.only != "extract":
        convention_figures(work, runs)
    if arguments.only != "convention":
        extract_figures(work, runs)


def convention_figures(work: Path, runs: int) -> None:
    """The convention in each language, our pipeline, WeasyPrint alone, and sealing."""

    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from tadafur import create_app
    from tadafur.documents import compose, rendering, sealing, services
    from tadafur.extensions import db
    from tadafur.organisations.services import seed_reference_data
    from tadafur.testing import build_schema
    from tests.documents.conftest import make_lead_association, make_project
    from tests.factories import _partner_communes

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.sqlite3'}",
                      "SECRET_KEY": "bench", "SEED_DEMO_DATA": False, "TESTING": True,
                      "SERVER_NAME": "tadafur.test", "DOCUMENTS_DIR": str(work / "documents"),
                      "SEAL_DIR": str(work / "seal")})
    with app.app_context():
        build_schema()
        seed_reference_data()
        commune = _partner_communes()[0]
        project = make_project(commune, make_lead_association(commune))
        rendering.pipeline()  # built once per process, as in the app
        clock = "wall" if os.environ.get("BENCH_WALL") == "1" else "CPU"
        print(f"runs per figure: {runs}; median {clock} seconds; load {os.getloadavg()[0]:.1f}")
        print(f"{'document':<22}{'pages':>6}{'produce()':>11}{'pipeline':>10}"
              f"{'weasyprint alone':>18}")
        for language in ("ar", "fr", "bilingual"):
            services.produce(project, "convention", None, language)  # warm templates
            produce = median_seconds(
                lambda language=language: services.produce(project, "convention", None,
                                                           language), runs)
            document = services.latest(project, "convention")
            compose.install_helpers()
            html = compose.convention_html(project, document,
                                           compose.common_context(project, document))
            pipeline = median_seconds(lambda html=html: rendering.render_pdf(html), runs)

            def alone(html=html) -> bytes:
                fonts = FontConfiguration()
                fetcher = rendering.PackageFetcher()
                sheets = [CSS(string=rendering.FONT_FACES, base_url=rendering.BASE_URL,
                              url_fetcher=fetcher, font_config=fonts),
                          CSS(url=f"{rendering.SCHEME}:css/document.css", url_fetcher=fetcher,
                              font_config=fonts)]
                return HTML(string=html, base_url=rendering.BASE_URL,
                            url_fetcher=fetcher).write_pdf(stylesheets=sheets,
                                                           font_config=fonts)

            weasy = median_seconds(alone, runs)
            pages = rendering.pdf_page_count(services.stored_bytes(document))
            print(f"convention {language:<11}{pages:>6}{produce:>11.3f}{pipeline:>10.3f}"
                  f"{weasy:>18.3f}")
        pdf = services.stored_bytes(services.latest(project, "convention"))
        sealing.seal(pdf)
        seal = median_seconds(lambda: sealing.seal(pdf), runs)
        print(f"seal (EC P-256, bytes_reserved): {seal * 1000:.1f} ms")
        db.session.rollback()


def extract_figures(work: Path, runs: int) -> None:
    """The audit extract of the demo project with the most events, in each language."""
    from sqlalchemy import func, select

    from tadafur import create_app
    from tadafur.audit.evidence import _project_events, produce_extract
    from tadafur.audit.models import AuditEvent
    from tadafur.demo.seed import seed_demo
    from tadafur.documents import rendering, services
    from tadafur.extensions import db
    from tadafur.organisations.services import seed_reference_data
    from tadafur.projects.models import Project
    from tadafur.testing import build_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'demo.sqlite3'}",
                      "SECRET_KEY": "bench", "SEED_DEMO_DATA": False, "TESTING": True,
                      "SERVER_NAME": "tadafur.test", "DOCUMENTS_DIR": str(work / "demo-docs"),
                      "SEAL_DIR": str(work / "seal"), "JOBS_MODE": "eager"})
    with app.app_context():
        build_schema()
        seed_reference_data()
        seed_demo()
        project_id, count = db.session.execute(
            select(AuditEvent.project_id, func.count()).where(AuditEvent.project_id.is_not(None))
            .group_by(AuditEvent.project_id).order_by(func.count().desc()).limit(1)).one()
        project = db.session.get(Project, project_id)
        events = _project_events(project)
        print(f"audit extract of {project.reference}: {count} events")
        for language in ("ar", "fr", "bilingual"):
            produce_extract(project, None, events, language)  # warm templates
            seconds = median_seconds(
                lambda language=language: produce_extract(project, None, events, language),
                runs)
            pages = rendering.pdf_page_count(services.stored_bytes(
                services.latest(project, "audit_extract")))
            print(f"audit extract {language:<8}{pages:>6}{seconds:>11.3f}")
        db.session.rollback()


if __name__ == "__main__":
    main()
