"""The figure issue 18 asks for: a gate-completing sign-off's POST, in the request (eager:
the PDF rendered and sealed before the answer, as before jobs) and with the queue (the PDF
left to the worker). Printed (`-s`), and the queued one must not wait for the render."""

from __future__ import annotations

import time

import pytest

from tests.factories import login
from tests.jobs.test_queue import _at_convention_signature, _sign, eager

pytestmark = [pytest.mark.committing, pytest.mark.real_pdfs]  # times a real render


def _timed_signoff(client, project_id: int) -> float:
    started = time.perf_counter()
    response = _sign(client, project_id)
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 303)
    return elapsed


def test_gate_completing_signoff_time_in_the_request_and_off_it(
        app, client, queue, commune, association, agent, president, chair, officer, member):
    people = {"agent": agent, "president": president, "chair": chair, "officer": officer,
              "member": member}
    with eager(app):
        project_before = _at_convention_signature(app, commune, association, people,
                                                  signed_by=("president", "chair"))
    project_after = _at_convention_signature(app, commune, association, people,
                                             signed_by=("president", "chair"))
    login(client, officer)
    with eager(app):
        before = _timed_signoff(client, project_before)
    after = _timed_signoff(client, project_after)
    print(f"\n[{queue.dialect}] gate-completing sign-off POST: rendered in the request "
          f"{before * 1000:.0f} ms; with the job queue {after * 1000:.0f} ms")
    assert after < before
