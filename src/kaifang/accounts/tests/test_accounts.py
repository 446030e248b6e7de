"""Accounts: registration, staff accounts and API keys, with their permissions."""

import subprocess
import sys

import pytest

from kaifang.accounts import permissions as perm
from kaifang.accounts.models import ApiKey, User
from kaifang.accounts.services import api_key_create, api_key_revoke, staff_user_create, user_register
from kaifang.core.errors import Forbidden, ValidationFailed

pytestmark = pytest.mark.django_db


def test_register_and_double_submission(db):
    from django.contrib.auth.models import AnonymousUser

    u = user_register(
        actor=AnonymousUser(), username="zhang", password="a-long-passphrase", display_name="张三"
    )
    assert u.kind == "citizen" and u.check_password("a-long-passphrase")
    # A taken name is not an error (that would tell anyone which names exist): no account, no change.
    assert user_register(actor=AnonymousUser(), username="ZHANG", password="another-passphrase") is None
    assert User.objects.count() == 1 and User.objects.get().check_password("a-long-passphrase")


@pytest.mark.parametrize(
    ("username", "password", "key"),
    [
        ("", "a-long-passphrase", "username"),
        ("bad name", "a-long-passphrase", "username"),
        ("ok", "short", "password"),
    ],
)
def test_register_rejects_bad_input(db, username, password, key):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationFailed) as exc:
        user_register(actor=AnonymousUser(), username=username, password=password)
    assert key in exc.value.details


def test_enterprise_needs_organisation(db):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ValidationFailed):
        user_register(actor=AnonymousUser(), username="corp", password="a-long-passphrase", kind="enterprise")


def test_staff_accounts_only_by_operators(personas, departments):
    roles = [{"role": "officer", "department": departments["education"]}]
    with pytest.raises(Forbidden):
        staff_user_create(
            actor=personas["reviewer"],
            username="new",
            password="a-long-passphrase",
            display_name="x",
            roles=roles,
        )
    u = staff_user_create(
        actor=personas["operator"],
        username="new",
        password="a-long-passphrase",
        display_name="x",
        roles=roles,
    )
    assert u.roles.get().department == departments["education"]
    with pytest.raises(ValidationFailed):
        staff_user_create(
            actor=personas["operator"],
            username="new2",
            password="a-long-passphrase",
            display_name="x",
            roles=[{"role": "officer"}],
        )


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "officer", "reviewer", "operator", "auditor"])
def test_permission_matrix(personas, persona):
    p = personas[persona]
    owner = personas["citizen"]
    key, _ = api_key_create(actor=owner, owner=owner)
    assert perm.can_user_register(p) is (persona == "anonymous")
    assert perm.can_staff_user_create(p) is (persona == "operator")
    assert perm.can_api_key_create(p, owner) is (persona in {"citizen", "operator"})
    assert perm.can_api_key_revoke(p, key) is (persona in {"citizen", "operator"})


def test_keys_are_stored_hashed(personas):
    key, secret = api_key_create(actor=personas["citizen"], owner=personas["citizen"])
    assert secret.startswith(f"kf_{key.prefix}_") and secret.split("_", 2)[2] not in key.digest
    with pytest.raises(Forbidden):
        api_key_revoke(actor=personas["officer"], key=key)


def test_me_endpoint(client, personas):
    assert client.get("/api/v1/me").json() == {"authenticated": False}
    _key, secret = api_key_create(actor=personas["officer"], owner=personas["officer"])
    body = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert body["username"] == "officer" and body["roles"][0]["role"] == "officer"


def test_apikey_cli(tmp_path, transactional_db):
    home = tmp_path / "home"
    env = {"KAIFANG_HOME": str(home), "PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{home}/k.sqlite3"}
    setup = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='kaifang.config.settings';django.setup();"
        "from django.core.management import call_command;call_command('migrate',verbosity=0);"
        "from kaifang.accounts.models import User;User.objects.create_user('dev',password='x'*10)"
    )
    subprocess.run([sys.executable, "-c", setup], env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-m", "kaifang.cli", "apikey", "create", "dev"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out.startswith("kf_")
    missing = subprocess.run(
        [sys.executable, "-m", "kaifang.cli", "apikey", "create", "nobody"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "用户不存在" in missing.stderr
    assert ApiKey.objects.count() == 0  # the CLI wrote to its own database, not the test one


def test_operator_reaches_the_admin_and_datasets_are_read_only(client, personas, departments, make_dataset):
    op = staff_user_create(
        actor=personas["operator"],
        username="op2",
        password="a-long-passphrase",
        display_name="运营",
        roles=[{"role": "operator"}],
    )
    ds = make_dataset("published")
    client.force_login(op)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/tenancy/department/").status_code == 200
    assert client.get(f"/admin/catalog/dataset/{ds.pk}/change/").status_code == 200  # view only
    r = client.post(f"/admin/catalog/dataset/{ds.pk}/change/", {"title": "改"})
    assert r.status_code == 403
    client.force_login(personas["officer"])
    assert client.get("/admin/").status_code == 302  # not staff: sent to the admin login
