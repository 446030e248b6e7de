"""The index cannot lose a publication: outbox in the same transaction, repair at start, check and
rebuild without taking search offline."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def titles(client, q, **extra):
    params = "&".join(f"{k}={v}" for k, v in extra.items())
    return [r["title"] for r in client.get(f"/api/v1/datasets?q={q}&{params}").json()["results"]]


def test_publication_writes_an_outbox_row_in_its_transaction(make_dataset):
    from kaifang.search.models import IndexOutbox

    ds = make_dataset(title="市场主体登记信息")
    # In a test the transaction never commits, so the after-commit step has not run: the row waits.
    assert IndexOutbox.objects.filter(dataset_id=ds.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_after_commit_the_index_has_it_and_the_outbox_is_empty(make_dataset):
    from kaifang.search.backends import get_backend
    from kaifang.search.models import IndexOutbox

    ds = make_dataset(title="市场主体登记信息")
    assert not IndexOutbox.objects.exists()
    assert ds.pk in get_backend().versions()


def test_crash_between_publication_and_indexing_is_repaired_by_check(make_dataset, capsys):
    from kaifang.cli import main
    from kaifang.search.backends import get_backend
    from kaifang.search.models import IndexOutbox

    ds = make_dataset(title="市场主体登记信息")
    # Simulate the crash: the outbox row was lost with the process, the index never saw the dataset.
    IndexOutbox.objects.all().delete()
    assert ds.pk not in get_backend().versions()
    assert main(["search", "check", "--no-repair"]) == 1
    assert "missing 1" in capsys.readouterr().out
    assert main(["search", "check"]) == 0
    assert get_backend().versions().get(ds.pk) is not None
    assert main(["search", "check", "--no-repair"]) == 0


def test_pending_outbox_is_applied_before_searching(client, make_dataset):
    make_dataset(title="市场主体登记信息")
    assert titles(client, "市场主体") == ["市场主体登记信息"]


def test_stale_and_extra_entries_are_never_shown_and_get_fixed(client, make_dataset):
    from kaifang.catalog.models import Dataset
    from kaifang.search import indexing
    from kaifang.search.backends import get_backend

    ds = make_dataset(title="市场主体登记信息")
    indexing.apply_pending()
    # The row changes behind the index's back (a bulk update, a restore …).
    Dataset.objects.filter(pk=ds.pk).update(title="农贸市场名录", lock_version=ds.lock_version + 7)
    assert indexing.drift()["stale"] == [ds.pk]
    # The old text still matches in the index, but the hit is checked against the row, dropped, and
    # its entry refreshed on the spot.
    assert titles(client, "市场主体") == []
    assert indexing.drift()["stale"] == []
    assert titles(client, "农贸市场") == ["农贸市场名录"]
    from kaifang.search.permissions import COMMAND_LINE
    from kaifang.search.services import search_index_repair

    # An index entry for a dataset that left the catalog is removed by the same check.
    Dataset.objects.filter(pk=ds.pk).update(state="withdrawn")
    assert indexing.drift()["extra"] == [ds.pk]
    search_index_repair(actor=COMMAND_LINE)
    assert ds.pk not in get_backend().versions()


def test_rebuild_switches_atomically_and_search_stays_online(
    client, make_dataset, settings, monkeypatch, search_backend
):
    if search_backend != "embedded":
        pytest.skip("the folder switch is the embedded backend's; PostgreSQL rebuilds in one transaction")
    from kaifang.search import services
    from kaifang.search.backends import get_backend
    from kaifang.search.permissions import COMMAND_LINE

    make_dataset(title="公交线路站点信息")
    make_dataset(title="市场主体登记信息", abstract="企业登记。", tags=["企业"])
    assert titles(client, "公交") == ["公交线路站点信息"]
    root = settings.KAIFANG_HOME / "search"
    before = (root / "CURRENT").read_text()
    seen_during = []
    real_iter = services.iter_docs

    def slow_docs(qs):
        for doc in real_iter(qs):
            # Halfway through the build, the live index still answers.
            seen_during.append(titles(client, "公交"))
            yield doc

    monkeypatch.setattr(services, "iter_docs", slow_docs)
    result = services.search_index_rebuild(actor=COMMAND_LINE)
    assert result["indexed"] == 2
    assert all(t == ["公交线路站点信息"] for t in seen_during) and seen_during
    assert (root / "CURRENT").read_text() != before
    assert titles(client, "公交") == ["公交线路站点信息"]
    assert len(get_backend().versions()) == 2
    # Old folders are collected: at most the live one and its predecessor remain.
    assert len(list(root.glob("idx-*"))) <= 2


def test_cli_rebuild(make_dataset, capsys):
    from kaifang.cli import main

    make_dataset(title="公交线路站点信息")
    assert main(["search", "rebuild"]) == 0
    assert "1 datasets" in capsys.readouterr().out


def test_operator_tools_need_an_operator(client, login, personas, make_dataset):
    make_dataset(title="医疗机构名录")
    login(personas["citizen"])
    assert client.get("/api/v1/search/index").status_code == 404
    assert client.post("/api/v1/search/index/repair").status_code == 403
    assert (
        client.post(
            "/api/v1/search/synonyms", {"terms": "诊所,卫生室"}, content_type="application/json"
        ).status_code
        == 403
    )
    login(personas["operator"])
    assert client.get("/api/v1/search/index").json()["pending"] >= 0
    assert client.post("/api/v1/search/index/repair").status_code == 200
    r = client.post("/api/v1/search/synonyms", {"terms": "卫生室, 医疗机构"}, content_type="application/json")
    assert r.status_code == 201
    assert titles(client, "卫生室") == ["医疗机构名录"]
    bad = client.post("/api/v1/search/synonyms", {"terms": "孤词"}, content_type="application/json")
    assert bad.status_code == 422
    assert client.post("/api/v1/search/index/rebuild").json()["indexed"] == 1


def test_a_lost_index_folder_is_rebuilt_by_check(client, make_dataset, settings, search_backend):
    import shutil

    from kaifang.cli import main
    from kaifang.search import indexing
    from kaifang.search.backends import reset_backends

    if search_backend != "embedded":
        pytest.skip("the embedded backend's files")
    make_dataset(title="公交线路站点信息")
    indexing.apply_pending()
    reset_backends()
    shutil.rmtree(settings.KAIFANG_HOME / "search")
    assert indexing.drift()["missing"] != []
    assert main(["search", "check"]) == 0
    assert [r["title"] for r in client.get("/api/v1/datasets?q=公交").json()["results"]] == [
        "公交线路站点信息"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_busy_writer_defers_the_update_to_the_outbox(client, make_dataset, search_backend, monkeypatch):
    from kaifang.search.backends import embedded, get_backend
    from kaifang.search.models import IndexOutbox

    if search_backend != "embedded":
        pytest.skip("the embedded backend's writer lock")
    make_dataset(title="公交线路站点信息")
    backend = get_backend()
    monkeypatch.setattr(embedded, "time", _FastClock())
    with backend._writer():  # another process is writing
        make_dataset(title="市场主体登记信息", abstract="企业登记。", tags=["企业"])
        # The publication committed; the index could not take it yet, the outbox keeps it.
        assert IndexOutbox.objects.count() == 1
    assert [r["title"] for r in client.get("/api/v1/datasets?q=市场主体").json()["results"]] == [
        "市场主体登记信息"
    ]
    assert IndexOutbox.objects.count() == 0


class _FastClock:
    """Makes the writer's 3-second wait for the lock pass at once."""

    def __init__(self):
        import time

        self._time = time
        self._now = time.monotonic()

    def monotonic(self):
        self._now += 1.0
        return self._now

    def sleep(self, _s):
        return None

    def strftime(self, fmt):
        return self._time.strftime(fmt)

    def monotonic_ns(self):
        return self._time.monotonic_ns()


def test_operator_page_repairs_and_edits_synonyms(client, login, personas, make_dataset):
    make_dataset(title="医疗机构名录")
    login(personas["officer"])
    assert client.get("/staff/search/").status_code == 404
    login(personas["operator"])
    page = client.get("/staff/search/").content.decode()
    assert 'data-testid="index-status"' in page and "医院,医疗机构,医疗卫生机构" in page
    r = client.post("/staff/search/", {"action": "synonym_add", "terms": "诊所，医疗机构"}, follow=True)
    assert "诊所,医疗机构" in r.content.decode()
    assert [x["title"] for x in client.get("/api/v1/datasets?q=诊所").json()["results"]] == ["医疗机构名录"]
    r = client.post("/staff/search/", {"action": "synonym_add", "terms": "只有一个"}, follow=True)
    assert "至少包含两个词" in r.content.decode()
    syn = client.get("/api/v1/search/synonyms").json()["custom"][0]
    assert client.delete(f"/api/v1/search/synonyms/{syn['id']}").status_code == 204
    assert client.get("/api/v1/search/synonyms").json()["custom"] == []
    r = client.post("/staff/search/", {"action": "repair"}, follow=True)
    assert r.status_code == 200
    r = client.post("/staff/search/", {"action": "rebuild"}, follow=True)
    assert "1" in r.content.decode()
