"""A stand-in layout for tests that need documents registered but never read their pages.

tests/conftest.py lays out every test's documents this way unless the test is marked
`real_pdfs` (tests/documents, the reports' and the extracts' PDF tests, the browser journeys
that open a PDF): WeasyPrint's layout was about 40 % of the CPU time of the workflow,
amendment, execution and reporting tests, which never read a page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tadafur.documents import rendering


@contextmanager
def cheap_pdfs() -> Iterator[None]:
    """Lay out a one-line real PDF instead of the document's HTML.

    WeasyPrint takes 1-2 s per convention; the demo seeds 24 sealed PDFs and an amendment's
    running project two. Everything around the layout stays real: the HTML is still composed
    from the templates, the PDF still sealed, stored and registered by the real services. The
    documents' pages are checked where they are the subject (tests/documents, the gallery).
    """
    pipeline = rendering.pipeline()
    if "render" in vars(pipeline):  # already cheap (nested in the suite's default): keep it
        yield
        return
    original = pipeline.render
    counter = iter(range(1_000_000))
    pipeline.render = lambda html: original(f"<p>demo {next(counter)}</p>")  # unique bytes
    try:
        yield
    finally:
        # Remove the instance attribute (assigning `original` back would keep shadowing the
        # class's method, and later tests that patch Pipeline.render would not reach it).
        del pipeline.render


@contextmanager
def real_pdfs() -> Iterator[None]:
    """Lay documents out for real inside `cheap_pdfs` (the gallery prints some states of a
    project it walks cheaply)."""
    pipeline = rendering.pipeline()
    cheap = vars(pipeline).get("render")
    if cheap is None:
        yield
        return
    del pipeline.render
    try:
        yield
    finally:
        pipeline.render = cheap
