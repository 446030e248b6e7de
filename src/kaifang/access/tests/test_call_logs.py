"""Call logs (X2): every data call and download is recorded, searchable and exportable by auditors."""

import pytest

from kaifang.access.calllog import BUFFER, CallLogBuffer
from kaifang.access.models import CallLog
from kaifang.accounts.services import api_key_create
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Distribution

pytestmark = pytest.mark.django_db
CSV = "编号,名称\nA1,咸宁市图书馆\nA2,嘉鱼县文化馆\n"


@pytest.fixture
def served(make_table):
    fields = [{"name": "编号", "data_type": "C", "is_primary_key": True}, {"name": "名称", "data_type": "C"}]
    return make_table(CSV, fields, title="文化场馆名录")


def test_data_calls_and_downloads_are_logged(client, personas, served):
    slug = slug_for_code(served.code)
    key, secret = api_key_create(actor=personas["enterprise"], owner=personas["enterprise"])
    client.get(f"/api/v1/datasets/{slug}/data?limit=1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    r = client.get(f"/api/v1/datasets/{slug}/download?format=csv")
    body = b"".join(r.streaming_content) if r.streaming else r.content
    client.get(f"/api/v1/datasets/{slug}/data?nope__eq=1")
    client.get("/api/v1/datasets")  # catalog reads are not data calls
    logs = list(CallLog.objects.order_by("id"))
    assert [(c.endpoint, c.status) for c in logs] == [("data", 200), ("download", 200), ("data", 422)]
    first = logs[0]
    assert first.user == personas["enterprise"] and first.key_prefix == key.prefix
    assert first.dataset_code == served.code and first.bytes > 0 and first.latency_ms >= 0
    assert first.rows == 1
    assert logs[1].bytes == len(body) > 0


def test_file_downloads_are_logged(client, settings, tmp_path, make_dataset):
    settings.KAIFANG_HOME = tmp_path
    ds = make_dataset(title="文件")
    (tmp_path / "files" / "demo").mkdir(parents=True)
    (tmp_path / "files" / "demo" / "a.csv").write_text("a\n1\n")
    Distribution.objects.create(dataset=ds, kind="file", title="a", access_url="/files/demo/a.csv")
    r = client.get("/files/demo/a.csv")
    b"".join(r.streaming_content)
    log = CallLog.objects.get()
    assert (log.endpoint, log.dataset_code, log.bytes) == ("file", ds.code, 4)


def test_buffer_writes_in_batches_and_flushes_everything(settings, served):
    settings.KAIFANG_CALLLOG_SYNC = False
    buf = CallLogBuffer()
    from django.utils import timezone

    for i in range(5):
        buf.add(
            {
                "at": timezone.now(),
                "dataset_code": served.code,
                "endpoint": "data",
                "method": "GET",
                "status": 200,
                "latency_ms": 1.0,
                "bytes": i,
            }
        )
    assert buf.flush() == 5 and buf.flush() == 0
    assert CallLog.objects.count() == 5
    assert BUFFER is not buf


@pytest.mark.parametrize("persona", ["anonymous", "citizen", "other_officer", "officer", "auditor"])
def test_auditor_page(client, login, personas, served, persona):
    slug = slug_for_code(served.code)
    client.get(f"/api/v1/datasets/{slug}/data?limit=1")
    login(personas[persona])
    r = client.get("/access/calls/")
    want = {"anonymous": 302, "citizen": 404, "other_officer": 200, "officer": 200, "auditor": 200}[persona]
    assert r.status_code == want
    if persona in ("officer", "auditor"):
        assert served.code in r.content.decode()
        csv_body = b"".join(client.get("/access/calls/?format=csv").streaming_content).decode("utf-8-sig")
        assert csv_body.splitlines()[0].startswith("at,user") and served.code in csv_body
    if persona == "other_officer":
        assert served.code not in r.content.decode()  # another department's data is not theirs to audit


def test_usage_dashboard(client, login, personas, served):
    slug = slug_for_code(served.code)
    key, secret = api_key_create(actor=personas["enterprise"], owner=personas["enterprise"])
    for _ in range(3):
        client.get(f"/api/v1/datasets/{slug}/data?limit=1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.get(f"/api/v1/datasets/{slug}/data?bad__op=1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/access/usage/").status_code == 302
    login(personas["enterprise"])
    r = client.get("/access/usage/")
    body = r.content.decode()
    assert r.status_code == 200 and f"kf_{key.prefix}" in body and served.code in body
    from kaifang.access.selectors import key_usage

    usage = key_usage(personas["enterprise"])
    assert usage["per_key"][0]["calls"] == 4 and usage["per_key"][0]["errors"] == 1
    assert sum(usage["chart"]["calls"]) == 4


def test_the_log_names_the_client_behind_a_trusted_proxy_only(client, settings, served):
    slug = slug_for_code(served.code)
    settings.KAIFANG_TRUSTED_PROXIES = ["10.0.0.1"]
    url = f"/api/v1/datasets/{slug}/data?limit=1"
    client.get(url, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")
    # From an address that is not a proxy the header is the client's own claim and is ignored.
    client.get(url, REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert [c.ip for c in CallLog.objects.order_by("id")] == ["203.0.113.9", "198.51.100.7"]
