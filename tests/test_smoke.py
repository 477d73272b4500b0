from tests.factories import login


def test_login_page_is_arabic_right_to_left(client):
    response = client.get("/login", headers={"Accept-Language": ""})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html


def test_agent_logs_in_and_sees_dashboard(client, agent):
    login(client, agent)
    response = client.get("/")
    assert response.status_code == 200
    assert agent.full_name in response.get_data(as_text=True)
