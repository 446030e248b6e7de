"""The one search interface. The embedded (tantivy) and PostgreSQL backends implement it; an OpenSearch
backend with a Chinese analyzer would too (docs/search.md)."""

from __future__ import annotations

import datetime
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import NamedTuple

from kaifang.search.documents import SearchDoc, boosts
from kaifang.search.text import ParsedQuery

# A multi-term query with fewer exact answers than this is followed by partial matches.
RELAX_BELOW = 5


class Hit(NamedTuple):
    id: int
    score: float
    version: int


class SearchResult(NamedTuple):
    hits: list[Hit]
    # How the hits were found: "all" terms, "some" terms, or a "fuzzy" fallback (pinyin / typos),
    # which the pages offer as "did you mean".
    mode: str


def boost_factor(publish_days: int, quality: float, use: float, today: int | None = None) -> float:
    """Operator-tunable boosts on top of BM25: fresher, better and more used datasets rank higher."""
    b = boosts()
    today = today or datetime.date.today().toordinal()
    fresh = math.exp(-max(0, today - publish_days) / 365.0) if publish_days else 0.0
    used = min(1.0, math.log1p(max(0.0, use)) / math.log1p(10000))
    return 1.0 + b["freshness"] * fresh + b["quality"] * max(0.0, min(1.0, quality)) + b["use"] * used


class SearchBackend(ABC):
    name = "base"

    @abstractmethod
    def upsert(self, docs: list[SearchDoc]) -> None: ...

    @abstractmethod
    def delete(self, ids: list[int]) -> None: ...

    @abstractmethod
    def versions(self) -> dict[int, int]:
        """id -> version of every indexed document (for drift checks)."""

    @abstractmethod
    def rebuild(self, docs: Iterable[SearchDoc]) -> int:
        """Build a fresh index beside the live one and switch to it; searches keep working meanwhile."""

    @abstractmethod
    def _run(self, query: ParsedQuery, mode: str, limit: int) -> list[Hit]:
        """mode: "all" (every term group must match), "some" (most), "fuzzy" (pinyin and one-slip typo
        legs), "fuzzy2" (two slips in words of 8+ letters; a backend may return nothing)."""

    @abstractmethod
    def prefix(self, query: ParsedQuery, limit: int) -> list[Hit]:
        """Suggestions as you type: complete terms must match, the last one may be a prefix."""

    def search(self, query: ParsedQuery, limit: int = 1000) -> SearchResult:
        if not query:
            return SearchResult([], "all")
        hits = self._run(query, "all", limit)
        if len(hits) >= RELAX_BELOW or (hits and len(query.groups) == 1):
            return SearchResult(hits, "all")
        if hits:
            # Few exact answers to a multi-term query (咸安区 学校): follow them with the datasets that
            # match most of the terms, ranked below every exact answer.
            seen = {h.id for h in hits}
            more = [h for h in self._run(query, "some", limit) if h.id not in seen]
            floor = min(h.score for h in hits)
            top = max((h.score for h in more), default=1.0) or 1.0
            tail = [Hit(h.id, floor * 0.99 * h.score / top, h.version) for h in more]
            return SearchResult((hits + tail)[:limit], "all")
        if len(query.groups) > 1:
            hits = self._run(query, "some", limit)
            if hits:
                return SearchResult(hits, "some")
        hits = self._run(query, "fuzzy", limit)
        if not hits:
            # Two slips in a long word only when one found nothing: distance 2 matches too much otherwise
            # (gongjaio would reach gongkai).
            hits = self._run(query, "fuzzy2", limit)
        return SearchResult(hits, "fuzzy")

    def close(self) -> None:
        return None
