import json

import pytest

from kaifang.catalog.codes import slug_for_code
from kaifang.privacy import selectors
from kaifang.privacy.tests.factories import make_id

pytestmark = pytest.mark.urls("kaifang.privacy.tests.urls")

ID = make_id()
FIELDS = [
    {"name": "姓名", "data_type": "C", "length": 16},
    {"name": "身份证号", "data_type": "C", "length": 18},
    {"name": "区县", "data_type": "C", "length": 16},
    {"name": "备注", "data_type": "C", "length": 200},
]


@pytest.fixture(autouse=True)
def home(settings, tmp_path):
    settings.KAIFANG_HOME = tmp_path / "home"
    settings.KAIFANG_HOME.mkdir()


@pytest.fixture
def person_ds(make_dataset, personas, tmp_path):
    from kaifang.tabular import services as tabular

    ds = make_dataset("draft", fields=FIELDS, title="低保对象名册")
    rows = ["姓名,身份证号,区县,备注"] + [
        f"{n},{make_id(seq=i)},咸安区,已核实"
        for i, n in enumerate(["张三", "李四", "王小明", "赵敏", "欧阳锋"] * 2)
    ]
    rows[3] = f"王小明,{make_id(seq=2)},咸安区,本人身份证{ID}已复印"
    path = tmp_path / "in.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tabular.table_ingest(actor=personas["officer"], dataset=ds, path=path, filename="in.csv")
    return ds


def url(ds, **q):
    base = f"/privacy/datasets/{slug_for_code(ds.code)}/"
    return base + ("?" + "&".join(f"{k}={v}" for k, v in q.items()) if q else "")


def test_officer_reviews_detections_with_masked_evidence(person_ds, personas, login):
    client = login(personas["officer"])
    page = client.get(url(person_ds))
    assert page.status_code == 200
    html = page.content.decode()
    assert "居民身份证号" in html and "421202********" in html and "张*" in html
    assert ID not in html and "张三" not in html.split("公众将看到")[0].split("逐列识别结果")[1]
    data = client.get(url(person_ds, format="json")).json()
    cols = {c["name"]: c for c in data["scan"]["columns"]}
    assert "id_card" in cols["身份证号"]["detected"] and "name" in cols["姓名"]["detected"]
    assert "id_card" in cols["备注"]["detected"]
    assert data["suggestion"]["grade"] == "G4" and data["suggestion"]["open_attribute"] == "closed"
    assert data["suggested_rules"]["身份证号"] == {"action": "mask", "kind": "id_card"}
    assert data["suggested_rules"]["备注"] == {"action": "suppress"}
    assert ID not in json.dumps(data, ensure_ascii=False)


def test_gate_refuses_then_profile_makes_it_pass(person_ds, personas, login):
    client = login(personas["officer"])
    gate = client.get(url(person_ds, gate=1, format="json")).json()["gate"]
    assert not gate["allowed"] and any("身份证" in r for r in gate["reasons"])
    rules = {
        "fields": {
            "姓名": {"action": "mask", "kind": "name"},
            "身份证号": {"action": "pseudonymize"},
            "备注": {"action": "suppress"},
        },
        "quasi_identifiers": ["区县"],
        "k": 5,
    }
    r = client.post(url(person_ds), {"rules": json.dumps(rules), "reason": "按名册脱敏规范"})
    assert r.status_code == 302
    assert selectors.current_profile(person_ds).rule("备注") == {"action": "suppress"}
    data = client.get(url(person_ds, gate=1, format="json")).json()
    # As stored the version still holds the IDs; the masked version the profile describes would pass.
    assert not data["gate"]["allowed"]
    assert data["gate_masked"]["allowed"], data["gate_masked"]["reasons"]
    preview = data["public_preview"]
    assert [c for c in preview["columns"] if c != "_id"] == ["姓名", "身份证号", "区县"]
    first = dict(zip(preview["columns"], preview["rows"][0], strict=True))
    assert first["姓名"] == "张*" and first["身份证号"].isalpha()
    page = client.get(url(person_ds, gate=1)).content.decode()
    assert "按现行脱敏方案处理后：审查通过" in page


def test_invalid_rules_are_shown_in_chinese(person_ds, personas, login):
    client = login(personas["officer"])
    r = client.post(url(person_ds), {"rules": "{not json", "reason": "x"})
    assert r.status_code == 422 and "不是有效的JSON" in r.content.decode()


@pytest.mark.parametrize("who,status", [("other_officer", 404), ("reviewer", 200), ("citizen", 404)])
def test_who_may_see_the_review(person_ds, personas, login, who, status):
    client = login(personas[who])
    assert client.get(url(person_ds)).status_code == status


def test_reviewer_sees_but_cannot_set(person_ds, personas, login):
    client = login(personas["reviewer"])
    assert "保存脱敏方案" not in client.get(url(person_ds)).content.decode()
    r = client.post(url(person_ds), {"rules": "{}", "reason": "x"})
    assert r.status_code == 403


def test_officer_confirms_and_overrides_grades_reviewer_sees_both(person_ds, personas, login):
    from kaifang.core.models import AuditEvent

    client = login(personas["officer"])
    # Confirming the suggestion needs no reason.
    r = client.post(
        url(person_ds), {"form": "grade", "field_name": "姓名", "grade": "G3", "sensitivity": "personal"}
    )
    assert r.status_code == 302
    # Overriding it does.
    r = client.post(
        url(person_ds), {"form": "grade", "field_name": "", "grade": "G3", "sensitivity": "personal"}
    )
    assert r.status_code == 422 and "必须说明理由" in r.content.decode()
    r = client.post(
        url(person_ds),
        {
            "form": "grade",
            "field_name": "",
            "grade": "G3",
            "sensitivity": "personal",
            "reason": "身份证号列不予开放",
        },
    )
    assert r.status_code == 302
    actions = list(
        AuditEvent.objects.filter(action__startswith="privacy.grade").values_list("action", flat=True)
    )
    assert sorted(actions) == ["privacy.grade_confirm", "privacy.grade_override"]
    data = login(personas["reviewer"]).get(url(person_ds, format="json")).json()
    ds_decision = data["decisions"][""]
    assert ds_decision["suggested_grade"] == "G4" and ds_decision["grade"] == "G3" and ds_decision["override"]
    assert data["decisions"]["姓名"]["override"] is False
    assert "已覆盖建议" in login(personas["reviewer"]).get(url(person_ds)).content.decode()
    # Reviewers see both, but may not decide.
    r = login(personas["reviewer"]).post(
        url(person_ds),
        {"form": "grade", "field_name": "姓名", "grade": "G1", "sensitivity": "personal", "reason": "x"},
    )
    assert r.status_code == 403


def test_grade_of_an_unknown_field_is_refused(person_ds, personas, login):
    r = login(personas["officer"]).post(
        url(person_ds),
        {"form": "grade", "field_name": "没有这列", "grade": "G1", "sensitivity": "personal", "reason": "x"},
    )
    assert r.status_code == 422 and "不在最新数据版本中" in r.content.decode()


def test_page_without_data_yet(make_dataset, personas, login):
    ds = make_dataset("draft")
    client = login(personas["officer"])
    page = client.get(url(ds))
    assert page.status_code == 200 and "尚未上传数据" in page.content.decode()
    assert client.get(url(ds, format="json")).json()["version"] is None
    r = client.post(
        url(ds), {"form": "grade", "field_name": "", "grade": "G1", "sensitivity": "non_personal"}
    )
    assert r.status_code == 422 and "尚未上传数据" in r.content.decode()
