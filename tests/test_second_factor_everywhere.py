"""The staff second factor holds on every endpoint, present and future (issue 12 item 1).

Every URL pattern of the project (Django views and every API operation with each of its methods) is called,
with real objects in its path, by two people: a staff account holding EVERY staff role that logged in with a
password alone (KAIFANG_STAFF_2FA_REQUIRED on), and a registered citizen who owns nothing. They must get the
same answer everywhere: whatever a password-only staff session can do or read, a citizen can too. A new
endpoint that decides privilege by anything other than core.actors.roles_of (a role query of its own, the
user's kind, is_staff, a freshly loaded user) answers them differently and fails here; a new path parameter
without objects to fill it fails with the name of the parameter to add.

The same walk with the staff account's second-factor session must differ from the citizen's on the
privileged endpoints, which shows the walk reaches them.
"""

import json
import re

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from kaifang.accounts.security import SESSION_2FA
from kaifang.catalog.codes import slug_for_code

pytestmark = pytest.mark.django_db

CSV = "编号,名称\n1,甲\n2,乙\n"
FIELDS = [{"name": "编号", "data_type": "N", "length": 8}, {"name": "名称", "data_type": "C", "length": 16}]
# Routes that end or switch the session itself; they say nothing about privilege.
SKIPPED = {
    "accounts/logout/",
    "accounts/login/",
    "accounts/login/otp/",
    "accounts/register/",
    "i18n/setlang/",
}
PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def all_routes():
    def walk(resolver, prefix):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                yield from walk(p, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)

    seen = []
    for route in walk(get_resolver(), ""):
        route = route.lstrip("^").rstrip("$")
        if route not in seen and not route.startswith("admin/") and route not in SKIPPED:
            seen.append(route)
    return seen


@pytest.fixture
def world(personas, make_table, make_dataset, departments, regions, settings, tmp_path):
    """Objects in every state a privileged act or read could touch, owned by neither caller."""
    from kaifang.access import services as access
    from kaifang.accounts.models import RoleAssignment, User
    from kaifang.catalog.models import DuplicateFlag
    from kaifang.tabular.services import table_ingest

    settings.KAIFANG_RATELIMIT_ENABLED = False
    public = make_table(CSV, FIELDS, title="公开表")
    path = tmp_path / "v2.csv"
    path.write_text(CSV + "3,丙\n", encoding="utf-8")
    table_ingest(actor=personas["officer"], dataset=public, path=path, filename="v2.csv")  # unpublished v2
    conditional = make_table(
        CSV, FIELDS, title="有条件表", open_attribute="conditional", open_condition="签署协议"
    )
    body = {
        "purpose": "研究",
        "scenario": "城市交通分析",
        "requested_fields": ["编号"],
        "period_start": "2026-01-01",
        "period_end": "2027-12-31",
        "security_measures": "专人专机",
        "accept_agreement": True,
    }
    app = access.access_application_submit(actor=personas["enterprise"], dataset=conditional, data=body)
    access.access_application_approve(actor=personas["officer"], application=app)
    access.access_application_submit(actor=personas["enterprise"], dataset=conditional, data=body)
    draft = make_dataset("draft", title="草稿")
    submitted = make_dataset("submitted", title="待审")
    withdrawn = make_dataset("withdrawn", title="已撤回")
    DuplicateFlag.objects.create(dataset=submitted, other=public, item_key="k")
    from kaifang.operations.services import work_order_open

    work_order_open(
        actor=personas["enterprise"], kind="consultation", title="咨询", body="内容", dataset=public
    )
    from kaifang.interaction import services as interaction

    interaction.comment_submit(actor=personas["enterprise"], dataset=public, text="评论", rating=4)
    interaction.public_request_submit(
        actor=personas["enterprise"], kind="consultation", title="咨询", body="内容"
    )

    boss = User.objects.create_user(username="boss", password="x-long-pass-2026", kind="staff")
    boss.is_superuser = boss.is_staff = True
    boss.save()
    for role in (
        {"role": "officer", "department": departments["transport"]},
        {"role": "reviewer", "region": regions["city"]},
        {"role": "county_admin", "region": regions["xianan"]},
        {"role": "operator"},
        {"role": "auditor"},
        {"role": "evaluator"},
    ):
        RoleAssignment.objects.create(user=boss, **role)
    twin = User.objects.create_user(username="twin", password="x-long-pass-2026", kind="citizen")
    datasets = [draft, submitted, public, conditional, withdrawn]
    return {"boss": boss, "twin": twin, "slugs": [slug_for_code(d.code) for d in datasets]}


def parameter_values(route, name, world):
    from kaifang.access.models import AccessApplication, AccessGrant
    from kaifang.catalog.models import DuplicateFlag
    from kaifang.interaction.models import Comment, PublicRequest
    from kaifang.notifications.models import Notification
    from kaifang.operations.models import WorkOrder
    from kaifang.scenarios.models import ScenarioApplication
    from kaifang.search.models import Synonym
    from kaifang.tabular.models import Upload
    from kaifang.tenancy.models import Department, ResponsibilityItem

    def pks(model):
        return [str(pk) for pk in model.objects.order_by("pk").values_list("pk", flat=True)[:3]] or ["999999"]

    by_name = {
        "slug": lambda: world["slugs"],
        "number": lambda: ["1", "2"],
        "app_id": lambda: pks(AccessApplication),
        "wo_id": lambda: pks(WorkOrder),
        "request_id": lambda: pks(PublicRequest),
        "comment_id": lambda: pks(Comment),
        "grant_id": lambda: pks(AccessGrant),
        "notification_id": lambda: pks(Notification),
        "upload_id": lambda: pks(Upload),
        "flag_id": lambda: pks(DuplicateFlag),
        "item_id": lambda: pks(ResponsibilityItem),
        "uscc": lambda: list(Department.objects.values_list("uscc", flat=True)[:2]),
        "code": lambda: ["421200", "421202"],
        "token": lambda: ["not-a-token"],
        "relative": lambda: ["x/y.csv"],
    }
    if name == "action":
        if route.startswith("tabular/"):
            return ["publish", "rollback"]
        if route.startswith("interaction/comments/"):
            return ["publish", "reject", "reply"]
        return ["submit", "review-start", "publish", "return", "withdraw", "reopen"]
    if name == "pk":
        for prefix, model in (
            ("api/v1/scenarios", ScenarioApplication),
            ("applications/", ScenarioApplication),
            ("api/v1/search/synonyms", Synonym),
            ("access/", AccessApplication),
            ("inbox/", Notification),
            ("workorders/", WorkOrder),
            ("requests/", PublicRequest),
            ("interaction/comments/", Comment),
            ("staff/duplicates/", DuplicateFlag),
            ("staff/responsibilities/", ResponsibilityItem),
        ):
            if route.startswith(prefix):
                return pks(model)
    if name not in by_name:
        raise AssertionError(f"{route}: no objects for path parameter <{name}>; add them to parameter_values")
    return by_name[name]()


def urls_for(route, world):
    urls = ["/" + route]
    for name in PARAM.findall(route):
        values = parameter_values(route, name, world)
        urls = [PARAM.sub(lambda _m, v=v: v, u, count=1) for u in urls for v in values]
    return urls


def api_operations(schema, route):
    """Methods and a minimal valid body per method, from the OpenAPI schema (all methods if absent)."""
    path = "/" + PARAM.sub(r"{\1}", route)
    ops = schema["paths"].get(path)
    if ops is None:
        return {m: None for m in ("get", "post", "put", "patch", "delete")}
    return {
        m: example_body(schema, op) for m, op in ops.items() if m in ("get", "post", "put", "patch", "delete")
    }


def example_body(schema, op):
    content = (op.get("requestBody") or {}).get("content") or {}
    if "application/json" not in content:
        return None
    return example(schema, content["application/json"]["schema"])


def example(schema, node, depth=0):
    if "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            return example(schema, node[key][0], depth)
    if "default" in node:
        return node["default"]
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        if depth > 3:
            return {}
        return {k: example(schema, v, depth + 1) for k, v in (node.get("properties") or {}).items()}
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return True
    if node.get("format") == "date":
        return "2026-06-01"
    return "测试"


def call(client, method, url, body):
    """One request, its effects rolled back so each caller meets the same world."""
    cache.clear()
    with transaction.atomic():
        if body is None:
            r = client.generic(method.upper(), url) if method != "post" else client.post(url, {})
        else:
            r = client.generic(method.upper(), url, json.dumps(body), content_type="application/json")
        transaction.set_rollback(True)
    return r


def session(user, second_factor):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    if second_factor:
        s = client.session
        s[SESSION_2FA] = user.pk
        s.save()
    return client


def key_client(user, second_factor):
    """A read and write key as keys made before the flag existed (second_factor false) or after."""
    from kaifang.accounts.models import ApiKey

    key = ApiKey.objects.create(
        user=user,
        name="walk",
        prefix=f"w{user.pk:07d}"[:8],
        digest=ApiKey.hash_secret("s3cret"),
        scopes=["read", "write"],
        second_factor=second_factor,
    )
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer kf_{key.prefix}_s3cret")


def walk(world, staff_client, twin=None, api_only=False):
    from kaifang.config.api import api

    schema = api.get_openapi_schema()
    twin = twin or session(world["twin"], second_factor=True)
    differences = []
    for route in all_routes():
        if api_only and not route.startswith("api/"):
            continue
        methods = api_operations(schema, route) if route.startswith("api/") else {"get": None, "post": None}
        for url in urls_for(route, world):
            for method, body in methods.items():
                staff = call(staff_client, method, url, body)
                if route.startswith(("staff/", "admin/")) and staff.status_code == 302:
                    if staff["Location"] == "/accounts/security/":
                        continue  # sent to enrol, as staff pages do
                citizen = call(twin, method, url, body)
                if staff.status_code != citizen.status_code:
                    differences.append(
                        f"{method.upper()} {url}: staff {staff.status_code}, citizen {citizen.status_code}"
                    )
    return differences


def test_a_password_alone_gives_no_staff_power_on_any_endpoint(world, settings):
    settings.KAIFANG_STAFF_2FA_REQUIRED = True
    differences = walk(world, session(world["boss"], second_factor=False))
    assert differences == [], "password-only staff sessions reach privileged answers:\n" + "\n".join(
        differences
    )


def test_a_key_made_with_a_password_alone_gives_no_staff_power(world, settings):
    settings.KAIFANG_STAFF_2FA_REQUIRED = True
    staff, twin = key_client(world["boss"], False), key_client(world["twin"], True)
    differences = walk(world, staff, twin, api_only=True)
    assert differences == [], "password-only staff keys reach privileged answers:\n" + "\n".join(differences)
    assert staff.get("/api/v1/me").json()["username"] == "boss"  # the walk did use the key
    assert staff.get("/api/v1/datasets?catalog=resource").status_code == 404
    key = world["boss"].api_keys.get()
    key.second_factor = True  # the same key as if made from a second-factor session
    key.save()
    assert staff.get("/api/v1/datasets?catalog=resource").status_code == 200


def test_the_walk_reaches_privileged_endpoints(world, settings):
    settings.KAIFANG_STAFF_2FA_REQUIRED = True
    differences = walk(world, session(world["boss"], second_factor=True))
    public, submitted = world["slugs"][2], world["slugs"][1]
    for expected in (
        f"POST /api/v1/datasets/{submitted}/review-start: staff 200",
        f"POST /api/v1/datasets/{public}/versions/2/publish: staff 200",
        f"GET /privacy/datasets/{public}/versions/1/raw: staff 200",
        f"GET /api/v1/datasets/{world['slugs'][0]}: staff 200",
        "GET /staff/: staff 200",
    ):
        assert any(d.startswith(expected) for d in differences), expected
    assert len(differences) > 40, differences
