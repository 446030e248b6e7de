"""Chunked, resumable uploads through the API."""

from __future__ import annotations

import json

from kaifang.catalog.codes import slug_for_code

from .conftest import GOOD_CSV


def start(client, ds, **body):
    payload = {"filename": "数据.csv", "size": len(GOOD_CSV.encode("gbk")), "encoding": "", **body}
    return client.post(
        f"/api/v1/datasets/{slug_for_code(ds.code)}/uploads",
        json.dumps(payload),
        content_type="application/json",
    )


def put(client, upload_id, offset, data):
    return client.put(
        f"/api/v1/uploads/{upload_id}?offset={offset}", data, content_type="application/octet-stream"
    )


def test_chunked_upload_resumes_and_ingests(table_ds, login, personas):
    data = GOOD_CSV.encode("gbk")
    c = login(personas["officer"])
    r = start(c, table_ds)
    assert r.status_code == 201
    uid = r.json()["id"]
    assert put(c, uid, 0, data[:50]).json()["received"] == 50
    # A lost response: the client retries from a stale offset and is told where to resume.
    stale = put(c, uid, 0, data[:50])
    assert stale.status_code == 409 and stale.json()["error"]["details"]["received"] == 50
    assert c.get(f"/api/v1/uploads/{uid}").json()["received"] == 50
    early = c.post(f"/api/v1/uploads/{uid}/complete")
    assert early.status_code == 409 and "尚未上传完整" in early.json()["error"]["message"]
    assert put(c, uid, 50, data[50:]).json()["state"] == "complete"
    done = c.post(f"/api/v1/uploads/{uid}/complete")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["state"] == "ingested" and body["percent"] == 100.0
    assert body["version"]["row_count"] == 4 and body["version"]["source_encoding"] == "gbk"
    again = c.post(f"/api/v1/uploads/{uid}/complete")
    assert again.status_code == 409


def test_upload_permissions_and_bad_names(table_ds, login, personas, client):
    assert start(client, table_ds).status_code == 401
    assert start(login(personas["other_officer"]), table_ds).status_code == 403
    r = start(login(personas["officer"]), table_ds, filename="../../x.csv")
    assert r.status_code == 422 and "路径" in r.json()["error"]["message"]
    uid = start(login(personas["officer"]), table_ds).json()["id"]
    other = login(personas["other_officer"])
    assert put(other, uid, 0, b"x").status_code == 404
    assert other.get("/api/v1/uploads/not-a-uuid").status_code == 404


def test_upload_of_bad_file_fails_cleanly(table_ds, login, personas):
    c = login(personas["officer"])
    bad = (GOOD_CSV + "A001,重复,1,2024-01-01,甲,114,29,\n").encode()
    uid = start(c, table_ds, size=len(bad)).json()["id"]
    put(c, uid, 0, bad)
    r = c.post(f"/api/v1/uploads/{uid}/complete")
    assert r.status_code == 422 and "未通过校验" in r.json()["error"]["message"]
    assert r.json()["error"]["details"]["bad_rows"][0]["reason"] == "主键重复，与第 1 行相同"
    status = c.get(f"/api/v1/uploads/{uid}").json()
    assert status["state"] == "failed" and status["error"]["code"] == "bad_rows"


def test_an_ingest_whose_process_died_can_be_restarted(table_ds, login, personas):
    import datetime

    from django.utils import timezone

    from kaifang.tabular.models import Upload

    data = GOOD_CSV.encode("gbk")
    c = login(personas["officer"])
    uid = start(c, table_ds).json()["id"]
    put(c, uid, 0, data)
    # The process running the ingest was killed: the upload says "ingesting" but nothing moves.
    Upload.objects.filter(pk=uid).update(state="ingesting")
    assert c.post(f"/api/v1/uploads/{uid}/complete").status_code == 409  # still fresh: maybe running
    Upload.objects.filter(pk=uid).update(updated_at=timezone.now() - datetime.timedelta(hours=1))
    r = c.post(f"/api/v1/uploads/{uid}/complete")
    assert r.status_code == 200 and r.json()["version"]["number"] == 1
