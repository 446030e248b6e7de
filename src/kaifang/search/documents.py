"""What the index holds for one dataset, built from the catalog. Backends take these and nothing else."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kaifang.search import text as T

# Field weights for BM25 (title matches count most). Operators tune these and the boosts through
# settings.KAIFANG_SEARCH_WEIGHTS / KAIFANG_SEARCH_BOOSTS.
DEFAULT_WEIGHTS = {
    "title": 6.0,
    "code": 6.0,
    "tags": 3.0,
    "dept": 2.5,
    "region": 2.0,
    "domain": 2.0,
    "fields": 1.5,
    "py": 1.5,
    "abstract": 1.0,
    "en": 1.0,
}
DEFAULT_BOOSTS = {"freshness": 0.15, "quality": 0.1, "use": 0.1}
TEXT_FIELDS = tuple(DEFAULT_WEIGHTS)


def weights() -> dict[str, float]:
    from django.conf import settings

    return DEFAULT_WEIGHTS | getattr(settings, "KAIFANG_SEARCH_WEIGHTS", {})


def boosts() -> dict[str, float]:
    from django.conf import settings

    return DEFAULT_BOOSTS | getattr(settings, "KAIFANG_SEARCH_BOOSTS", {})


@dataclass
class SearchDoc:
    id: int
    version: int
    code: str = ""
    title: str = ""
    abstract: str = ""
    tags: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    department: str = ""
    region: str = ""
    domain: str = ""
    title_en: str = ""
    publish_date: datetime.date | None = None
    quality: float = 0.0  # 0..1, from the quality monitor when it exists
    use: float = 0.0  # views + downloads, from the statistics when they exist

    def segmented(self) -> dict[str, str]:
        """The space-joined tokens of every text field; the same for every backend."""
        code = self.code.lower()
        return {
            "title": T.segment_text(self.title),
            "code": " ".join({code, *code.replace("/", " ").replace("-", " ").split()}),
            "tags": " ".join(T.segment(" ".join(self.tags)) + [t.lower() for t in self.tags if " " not in t]),
            "dept": T.segment_text(self.department),
            "region": T.segment_text(self.region),
            "domain": T.segment_text(self.domain),
            "fields": T.segment_text(" ".join(self.fields)),
            "py": " ".join(T.pinyin_tokens(self.title) + T.pinyin_tokens(self.department.split(" ")[0])),
            "abstract": T.segment_text(self.abstract),
            "en": " ".join(w.lower() for w in T._WORD.findall(self.title_en)),
        }

    @property
    def publish_days(self) -> int:
        return self.publish_date.toordinal() if self.publish_date else 0


def version_of(lock_version: int, updated_at: datetime.datetime | None) -> int:
    """A 63-bit fingerprint of a catalog row's state: differs whenever the row was saved again."""
    raw = f"{lock_version}:{updated_at.isoformat() if updated_at else ''}".encode()
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big") >> 1


def doc_for(ds: Any) -> SearchDoc:
    dept = ds.department
    return SearchDoc(
        id=ds.pk,
        version=version_of(ds.lock_version, ds.updated_at),
        code=ds.code,
        title=ds.title,
        abstract=ds.abstract,
        tags=list(ds.tags or []),
        fields=[f.name for f in ds.fields.all()],
        department=f"{dept.name} {dept.short_name}",
        region=ds.region.name,
        domain=ds.domain.label if ds.domain_id else "",
        title_en=ds.title_en,
        publish_date=ds.publish_date,
    )


def indexable_queryset() -> Any:
    """Everything in any catalog: visibility per actor is applied at query time against the database."""
    from kaifang.catalog.choices import CATALOGED_STATES
    from kaifang.catalog.models import Dataset

    return Dataset.objects.filter(state__in=CATALOGED_STATES)


def iter_docs(qs: Any, batch: int = 2000) -> Iterator[SearchDoc]:
    ids = list(qs.order_by("id").values_list("id", flat=True))
    from kaifang.catalog.models import Dataset

    for i in range(0, len(ids), batch):
        chunk = (
            Dataset.objects.filter(id__in=ids[i : i + batch])
            .select_related("department", "region", "domain")
            .prefetch_related("fields")
            .order_by("id")
        )
        for ds in chunk:
            yield doc_for(ds)


def catalog_versions() -> dict[int, int]:
    return {
        pk: version_of(lv, up)
        for pk, lv, up in indexable_queryset().values_list("id", "lock_version", "updated_at")
    }


def docs_from_dicts(rows: Iterable[dict[str, Any]]) -> list[SearchDoc]:
    return [SearchDoc(**r) for r in rows]
