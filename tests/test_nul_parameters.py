"""A NUL byte in a query parameter or form field is a clear 400 on every page and endpoint, never a server
error (PostgreSQL refuses NUL in any query; SQLite does not, so only the PostgreSQL run would show it)."""

from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.django_db

URLS = [
    "/workorders/?state=%00&kind=%00&scope=%00&page=%00",
    "/workorders/overdue/?x=%00",
    "/staff/?x=%00",
    "/staff/audit/?user=%00&key_prefix=%00&dataset=%00&action=%00&since=%00&until=%00",
    "/staff/audit/?tab=calls&user=a%00&dataset=%00",
    "/staff/audit/timeline/?user=%00",
    "/inbox/?page=%00",
    "/me/?page=%00",
    "/requests/?status=%00&department=%00",
    "/datasets/?q=%E5%85%AC%00",
    "/interaction/moderation/?page=%00",
    "/?a%00=b",
]
API_URLS = [
    "/api/v1/workbench/audit?user=%00&dataset=%00",
    "/api/v1/workorders?state=%00",
    "/api/v1/requests?domain=a%00b",
    "/api/v1/datasets?q=a%00",
]


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "auditor", "officer"])
def test_nul_in_a_parameter_is_a_clear_bad_request(client, login, personas, persona):
    c = login(personas[persona])
    for url in URLS:
        r = c.get(url)
        assert r.status_code == 400, url
        assert "无效字符" in r.content.decode(), url
    for url in API_URLS:
        r = c.get(url)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_characters", url


def test_nul_in_a_form_field_is_refused_and_nothing_is_saved(client, login, personas):
    from kaifang.interaction.models import PublicRequest

    c = login(personas["citizen"])
    form = urlencode({"kind": "consultation", "title": "标\x00题", "body": "内容"})
    r = c.post("/requests/new/", form, content_type="application/x-www-form-urlencoded")
    assert r.status_code == 400 and "无效字符" in r.content.decode()
    assert not PublicRequest.objects.exists()


def test_the_message_is_available_in_english(client):
    r = client.get("/requests/?status=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "invalid character" in r.content.decode().lower()
