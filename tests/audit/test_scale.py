"""At the programme's scale: 300,000 events on PostgreSQL, a filtered audit page answers in
under 100 ms at the median and the whole chain verifies in under 10 s."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import select

from tadafur.audit.bulk import append_events
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.organisations.models import Commune
from tests.factories import login

pytestmark = [pytest.mark.committing, pytest.mark.slow]
EVENTS = 300_000


def test_audit_review_and_verify_at_300k_events(app, client, dialect, officer, capsys):
    if dialect != "postgresql":
        pytest.skip("the scale figures are measured on PostgreSQL, as in production")
    communes = list(db.session.scalars(select(Commune.id).where(Commune.is_partner)))
    db.session.commit()  # the officer persona
    started = time.perf_counter()
    append_events(EVENTS, communes)
    db.session.execute(db.text("ANALYZE audit_event"))
    db.session.commit()
    loaded = time.perf_counter() - started

    started = time.perf_counter()
    result = verify_chain()
    verify_seconds = time.perf_counter() - started
    assert result.intact and result.count >= EVENTS

    login(client, officer)
    urls = [f"/audit/?commune={communes[3]}", "/audit/?action=signoff.",
            f"/audit/?commune={communes[7]}&action=project.&date_from=2025-02-01",
            "/audit/?q=submitted", "/audit/?actor=user42@example.org", "/audit/?actor=user42"]
    timings = {}
    for url in urls:
        client.get(url)  # warm
        samples = []
        for _ in range(15):
            began = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200
        timings[url] = statistics.median(samples)
    with capsys.disabled():
        print(f"\n[audit scale] loaded {EVENTS} events in {loaded:.1f} s; "
              f"verify {verify_seconds:.2f} s")
        for url, median in timings.items():
            print(f"[audit scale] median {median:.1f} ms  {url}")
    assert verify_seconds < 10
    assert max(timings.values()) < 100, timings
