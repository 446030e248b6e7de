"""Issue 12 items 4, 5 and 6 (registration): sessions that logout ends, owner-only files, sealed TOTP secrets,
throttling per account and per client address behind trusted proxies, registration that names no names."""

import os
import stat
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from kaifang.accounts.models import LoginAttempt, TotpDevice, User
from kaifang.accounts.security import client_address, current_step, totp_code, totp_match
from kaifang.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


def login_post(client, username, password=PASSWORD, ip="127.0.0.1", **extra):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )


# --- item 4: sessions, files, TOTP secrets ---------------------------------------------------------------


def test_a_copied_session_cookie_stops_working_at_logout(client, personas):
    from django.conf import settings

    assert login_post(client, "citizen").status_code == 302
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert thief.get("/api/v1/me").json()["username"] == "citizen"  # the copy works while the session lives
    client.post("/accounts/logout/")
    assert thief.get("/api/v1/me").json() == {"authenticated": False}


def test_files_under_kaifang_home_are_owner_only(tmp_path):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    (home / "secret_key").write_text("an-old-world-readable-key")
    os.chmod(home / "secret_key", 0o644)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "KAIFANG_SECRET_KEY", "KAIFANG_UMASK")
    }
    env |= {"KAIFANG_HOME": str(home), "DJANGO_SETTINGS_MODULE": "kaifang.config.settings"}
    script = (
        "import django; django.setup()\n"
        "from django.db import connection; connection.ensure_connection()\n"
        "from kaifang.accounts import crypto; crypto.seal('x', 'test')\n"
        "open(__import__('django.conf').conf.settings.KAIFANG_HOME / 'upload.csv', 'w').write('a')\n"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)  # noqa: S603

    def mode(name):
        return stat.S_IMODE((home / name).stat().st_mode)

    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert mode("secret_key") == 0o600  # the existing file was closed
    assert mode("kaifang.sqlite3") == 0o600
    assert mode("field.key") == 0o600
    assert mode("upload.csv") == 0o600  # anything else the process writes, through the umask


def test_totp_secrets_are_sealed_in_the_database(personas):
    from kaifang.accounts.services import totp_enroll_start

    device = totp_enroll_start(actor=personas["citizen"])
    plain = device.secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert stored != plain and plain not in stored and stored.startswith("kf1:")
    loaded = TotpDevice.objects.get(pk=device.pk)
    assert loaded.secret == plain
    assert totp_match(loaded.secret, totp_code(plain, current_step()), last_step=0) is not None


def test_plain_secrets_from_before_are_sealed_by_the_migration(personas):
    import importlib

    from django.apps import apps

    from kaifang.accounts.services import totp_enroll_start

    device = totp_enroll_start(actor=personas["citizen"])
    plain = device.secret
    with connection.cursor() as cursor:  # a row as 0005 wrote it
        cursor.execute("UPDATE accounts_totpdevice SET secret = %s WHERE id = %s", [plain, device.pk])
    assert TotpDevice.objects.get(pk=device.pk).secret == plain  # still readable before the migration
    migration = importlib.import_module("kaifang.accounts.migrations.0007_seal_totp_secrets")
    migration.seal_existing(apps, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk])
        assert cursor.fetchone()[0].startswith("kf1:")
    assert TotpDevice.objects.get(pk=device.pk).secret == plain


# --- item 5: lockout ----------------------------------------------------------------------------------------


def test_twenty_failures_from_one_address_do_not_lock_other_addresses(client, personas):
    for i in range(20):
        login_post(client, f"nobody{i}", "wrong", ip="203.0.113.9")
    assert login_post(client, "citizen", ip="203.0.113.9").status_code == 429  # that address waits
    assert login_post(Client(), "citizen", ip="198.51.100.7").status_code == 302
    assert login_post(Client(), "officer", ip="198.51.100.8").status_code == 302


def test_failures_on_an_account_do_not_lock_its_owner_out_from_elsewhere(client, personas):
    for _ in range(5):
        login_post(client, "citizen", "wrong", ip="203.0.113.9")
    assert login_post(client, "citizen", ip="203.0.113.9").status_code == 429
    assert login_post(Client(), "citizen", ip="198.51.100.7").status_code == 302
    assert login_post(Client(), "officer", ip="203.0.113.9").status_code == 302  # other accounts: never


def test_a_distributed_guess_locks_the_account_except_for_known_addresses(client, personas):
    assert login_post(Client(), "citizen", ip="198.51.100.7").status_code == 302  # the owner's usual address
    for i in range(50):
        login_post(Client(), "citizen", "wrong", ip=f"203.0.113.{i + 1}")
    assert login_post(Client(), "citizen", ip="192.0.2.200").status_code == 429  # a new address waits
    assert login_post(Client(), "citizen", ip="198.51.100.7").status_code == 302  # the owner does not
    assert login_post(Client(), "officer", ip="192.0.2.200").status_code == 302


def test_users_behind_a_trusted_proxy_are_told_apart(client, settings, personas):
    settings.KAIFANG_TRUSTED_PROXIES = ["10.0.0.0/8"]
    for i in range(20):
        login_post(client, f"nobody{i}", "wrong", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"203.0.113.9"}
    # Everyone else behind the same proxy still logs in; the guesser does not.
    ok = login_post(Client(), "citizen", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert ok.status_code == 302
    r = login_post(Client(), "officer", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert r.status_code == 429


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client, settings, personas):
    settings.KAIFANG_TRUSTED_PROXIES = ["10.0.0.2"]
    for i in range(20):  # a guesser inventing a new address for every try
        login_post(client, f"nobody{i}", "wrong", ip="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    assert set(LoginAttempt.objects.values_list("ip", flat=True)) == {"203.0.113.9"}
    assert login_post(client, "officer", ip="203.0.113.9").status_code == 429


def test_client_address_takes_the_rightmost_untrusted_hop(settings):
    rf = RequestFactory()
    settings.KAIFANG_TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]

    def addr(remote, xff=None):
        extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
        return client_address(rf.get("/", REMOTE_ADDR=remote, **extra))

    assert addr("203.0.113.5") == "203.0.113.5"
    assert addr("203.0.113.5", "1.2.3.4") == "203.0.113.5"  # not from a proxy we trust
    assert addr("10.0.0.2", "198.51.100.7") == "198.51.100.7"
    # The client wrote "1.2.3.4" itself; the proxies appended the real hops.
    assert addr("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.9") == "198.51.100.7"
    assert addr("10.0.0.2", "198.51.100.7:5123") == "198.51.100.7"
    assert addr("2001:db8::1", "[2001:db8:ffff::1]:443, 2a00::1") == "2a00::1"
    assert addr("10.0.0.2", "garbage") == "10.0.0.2"
    assert addr("10.0.0.2", "") == "10.0.0.2"
    assert addr("10.0.0.2", "10.0.0.7, 10.0.0.8") == "10.0.0.7"  # all trusted: the farthest one
    settings.KAIFANG_TRUSTED_PROXIES = []
    assert addr("10.0.0.2", "198.51.100.7") == "10.0.0.2"


# --- item 6: registration names no names -------------------------------------------------------------------


def test_registration_answers_alike_whether_or_not_the_name_is_taken(client, personas):
    def register(username):
        c = Client()
        r = c.post(
            "/accounts/register/",
            {"username": username, "password": "a-long-passphrase-9", "kind": "citizen"},
            follow=True,
        )
        messages = [str(m) for m in r.context["messages"]]
        return r.status_code, r.redirect_chain, messages

    taken = register("Citizen")  # the persona "citizen" exists (names compare without case)
    free = register("newcomer")
    assert taken == free
    assert "请使用刚才填写的用户名和密码登录" in free[2][0]
    assert User.objects.filter(username="newcomer").exists()
    assert User.objects.get(username="citizen").check_password(PASSWORD)  # nothing changed for the owner
    assert not User.objects.filter(username="Citizen").exists()
    # The new account works at once; the taken name's owner is untouched.
    assert login_post(Client(), "newcomer", "a-long-passphrase-9").status_code == 302


def test_registration_still_reports_input_errors(client):
    r = client.post("/accounts/register/", {"username": "bad name!", "password": "x", "kind": "citizen"})
    assert r.status_code == 422 and "用户名须为1到64位字母" in r.content.decode()
    assert not User.objects.exists()
