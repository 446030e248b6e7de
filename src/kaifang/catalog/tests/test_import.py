"""Catalog import (P3): valid, invalid, partial and malformed files; all-or-nothing."""

import io
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from kaifang.catalog.importing import parse_upload
from kaifang.catalog.models import Dataset
from kaifang.catalog.services import catalog_import
from kaifang.core.errors import DomainError, ValidationFailed

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[4] / "docs" / "examples" / "catalog-import.csv"


def row(**kw):
    base = {
        "信息资源名称": "公共自行车站点",
        "信息资源摘要": "站点位置与车桩数",
        "信息资源提供方": "咸宁市交通运输局",
        "数据领域": "交通运输",
        "开放属性": "无条件开放",
        "共享属性": "无条件共享",
        "更新周期": "每月",
        "标签": "自行车；站点",
        "信息资源格式": "xlsx",
        "信息项": [{"信息项名称": "站点编号", "数据类型": "C"}, {"信息项名称": "车桩数", "数据类型": "I"}],
    }
    base.update(kw)
    return base


def test_documented_example_imports_as_drafts(personas, departments):
    rows = parse_upload("catalog-import.csv", EXAMPLE.read_bytes())
    created = catalog_import(actor=personas["officer"], rows=rows)
    assert [d.title for d in created] == ["公共自行车站点信息", "出租车运营统计"]
    assert all(d.state == "draft" for d in created)
    taxi = created[1]
    assert taxi.open_attribute == "conditional" and taxi.tags == ["出租车"]
    assert list(taxi.fields.values_list("name", "data_type")) == [("月份", "D"), ("车次", "I"), ("里程", "N")]
    assert created[0].fields.get(name="站点编号").is_primary_key


def test_json_with_english_keys(personas, departments):
    data = [
        {
            "title": "道路名录",
            "abstract": "道路",
            "department": departments["transport"].uscc,
            "domain": "transport",
            "open_attribute": "unconditional",
            "share_type": "unconditional",
            "update_frequency": "annual",
            "format_type": "json",
            "fields": [{"name": "道路名称", "data_type": "C"}],
        }
    ]
    rows = parse_upload("x.json", json.dumps(data).encode())
    assert catalog_import(actor=personas["officer"], rows=rows)[0].title == "道路名录"


def test_partial_failure_saves_nothing_and_reports_rows(personas, departments):
    rows = [row(), row(信息资源名称="", 开放属性="有条件开放"), row(信息资源提供方="不存在的局")]
    rows = [parse_upload("x.json", json.dumps([r]).encode())[0] for r in rows]
    with pytest.raises(DomainError) as exc:
        catalog_import(actor=personas["officer"], rows=rows)
    report = exc.value.details
    assert {(e["row"], e["column"]) for e in report} >= {(2, "title"), (2, "open_condition"), (3, "")}
    assert any("不存在" in e["message"] for e in report if e["row"] == 3)
    assert Dataset.objects.count() == 0


def test_other_departments_rows_are_forbidden(personas, departments):
    rows = parse_upload("x.json", json.dumps([row(信息资源提供方="咸宁市教育局")]).encode())
    with pytest.raises(DomainError) as exc:
        catalog_import(actor=personas["officer"], rows=rows)
    assert "无权" in exc.value.details[0]["message"]


def test_publish_only_for_reviewers(personas, departments):
    rows = parse_upload("x.json", json.dumps([row()]).encode())
    with pytest.raises(DomainError):
        catalog_import(actor=personas["officer"], rows=rows, publish=True)
    created = catalog_import(actor=personas["reviewer"], rows=rows, publish=True)
    assert created[0].state == "published" and created[0].publish_date


def test_xlsx(personas, departments):
    wb = openpyxl.Workbook()
    ws = wb.active
    r = row()
    r["信息项"] = "站点编号:C；车桩数:I"
    ws.append(list(r))
    ws.append(list(r.values()))
    buf = io.BytesIO()
    wb.save(buf)
    created = catalog_import(actor=personas["officer"], rows=parse_upload("a.xlsx", buf.getvalue()))
    assert created[0].fields.count() == 2


def test_gbk_csv_is_read(personas, departments):
    content = EXAMPLE.read_text(encoding="utf-8").encode("gbk")
    assert len(parse_upload("a.csv", content)) == 2


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("a.csv", b"", "空"),
        ("a.txt", b"x", "只支持"),
        ("a.json", b"{not json", "无法读取"),
        ("a.json", b"[1, 2]", "对象数组"),
        ("a.xlsx", b"PK\x03\x04 not really a zip", "无法读取"),
        ("a.csv", "信息资源名称,信息资源摘要\n甲,乙,丙\n".encode(), "第2行"),
        ("a.csv", b"\xff\xfe\x00\xd8broken", "编码"),
        ("a.json", b"[]", "没有条目"),
    ],
)
def test_malformed_files(name, content, fragment):
    with pytest.raises(ValidationFailed) as exc:
        parse_upload(name, content)
    assert fragment in str(exc.value.message)


def test_api_upload_reports_rows(client, login, personas, departments):
    login(personas["officer"])
    bad = json.dumps([row(), row(开放属性="不予开放")]).encode()
    r = client.post("/api/v1/catalog/import", {"file": io.BytesIO(bad)}, format="multipart")
    f = io.BytesIO(bad)
    f.name = "bad.json"
    r = client.post("/api/v1/catalog/import", {"file": f})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "import_failed" and r.json()["error"]["details"][0]["row"] == 2
    good = io.BytesIO(json.dumps([row()]).encode())
    good.name = "good.json"
    r = client.post("/api/v1/catalog/import", {"file": good})
    assert r.status_code == 201 and r.json()["count"] == 1


def test_cli_import(tmp_path, transactional_db, settings):
    """`kaifang catalog import FILE` against a real database file, as an operator would run it."""
    env_home = tmp_path / "home"
    env = {
        "KAIFANG_HOME": str(env_home),
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": f"sqlite:///{env_home}/k.sqlite3",
    }
    py = sys.executable
    setup = (
        "import django,os;os.environ['DJANGO_SETTINGS_MODULE']='kaifang.config.settings';django.setup();"
        "from django.core.management import call_command;call_command('migrate',verbosity=0);"
        "from kaifang.tenancy.models import Region,Department;from kaifang.accounts.models import User,RoleAssignment;"
        "c=Region.objects.create(code='421200',name='咸宁市',level='city',catalog_code='421200');"
        "d=Department.objects.create(name='咸宁市交通运输局',short_name='市交通运输局',uscc='11421200MB0000001X',region=c,seq='001');"
        "u=User.objects.create_user('officer',password='x'*10);RoleAssignment.objects.create(user=u,role='officer',department=d)"
    )
    subprocess.run([py, "-c", setup], env=env, check=True)
    ok = subprocess.run(
        [py, "-m", "kaifang.cli", "catalog", "import", str(EXAMPLE), "--user", "officer"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0, ok.stderr
    assert "导入 2 条" in ok.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([row(开放属性="有条件开放")], ensure_ascii=False), encoding="utf-8")
    fail = subprocess.run(
        [py, "-m", "kaifang.cli", "catalog", "import", str(bad), "--user", "officer"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert fail.returncode == 1 and "第1行" in fail.stderr and "开放条件" in fail.stderr
