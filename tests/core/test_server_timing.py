"""The benchmark's Server-Timing header: present only when BENCH_SERVER_TIMING is on (it would
hand anyone a timing oracle in production)."""

from __future__ import annotations

import re

from tadafur.config import settings_from_environment
from tests.conftest import make_app


def test_no_server_timing_header_by_default(client):
    assert "Server-Timing" not in client.get("/login").headers


def test_the_bench_setting_adds_the_server_time_to_every_response(app):
    timed = make_app(app.config["SQLALCHEMY_DATABASE_URI"], BENCH_SERVER_TIMING=True,
                     INSTANCE_DOCUMENTS=app.config["INSTANCE_DOCUMENTS"],
                     SEAL_DIR=app.config["SEAL_DIR"])
    client = timed.test_client()
    for url in ("/login", "/no-such-page"):
        header = client.get(url).headers.get("Server-Timing", "")
        assert re.fullmatch(r"app;dur=\d+\.\d\d", header), (url, header)


def test_the_environment_switches_it_on():
    assert settings_from_environment({"TADAFUR_BENCH_SERVER_TIMING": "1"}) == {
        "BENCH_SERVER_TIMING": True}
