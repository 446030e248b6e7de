"""Resource and field codes (目录编码规范, S2): generated and validated from a segment table kept as data.

resource code = classification code (类 项 目 细目) + separator + sequence, e.g. 307015421200003/000023;
field code = resource code + separator + item sequence. Displayed with hyphens between segments.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

SCHEME_PATH = Path(__file__).parent / "data" / "code_scheme.json"


@dataclass(frozen=True)
class CodeScheme:
    segments: tuple[tuple[str, int], ...]
    sequence_length: int
    item_sequence_length: int
    separator: str
    categories: dict[str, Any]

    @property
    def classification_length(self) -> int:
        return sum(length for _, length in self.segments)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> CodeScheme:
        return cls(
            segments=tuple((s["name"], int(s["length"])) for s in raw["classification_segments"]),
            sequence_length=int(raw["sequence_length"]),
            item_sequence_length=int(raw["item_sequence_length"]),
            separator=raw["separator"],
            categories=raw["categories"],
        )

    def resource_pattern(self) -> re.Pattern[str]:
        sep = re.escape(self.separator)
        return re.compile(rf"^(\d{{{self.classification_length}}}){sep}(\d{{{self.sequence_length}}})$")

    def classification_code(
        self, *, category: str, item: str, subitem: str, region: str, department_seq: str
    ) -> str:
        code = f"{category}{item}{subitem}{region}{department_seq}"
        if len(code) != self.classification_length or not code.isdigit():
            raise CodeError(_("分类码结构错误：%(code)s") % {"code": code})
        return code

    def format_resource(self, classification: str, sequence: int) -> str:
        if sequence < 1 or sequence >= 10**self.sequence_length:
            raise CodeError(_("顺序码超出范围：%(n)s") % {"n": sequence})
        return f"{classification}{self.separator}{sequence:0{self.sequence_length}d}"

    def format_field(self, resource_code: str, item_sequence: int) -> str:
        if item_sequence < 1 or item_sequence >= 10**self.item_sequence_length:
            raise CodeError(_("信息项顺序码超出范围：%(n)s") % {"n": item_sequence})
        return f"{resource_code}{self.separator}{item_sequence:0{self.item_sequence_length}d}"

    def parse_resource(self, code: str) -> dict[str, Any]:
        """Split a resource code into its named segments, or raise CodeError saying what is wrong."""
        if not isinstance(code, str):
            raise CodeError(_("信息资源代码必须是字符串。"))
        m = self.resource_pattern().match(code)
        if not m:
            raise CodeError(
                _("信息资源代码“%(code)s”格式不正确：应为%(n)s位分类码、“%(sep)s”和%(m)s位顺序码。")
                % {
                    "code": code[:60],
                    "n": self.classification_length,
                    "sep": self.separator,
                    "m": self.sequence_length,
                }
            )
        classification, sequence = m.group(1), m.group(2)
        parts: dict[str, Any] = {}
        pos = 0
        for name, length in self.segments:
            parts[name] = classification[pos : pos + length]
            pos += length
        category = self.categories.get(parts["category"])
        if category is None:
            raise CodeError(_("信息资源代码的“类”段 %(v)s 不存在。") % {"v": parts["category"]})
        if parts["item"] not in category["items"]:
            raise CodeError(_("信息资源代码的“项”段 %(v)s 不属于该类。") % {"v": parts["item"]})
        if int(sequence) == 0:
            raise CodeError(_("顺序码不能为全零。"))
        parts["classification"] = classification
        parts["sequence"] = int(sequence)
        return parts

    def validate_field(self, code: str) -> tuple[str, int]:
        resource, sep, item = code.rpartition(self.separator)
        if not sep or len(item) != self.item_sequence_length or not item.isdigit() or int(item) == 0:
            raise CodeError(_("信息项编码“%(code)s”格式不正确。") % {"code": code[:60]})
        self.parse_resource(resource)
        return resource, int(item)

    def display(self, code: str) -> str:
        """Hyphenate the classification part for people: 3-07-015-421200003/000023."""
        classification, sep, rest = code.partition(self.separator)
        out, pos = [], 0
        for _name, length in self.segments:
            out.append(classification[pos : pos + length])
            pos += length
        return "-".join(out) + sep + rest


class CodeError(ValueError):
    pass


@cache
def scheme() -> CodeScheme:
    return CodeScheme.from_dict(json.loads(SCHEME_PATH.read_text(encoding="utf-8")))


def next_sequence(prefix: str) -> int:
    """Issue the next sequence number for a prefix. Must run inside the caller's transaction."""
    from kaifang.catalog.models import CodeSequence

    assert transaction.get_connection().in_atomic_block, "codes are issued inside a service transaction"
    seq, _created = CodeSequence.objects.select_for_update().get_or_create(prefix=prefix)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


def slug_for_code(code: str) -> str:
    """The code as it appears in URLs: the separator becomes a hyphen (codes never contain one)."""
    return code.replace(scheme().separator, "-")


def code_from_slug(slug: str) -> str:
    return slug.replace("-", scheme().separator) if isinstance(slug, str) else ""
