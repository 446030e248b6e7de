"""Catalog import (P3): JSON, CSV or XLSX whose columns are the guide's Chinese element names.

Parsing only; `services.catalog_import` validates every row and writes all of them or none.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from kaifang.catalog.models import Concept
from kaifang.core.errors import DomainError, NotFound, ValidationFailed
from kaifang.tenancy.models import Department

MAX_IMPORT_BYTES = 20 * 1024 * 1024
MAX_IMPORT_ROWS = 5000

# Chinese element names of the 2017 guide (and common variants) -> our keys. English keys pass through.
COLUMNS = {
    "信息资源名称": "title",
    "资源名称": "title",
    "英文名称": "title_en",
    "信息资源摘要": "abstract",
    "摘要": "abstract",
    "信息资源提供方": "department",
    "信息资源提供方代码": "department",
    "提供方": "department",
    "数据领域": "domain",
    "主题分类": "theme",
    "体裁分类": "genre",
    "服务对象": "service_objects",
    "资源属性分类": "resource_category",
    "开放属性": "open_attribute",
    "开放类型": "open_attribute",
    "开放条件": "open_condition",
    "不予开放依据": "legal_basis",
    "共享属性": "share_type",
    "共享类型": "share_type",
    "共享条件": "share_condition",
    "共享方式": "share_mode",
    "更新周期": "update_frequency",
    "更新频率": "update_frequency",
    "标签": "tags",
    "信息资源格式": "format_type",
    "格式类型": "format_type",
    "格式分类": "format_category",
    "开放方式": "open_forms",
    "关联资源代码": "related_codes",
    "联系人": "contact_name",
    "联系电话": "contact_phone",
    "联系邮箱": "contact_email",
    "坐标系": "coordinate_system",
    "信息项": "fields",
    "信息项信息": "fields",
}
FIELD_COLUMNS = {
    "信息项名称": "name",
    "英文名称": "name_en",
    "数据类型": "data_type",
    "数据长度": "length",
    "是否主键": "is_primary_key",
    "值域": "value_range",
    "共享属性": "share_type",
    "开放属性": "open_attribute",
    "分级": "sensitivity_grade",
    "敏感级别": "sensitivity_grade",
}
KNOWN_KEYS = set(COLUMNS.values()) | {"department"}
FORMAT_GUESS = {
    "xls": "spreadsheet",
    "xlsx": "spreadsheet",
    "et": "spreadsheet",
    "csv": "spreadsheet",
    "json": "self",
    "xml": "self",
    "geojson": "self",
    "api": "service",
    "接口": "service",
    "pdf": "document",
    "doc": "document",
    "docx": "document",
    "ofd": "document",
    "txt": "document",
    "jpg": "image",
    "png": "image",
}


class ImportFailed(DomainError):
    status = 422
    code = "import_failed"

    def default_message(self) -> Any:
        from django.utils.translation import gettext_lazy

        return gettext_lazy("导入未完成：文件中有错误，所有条目均未保存。请按错误报告逐行修改后重新导入。")


def parse_upload(name: str, content: bytes) -> list[dict[str, Any]]:
    """Read an import file into rows of our keys; raise ValidationFailed for a file that cannot be read."""
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationFailed(_("导入文件不能超过20MB。"))
    if not content.strip():
        raise ValidationFailed(_("导入文件是空的。"))
    lower = (name or "").lower()
    try:
        if lower.endswith(".json"):
            raw = _parse_json(content)
        elif lower.endswith(".xlsx"):
            raw = _parse_xlsx(content)
        elif lower.endswith(".csv"):
            raw = _parse_csv(content)
        else:
            raise ValidationFailed(_("只支持 JSON、CSV 或 XLSX 格式的导入文件。"))
    except ValidationFailed:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure is the file's fault, reported plainly
        raise ValidationFailed(_("无法读取导入文件：%(err)s") % {"err": str(exc)[:200]}) from exc
    if len(raw) > MAX_IMPORT_ROWS:
        raise ValidationFailed(_("一次最多导入%(n)s条。") % {"n": MAX_IMPORT_ROWS})
    if not raw:
        raise ValidationFailed(_("导入文件中没有条目。"))
    return [normalize_row(r) for r in raw]


def _parse_json(content: bytes) -> list[dict[str, Any]]:
    data = json.loads(content.decode("utf-8-sig"))
    if isinstance(data, dict):
        data = data.get("datasets") or data.get("items") or [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValidationFailed(_("JSON 导入文件必须是对象数组。"))
    return data


def _decode(content: bytes) -> str:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ValidationFailed(_("CSV 文件编码无法识别，请使用 UTF-8 或 GBK/GB18030。"))


def _parse_csv(content: bytes) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    rows = list(reader)
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    out = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise ValidationFailed(
                _("CSV 第%(n)s行有%(m)s列，表头有%(k)s列。") % {"n": n, "m": len(row), "k": len(header)}
            )
        out.append(dict(zip(header, row, strict=True)))
    return out


def _parse_xlsx(content: bytes) -> list[dict[str, Any]]:
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True, max_row=MAX_IMPORT_ROWS + 2)
    header = [str(h).strip() if h is not None else "" for h in next(rows, [])]
    out = []
    for row in rows:
        if row is None or all(v in (None, "") for v in row):
            continue
        out.append({header[i]: ("" if v is None else str(v)) for i, v in enumerate(row) if i < len(header)})
    wb.close()
    return out


def normalize_row(raw: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in raw.items():
        k = str(key).strip()
        target = COLUMNS.get(k, k if k in KNOWN_KEYS else None)
        if target is None:
            continue
        row[target] = value.strip() if isinstance(value, str) else value
    if isinstance(row.get("fields"), str):
        row["fields"] = parse_fields_cell(row["fields"])
    if isinstance(row.get("fields"), list):
        row["fields"] = [_normalize_field(f) for f in row["fields"]]
    for key in ("domain", "theme", "genre"):
        if row.get(key):
            row[key] = concept_code(key, row[key])
    if isinstance(row.get("service_objects"), str):
        row["service_objects"] = [
            concept_code("service_object", v)
            for v in re.split(r"[;；,，、]", row["service_objects"])
            if v.strip()
        ]
    if row.get("format_type") and not row.get("format_category"):
        row["format_category"] = FORMAT_GUESS.get(str(row["format_type"]).lower(), "self")
    return row


def _normalize_field(f: Any) -> Any:
    if not isinstance(f, dict):
        return f
    out = {}
    for k, v in f.items():
        key = FIELD_COLUMNS.get(str(k).strip(), str(k).strip())
        out[key] = v
    if isinstance(out.get("is_primary_key"), str):
        out["is_primary_key"] = out["is_primary_key"].strip() in ("是", "true", "True", "1", "Y", "y")
    return out


def parse_fields_cell(text: str) -> Any:
    """A cell holds JSON, or "名称:类型；名称:类型" for quick entry."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                details={"fields": _("信息项不是有效的 JSON：%(e)s") % {"e": exc.msg}}
            ) from exc
    items = []
    for part in re.split(r"[;；\n]", text):
        if not part.strip():
            continue
        name, _sep, data_type = part.strip().replace("：", ":").partition(":")
        items.append({"name": name.strip(), "data_type": (data_type or "C").strip().upper()[:1]})
    return items


def concept_code(scheme_key: str, value: Any) -> Any:
    """Vocabulary values may be given as code or label (数据领域 '交通运输' or 'transport')."""
    if not isinstance(value, str):
        return value
    scheme = {"domain": "domain", "theme": "theme", "genre": "genre", "service_object": "service_object"}[
        scheme_key
    ]
    c = (
        Concept.objects.filter(scheme=scheme)
        .filter(Q(code=value) | Q(label=value) | Q(label_en__iexact=value))
        .first()
    )
    return c.code if c else value[:16]


def resolve_department(value: Any) -> Department:
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(details={"department": _("请填写信息资源提供方（名称或统一社会信用代码）。")})
    v = value.strip()
    d = Department.objects.select_related("region").filter(Q(uscc=v) | Q(name=v) | Q(short_name=v)).first()
    if d is None:
        raise NotFound(_("信息资源提供方“%(v)s”不存在。") % {"v": v[:64]})
    return d
