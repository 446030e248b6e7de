"""Developer keys: scopes, expiry, rotation, revocation, and keys that do not belong in URLs."""

import datetime
import json
import re

import pytest
from django.utils import timezone

from kaifang.accounts.models import ApiKey
from kaifang.accounts.services import api_key_create, api_key_rotate
from kaifang.core.errors import Forbidden, ValidationFailed
from kaifang.core.testing import valid_dataset_data

pytestmark = pytest.mark.django_db


def bearer(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_read_only_key_cannot_write(client, personas, departments):
    _k, secret = api_key_create(actor=personas["officer"], owner=personas["officer"], scopes=["read"])
    assert client.get("/api/v1/me", **bearer(secret)).json()["username"] == "officer"
    body = valid_dataset_data(department=departments["transport"].uscc)
    r = client.post("/api/v1/datasets", json.dumps(body), content_type="application/json", **bearer(secret))
    assert r.status_code == 403 and r.json()["error"]["code"] == "key_scope"


def test_expired_key_is_refused(client, personas):
    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"], expires_in_days=1)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    r = client.get("/api/v1/me", **bearer(secret))
    assert r.status_code == 401 and "过期" in r.json()["error"]["message"]


def test_rotation_stops_the_old_key(client, personas):
    key, old = api_key_create(
        actor=personas["citizen"], owner=personas["citizen"], name="app", scopes=["read"]
    )
    new_key, new = api_key_rotate(actor=personas["citizen"], key=key)
    assert client.get("/api/v1/me", **bearer(old)).status_code == 401
    assert client.get("/api/v1/me", **bearer(new)).json()["username"] == "citizen"
    assert (new_key.name, new_key.scopes) == ("app", ["read"])
    with pytest.raises(Forbidden):
        api_key_rotate(actor=personas["officer"], key=new_key)


@pytest.mark.parametrize("param", ["api_key", "token", "access_token"])
def test_key_in_query_string_is_refused_with_advice(client, personas, param):
    _k, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    r = client.get(f"/api/v1/datasets?{param}={secret}")
    assert r.status_code == 400 and "Authorization" in r.json()["error"]["message"]


def test_bad_key_options(personas):
    with pytest.raises(ValidationFailed):
        api_key_create(actor=personas["citizen"], owner=personas["citizen"], scopes=["admin"])
    with pytest.raises(ValidationFailed):
        api_key_create(actor=personas["citizen"], owner=personas["citizen"], expires_in_days=0)


def test_keys_page(client, login, personas):
    assert client.get("/accounts/keys/").status_code == 302
    login(personas["citizen"])
    r = client.post(
        "/accounts/keys/", {"action": "create", "name": "看板", "scopes": ["read"], "expires_in_days": "30"}
    )
    secret = re.search(r"kf_[0-9a-f]{8}_[\w-]+", r.content.decode()).group(0)
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 200
    key = ApiKey.objects.get(user=personas["citizen"])
    assert (
        client.post(
            "/accounts/keys/", {"action": "create", "name": "长" * 65, "scopes": ["read"]}
        ).status_code
        == 422
    )
    other, _s = api_key_create(actor=personas["officer"], owner=personas["officer"])
    assert (
        client.post("/accounts/keys/", {"action": "revoke", "key": other.pk}).status_code == 404
    )  # not yours
    client.post("/accounts/keys/", {"action": "revoke", "key": key.pk})
    assert client.get("/api/v1/me", **bearer(secret)).status_code == 401


def test_rate_limit_headers_and_429(client, personas):
    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    ApiKey.objects.filter(pk=key.pk).update(rate_limit_per_minute=3)
    statuses = []
    for _ in range(4):
        r = client.get("/api/v1/stats", **bearer(secret))
        statuses.append(r.status_code)
    assert statuses == [200, 200, 200, 429]
    assert r["X-RateLimit-Limit"] == "3" and r["X-RateLimit-Remaining"] == "0"
    assert int(r["Retry-After"]) > 0 and "秒后重试" in r.json()["error"]["message"]
    ok = client.get("/api/v1/stats")  # anonymous reads are not charged to the key
    assert ok.status_code == 200 and "X-RateLimit-Limit" not in ok


def test_daily_quota(client, personas):
    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    ApiKey.objects.filter(pk=key.pk).update(daily_quota=2)
    codes = [client.get("/api/v1/stats", **bearer(secret)).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "配额" in client.get("/api/v1/stats", **bearer(secret)).json()["error"]["message"]


def test_windows_are_counted_per_key_and_reset():
    from kaifang.core.ratelimit import RateLimited, Window, check

    w = [Window("minute", 60, 2)]
    check("key:a", w, now=120.0)
    check("key:a", w, now=121.0)
    with pytest.raises(RateLimited):
        check("key:a", w, now=122.0)
    check("key:b", w, now=122.0)  # another key has its own budget
    assert check("key:a", w, now=181.0).remaining == 1  # next minute


def test_counts_are_shared_across_workers(db):
    """Every call is one conditional increment of the shared row (decision 0005): the row holds the exact
    number of calls let through, and none past the limit (concurrency: access/tests/test_rate_limits.py)."""
    from kaifang.core.models import RateCounter
    from kaifang.core.ratelimit import RateLimited, Window, check

    w = [Window("minute", 60, 10)]
    allowed = 0
    for _ in range(12):
        try:
            check("key:z", w, now=420.0)
            allowed += 1
        except RateLimited:
            pass
    assert allowed == 10 == RateCounter.objects.get(bucket="key:z:minute", period=7).count
