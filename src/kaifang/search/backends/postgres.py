"""The PostgreSQL backend: the same segmented text in `search_searchentry`, a weighted
`to_tsvector('simple', …)` generated column with a GIN index, ranked by ts_rank and our boosts.

Field weights map onto PostgreSQL's four classes: A title, code and pinyin; B tags, department, county
and domain; C field names and English title; D abstract. Rebuilds replace the rows in one transaction,
so readers see the old index until the new one commits.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction

from kaifang.search.backends.base import Hit, SearchBackend, boost_factor
from kaifang.search.documents import DEFAULT_WEIGHTS, SearchDoc, weights
from kaifang.search.text import ParsedQuery, TermGroup

# {D, C, B, A}, in PostgreSQL's order, for the default field weights.
_DEFAULT_CLASS = (0.15, 0.3, 0.5, 1.0)
# The fields in each class; a class follows the heaviest of its fields.
CLASSES = (("abstract",), ("fields", "en"), ("tags", "dept", "region", "domain"), ("title", "code", "py"))


def rank_weights() -> str:
    """The class weights for the operators' field weights: each default scaled by how much its heaviest
    field changed, then all scaled into 0..1 (ts_rank refuses weights above 1)."""
    w = weights()
    scaled = [
        d * max(w[f] for f in fields) / max(DEFAULT_WEIGHTS[f] for f in fields)
        for d, fields in zip(_DEFAULT_CLASS, CLASSES, strict=True)
    ]
    top = max(max(scaled), 1e-6)
    if top > 1.0:
        scaled = [s / top for s in scaled]
    return "{" + ", ".join(f"{s:.4f}" for s in scaled) + "}"


BATCH = 2000


def _row(doc: SearchDoc) -> Any:
    from kaifang.search.models import SearchEntry

    seg = doc.segmented()
    return SearchEntry(
        dataset_id=doc.id,
        version=doc.version,
        title=seg["title"],
        keys=" ".join([seg["code"], seg["py"]]),
        meta=" ".join([seg["tags"], seg["dept"], seg["region"], seg["domain"]]),
        fields=" ".join([seg["fields"], seg["en"]]),
        body=seg["abstract"],
        publish_days=doc.publish_days,
        quality=doc.quality,
        use=doc.use,
    )


def _lexeme(term: str, prefix: bool = False) -> str:
    return "'" + term.replace("'", "''").replace("\\", "") + "'" + (":*" if prefix else "")


def _group(g: TermGroup) -> str:
    legs = [_lexeme(t) for t in g.all]
    if g.parts:
        legs.append("(" + " & ".join(_group(p) for p in g.parts) + ")")
    return "(" + " | ".join(legs) + ")"


class PostgresBackend(SearchBackend):
    name = "postgres"

    def upsert(self, docs: list[SearchDoc]) -> None:
        from kaifang.search.models import SearchEntry

        if not docs:
            return
        with transaction.atomic():
            SearchEntry.objects.filter(dataset_id__in=[d.id for d in docs]).delete()
            SearchEntry.objects.bulk_create([_row(d) for d in docs], batch_size=BATCH)

    def delete(self, ids: list[int]) -> None:
        from kaifang.search.models import SearchEntry

        if ids:
            SearchEntry.objects.filter(dataset_id__in=ids).delete()

    def versions(self) -> dict[int, int]:
        from kaifang.search.models import SearchEntry

        return dict(SearchEntry.objects.values_list("dataset_id", "version"))

    def rebuild(self, docs: Iterable[SearchDoc]) -> int:
        from kaifang.search.models import SearchEntry

        n = 0
        with transaction.atomic():
            SearchEntry.objects.all().delete()
            batch: list[Any] = []
            for doc in docs:
                batch.append(_row(doc))
                n += 1
                if len(batch) >= BATCH:
                    SearchEntry.objects.bulk_create(batch)
                    batch = []
            SearchEntry.objects.bulk_create(batch)
        return n

    def count(self) -> int:
        from kaifang.search.models import SearchEntry

        return SearchEntry.objects.count()

    def _tsquery(self, query: ParsedQuery, mode: str) -> str:
        if mode == "fuzzy2":
            return ""  # the prefix legs below already allow more than one slip
        if mode == "fuzzy":
            legs = [_lexeme(p) for p in query.pinyin]
            for g in query.groups:
                if g.ascii and len(g.term) >= 4:
                    # Spelling slips usually come late in a word: match on its first half.
                    legs.append(_lexeme(g.term[: max(3, len(g.term) // 2)], prefix=True))
            return " | ".join(legs)
        groups = [_group(g) for g in query.groups]
        return (" & " if mode == "all" else " | ").join(groups)

    def _select(self, tsquery: str, limit: int) -> list[Hit]:
        if not tsquery:
            return []
        sql = (
            "SELECT dataset_id, version, ts_rank(%s, tsv, q) AS r, publish_days, quality, use "
            "FROM search_searchentry, to_tsquery('simple', %s) q WHERE tsv @@ q ORDER BY r DESC, dataset_id "
            "LIMIT %s"
        )
        with connection.cursor() as cur:
            cur.execute(sql, [rank_weights(), tsquery, limit])
            rows = cur.fetchall()
        today = datetime.date.today().toordinal()
        hits = [Hit(int(i), float(r) * boost_factor(d, q, u, today), int(v)) for i, v, r, d, q, u in rows]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits

    def _run(self, query: ParsedQuery, mode: str, limit: int) -> list[Hit]:
        hits = self._select(self._tsquery(query, mode), limit if mode != "some" else limit * 2)
        if mode == "some":
            # PostgreSQL has no "most of the terms": keep those matching at least half the groups.
            need = max(1, (len(query.groups) + 1) // 2)
            if need > 1:
                hits = self._filter_min_match(query, hits, need)
        return hits[:limit]

    def _filter_min_match(self, query: ParsedQuery, hits: list[Hit], need: int) -> list[Hit]:
        if not hits:
            return hits
        ids = [h.id for h in hits]
        matches = " + ".join("(tsv @@ to_tsquery('simple', %s))::int" for _g in query.groups)
        params = [_group(g) for g in query.groups]
        sql = f"SELECT dataset_id, {matches} FROM search_searchentry WHERE dataset_id = ANY(%s)"  # noqa: S608
        with connection.cursor() as cur:
            cur.execute(sql, [*params, ids])
            matched = dict(cur.fetchall())
        return [h for h in hits if matched.get(h.id, 0) >= need]

    def prefix(self, query: ParsedQuery, limit: int) -> list[Hit]:
        if not query:
            return []
        *done, last = query.groups
        legs = [_group(g) for g in done]
        legs.append("(" + _lexeme(last.term, prefix=True) + " | " + _group(last) + ")")
        return self._select(" & ".join(legs), limit)


class _Rollback(Exception):
    pass


def evaluate_in_rollback(
    docs: list[SearchDoc], run_queries: Callable[[Any], dict[str, Any]]
) -> dict[str, Any]:
    """Run the judged set against this database without keeping the fixed corpus in it."""
    backend = PostgresBackend()
    report: dict[str, Any] = {}
    try:
        with transaction.atomic():
            backend.rebuild(docs)
            report.update(run_queries(lambda pq: [h.id for h in backend.search(pq, 10).hits]))
            raise _Rollback
    except _Rollback:
        pass
    return report
