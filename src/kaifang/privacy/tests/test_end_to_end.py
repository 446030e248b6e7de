"""End to end (issue 4): a file with planted names, 身份证号, mobiles, detailed addresses and precise
coordinates — some hidden in a free-text column — goes through upload, privacy review and publication
through real URLs; then every public output is fetched anonymously and none of the planted values is in
it. Then retention, destruction and the 410 that destroyed versions answer."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest
from django.test import Client

from kaifang.catalog.codes import slug_for_code
from kaifang.privacy.tests.factories import make_id

SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
GIVEN = ["建国", "秀英", "志强", "丽娟", "海燕", "德华", "春梅", "晓东", "国平", "玉兰"]
ROWS = 30

FIELDS = [
    {"name": "编号", "data_type": "C", "length": 16, "is_primary_key": True},
    {"name": "姓名", "data_type": "C", "length": 16},
    {"name": "身份证号", "data_type": "C", "length": 18},
    {"name": "手机", "data_type": "C", "length": 16},
    {"name": "住址", "data_type": "C", "length": 128},
    {"name": "备注", "data_type": "C", "length": 256},
    {"name": "类别", "data_type": "C", "length": 8},
    {"name": "经度", "data_type": "N"},
    {"name": "纬度", "data_type": "N"},
]
RULES = {
    "姓名": {"action": "mask", "kind": "name"},
    "身份证号": {"action": "pseudonymize"},
    "手机": {"action": "mask", "kind": "mobile"},
    "住址": {"action": "generalize_address", "level": "township"},
    "经度": {"action": "coordinate_grid", "axis": "lng", "metres": 1000},
    "纬度": {"action": "coordinate_grid", "axis": "lat", "metres": 1000},
}


def _planted() -> tuple[str, list[str]]:
    lines = [",".join(f["name"] for f in FIELDS)]
    planted: list[str] = []
    for i in range(ROWS):
        name = SURNAMES[i] + GIVEN[i % len(GIVEN)]
        idno = make_id(seq=100 + i)
        phone = f"139{27000000 + i * 7919:08d}"
        room = f"{i % 5 + 1}栋{i % 3 + 1}单元{200 + i}室"
        address = f"咸宁市咸安区温泉街道淦河路{10 + i}号{room}"
        lng, lat = f"114.{321233 + i * 18}", f"29.{841231 + i * 14}"  # odd: no trailing 0
        note = "正常"
        if i % 7 == 3:  # identifiers hidden in free text
            note = f"联系人{name}，身份证{idno}，电话{phone}"
        lines.append(f"P{i:03d},{name},{idno},{phone},{address},{note},{'甲乙丙'[i % 3]},{lng},{lat}")
        planted += [name, idno, phone, address, room, lng, lat]
    return "\n".join(lines) + "\n", planted


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.KAIFANG_HOME = tmp_path / "home"
    settings.KAIFANG_HOME.mkdir()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    return settings.KAIFANG_HOME


def _upload(client, slug: str, data: bytes, **body) -> dict:
    r = client.post(
        f"/api/v1/datasets/{slug}/uploads",
        json.dumps({"filename": "名册.csv", "size": len(data), **body}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    uid = r.json()["id"]
    r = client.put(f"/api/v1/uploads/{uid}?offset=0", data, content_type="application/octet-stream")
    assert r.json()["state"] == "complete"
    done = client.post(f"/api/v1/uploads/{uid}/complete")
    assert done.status_code == 200, done.content
    return done.json()["version"]


def _set_profile(client, slug: str, rules: dict) -> None:
    r = client.post(
        f"/privacy/datasets/{slug}/",
        {"rules": json.dumps({"fields": rules}, ensure_ascii=False), "reason": "按GB/T 37964去标识化"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]


def _publish(client, slug: str):
    return client.post(
        f"/api/v1/datasets/{slug}/versions/1/publish",
        json.dumps({"reason": ""}),
        content_type="application/json",
    )


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    ctype = response.get("Content-Type", "")
    if "spreadsheetml" in ctype:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            ",".join("" if v is None else str(v) for v in row)
            for ws in wb
            for row in ws.iter_rows(values_only=True)
        )
    if "parquet" in ctype:
        import pyarrow.parquet as pq

        return json.dumps(pq.read_table(io.BytesIO(body)).to_pylist(), ensure_ascii=False, default=str)
    if "gb18030" in ctype:
        return body.decode("gb18030")
    return body.decode("utf-8-sig")


def _scan(text: str, planted: list[str]) -> list[str]:
    flat = text.replace(" ", "").replace("-", "").replace("\\u", "")
    return [p for p in planted if p in text or p in flat]


@pytest.mark.django_db
def test_planted_identifiers_reach_no_public_output(login, personas, make_dataset):
    from kaifang.privacy.models import VersionGate

    csv, planted = _planted()
    ds = make_dataset("published", fields=FIELDS, title="居民走访名册")
    slug = slug_for_code(ds.code)

    officer = login(personas["officer"])
    version = _upload(officer, slug, csv.encode("utf-8"))
    assert version["row_count"] == ROWS
    review = officer.get(f"/privacy/datasets/{slug}/")
    assert review.status_code == 200
    page = review.content.decode()
    assert "居民身份证号" in page and "备注" in page
    assert not _scan(page, planted), "the review page shows masked evidence only"

    # First attempt: the named columns are masked but the free text still hides identifiers — refused,
    # and the refusal is recorded with the version although nothing was published.
    _set_profile(officer, slug, RULES)
    reviewer = login(personas["reviewer"])
    refused = _publish(reviewer, slug)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "privacy_gate"
    assert any("备注" in r for r in refused.json()["error"]["details"])
    gate = VersionGate.objects.get(version__dataset=ds)
    assert not gate.allowed and gate.open_key == "" and gate.evidence
    assert not _scan(json.dumps(gate.evidence, ensure_ascii=False), planted)

    officer = login(personas["officer"])
    _set_profile(officer, slug, {**RULES, "备注": {"action": "suppress"}})
    reviewer = login(personas["reviewer"])
    assert _publish(reviewer, slug).status_code == 200
    passed = VersionGate.objects.filter(version__dataset=ds, allowed=True).get()
    assert passed.open_sha256 and passed.created_by == personas["reviewer"]

    # The raw file holds the planted values (so the scans below can fail) and only the department gets it.
    officer = login(personas["officer"])
    raw = officer.get(f"/privacy/datasets/{slug}/versions/1/raw")
    assert raw.status_code == 200
    raw_text = _text(raw)
    assert set(_scan(raw_text, planted)) == set(planted)
    for who in ("citizen", "reviewer"):
        assert login(personas[who]).get(f"/privacy/datasets/{slug}/versions/1/raw").status_code == 404

    anon = Client()
    api = f"/api/v1/datasets/{slug}"
    urls = [
        f"/datasets/{slug}/",
        f"/tabular/datasets/{slug}/data-panel/",
        f"/tabular/datasets/{slug}/preview/",
        f"/tabular/datasets/{slug}/preview/?sort=-{quote('姓名')}&limit=100",
        f"{api}/data?limit=100",
        f"{api}/data?limit=100&format=csv",
        f"{api}/data?q={quote(SURNAMES[0])}",
        f"{api}/aggregate?group_by={quote('姓名')}&agg=count",
        f"{api}/aggregate?group_by={quote('住址')}&agg=count",
        f"{api}/aggregate?group_by={quote('类别')}&agg=min:{quote('身份证号')},max:{quote('手机')}",
        f"{api}/versions",
        f"{api}/versions/1",
        f"{api}/map",
        f"/api/v1/search?q={quote(SURNAMES[0] + GIVEN[0])}",
        f"/api/v1/search?q={quote(make_id(seq=100))}",
        f"/api/v1/datasets/{slug}",
    ] + [
        f"{api}/download?format={fmt}"
        for fmt in ("csv", "csv-bom", "csv-gbk", "xlsx", "json", "parquet", "geojson")
    ]
    seen = 0
    for url in urls:
        r = anon.get(url)
        if url.endswith("/map") and r.status_code == 404:
            continue  # no map endpoint in this build
        assert r.status_code == 200, (url, r.status_code)
        leaked = _scan(_text(r), planted)
        assert not leaked, (url, leaked[:5])
        seen += 1
    assert seen >= len(urls) - 1
    # The data is there, masked: every row, the surname kept, the raw values matched by nothing.
    rows = anon.get(f"{api}/data?limit=100").json()["rows"]
    assert len(rows) == ROWS and rows[0]["姓名"].startswith(SURNAMES[0]) and "备注" not in rows[0]
    by_raw_id = anon.get(f"{api}/data?{quote('身份证号')}={make_id(seq=100)}").json()
    assert by_raw_id["rows"] == []


@pytest.mark.django_db
def test_raw_zone_is_encrypted_and_destruction_is_recorded(login, personas, make_dataset, settings, capsys):
    import datetime as dt

    from kaifang.core.errors import Forbidden
    from kaifang.privacy import rawzone
    from kaifang.privacy.models import VersionDestruction, VersionGate
    from kaifang.privacy.permissions import COMMAND_LINE
    from kaifang.privacy.services import versions_destroy_expired
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import file_sha256, get_store

    csv, planted = _planted()
    ds = make_dataset("published", fields=FIELDS, title="居民名册二")
    slug = slug_for_code(ds.code)
    officer = login(personas["officer"])
    _upload(officer, slug, csv.encode("utf-8"))
    _set_profile(officer, slug, {**RULES, "备注": {"action": "suppress"}})
    assert _publish(login(personas["reviewer"]), slug).status_code == 200

    version = TableVersion.objects.get(dataset=ds)
    store = get_store()
    assert not store.local_path(version.store_key).exists(), "the plain raw object left the store"
    sealed = rawzone.sealed_path(version.content_hash)
    blob = sealed.read_bytes()
    assert blob.startswith(rawzone.MAGIC) and b"PAR1" not in blob
    clear = settings.KAIFANG_HOME / "check.parquet"
    rawzone.decrypt_to(sealed, clear)
    assert file_sha256(clear) == version.content_hash
    tampered = settings.KAIFANG_HOME / "tampered.kfraw"
    tampered.write_bytes(blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(rawzone.RawZoneError):
        rawzone.decrypt_to(tampered, settings.KAIFANG_HOME / "x.parquet")

    # Retention: set on the lifecycle page; the sweep destroys what is past it, recording the hashes.
    page = f"/privacy/datasets/{slug}/lifecycle/"
    assert Client().get(page).status_code == 302
    assert login(personas["citizen"]).get(page).status_code == 404
    officer = login(personas["officer"])
    bad = officer.post(page, {"form": "retention", "days": "0", "reason": "x"})
    assert bad.status_code == 422 and "1至36500" in bad.content.decode()
    assert (
        officer.post(page, {"form": "retention", "days": "30", "reason": "档案管理规定"}).status_code == 302
    )
    assert versions_destroy_expired(actor=COMMAND_LINE) == []
    from kaifang.cli import main

    assert main(["privacy", "destroy-expired", "--dry-run"]) == 0
    assert main(["privacy", "destroy-expired"]) == 0
    assert "0 version(s) destroyed" in capsys.readouterr().out
    with pytest.raises(Forbidden):
        versions_destroy_expired(actor=personas["officer"])
    assert Client().get(f"/api/v1/datasets/{slug}/download?format=csv").status_code == 200
    exports = list(store.root.joinpath("exports").rglob("*.csv"))
    assert exports, "the whole-table CSV is cached by the tabular app"
    # A download stored for another reader's scope (a grantee's fields) sits in the same object's folder.
    other_scope = exports[0].with_name("another-readers-scope.csv")
    other_scope.write_text("编号\n", encoding="utf-8")
    records = versions_destroy_expired(
        actor=COMMAND_LINE, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    )
    assert len(records) == 1
    assert not any(p.exists() for p in exports), "cached public downloads go with the version"
    assert not other_scope.exists(), "and so do those cut to any other reader's scope"
    record = VersionDestruction.objects.get(version=version)
    kinds = {h["kind"]: h["sha256"] for h in record.destroyed_hashes}
    open_sha = VersionGate.objects.get(version=version, allowed=True).open_sha256
    assert kinds["raw"] == version.content_hash and kinds["open"] == open_sha
    assert not sealed.exists() and not any(store.root.joinpath("objects").rglob(f"{open_sha}*"))
    assert TableVersion.objects.filter(pk=version.pk).exists(), "the catalog history stays"

    anon = Client()
    r = anon.get(f"/api/v1/datasets/{slug}/data")
    assert (
        r.status_code == 410
        and "已" in r.json()["error"]["message"]
        and "销毁" in r.json()["error"]["message"]
    )
    assert anon.get(f"/api/v1/datasets/{slug}/download?format=csv").status_code == 410
    panel = anon.get(f"/tabular/datasets/{slug}/data-panel/")
    assert panel.status_code == 200 and "销毁" in panel.content.decode()
    detail = anon.get(f"/api/v1/datasets/{slug}/versions/1")
    assert detail.status_code == 200 and not _scan(detail.content.decode(), planted)
    listing = login(personas["auditor"]).get(page)
    assert listing.status_code == 200 and "已销毁" in listing.content.decode()
    assert version.content_hash[:17] in listing.content.decode()


@pytest.mark.django_db
def test_destruction_on_order_needs_the_department_and_a_reason(login, personas, make_dataset):
    from kaifang.tabular.models import TableVersion

    csv, _planted_values = _planted()
    ds = make_dataset("published", fields=FIELDS, title="居民名册三")
    slug = slug_for_code(ds.code)
    officer = login(personas["officer"])
    _upload(officer, slug, csv.encode("utf-8"))
    page = f"/privacy/datasets/{slug}/lifecycle/"
    reviewer = login(personas["reviewer"])
    assert reviewer.get(page).status_code == 200
    r = reviewer.post(page, {"form": "destroy", "number": "1", "reason": "依决定销毁"})
    assert r.status_code in (403, 404)
    officer = login(personas["officer"])
    assert officer.post(page, {"form": "destroy", "number": "1", "reason": ""}).status_code == 422
    assert officer.post(page, {"form": "destroy", "number": "9", "reason": "依决定"}).status_code == 404
    assert officer.post(page, {"form": "destroy", "number": "1", "reason": "依局务会决定"}).status_code == 302
    assert TableVersion.objects.get(dataset=ds).destruction.reason == "依局务会决定"
    again = officer.post(page, {"form": "destroy", "number": "1", "reason": "再次"})
    assert again.status_code == 422
    # The unpublished, destroyed version: staff reading it get the same clear answer.
    r = officer.get(f"/api/v1/datasets/{slug}/data?version=1")
    assert r.status_code == 410 and "销毁" in r.json()["error"]["message"]


CONDITIONAL = {
    "open_attribute": "conditional",
    "open_condition": "需申请",
    "share_type": "conditional",
    "share_condition": "需申请",
}


@pytest.mark.django_db
def test_the_sample_of_a_conditional_dataset_holds_no_planted_value(login, personas, make_dataset):
    """The public sample (样本数据集) is written through the same profile and gate."""
    csv, planted = _planted()
    ds = make_dataset("published", fields=FIELDS, title="居民名册样本", **CONDITIONAL)
    slug = slug_for_code(ds.code)
    officer = login(personas["officer"])
    _upload(officer, slug, csv.encode("utf-8"))
    _set_profile(officer, slug, {**RULES, "备注": {"action": "suppress"}})
    assert _publish(login(personas["reviewer"]), slug).status_code == 200
    made = login(personas["officer"]).post(f"/api/v1/datasets/{slug}/sample?rows=20")
    assert made.status_code == 200, made.content
    anon = Client()
    assert anon.get(f"/api/v1/datasets/{slug}/data").status_code == 403
    urls = [f"/api/v1/datasets/{slug}/sample", f"/tabular/datasets/{slug}/data-panel/"] + [
        f"/api/v1/datasets/{slug}/sample/download?format={fmt}"
        for fmt in ("csv", "csv-bom", "csv-gbk", "xlsx", "json")
    ]
    for url in urls:
        r = anon.get(url)
        assert r.status_code == 200, (url, r.status_code)
        assert not _scan(_text(r), planted), url
    assert len(anon.get(f"/api/v1/datasets/{slug}/sample").json()["rows"]) == 20


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona,lifecycle,raw",
    [
        ("anonymous", 302, 302),
        ("citizen", 404, 404),
        ("enterprise", 404, 404),
        ("other_officer", 404, 404),
        ("reviewer", 200, 404),
        ("auditor", 200, 404),
        ("officer", 200, 200),
    ],
)
def test_lifecycle_and_raw_pages_per_persona(login, personas, make_dataset, persona, lifecycle, raw):
    ds = make_dataset("published", fields=FIELDS[:3], title="小名册")
    slug = slug_for_code(ds.code)
    _upload(login(personas["officer"]), slug, "编号,姓名,身份证号\nP1,张建国,\n".encode())
    c = login(personas.get(persona))
    assert c.get(f"/privacy/datasets/{slug}/lifecycle/").status_code == lifecycle
    assert c.get(f"/privacy/datasets/{slug}/versions/1/raw").status_code == raw
    if persona == "officer":
        assert c.get(f"/privacy/datasets/{slug}/versions/2/raw").status_code == 404
        assert c.get("/privacy/datasets/999999999999999-000001/lifecycle/").status_code == 404


@pytest.mark.django_db
def test_the_quarantine_file_is_sealed_and_destroyed_with_the_version(login, personas, make_dataset):
    from kaifang.privacy import rawzone
    from kaifang.privacy.models import VersionDestruction
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import get_store

    csv, _values = _planted()
    bad = csv.replace(",114.321233,", ",不是数字,", 1)  # row 1 is set aside, with its raw values
    ds = make_dataset("published", fields=FIELDS, title="居民名册四")
    slug = slug_for_code(ds.code)
    officer = login(personas["officer"])
    assert _upload(officer, slug, bad.encode("utf-8"), quarantine=True)["quarantined_count"] == 1
    _set_profile(officer, slug, {**RULES, "备注": {"action": "suppress"}})
    assert _publish(login(personas["reviewer"]), slug).status_code == 200
    version = TableVersion.objects.get(dataset=ds)
    qplain = get_store().local_path(version.quarantine_key)
    qsealed = rawzone.sealed_path(qplain.stem)
    assert not qplain.exists() and qsealed.exists()
    page = f"/privacy/datasets/{slug}/lifecycle/"
    officer = login(personas["officer"])
    assert officer.post(page, {"form": "destroy", "number": "1", "reason": "依决定"}).status_code == 302
    kinds = {h["kind"] for h in VersionDestruction.objects.get(version=version).destroyed_hashes}
    assert {"raw", "raw_sealed", "quarantine", "quarantine_sealed", "open"} <= kinds
    assert not qsealed.exists()


@pytest.mark.django_db
def test_staff_check_an_unpublished_version_masked(login, personas, make_dataset):
    """From upload on the raw rows are sealed in the raw zone: everyone who checks the unpublished version,
    the department's officer and the reviewer who decides on publication alike, sees it as the public
    would (the same rules), never the planted values; only the department downloads the raw file."""
    from kaifang.privacy import rawzone
    from kaifang.privacy.openversion import _preview_dir
    from kaifang.tabular.models import TableVersion
    from kaifang.tabular.store import get_store

    csv, planted = _planted()
    ds = make_dataset("published", fields=FIELDS, title="居民名册五")
    slug = slug_for_code(ds.code)
    officer = login(personas["officer"])
    _upload(officer, slug, csv.encode("utf-8"))
    version = TableVersion.objects.get(dataset=ds)
    assert not get_store().local_path(version.store_key).exists()
    assert rawzone.sealed_path(version.content_hash).exists()
    _set_profile(officer, slug, {**RULES, "备注": {"action": "suppress"}})
    own = officer.get(f"/api/v1/datasets/{slug}/data?version=1&limit=100").json()
    assert own["rows"][0]["姓名"] == SURNAMES[0] + "*" * len(GIVEN[0])
    raw = officer.get(f"/privacy/datasets/{slug}/versions/1/raw")
    assert raw.status_code == 200
    assert SURNAMES[0] + GIVEN[0] in _text(raw)
    for who in ("reviewer", "auditor"):
        c = login(personas[who])
        for url in (
            f"/api/v1/datasets/{slug}/data?version=1&limit=100",
            f"/api/v1/datasets/{slug}/download?format=csv&version=1",
            f"/api/v1/datasets/{slug}/aggregate?version=1&group_by={quote('姓名')}&agg=count",
            f"/tabular/datasets/{slug}/data-panel/",
            f"/api/v1/datasets/{slug}/versions/1",
        ):
            r = c.get(url)
            assert r.status_code == 200, (who, url, r.status_code)
            assert not _scan(_text(r), planted), (who, url)
    assert list(_preview_dir().glob("*.parquet"))
    assert _publish(login(personas["reviewer"]), slug).status_code == 200
    assert not list(_preview_dir().glob("*.parquet")), "the preview goes once the open version exists"
