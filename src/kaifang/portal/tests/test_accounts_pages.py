from __future__ import annotations

import pytest

from kaifang.accounts.models import User

pytestmark = pytest.mark.django_db


def test_login_page_and_login(client, personas):
    assert client.get("/accounts/login/").status_code == 200
    r = client.post("/accounts/login/", {"username": "citizen", "password": "wrong"})
    assert r.status_code == 200 and "用户名或密码不正确" in r.content.decode()
    r = client.post("/accounts/login/", {"username": "citizen", "password": "test-pass-2026"})
    assert r.status_code == 302


def test_logout_is_post_only(client, personas, login):
    login(personas["citizen"])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302


def test_register_valid(client, db):
    r = client.post(
        "/accounts/register/", {"username": "zhangsan", "password": "a-long-pass-2026", "kind": "citizen"}
    )
    assert r.status_code == 302 and r["Location"] == "/accounts/login/"  # taken or not, the same answer
    assert User.objects.filter(username="zhangsan").exists()
    client.post("/accounts/login/", {"username": "zhangsan", "password": "a-long-pass-2026"})
    assert "zhangsan" in client.get("/").content.decode()


def test_register_invalid_shows_chinese_errors(client, db):
    r = client.post("/accounts/register/", {"username": "bad name!", "password": "x", "kind": "enterprise"})
    body = r.content.decode()
    assert r.status_code == 422
    assert "用户名须为1到64位字母" in body
    assert "企业或机构用户须填写单位名称。" in body
    assert not User.objects.exists()
