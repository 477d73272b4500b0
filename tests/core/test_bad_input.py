"""Bad input on every form gets a message, never a 500 (and never a traceback)."""

from __future__ import annotations

import pytest

from tests.factories import login

PAYLOADS = {
    "empty": "",
    "overlong": "x" * 20_000,
    "nul": "abc\x00def",
    "script": "<script>alert(1)</script>",
    "unicode": "\u202e\ufeff𝔘 ممم",
    "number-ish": "-1e309",
    "date-ish": "2026-02-31",
}
SKIP_ENDPOINTS = {"static", "accounts.logout", "accounts.choose_language"}


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in SKIP_ENDPOINTS:
            yield rule


def _field_names(client, url) -> set[str]:
    import re

    html = client.get(url).get_data(as_text=True)
    return set(re.findall(r'name="([^"]+)"', html)) - {"csrf_token", "language", "next"}


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_every_form_answers_bad_input_without_a_server_error(app, client, admin, commune,
                                                             association, payload):
    login(client, admin)
    value = PAYLOADS[payload]
    checked = 0
    for rule in _post_routes(app):
        values = {arg: {"commune_id": commune.id, "association_id": association.id,
                        "user_id": admin.id}.get(arg, 1) for arg in rule.arguments}
        if "token" in rule.arguments:
            values["token"] = value[:200] or "x"
        url = rule.build(values, append_unknown=False)[1]
        names = _field_names(client, url) if "GET" in rule.methods else set()
        data = dict.fromkeys(names or {"field"}, value)
        response = client.post(url, data=data)
        body = response.get_data(as_text=True)
        assert response.status_code < 500, f"{url} {payload}: {response.status_code}"
        assert "Traceback" not in body
        checked += 1
    assert checked >= 8


def test_login_with_bad_input_gets_messages(client):
    for email in ("", "x" * 5000, "a\x00b@example.org", "not an email"):
        response = client.post("/login", data={"email": email, "password": ""})
        assert response.status_code == 422
        assert "field-error" in response.get_data(as_text=True)
