"""Security headers on every page: a Content-Security-Policy that refuses inline script and style, and HTML
that needs neither (no inline <script> without the request's nonce, no on*= handlers, no style="" attributes,
no javascript: URLs, no htmx expressions that need eval). The portal is crawled as the public and as staff,
so a new page or a new inline handler anywhere reachable fails here; the template sources are scanned too,
for branches the crawl's data does not reach. HTTPS settings (Secure cookies, HSTS, the proxy's header) are
read from the environment in a fresh interpreter, as `kaifang serve` would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "kaifang"

FIELDS = [
    {"name": "编号", "name_en": "id", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "名称", "name_en": "name", "data_type": "C", "length": 64},
    {"name": "数量", "name_en": "amount", "data_type": "N", "length": 12},
    {"name": "类别", "name_en": "kind", "data_type": "C", "length": 8},
    {"name": "经度", "name_en": "lon", "data_type": "N"},
    {"name": "纬度", "name_en": "lat", "data_type": "N"},
]
CSV = (
    "编号,名称,数量,类别,经度,纬度\n"
    "A001,咸宁市第一中学,12.5,甲,114.32,29.84\n"
    "A002,温泉游客中心,3,乙,114.30,29.85\n"
    "A003,嘉鱼县图书馆,,丙,113.92,29.97\n"
    "A004,赤壁市体育馆,40,甲,113.90,29.72\n"
)
# Script types a browser does not execute: data blocks, which CSP does not govern.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}
# htmx attributes whose value is evaluated as JavaScript when it starts with js: or javascript:.
HTMX_EVAL_ATTRS = {"hx-vals", "hx-vars", "hx-headers", "data-hx-vals", "data-hx-vars", "data-hx-headers"}


def csp_directives(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0].lower()] = words[1:]
    return out


class InlineCodeFinder(HTMLParser):
    """Everything in a page that a CSP without 'unsafe-inline' (or 'unsafe-eval') would refuse."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self._inline_script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            value = (value or "").strip()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event-handler attribute")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"<{tag} {name}=…> htmx inline handler")
            elif name == "style":
                self.problems.append(f'<{tag} style="{value[:40]}"> inline style attribute')
            elif name in HTMX_EVAL_ATTRS and value.lower().startswith(("js:", "javascript:")):
                self.problems.append(f"<{tag} {name}=…> htmx expression needing eval")
            elif name in {"hx-trigger", "data-hx-trigger"} and "[" in value:
                self.problems.append(f"<{tag} {name}={value!r}> htmx trigger filter needing eval")
            elif re.sub(r"\s", "", value).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…> script URL")
        if tag == "script" and not values.get("src"):
            kind = (values.get("type") or "").strip().lower()
            if kind not in DATA_SCRIPT_TYPES and not (self.nonce and values.get("nonce") == self.nonce):
                self._inline_script = f"<script> without the response's nonce (type={kind or 'js'!r})"
        if tag == "style" and not (self.nonce and values.get("nonce") == self.nonce):
            self.problems.append("<style> element without the response's nonce")

    def handle_data(self, data: str) -> None:
        if self._inline_script and data.strip():
            self.problems.append(f"{self._inline_script}: {data.strip()[:60]!r}")
            self._inline_script = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inline_script = None


def inline_code(html: str, nonce: str | None = None) -> list[str]:
    finder = InlineCodeFinder(nonce)
    finder.feed(html)
    finder.close()
    return finder.problems


def test_the_checker_finds_what_the_policy_would_refuse() -> None:
    """The crawl below is only as good as this checker: each of these would break under the policy."""
    assert inline_code('<button onclick="go()">x</button>')
    assert inline_code('<select onchange="this.form.submit()"></select>')
    assert inline_code('<div hx-on:click="alert(1)"></div>')
    assert inline_code('<div hx-on::after-request="x()"></div>')
    assert inline_code('<div hx-vals="js:{a: window.x}"></div>')
    assert inline_code("<input hx-trigger=\"keyup[key=='Enter']\">")
    assert inline_code('<a href=" javascript:alert(1)">x</a>')
    assert inline_code('<span style="width: 50%"></span>')
    assert inline_code("<script>alert(1)</script>")
    assert inline_code('<script nonce="abc">alert(1)</script>', nonce="other")
    assert inline_code("<style>body{}</style>")
    assert inline_code('<script type="module">import "x"</script>')
    # ... and none of these would.
    assert not inline_code('<script nonce="abc">alert(1)</script>', nonce="abc")
    assert not inline_code('<script src="/static/x.js"></script>')
    assert not inline_code('<script type="application/json" id="d">{"a": 1}</script>')
    assert not inline_code('<select data-autosubmit hx-trigger="input changed delay:200ms, search"></select>')
    assert not inline_code('<body hx-headers=\'{"X-CSRFToken": "t"}\'><a href="/x">javascript is fine</a>')


def assert_headers_and_html(url: str, response: Any) -> None:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"{url}: no Content-Security-Policy header"
    directives = csp_directives(policy)
    script_src = directives.get("script-src", directives.get("default-src"))
    style_src = directives.get("style-src", directives.get("default-src"))
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, url
    assert style_src and "'unsafe-inline'" not in style_src, url
    assert directives.get("object-src") == ["'none'"] and directives.get("frame-ancestors") == ["'none'"], url
    assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert response.headers.get("Referrer-Policy") == "same-origin", url
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    nonces = [v[len("'nonce-") : -1] for v in script_src if v.startswith("'nonce-")]
    problems = inline_code(response.content.decode("utf-8"), nonces[0] if nonces else None)
    assert not problems, f"{url}: {problems}"


SKIP_PREFIXES = ("/static/", "/files/", "/admin/", "/i18n/", "/accounts/logout", "/api/")


def links(html: str, base: str) -> list[str]:
    found = re.findall(r'\s(?:href|hx-get)="([^"#]+)', html)
    out = []
    for raw in found:
        url = urljoin(base, raw.replace("&amp;", "&"))
        parts = urlsplit(url)
        if parts.netloc not in ("", "testserver") or parts.path.startswith(SKIP_PREFIXES):
            continue
        if "download" in parts.path or "format=" in parts.query:
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def crawl(client: Any, seeds: list[str], limit: int = 150) -> dict[str, int]:
    """Breadth-first over the portal's own links and htmx loads; every HTML page is checked on the way."""
    seen: dict[str, int] = {}
    queue = deque(seeds)
    while queue and len(seen) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if response.status_code in (301, 302):
            continue
        assert_headers_and_html(url, response)
        if response.get("Content-Type", "").startswith("text/html"):
            # Same-path links with another query (facets, pages, sort orders) are many; a few of each will do.
            for link in links(response.content.decode("utf-8"), url):
                same_path = sum(1 for u in seen if u.split("?")[0] == link.split("?")[0])
                if link not in seen and same_path < 4:
                    queue.append(link)
    return seen


@pytest.fixture
def portal(settings: Any, tmp_path: Path, make_table: Any, make_dataset: Any) -> dict[str, Any]:
    from django.core.cache import cache

    from kaifang.catalog.codes import slug_for_code

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    cache.clear()
    table = make_table(CSV, FIELDS, title="学校与场馆点位")
    conditional = make_dataset(
        title="企业登记信息",
        open_attribute="conditional",
        open_condition="需申请",
        share_type="conditional",
        share_condition="需申请",
    )
    draft = make_dataset("draft", title="待提交的数据资源")
    return {
        "table": slug_for_code(table.code),
        "conditional": slug_for_code(conditional.code),
        "draft": slug_for_code(draft.code),
    }


@pytest.mark.django_db
def test_public_pages_carry_the_policy_and_no_inline_code(client: Any, portal: dict[str, Any]) -> None:
    slug = portal["table"]
    seeds = [
        "/",
        "/datasets/",
        f"/datasets/{slug}/",
        f"/tabular/datasets/{slug}/data-panel/",
        f"/tabular/datasets/{slug}/preview/?q=馆",
        f"/datasets/{portal['conditional']}/",
        "/datasets/?q=学校",
        "/search/suggest/?q=学",
        "/graph/",
        "/services/",
        "/developer/",
        "/index/",
        "/interaction/",
        "/progress/",
        "/applications/",
        "/accounts/login/",
        "/accounts/register/",
        "/no-such-page/",
        f"/datasets/{portal['draft']}/",  # a 404 page
    ]
    seen = crawl(client, seeds)
    # The crawl reached every kind of page, including a department's and a county's (linked from the pages).
    paths = {u.split("?")[0] for u in seen}
    for expected in seeds[:5]:
        assert expected.split("?")[0] in paths
    assert any(p.startswith("/organizations/") for p in paths), sorted(paths)
    assert any(p.startswith("/regions/") for p in paths), sorted(paths)
    assert seen["/no-such-page/"] == 404

    docs = client.get("/api/docs")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert_headers_and_html("/api/docs", docs)
    # The JSON API has the policy too (it costs nothing and covers a browser opening a response directly).
    api = client.get("/api/v1/datasets")
    assert "default-src 'self'" in api["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["officer", "reviewer", "operator", "citizen"])
def test_signed_in_pages_carry_the_policy_and_no_inline_code(
    client: Any, login: Any, personas: dict[str, Any], portal: dict[str, Any], persona: str
) -> None:
    slug = portal["table"]
    login(personas[persona])
    seeds = [
        "/",
        f"/datasets/{slug}/",
        f"/tabular/datasets/{slug}/data-panel/",
        "/accounts/security/",
        "/accounts/keys/",
        "/access/",
        "/access/usage/",
        "/access/calls/",
        f"/access/apply/{portal['conditional']}/",
        "/applications/new/",
        "/graph/",
    ]
    if persona != "citizen":
        seeds += [
            "/staff/",
            "/staff/datasets/new/",
            f"/staff/datasets/{portal['draft']}/edit/",
            "/staff/review/",
            "/staff/responsibilities/",
            "/staff/import/",
            "/staff/search/",
            "/staff/search/ranking/",
            f"/tabular/datasets/{slug}/upload/",
            f"/privacy/datasets/{slug}/",
            f"/privacy/datasets/{slug}/lifecycle/",
            f"/datasets/{portal['draft']}/",
        ]
    seen = crawl(client, seeds, limit=120)
    ok = {u for u, status in seen.items() if status == 200}
    assert "/accounts/security/" in ok and "/access/usage/" in ok
    if persona == "officer":
        assert {"/staff/", "/staff/datasets/new/", f"/tabular/datasets/{slug}/upload/"} <= ok, sorted(ok)
    if persona == "reviewer":
        assert "/staff/review/" in ok


def test_no_template_has_inline_code() -> None:
    """The sources as written, so a branch the crawl's data does not reach cannot hide an inline handler."""
    templates = sorted(SRC.glob("**/templates/**/*.html"))
    assert len(templates) > 40
    problems = {}
    for path in templates:
        # Django tags inside a start tag read as odd attribute names; neutralise them, keep the attributes.
        text = re.sub(r"\{%.*?%\}|\{#.*?#\}", " ", path.read_text(encoding="utf-8"), flags=re.S)
        text = re.sub(r"\{\{.*?\}\}", "x", text, flags=re.S)
        found = inline_code(text)
        if found:
            problems[str(path.relative_to(SRC))] = found
    assert not problems


def test_the_nonce_is_in_the_policy_when_a_template_uses_it(rf: Any) -> None:
    """Should an inline script ever be needed, {{ csp_nonce }} and the header agree (Django's middleware)."""
    from django.http import HttpResponse
    from django.middleware.csp import ContentSecurityPolicyMiddleware
    from django.template import engines

    def view(request: Any) -> HttpResponse:
        template = engines["django"].from_string('<script nonce="{{ csp_nonce }}">1</script>')
        return HttpResponse(template.render({}, request))

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/"))
    nonce = re.search(r'nonce="([^"]+)"', response.content.decode()).group(1)
    assert f"'nonce-{nonce}'" in csp_directives(response["Content-Security-Policy"])["script-src"]
    assert not inline_code(response.content.decode(), nonce)


def settings_in(env: dict[str, str], tmp_path: Path) -> dict[str, Any]:
    """The settings a fresh process reads from this environment (as `kaifang serve` starts)."""
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
        "getattr(s, k) for k in ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE', "
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_SSL_REDIRECT', "
        "'SECURE_PROXY_SSL_HEADER', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY']}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KAIFANG_HTTPS", "KAIFANG_HSTS"))}
    base.pop("KAIFANG_PROXY_SSL_HEADER", None)
    base.pop("KAIFANG_SSL_REDIRECT", None)
    run_env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "kaifang.config.settings",
        "KAIFANG_HOME": str(tmp_path),
        "KAIFANG_SECRET_KEY": "test-only-" + "x" * 40,
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=run_env, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode:
        return {"error": result.stderr}
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_https_settings_come_from_the_environment(tmp_path: Path) -> None:
    plain = settings_in({}, tmp_path)
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["SECURE_HSTS_SECONDS"] == 0
    assert plain["SECURE_PROXY_SSL_HEADER"] is None and plain["SECURE_SSL_REDIRECT"] is False
    assert plain["SECURE_CONTENT_TYPE_NOSNIFF"] is True and plain["SECURE_REFERRER_POLICY"] == "same-origin"

    https = settings_in(
        {"KAIFANG_HTTPS": "1", "KAIFANG_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO, https"}, tmp_path
    )
    assert https["SESSION_COOKIE_SECURE"] and https["CSRF_COOKIE_SECURE"] and https["LANGUAGE_COOKIE_SECURE"]
    assert https["SECURE_HSTS_SECONDS"] == 31536000 and https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert https["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert https["SECURE_SSL_REDIRECT"] is False  # a redirect is the operator's choice (KAIFANG_SSL_REDIRECT)

    tuned = settings_in(
        {"KAIFANG_HTTPS": "1", "KAIFANG_HSTS_SECONDS": "600", "KAIFANG_SSL_REDIRECT": "1"}, tmp_path
    )
    assert tuned["SECURE_HSTS_SECONDS"] == 600 and tuned["SECURE_SSL_REDIRECT"] is True
    # Without HTTPS the redirect stays off: it would loop behind a proxy that speaks plain HTTP to us.
    assert settings_in({"KAIFANG_SSL_REDIRECT": "1"}, tmp_path)["SECURE_SSL_REDIRECT"] is False

    bad = settings_in({"KAIFANG_PROXY_SSL_HEADER": "X-Forwarded-Proto"}, tmp_path)
    assert "KAIFANG_PROXY_SSL_HEADER must look like" in bad["error"]


@pytest.mark.django_db
def test_over_https_cookies_are_secure_and_hsts_is_sent(client: Any, settings: Any, personas: Any) -> None:
    from kaifang.core.testing import PASSWORD

    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    via_proxy = {"X-Forwarded-Proto": "https"}

    page = client.get("/accounts/login/", headers=via_proxy)
    assert page["Strict-Transport-Security"] == "max-age=31536000"
    assert page.cookies["csrftoken"]["secure"] is True
    token = page.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "citizen", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={**via_proxy, "Referer": "https://testserver/accounts/login/"},
    )
    assert response.status_code == 302
    assert response.cookies[settings.SESSION_COOKIE_NAME]["secure"] is True
    assert response.cookies[settings.SESSION_COOKIE_NAME]["httponly"] is True
    language = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, headers=via_proxy)
    assert language.cookies[settings.LANGUAGE_COOKIE_NAME]["secure"] is True

    # Plain HTTP (no proxy header): browsers ignore HSTS there, and Django does not send it.
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")


@pytest.mark.django_db
def test_admin_pages_carry_the_policy_and_no_inline_code(client: Any, django_user_model: Any) -> None:
    admin = django_user_model.objects.create_superuser(
        "csp-admin", "csp-admin@example.cn", "a-long-pass-2026"
    )
    client.force_login(admin)
    for url in [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{admin.pk}/change/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_headers_and_html(url, response)
