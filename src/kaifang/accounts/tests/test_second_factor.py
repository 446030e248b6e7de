"""Issue 12 item 1: under `serve` (KAIFANG_STAFF_2FA_REQUIRED) a password alone gives a staff account no staff
power anywhere — session API, raw downloads, keys, enrolment — and the second factor gives it all back."""

import json

import pytest

from kaifang.accounts.models import ApiKey, TotpDevice, TotpEnrolmentCode
from kaifang.accounts.permissions import COMMAND_LINE
from kaifang.accounts.security import current_step, totp_code
from kaifang.accounts.services import totp_enrolment_code_issue
from kaifang.catalog.codes import slug_for_code
from kaifang.core.testing import PASSWORD

pytestmark = pytest.mark.django_db

CSV = "编号,名称\n1,甲\n2,乙\n"
FIELDS = [{"name": "编号", "data_type": "N", "length": 8}, {"name": "名称", "data_type": "C", "length": 16}]


@pytest.fixture(autouse=True)
def _serve_mode(settings):
    settings.KAIFANG_STAFF_2FA_REQUIRED = True


def password_only(client, username):
    client.logout()
    r = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert r.status_code == 302
    return client


def post_json(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def enrol(client, user, code=None):
    """Bind a device with an administrator's code from the current (password-only) session."""
    code = code or totp_enrolment_code_issue(actor=COMMAND_LINE, user=user)
    r = client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": code})
    assert r.status_code == 200, r.content.decode()
    device = TotpDevice.objects.get(user=user)
    r = client.post(
        "/accounts/security/", {"action": "totp_confirm", "code": totp_code(device.secret, current_step())}
    )
    assert r.status_code == 200
    device.refresh_from_db()
    return device


def test_reviewer_with_password_only_cannot_review_or_publish(client, personas, make_dataset):
    ds = make_dataset("submitted")
    slug = slug_for_code(ds.code)
    password_only(client, "reviewer")
    assert client.get("/api/v1/me").json()["is_staff_member"] is False
    # A registered user does not see a submitted entry: 404, and nothing changes.
    assert post_json(client, f"/api/v1/datasets/{slug}/review-start").status_code == 404
    assert post_json(client, f"/api/v1/datasets/{slug}/publish").status_code == 404
    assert client.get(f"/api/v1/datasets/{slug}").status_code == 404
    assert client.get("/api/v1/datasets?catalog=resource").status_code == 404
    ds.refresh_from_db()
    assert ds.state == "submitted"
    enrol(client, personas["reviewer"])  # binding the device is the second factor for this session
    assert client.get("/api/v1/me").json()["is_staff_member"] is True
    assert post_json(client, f"/api/v1/datasets/{slug}/publish").status_code == 200


def test_officer_with_password_only_cannot_read_raw_or_make_write_keys(client, personas, make_table):
    ds = make_table(CSV, FIELDS)
    raw = f"/privacy/datasets/{slug_for_code(ds.code)}/versions/1/raw"
    password_only(client, "officer")
    assert client.get(raw).status_code == 404
    r = client.post("/accounts/keys/", {"action": "create", "name": "w", "scopes": ["read", "write"]})
    assert r.status_code == 422 and "动态口令" in r.content.decode()
    assert not ApiKey.objects.filter(user=personas["officer"]).exists()
    # A read key can be made, but it is a registered user's key: no staff roles behind it.
    r = client.post("/accounts/keys/", {"action": "create", "name": "r", "scopes": ["read"]})
    secret = r.context["new_secret"]
    key = ApiKey.objects.get(user=personas["officer"])
    assert key.scopes == ["read"] and key.second_factor is False
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    client.logout()
    assert client.get("/api/v1/me", **bearer).json()["is_staff_member"] is False
    assert client.get("/api/v1/datasets?catalog=resource", **bearer).status_code == 404

    password_only(client, "officer")
    enrol(client, personas["officer"])
    assert client.get(raw).status_code == 200
    r = client.post("/accounts/keys/", {"action": "create", "name": "w", "scopes": ["read", "write"]})
    assert r.status_code == 200
    key = ApiKey.objects.get(user=personas["officer"], name="w")
    assert key.scopes == ["read", "write"] and key.second_factor is True
    client.logout()
    staff_key = {"HTTP_AUTHORIZATION": f"Bearer {r.context['new_secret']}"}
    assert client.get("/api/v1/me", **staff_key).json()["is_staff_member"] is True
    assert client.get("/api/v1/datasets?catalog=resource", **staff_key).status_code == 200


def test_password_only_session_cannot_rotate_a_staff_write_key(client, personas):
    from kaifang.accounts.services import api_key_create

    key, _secret = api_key_create(
        actor=personas["officer"], owner=personas["officer"], scopes=["read", "write"]
    )
    assert key.second_factor is True  # made outside a request: the caller (command line) vouches
    password_only(client, "officer")
    r = client.post("/accounts/keys/", {"action": "rotate", "key": key.pk})
    assert r.status_code == 422
    key.refresh_from_db()
    assert key.revoked_at is None


def test_enrolment_needs_the_administrators_code(client, personas):
    officer = personas["officer"]
    password_only(client, "officer")
    r = client.post("/accounts/security/", {"action": "totp_start"})
    assert r.status_code == 422 and "绑定码" in r.content.decode()
    r = client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": "AAAA-BBBB-CCCC-DDDD"})
    assert r.status_code == 422 and not TotpDevice.objects.filter(user=officer).exists()
    # Another account's code does not work either.
    other = totp_enrolment_code_issue(actor=COMMAND_LINE, user=personas["reviewer"])
    r = client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": other})
    assert r.status_code == 422 and not TotpDevice.objects.filter(user=officer).exists()

    code = totp_enrolment_code_issue(actor=COMMAND_LINE, user=officer)
    device = enrol(client, officer, code.lower().replace("-", ""))  # typed loosely, still the code
    assert device.confirmed_at is not None
    assert TotpEnrolmentCode.objects.get(user=officer).used_at is not None
    # Spent: the code cannot bind another device after this one is removed.
    client.post(
        "/accounts/security/",
        {"action": "totp_disable", "code": totp_code(device.secret, current_step() + 1)},
    )
    assert not TotpDevice.objects.filter(user=officer).exists()
    password_only(client, "officer")
    r = client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": code})
    assert r.status_code == 422


def test_wrong_enrolment_codes_are_throttled(client, personas):
    password_only(client, "officer")
    for _ in range(5):
        client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": "XXXX-XXXX-XXXX-XXXX"})
    code = totp_enrolment_code_issue(actor=COMMAND_LINE, user=personas["officer"])
    r = client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": code})
    assert r.status_code == 429 and not TotpDevice.objects.filter(user=personas["officer"]).exists()


def test_a_new_code_replaces_the_old_and_codes_expire(client, personas):
    officer = personas["officer"]
    first = totp_enrolment_code_issue(actor=COMMAND_LINE, user=officer)
    second = totp_enrolment_code_issue(actor=COMMAND_LINE, user=officer)
    password_only(client, "officer")
    assert (
        client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": first}).status_code
        == 422
    )
    TotpEnrolmentCode.objects.filter(user=officer).update(expires_at="2020-01-01T00:00:00Z")
    assert (
        client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": second}).status_code
        == 422
    )


def test_citizens_enrol_without_a_code(client, personas):
    password_only(client, "citizen")
    assert client.post("/accounts/security/", {"action": "totp_start"}).status_code == 200
    assert 'name="enrolment_code"' not in client.get("/accounts/security/").content.decode()


def test_enrolment_codes_come_from_the_command_line_or_a_verified_operator(client, personas, login):
    from django.core.management import call_command

    from kaifang.accounts.permissions import can_totp_enrolment_code_issue
    from kaifang.core.actors import mark_second_factor

    out = __import__("io").StringIO()
    call_command("totp_enrolment_code", "officer", stdout=out)
    assert len(out.getvalue().strip()) == 19
    operator = personas["operator"]
    assert can_totp_enrolment_code_issue(operator, personas["officer"])
    mark_second_factor(operator, False)  # the same operator holding only a password
    assert not can_totp_enrolment_code_issue(operator, personas["officer"])
    assert not can_totp_enrolment_code_issue(personas["reviewer"], personas["officer"])


def test_after_the_second_factor_login_everything_works(client, personas, make_dataset):
    ds = make_dataset("submitted")
    password_only(client, "reviewer")
    device = enrol(client, personas["reviewer"])
    client.post("/accounts/logout/")
    r = client.post("/accounts/login/", {"username": "reviewer", "password": PASSWORD})
    assert r["Location"] == "/accounts/login/otp/"
    client.post("/accounts/login/otp/", {"code": totp_code(device.secret, current_step() + 1)})
    slug = slug_for_code(ds.code)
    assert post_json(client, f"/api/v1/datasets/{slug}/review-start").status_code == 200
    assert client.get("/staff/review/").status_code == 200


def test_the_setting_off_keeps_password_logins_working(client, settings, personas, make_dataset):
    settings.KAIFANG_STAFF_2FA_REQUIRED = False  # `kaifang demo`
    ds = make_dataset("submitted")
    password_only(client, "reviewer")
    assert post_json(client, f"/api/v1/datasets/{slug_for_code(ds.code)}/review-start").status_code == 200


def test_the_admin_login_page_is_not_a_way_around(client, personas):
    r = client.post("/admin/login/", {"username": "operator", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/accounts/login/?next=/admin/"
    assert client.get("/api/v1/me").json() == {"authenticated": False}
    password_only(client, "operator")
    assert client.get("/admin/")["Location"] == "/accounts/security/"


def test_a_verified_operator_issues_codes_in_the_admin(client, login, personas):
    from kaifang.accounts.staffing import grant_admin_access

    officer = personas["officer"]
    grant_admin_access(personas["operator"])
    login(personas["operator"])  # a second-factor session
    r = client.post(
        "/admin/accounts/user/",
        {"action": "issue_totp_enrolment_code", "_selected_action": [officer.pk]},
        follow=True,
    )
    shown = [str(m) for m in r.context["messages"]]
    assert len(shown) == 1 and shown[0].startswith("officer: ")
    code = shown[0].split(": ", 1)[1]
    password_only(client, "officer")
    enrol(client, officer, code)
    assert TotpEnrolmentCode.objects.get(user=officer).issued_by == "operator"
