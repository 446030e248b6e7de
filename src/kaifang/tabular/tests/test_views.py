"""The dataset page's data panel, preview table, version actions and the upload page."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from kaifang.catalog.codes import slug_for_code
from kaifang.tabular.models import TableVersion

from .conftest import GOOD_CSV


def s(ds):
    return slug_for_code(ds.code)


def test_dataset_page_loads_the_panel(published, client):
    html = client.get(f"/datasets/{s(published)}/").content.decode()
    assert f"/tabular/datasets/{s(published)}/data-panel/" in html


def test_panel_shows_preview_downloads_checksum_map_and_history(published, client):
    r = client.get(f"/tabular/datasets/{s(published)}/data-panel/")
    html = r.content.decode()
    assert r.status_code == 200
    version = TableVersion.objects.get(dataset=published)
    # No checksum of the internal (open) object, which no download is: each file's own once it is stored.
    assert f'class="checksum">{version.gates.get(allowed=True).open_sha256}' not in html
    got = client.get(f"/api/v1/datasets/{s(published)}/download?format=csv")
    digest = hashlib.sha256(b"".join(got.streaming_content)).hexdigest()
    assert digest in client.get(f"/tabular/datasets/{s(published)}/data-panel/").content.decode()
    assert "咸宁市第一中学" in html and "身份证号" not in html and "421202199001011234" not in html
    assert "format=csv-gbk" in html and "format=geojson" in html
    assert "data-map-src" in html and "tabular/vendor/leaflet/leaflet.js" in html
    assert "v1" in html


def test_preview_sorts_filters_and_pages(published, client):
    base = f"/tabular/datasets/{s(published)}/preview/"
    html = client.get(base + "?sort=-" + quote("数量")).content.decode()
    assert html.index("赤壁市体育馆") < html.index("咸宁市第一中学")
    html = client.get(base + "?q=" + quote("图书馆")).content.decode()
    assert "嘉鱼县图书馆" in html and "咸宁市第一中学" not in html
    html = client.get(base + "?limit=2&offset=2").content.decode()
    assert "嘉鱼县图书馆" in html and "咸宁市第一中学" not in html
    html = client.get(base + "?limit=99999").content.decode()
    assert "limit 必须在 1 到 10000 之间" in html


def test_reviewer_publishes_and_rolls_back_on_the_page(table_ds, ingest, login, personas):
    ingest(table_ds)
    ingest(table_ds, GOOD_CSV + "A005,新增,1,2024-05-06,甲,114,29,\n")
    reviewer = login(personas["reviewer"])
    html = reviewer.get(f"/tabular/datasets/{s(table_ds)}/data-panel/").content.decode()
    assert "/versions/1/publish/" in html and "/versions/2/publish/" in html
    for n in (1, 2):
        r = reviewer.post(f"/tabular/datasets/{s(table_ds)}/versions/{n}/publish/")
        assert r.status_code == 302
    assert TableVersion.objects.get(is_current=True).number == 2
    reviewer.post(f"/tabular/datasets/{s(table_ds)}/versions/1/rollback/", {"reason": "第 2 版有误"})
    assert TableVersion.objects.get(is_current=True).number == 1
    officer = login(personas["officer"])
    html = officer.get(f"/tabular/datasets/{s(table_ds)}/data-panel/").content.decode()
    assert "/publish/" not in html  # the uploader may not publish
    assert (
        officer.post(f"/tabular/datasets/{s(table_ds)}/versions/2/rollback/", {"reason": "x"}).status_code
        == 302
    )
    assert TableVersion.objects.get(is_current=True).number == 1


def test_upload_page_for_the_department_officer_only(table_ds, login, personas, client):
    url = f"/tabular/datasets/{s(table_ds)}/upload/"
    assert client.get(url).status_code == 302
    assert login(personas["other_officer"]).get(url).status_code == 404
    html = login(personas["officer"]).get(url).content.decode()
    assert "tabular/upload.js" in html and "隔离问题行" in html


def test_panel_for_conditional_dataset(make_dataset, client):
    from .conftest import FIELDS

    ds = make_dataset(
        fields=FIELDS,
        open_attribute="conditional",
        open_condition="需申请",
        share_type="conditional",
        share_condition="需申请",
    )
    html = client.get(f"/tabular/datasets/{s(ds)}/data-panel/").content.decode()
    assert "尚无已发布的数据版本" in html


def test_cli_ingest(table_ds, write, capsys, personas):
    from kaifang.cli import main

    path = write("数据.csv", GOOD_CSV, "gbk")
    assert main(["ingest", table_ds.code, str(path), "--user", "officer"]) == 0
    out = capsys.readouterr()
    assert "版本 v1 已校验" in out.out and "编码 gbk" in out.out
    assert "[" in out.err  # the progress bar
    assert main(["ingest", table_ds.code, str(path), "--encoding", "utf-8"]) == 1
    assert "不是有效的 UTF-8" in capsys.readouterr().err
    assert main(["ingest", "nope", str(path)]) == 2
