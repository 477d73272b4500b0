"""No route without an authorization rule; reviewers read and never write."""

from __future__ import annotations

from tadafur.access import RULES, can
from tests.factories import login

EXEMPT = {"static"}


def test_every_route_declares_its_access_rule(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        view = app.view_functions[rule.endpoint]
        access = getattr(view, "access_rule", None)
        if access not in RULES and access not in {"public", "authenticated"}:
            missing.append(f"{rule.rule} -> {rule.endpoint} ({access!r})")
    assert not missing, "routes without an access rule:\n" + "\n".join(missing)


def test_reviewer_is_refused_every_writing_permission(reviewer):
    writing = [name for name, rule in RULES.items() if rule.writes]
    assert writing
    assert not [name for name in writing if can(reviewer, name, None)]


def test_reviewer_gets_403_on_every_post_route(app, client, reviewer, commune):
    login(client, reviewer)
    allowed = {"accounts.login", "accounts.logout", "accounts.choose_language",
               "accounts.change_password", "accounts.accept_invitation",
               "accounts.two_factor_page",  # one's own second factor
               "notifications.mark_read"}  # one's own inbox, not the programme's data
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in allowed | EXEMPT:
            continue
        if app.view_functions[rule.endpoint].access_rule == "public":
            continue  # open to everyone (document verification): changes nothing
        values = {arg: 1 for arg in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]
        response = client.post(url, data={})
        assert response.status_code in (403, 404), f"{url}: {response.status_code}"
        checked += 1
    assert checked >= 5


def test_unknown_permission_is_a_programming_error(agent):
    import pytest

    with pytest.raises(LookupError):
        can(agent, "no.such.permission")
