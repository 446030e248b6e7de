"""Public accounts: lockout, one-time passwords, e-mail verification, enterprise credit codes."""

import re

import pytest
from django.core import mail

from kaifang.accounts.models import LoginAttempt, TotpDevice, User
from kaifang.accounts.security import current_step, totp_code, totp_match
from kaifang.core.testing import PASSWORD

pytestmark = pytest.mark.django_db
VALID_USCC = "91350100M000100Y43"


def login_post(client, username, password, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def test_rfc6238_reference_vector():
    # RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) -> last six digits 287082.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp_code(secret, 59 // 30) == "287082"
    assert totp_match(secret, "287082", last_step=0, at=59) == 1
    assert totp_match(secret, "287082", last_step=1, at=59) is None  # never twice
    assert totp_match(secret, "28708x", last_step=0, at=59) is None


def test_login_and_lockout_after_five_failures(client, personas):
    assert login_post(client, "citizen", PASSWORD).status_code == 302
    client.logout()
    for _ in range(5):
        r = login_post(client, "citizen", "wrong-password")
        assert r.status_code == 200 and "不正确" in r.content.decode()
    r = login_post(client, "citizen", PASSWORD)  # even the right password is refused while locked
    assert r.status_code == 429 and "锁定" in r.content.decode()
    assert LoginAttempt.objects.filter(username="citizen", success=False).count() == 5
    assert login_post(client, "officer", PASSWORD).status_code == 302  # other names are not affected


def test_lockout_message_in_english(client, personas):
    for _ in range(5):
        login_post(client, "citizen", "nope")
    r = login_post(client, "citizen", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429


def test_open_redirect_refused(client, personas):
    r = client.post(
        "/accounts/login/", {"username": "citizen", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert r.status_code == 302 and r["Location"] == "/workbench/"


def test_totp_enrol_then_login_needs_code(client, login, personas):
    user = personas["citizen"]
    login(user)
    client.post("/accounts/security/", {"action": "totp_start"})
    device = TotpDevice.objects.get(user=user)
    r = client.post("/accounts/security/", {"action": "totp_confirm", "code": "000000"})
    assert r.status_code == 422 and TotpDevice.objects.get(user=user).confirmed_at is None
    code = totp_code(device.secret, current_step())
    r = client.post("/accounts/security/", {"action": "totp_confirm", "code": code})
    assert r.status_code == 200 and TotpDevice.objects.get(user=user).confirmed_at is not None
    client.logout()
    r = login_post(client, "citizen", PASSWORD)
    assert r["Location"] == "/accounts/login/otp/"
    assert client.get("/api/v1/me").json() == {"authenticated": False}  # not logged in before the code
    r = client.post("/accounts/login/otp/", {"code": code})  # the code used to confirm cannot be replayed
    assert r.status_code == 422
    device.refresh_from_db()
    r = client.post("/accounts/login/otp/", {"code": totp_code(device.secret, current_step() + 1)})
    assert r.status_code == 302 and client.get("/api/v1/me").json()["username"] == "citizen"


def test_otp_step_without_password_step_goes_back(client):
    assert client.get("/accounts/login/otp/")["Location"] == "/accounts/login/"


def test_registration_sends_a_verification_link(client, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/accounts/register/",
            {
                "username": "li",
                "password": "a-long-passphrase-9",
                "kind": "citizen",
                "email": "li@example.cn",
            },
        )
    assert r.status_code == 302

    assert len(mail.outbox) == 1
    link = re.search(r"/accounts/verify-email/[^/\s]+/", mail.outbox[0].body).group(0)
    client.logout()
    assert client.get(link).status_code == 200
    assert User.objects.get(username="li").email_verified_at is not None
    bad = client.get(link[:-3] + "xx/")
    assert bad.status_code == 422 and "无效" in bad.content.decode()


def test_enterprise_needs_a_valid_credit_code(client):
    base = {
        "username": "corp",
        "password": "a-long-passphrase-9",
        "kind": "enterprise",
        "organization_name": "某公司",
    }
    r = client.post("/accounts/register/", base | {"organization_uscc": "91350100M000100Y44"})
    assert r.status_code == 422 and "统一社会信用代码" in r.content.decode()
    r = client.post("/accounts/register/", base | {"organization_uscc": VALID_USCC.lower()})
    assert r.status_code == 302 and User.objects.get(username="corp").organization_uscc == VALID_USCC


def test_security_page_needs_login(client):
    assert client.get("/accounts/security/").status_code == 302


def test_staff_pages_need_a_second_factor_when_required(client, settings, personas):
    from kaifang.accounts.permissions import COMMAND_LINE
    from kaifang.accounts.services import totp_enrolment_code_issue

    settings.KAIFANG_STAFF_2FA_REQUIRED = True
    r = login_post(client, "reviewer", PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/accounts/security/"  # sent to enrol
    r = client.get("/staff/review/")
    assert r.status_code == 302 and r["Location"] == "/accounts/security/"
    page = client.get("/accounts/security/").content.decode()
    assert 'name="enrolment_code"' in page and "绑定码" in page
    enrolment = totp_enrolment_code_issue(actor=COMMAND_LINE, user=personas["reviewer"])
    client.post("/accounts/security/", {"action": "totp_start", "enrolment_code": enrolment})
    device = TotpDevice.objects.get(user=personas["reviewer"])
    client.post(
        "/accounts/security/", {"action": "totp_confirm", "code": totp_code(device.secret, current_step())}
    )
    client.post("/accounts/logout/")
    login_post(client, "reviewer", PASSWORD)
    client.post("/accounts/login/otp/", {"code": totp_code(device.secret, current_step() + 1)})
    assert client.get("/staff/review/").status_code == 200
    client.logout()
    login_post(client, "citizen", PASSWORD)
    assert client.get("/").status_code == 200  # the public is never asked
