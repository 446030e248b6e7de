"""Text analysis shared by every backend: rjieba segmentation with our dictionary, pinyin, synonyms,
query parsing and highlighting. Backends index and match the space-joined tokens this module makes."""

from __future__ import annotations

import functools
import html
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"

# Words that carry no meaning in a search box ("我想查一下咸宁的公交" -> 咸宁 公交).
STOPWORDS = frozenset(
    """的 了 和 与 及 或 在 是 有 个 我 你 他 她 想 要 查 查询 查找 搜索 一下 哪些 哪里 什么 怎么 如何 多少 请问
    怎么办 怎样 咋办 能不能 可不可以 是否 哪儿 请 帮 帮我 我想查 我要查 想查 想找 查一下 有没有 我想 我要 想看 给 看 看看 能 可以 吗 呢 吧 啊 呀 相关 有关 关于 方面 信息 数据 情况 一些 所有 全部 最新 现在 目前
    这个 那个 这些 那些 里 中 上 下 市里 本市 全市 啥 找 获取 下载 列表 名单 都 也 还 就 把 被 对 从 到 为 以
    a an the of and or in on for to data""".split()
)
_WORD = re.compile(r"[\w\u3400-\u9fff]+", re.UNICODE)
_ASCII = re.compile(r"^[a-z0-9]+$")
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _jieba() -> Any:
    import rjieba

    seg = rjieba.Jieba()
    for line in (DATA / "dict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        seg.add_word(parts[0], int(parts[1]) if len(parts) > 1 else 3000, parts[2] if len(parts) > 2 else "n")
    for group in file_synonyms():
        for term in group:
            if not seg.has_word(term) and not _ASCII.match(term.lower()):
                seg.add_word(term, 3000, "n")
    return seg


def add_words(words: list[str]) -> None:
    """Teach the segmenter words added at run time (operator synonyms), so they stay one token."""
    seg = _jieba()
    with _lock:
        for w in words:
            if w and not seg.has_word(w) and not _ASCII.match(w.lower()):
                seg.add_word(w, 3000, "n")


def _clean(tokens: list[str]) -> list[str]:
    out = []
    for t in tokens:
        t = t.strip().lower()
        if t and _WORD.fullmatch(t):
            out.append(t)
    return out


def segment(text: str) -> list[str]:
    """Index-side tokens: search mode, so a compound and its parts are both findable."""
    if not text:
        return []
    return _clean(_jieba().cut_for_search(text))


def segment_text(text: str) -> str:
    return " ".join(segment(text))


def cut(text: str) -> list[str]:
    """Query-side tokens: precise mode, so 社会保险 stays one term."""
    if not text:
        return []
    return _clean(_jieba().cut(text))


def warm() -> None:
    """Load the dictionary and pinyin tables now (about 1 s), e.g. in a server's master process before it
    forks workers, rather than on a visitor's first search."""
    cut("咸宁市公共数据开放平台")
    pinyin_tokens("咸宁市公共数据开放平台")


# ---- pinyin -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=50000)
def _pinyin_word(word: str) -> tuple[str, str]:
    from pypinyin import Style, lazy_pinyin

    syll = [s for s in lazy_pinyin(word, style=Style.NORMAL, errors="ignore") if s.isascii()]
    full = "".join(syll).lower()
    initials = "".join(s[0] for s in syll if s).lower()
    return full, initials


def has_han(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def pinyin_tokens(text: str) -> list[str]:
    """Full pinyin and initials of each word and of the whole phrase: 公交线路 -> gongjiao gj xianlu xl
    gongjiaoxianlu gjxl."""
    if not text or not has_han(text):
        return []
    out: list[str] = []
    words = [w for w in cut(text) if has_han(w)]
    parts = [w for w in segment(text) if has_han(w)]
    for w in dict.fromkeys(parts):
        full, initials = _pinyin_word(w)
        if full:
            out.append(full)
            if len(initials) > 1:
                out.append(initials)
    if len(words) > 1:
        full, initials = _pinyin_word("".join(words))
        if full:
            out += [full, initials]
    return out


def to_pinyin(text: str) -> str:
    return _pinyin_word(text)[0]


@functools.lru_cache(maxsize=1)
def pinyin_lexicon() -> dict[str, str]:
    """Pinyin (and initials of 3+ letters, when unambiguous) of our dictionary words and synonyms, so a
    query typed in pinyin also reaches texts that only hold a synonym: yiyuan -> 医院 -> 医疗机构."""
    words: list[str] = []
    for line in (DATA / "dict.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if parts and not parts[0].startswith("#"):
            words.append(parts[0])
    words += [t for g in file_synonyms() for t in g if has_han(t)]
    full: dict[str, str] = {}
    initials: dict[str, set[str]] = {}
    for w in words:
        f, i = _pinyin_word(w)
        if f:
            full.setdefault(f, w)
        if len(i) >= 3:
            initials.setdefault(i, set()).add(w)
    out = {i: next(iter(ws)) for i, ws in initials.items() if len(ws) == 1 and i not in full}
    out.update(full)
    return out


# ---- synonyms -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def file_synonyms() -> tuple[tuple[str, ...], ...]:
    groups = []
    for line in (DATA / "synonyms.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            groups.append(tuple(t.strip().lower() for t in re.split(r"[,，、]", line) if t.strip()))
    return tuple(groups)


def synonym_map(groups: Any) -> dict[str, tuple[str, ...]]:
    out: dict[str, set[str]] = {}
    for group in groups:
        for term in group:
            out.setdefault(term, set()).update(group)
    return {k: tuple(sorted(v)) for k, v in out.items()}


# ---- queries ------------------------------------------------------------------------------------


@dataclass
class TermGroup:
    """One query term and what may stand in for it: synonyms (Chinese) or spelling variants (ASCII)."""

    term: str
    alternatives: list[str] = field(default_factory=list)
    ascii: bool = False
    # The term's own sub-words, each with its synonyms, for when the index split it differently
    # (交通运输 inside 交通运输局) or only a part has a synonym (旅游景点 -> 旅游 + 景点/景区).
    parts: list[TermGroup] = field(default_factory=list)

    @property
    def all(self) -> list[str]:
        return [self.term, *[a for a in self.alternatives if a != self.term]]


@dataclass
class ParsedQuery:
    text: str
    groups: list[TermGroup]
    pinyin: list[str]  # the query read as pinyin: a fallback for homophone typos (公焦 -> gongjiao)

    @property
    def terms(self) -> list[str]:
        return [t for g in self.groups for t in [*g.all, *[x for p in g.parts for x in p.all]]]

    def __bool__(self) -> bool:
        return bool(self.groups)


def parse_query(q: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> ParsedQuery:
    q = (q or "").strip()[:200]
    synonyms = synonyms or {}
    tokens = [t for t in cut(q) if t not in STOPWORDS]
    if not tokens:
        # Only stopwords: search for them after all rather than for nothing.
        tokens = cut(q)
    groups: list[TermGroup] = []
    seen: set[str] = set()
    for t in tokens[:12]:
        if t in seen:
            continue
        seen.add(t)
        is_ascii = bool(_ASCII.match(t))
        alts = [s for s in synonyms.get(t, ()) if s != t]
        if is_ascii and t in pinyin_lexicon():
            han = pinyin_lexicon()[t]
            alts += [han, *[s for s in synonyms.get(han, ()) if s != han]]
        parts = []
        if not is_ascii:
            subs = [p for p in segment(t) if p != t and len(p) > 1]
            # Only the finest split: drop sub-words that contain another sub-word.
            subs = [p for p in subs if not any(o != p and o in p for o in subs)]
            if len(subs) > 1:
                parts = [
                    TermGroup(term=p, alternatives=[a for a in synonyms.get(p, ()) if a != p]) for p in subs
                ]
        groups.append(TermGroup(term=t, alternatives=alts, ascii=is_ascii, parts=parts))
    # "gong jiao" typed with spaces: also try the syllables joined.
    if len(groups) > 1 and all(g.ascii and not g.term.isdigit() for g in groups):
        groups[0].alternatives.append("".join(g.term for g in groups))
    pinyin = []
    han = [g.term for g in groups if has_han(g.term)]
    if han:
        pinyin = [to_pinyin(t) for t in han if to_pinyin(t)]
    return ParsedQuery(text=q, groups=groups, pinyin=pinyin)


# ---- highlighting -------------------------------------------------------------------------------


def highlight(text: str, terms: list[str], width: int = 120) -> str:
    """HTML-escaped text around the first match, every match wrapped in <mark>."""
    text = text or ""
    words = sorted({t for t in terms if t and len(t) >= 1 and not _ASCII.match(t)}, key=len, reverse=True)
    words += sorted({t for t in terms if t and _ASCII.match(t) and len(t) > 1}, key=len, reverse=True)
    if not words:
        return html.escape(text[:width] + ("…" if len(text) > width else ""))
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    first = pattern.search(text)
    start = 0
    if first and first.start() > width // 3:
        start = first.start() - width // 4
    piece = text[start : start + width]
    out = []
    pos = 0
    for m in pattern.finditer(piece):
        out.append(html.escape(piece[pos : m.start()]))
        out.append(f"<mark>{html.escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(html.escape(piece[pos:]))
    return ("…" if start else "") + "".join(out) + ("…" if start + width < len(text) else "")
