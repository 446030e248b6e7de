"""The default backend: tantivy in-process, over text we segment ourselves (whitespace tokenizer).

Layout under <KAIFANG_HOME>/search: `CURRENT` names the live index folder (`idx-<stamp>`). A rebuild
writes a new folder and replaces `CURRENT` atomically, so searches never see an empty index; every
process notices the switch (and other processes' commits) on its next search.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy

from kaifang.search import text as T
from kaifang.search.backends.base import Hit, SearchBackend, boost_factor
from kaifang.search.documents import TEXT_FIELDS, SearchDoc, weights

TOKENIZER = "zh_ws"
WRITER_HEAP = 64_000_000


def _schema() -> Any:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    sb.add_integer_field("version", stored=False, indexed=False, fast=True)
    sb.add_integer_field("publish_days", stored=False, indexed=False, fast=True)
    sb.add_float_field("quality", stored=False, indexed=False, fast=True)
    sb.add_float_field("use", stored=False, indexed=False, fast=True)
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name=TOKENIZER)
    return sb.build()


def _analyzer() -> Any:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).filter(tantivy.Filter.lowercase()).build()
    )


def _document(doc: SearchDoc) -> Any:
    d = tantivy.Document()
    d.add_unsigned("id", doc.id)
    d.add_integer("version", doc.version)
    d.add_integer("publish_days", doc.publish_days)
    d.add_float("quality", float(doc.quality))
    d.add_float("use", float(doc.use))
    for name, value in doc.segmented().items():
        if value:
            d.add_text(name, value)
    return d


class IndexBusy(Exception):
    """Another process holds the index writer; the outbox keeps the change until it can be applied."""


class EmbeddedBackend(SearchBackend):
    name = "embedded"

    def __init__(self, root: Path | None = None):
        """root=None keeps the index in memory (tests, the judged-set command)."""
        self.root = Path(root) if root is not None else None
        self.schema = _schema()
        self._lock = threading.RLock()
        self._index: Any = None
        self._current = ""
        self._meta_mtime = 0.0
        self._open()

    # ---- opening and switching -------------------------------------------------------------------

    def _new_index(self, path: Path | None) -> Any:
        if path is not None:
            path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(self.schema, path=str(path), reuse=True)
        else:
            index = tantivy.Index(self.schema)
        # Tokenizers are not persisted: register on every open, or text queries silently match nothing.
        index.register_tokenizer(TOKENIZER, _analyzer())
        return index

    def _pointer(self) -> Path:
        assert self.root is not None
        return self.root / "CURRENT"

    def _read_pointer(self) -> str:
        try:
            return self._pointer().read_text().strip()
        except FileNotFoundError:
            return ""

    def _write_pointer(self, name: str) -> None:
        tmp = self._pointer().with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(name)
        os.replace(tmp, self._pointer())

    def _open(self) -> None:
        with self._lock:
            if self.root is None:
                self._index = self._new_index(None)
                return
            self.root.mkdir(parents=True, exist_ok=True)
            name = self._read_pointer()
            if not name or not (self.root / name).exists():
                name = self._fresh_name()
                self._new_index(self.root / name)
                self._write_pointer(name)
            self._index = self._new_index(self.root / name)
            self._current = name
            self._meta_mtime = self._meta_time()

    def _fresh_name(self) -> str:
        return f"idx-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 1_000_000}"

    def _meta_time(self) -> float:
        try:
            return (self.root / self._current / "meta.json").stat().st_mtime_ns if self.root else 0.0
        except FileNotFoundError:
            return 0.0

    def _fresh(self) -> Any:
        """The index, reopened if a rebuild switched folders, reloaded if anyone committed."""
        with self._lock:
            if self.root is not None:
                name = self._read_pointer()
                if name and name != self._current:
                    self._open()
                else:
                    mtime = self._meta_time()
                    if mtime != self._meta_mtime:
                        self._index.reload()
                        self._meta_mtime = mtime
            return self._index

    @contextmanager
    def _writer(self, index: Any = None, wait: float = 3.0) -> Iterator[Any]:
        index = index or self._fresh()
        deadline = time.monotonic() + wait
        while True:
            try:
                writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
                break
            except ValueError as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise IndexBusy(str(exc)) from exc
                time.sleep(0.05)
        try:
            yield writer
        except BaseException:
            writer.rollback()
            writer.wait_merging_threads()
            raise
        writer.wait_merging_threads()

    # ---- writing ---------------------------------------------------------------------------------

    def _id_query(self, pk: int) -> Any:
        # delete_documents_by_term does not match u64 terms from Python ints; a term query does.
        return tantivy.Query.term_query(self.schema, "id", pk)

    def upsert(self, docs: list[SearchDoc]) -> None:
        if not docs:
            return
        with self._lock, self._writer() as w:
            for doc in docs:
                w.delete_documents_by_query(self._id_query(doc.id))
                w.add_document(_document(doc))
            w.commit()
        self._after_commit()

    def delete(self, ids: list[int]) -> None:
        if not ids:
            return
        with self._lock, self._writer() as w:
            for i in ids:
                w.delete_documents_by_query(self._id_query(int(i)))
            w.commit()
        self._after_commit()

    def _after_commit(self) -> None:
        with self._lock:
            self._index.reload()
            self._meta_mtime = self._meta_time()

    def rebuild(self, docs: Iterable[SearchDoc]) -> int:
        n = 0
        if self.root is None:
            index = self._new_index(None)
            with self._writer(index) as w:
                for doc in docs:
                    w.add_document(_document(doc))
                    n += 1
                w.commit()
            with self._lock:
                self._index = index
                self._index.reload()
            return n
        # Hold the live index's writer while building, so incremental updates wait in the outbox and
        # are applied to the new index after the switch (none is lost to the old folder).
        with self._writer(self._fresh(), wait=30.0):
            name = self._fresh_name()
            index = self._new_index(self.root / name)
            with self._writer(index) as w:
                for doc in docs:
                    w.add_document(_document(doc))
                    n += 1
                w.commit()
            old = self._current
            self._write_pointer(name)
            self._open()
        self._collect(keep={name, old})
        return n

    def _collect(self, keep: set[str]) -> None:
        """Remove index folders no longer named by CURRENT (the previous one stays for open readers)."""
        assert self.root is not None
        folders = sorted(p for p in self.root.glob("idx-*") if p.is_dir() and p.name not in keep)
        for p in folders:
            shutil.rmtree(p, ignore_errors=True)

    # ---- reading ---------------------------------------------------------------------------------

    def count(self) -> int:
        return self._fresh().searcher().num_docs

    def versions(self) -> dict[int, int]:
        searcher = self._fresh().searcher()
        n = searcher.num_docs
        if not n:
            return {}
        res = searcher.search(tantivy.Query.all_query(), limit=n, count=False)
        addrs = [a for _s, a in res.hits]
        ids = searcher.fast_field_values("id", addrs)
        vers = searcher.fast_field_values("version", addrs)
        return dict(zip(ids, vers, strict=True))

    def _term(self, field: str, term: str, boost: float) -> Any:
        return tantivy.Query.boost_query(tantivy.Query.term_query(self.schema, field, term), boost)

    def _group_query(self, group: T.TermGroup, fuzzy: int = 0) -> Any:
        w = weights()
        legs: list[tuple[Any, Any]] = []
        should = tantivy.Occur.Should
        for term in group.all:
            factor = 1.0 if term == group.term else 0.8
            for field, weight in w.items():
                if field == "py" and not group.ascii:
                    continue
                legs.append((should, self._term(field, term, weight * factor)))
            if group.ascii and fuzzy and len(term) >= 4:
                distance = 2 if fuzzy == 2 and len(term) >= 8 else 1
                for field in ("py", "en", "tags"):
                    fq = tantivy.Query.fuzzy_term_query(self.schema, field, term, distance=distance)
                    legs.append((should, tantivy.Query.boost_query(fq, w[field] * 0.5)))
        # A term the index split differently (交通运输 inside 交通运输局): all of its parts, anywhere.
        if group.parts:
            must = tantivy.Occur.Must
            part_qs = [(must, self._group_query(p)) for p in group.parts]
            legs.append((should, tantivy.Query.boost_query(tantivy.Query.boolean_query(part_qs), 0.5)))
        return tantivy.Query.boolean_query(legs)

    def _query(self, query: T.ParsedQuery, mode: str) -> Any:
        if mode in ("fuzzy", "fuzzy2"):
            slips = 2 if mode == "fuzzy2" else 1
            if slips == 2 and not any(g.ascii and len(g.term) >= 8 for g in query.groups):
                return None
            legs = [
                (tantivy.Occur.Should, self._group_query(g, fuzzy=slips)) for g in query.groups if g.ascii
            ]
            w = weights()["py"]
            for py in query.pinyin:
                legs.append((tantivy.Occur.Should, self._term("py", py, w)))
                if len(py) >= 4:
                    fq = tantivy.Query.fuzzy_term_query(self.schema, "py", py, distance=1)
                    legs.append((tantivy.Occur.Should, tantivy.Query.boost_query(fq, w * 0.5)))
            if not legs:
                return None
            return tantivy.Query.boolean_query(legs)
        groups = [self._group_query(g) for g in query.groups]
        if mode == "all":
            return tantivy.Query.boolean_query([(tantivy.Occur.Must, g) for g in groups])
        need = max(1, (len(groups) + 1) // 2)
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, g) for g in groups], need)

    def _collect_hits(self, q: Any, limit: int) -> list[Hit]:
        searcher = self._fresh().searcher()
        res = searcher.search(q, limit=limit, count=False)
        if not res.hits:
            return []
        addrs = [a for _s, a in res.hits]
        ids = searcher.fast_field_values("id", addrs)
        vers = searcher.fast_field_values("version", addrs)
        days = searcher.fast_field_values("publish_days", addrs)
        quality = searcher.fast_field_values("quality", addrs)
        use = searcher.fast_field_values("use", addrs)
        today = datetime.date.today().toordinal()
        hits = [
            Hit(int(i), float(s) * boost_factor(d or 0, qu or 0.0, u or 0.0, today), int(v))
            for (s, _a), i, v, d, qu, u in zip(res.hits, ids, vers, days, quality, use, strict=True)
        ]
        hits.sort(key=lambda h: (-h.score, h.id))
        return hits

    def _run(self, query: T.ParsedQuery, mode: str, limit: int) -> list[Hit]:
        q = self._query(query, mode)
        return self._collect_hits(q, limit) if q is not None else []

    def prefix(self, query: T.ParsedQuery, limit: int) -> list[Hit]:
        if not query:
            return []
        *done, last = query.groups
        legs = [(tantivy.Occur.Must, self._group_query(g)) for g in done]
        should = tantivy.Occur.Should
        pattern = re.escape(last.term) + ".*"
        fields = ("py", "code", "en") if last.ascii else ("title", "tags", "dept", "region")
        last_legs = [
            (
                should,
                tantivy.Query.boost_query(tantivy.Query.regex_query(self.schema, f, pattern), weights()[f]),
            )
            for f in fields
        ]
        last_legs.append((should, self._group_query(last)))
        legs.append((tantivy.Occur.Must, tantivy.Query.boolean_query(last_legs)))
        return self._collect_hits(tantivy.Query.boolean_query(legs), limit)
