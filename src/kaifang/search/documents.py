"""What the index holds for one dataset, built from the catalog. Backends take these and nothing else."""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kaifang.search import text as T

# Field weights for BM25 (title matches count most). Operators tune these and the boosts on the staff
# page (model RankingSettings, applied without restart); settings.KAIFANG_SEARCH_WEIGHTS /
# KAIFANG_SEARCH_BOOSTS change the defaults of an instance.
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


# The operators' stored ranking (weights, boosts), loaded once per query by `load_ranking` and kept per
# process by audit generation (docs/decisions/0004); a preview overrides it for one call only.
_stored: dict[str, dict[str, float]] = {"weights": {}, "boosts": {}}
_override: contextvars.ContextVar[dict[str, dict[str, float]] | None] = contextvars.ContextVar(
    "kaifang_search_ranking", default=None
)


def base_weights() -> dict[str, float]:
    from django.conf import settings

    return DEFAULT_WEIGHTS | getattr(settings, "KAIFANG_SEARCH_WEIGHTS", {})


def base_boosts() -> dict[str, float]:
    from django.conf import settings

    return DEFAULT_BOOSTS | getattr(settings, "KAIFANG_SEARCH_BOOSTS", {})


def weights() -> dict[str, float]:
    ranking = _override.get() or _stored
    return base_weights() | ranking["weights"]


def boosts() -> dict[str, float]:
    ranking = _override.get() or _stored
    return base_boosts() | ranking["boosts"]


MAX_WEIGHT = 20.0
MAX_BOOST = 2.0


def clean_ranking(
    weights: dict[str, Any], boosts: dict[str, Any]
) -> tuple[dict[str, float], dict[str, float]]:
    """Validated weights and boosts (known names only, numbers in range), or ValidationFailed."""
    from django.utils.translation import gettext as _

    from kaifang.core.errors import ValidationFailed

    errors: dict[str, str] = {}
    out: list[dict[str, float]] = [{}, {}]
    for i, (given, known, top, message) in enumerate(
        (
            (weights, DEFAULT_WEIGHTS, MAX_WEIGHT, _("权重须为 0 到 20 之间的数。")),
            (boosts, DEFAULT_BOOSTS, MAX_BOOST, _("加权须为 0 到 2 之间的数。")),
        )
    ):
        for name, raw in (given or {}).items():
            if name not in known:
                errors[name] = message
                continue
            try:
                value = float(raw)
            except (TypeError, ValueError):
                value = -1.0
            if not 0.0 <= value <= top:
                errors[name] = message
            else:
                out[i][name] = round(value, 4)
    if errors:
        raise ValidationFailed(details=errors)
    return out[0], out[1]


def set_stored_ranking(weights: dict[str, float], boosts: dict[str, float]) -> None:
    global _stored
    _stored = {"weights": dict(weights), "boosts": dict(boosts)}


@contextlib.contextmanager
def ranking_override(weights: dict[str, float], boosts: dict[str, float]) -> Iterator[None]:
    """Rank with these values inside the block only (the operators' preview before saving)."""
    token = _override.set({"weights": dict(weights), "boosts": dict(boosts)})
    try:
        yield
    finally:
        _override.reset(token)


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
    quality: float = 0.0  # 0..1, metadata completeness (quality_of)
    use: float = 0.0  # successful data API calls and downloads in the last year (access.CallLog)

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


# What a complete catalog entry has beyond the required fields, and how much each counts (sums to 1).
QUALITY_PARTS = {
    "abstract": 0.2,  # an abstract of at least 30 characters
    "fields": 0.2,  # its fields (信息项) are listed
    "fields_en": 0.1,  # and named in English
    "files": 0.2,  # a data file or interface exists
    "tags": 0.1,
    "title_en": 0.05,
    "contact": 0.1,  # a phone or email to ask
    "theme": 0.05,
}
USE_WINDOW_DAYS = 365


def quality_of(ds: Any, field_names_en: list[str], n_files: int) -> float:
    """Metadata completeness, 0..1: what a user needs to judge and use the data without asking."""
    have = {
        "abstract": len(ds.abstract or "") >= 30,
        "fields": bool(field_names_en),
        "fields_en": bool(field_names_en) and all(field_names_en),
        "files": n_files > 0,
        "tags": bool(ds.tags),
        "title_en": bool(ds.title_en),
        "contact": bool(ds.contact_phone or ds.contact_email),
        "theme": bool(ds.theme_id),
    }
    return round(sum(w for k, w in QUALITY_PARTS.items() if have[k]), 3)


def use_counts(codes: list[str]) -> dict[str, int]:
    """Successful data API calls and downloads per dataset code over the last year (access.CallLog)."""
    from django.db.models import Count
    from django.utils import timezone

    from kaifang.access.models import CallLog

    if not codes:
        return {}
    since = timezone.now() - datetime.timedelta(days=USE_WINDOW_DAYS)
    rows = (
        CallLog.objects.filter(dataset_code__in=codes, at__gte=since, status__lt=400)
        .values("dataset_code")
        .annotate(n=Count("id"))
        .values_list("dataset_code", "n")
    )
    return dict(rows)


def doc_for(ds: Any, uses: int = 0) -> SearchDoc:
    dept = ds.department
    fields = list(ds.fields.all())
    return SearchDoc(
        id=ds.pk,
        version=version_of(ds.lock_version, ds.updated_at),
        code=ds.code,
        title=ds.title,
        abstract=ds.abstract,
        tags=list(ds.tags or []),
        fields=[f.name for f in fields],
        department=f"{dept.name} {dept.short_name}",
        region=ds.region.name,
        domain=ds.domain.label if ds.domain_id else "",
        title_en=ds.title_en,
        publish_date=ds.publish_date,
        quality=quality_of(ds, [f.name_en for f in fields], len(ds.distributions.all())),
        use=float(uses),
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
            .prefetch_related("fields", "distributions")
            .order_by("id")
        )
        rows = list(chunk)
        uses = use_counts([ds.code for ds in rows])
        for ds in rows:
            yield doc_for(ds, uses.get(ds.code, 0))


def catalog_versions() -> dict[int, int]:
    return {
        pk: version_of(lv, up)
        for pk, lv, up in indexable_queryset().values_list("id", "lock_version", "updated_at")
    }


def docs_from_dicts(rows: Iterable[dict[str, Any]]) -> list[SearchDoc]:
    return [SearchDoc(**r) for r in rows]
