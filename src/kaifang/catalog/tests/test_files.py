"""Distribution files: served to those who may see the dataset, nothing outside the files folder."""

import pytest

from kaifang.catalog.models import Distribution

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(settings, tmp_path, make_dataset):
    settings.KAIFANG_HOME = tmp_path
    (tmp_path / "files" / "demo").mkdir(parents=True)
    (tmp_path / "secret.txt").write_text("secret")

    def make(state, name):
        ds = make_dataset(state, title=f"文件{name}")
        (tmp_path / "files" / "demo" / f"{name}.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        Distribution.objects.create(
            dataset=ds,
            kind="file",
            title=name,
            media_type="text/csv",
            access_url=f"/files/demo/{name}.csv",
            checksum="sha256:00",
        )
        return ds

    return make


def test_public_file(client, stored):
    stored("published", "open")
    r = client.get("/files/demo/open.csv")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"a,b\n1,2\n"
    assert "filename*=UTF-8''" in r["Content-Disposition"]


def test_draft_file_hidden_like_missing(client, login, personas, stored):
    stored("draft", "draft")
    assert client.get("/files/demo/draft.csv").status_code == 404
    assert client.get("/files/demo/none.csv").status_code == 404
    login(personas["officer"])
    assert client.get("/files/demo/draft.csv").status_code == 200


@pytest.mark.parametrize(
    "path", ["/files/../secret.txt", "/files/demo/../../secret.txt", "/files/%2e%2e/secret.txt"]
)
def test_traversal_refused(client, stored, path):
    stored("published", "open")
    assert client.get(path).status_code == 404
