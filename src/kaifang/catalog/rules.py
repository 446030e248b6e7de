"""The catalog's rules (S1, S2, S6): one validation for the form, the API and the import.

`validate_dataset_input` returns cleaned data or raises ValidationFailed with a message per field,
in the caller's language.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from kaifang.catalog.choices import (
    GRADE_ORDER,
    CoordinateSystem,
    FieldType,
    FormatCategory,
    Grade,
    OpenAttribute,
    OpenForm,
    ResourceCategory,
    ShareMode,
    ShareType,
    UpdateFrequency,
)
from kaifang.catalog.codes import CodeError, scheme
from kaifang.core.errors import ValidationFailed

MAX_TITLE = 128
MAX_ABSTRACT = 4000
MAX_CONDITION = 2000
MAX_FIELDS = 500
MAX_TAGS = 20
MAX_TAG = 32
OPENNESS = {OpenAttribute.CLOSED: 0, OpenAttribute.CONDITIONAL: 1, OpenAttribute.UNCONDITIONAL: 2}

# Grading policy (china-standards.md §3.4): the default open attribute for a grade, and the most open
# attribute that grade allows. Closed fields are withheld, so they do not bind the dataset's ceiling.
GRADE_POLICY: dict[str, tuple[str, str]] = {
    Grade.G1: (OpenAttribute.UNCONDITIONAL, OpenAttribute.UNCONDITIONAL),
    Grade.G2: (OpenAttribute.UNCONDITIONAL, OpenAttribute.UNCONDITIONAL),
    Grade.G3: (OpenAttribute.CONDITIONAL, OpenAttribute.CONDITIONAL),
    Grade.G4: (OpenAttribute.CLOSED, OpenAttribute.CLOSED),
    Grade.IMPORTANT: (OpenAttribute.CLOSED, OpenAttribute.CLOSED),
    Grade.CORE: (OpenAttribute.CLOSED, OpenAttribute.CLOSED),
}

# Keys whose change on a published entry sends it back to review.
REVIEWED_KEYS = ("open_attribute", "open_condition", "legal_basis", "share_type", "share_condition", "fields")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def default_open_attribute(grade: str) -> str:
    return str(GRADE_POLICY[grade][0])


def open_ceiling(grade: str) -> str:
    return str(GRADE_POLICY[grade][1])


def max_grade(grades: list[str]) -> str:
    return max(grades, key=GRADE_ORDER.__getitem__) if grades else Grade.G1.value


class _Errors:
    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def add(self, key: str, message: str) -> None:
        self.items.setdefault(key, message)


def _text(data: dict[str, Any], key: str, errors: _Errors, *, required: bool, limit: int, label: str) -> str:
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.add(key, _("%(label)s必须是文本。") % {"label": label})
        return ""
    value = value.strip()
    if _CONTROL.search(value):
        errors.add(key, _("%(label)s含有不可见的控制字符。") % {"label": label})
    if required and not value:
        errors.add(key, _("请填写%(label)s。") % {"label": label})
    if len(value) > limit:
        errors.add(
            key,
            _("%(label)s不能超过%(n)s个字符（现为%(m)s个）。")
            % {"label": label, "n": limit, "m": len(value)},
        )
    return value


def _choice(
    data: dict[str, Any], key: str, choices: Any, errors: _Errors, *, label: str, default: Any = None
) -> str:
    value = data.get(key)
    if value in (None, ""):
        value = default
    if value in (None, ""):
        errors.add(key, _("请选择%(label)s。") % {"label": label})
        return ""
    value = coerce_choice(choices, value)
    if value is None:
        errors.add(key, _("%(label)s的取值无效。") % {"label": label})
        return ""
    return value


def coerce_choice(choices: Any, value: Any) -> str | None:
    """Accept the stored code or the Chinese (or English) label, as imports and forms both send."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    for choice in choices:
        if value in (choice.value, str(choice.label)) or value.lower() == choice.name.lower():
            return str(choice.value)
    return None


def _list_of_text(
    data: dict[str, Any], key: str, errors: _Errors, *, label: str, limit_items: int, limit: int
) -> list[str]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = [v for v in re.split(r"[;；,，、]", value)]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(key, _("%(label)s必须是文本列表。") % {"label": label})
        return []
    out = [v.strip() for v in value if v.strip()]
    if len(out) > limit_items:
        errors.add(key, _("%(label)s最多%(n)s个。") % {"label": label, "n": limit_items})
    if any(len(v) > limit for v in out):
        errors.add(key, _("每个%(label)s不能超过%(n)s个字符。") % {"label": label, "n": limit})
    return list(dict.fromkeys(out))


# A column name becomes a header cell of every CSV and XLSX download: one a spreadsheet could run as a formula
# (= + - @ first) or that breaks a header line (tab, line breaks) is refused (formula injection, OWASP).
_FORMULA_LEAD = ("=", "+", "-", "@")
_NAME_BREAKS = re.compile(r"[\t\r\n]")


def _check_column_name(raw: Any, errors: _Errors, key: str, label: str) -> None:
    if not isinstance(raw, str) or not raw:
        return
    if _NAME_BREAKS.search(raw):
        errors.add(key, _("%(label)s不能含有制表符或换行符。") % {"label": label})
    elif raw.strip().startswith(_FORMULA_LEAD):
        errors.add(
            key,
            _("%(label)s不能以 = + - @ 开头：表格软件会把这样的列名当作公式执行。") % {"label": label},
        )


def validate_fields(raw: Any, errors: _Errors) -> list[dict[str, Any]]:
    if not isinstance(raw, list):
        errors.add("fields", _("信息项必须是列表。"))
        return []
    if not raw:
        errors.add("fields", _("至少需要一个信息项。"))
        return []
    if len(raw) > MAX_FIELDS:
        errors.add("fields", _("信息项不能超过%(n)s个。") % {"n": MAX_FIELDS})
        return []
    out, seen = [], set()
    for i, item in enumerate(raw, start=1):
        key = f"fields.{i}"
        if not isinstance(item, dict):
            errors.add(key, _("第%(i)s个信息项格式不正确。") % {"i": i})
            continue
        fe = _Errors()
        name = _text(item, "name", fe, required=True, limit=64, label=_("信息项名称"))
        name_en = _text(item, "name_en", fe, required=False, limit=64, label=_("英文名称"))
        for sub, raw, label in (
            ("name", item.get("name"), _("信息项名称")),
            ("name_en", item.get("name_en"), _("英文名称")),
        ):
            _check_column_name(raw, fe, sub, label)
        data_type = _choice(item, "data_type", FieldType, fe, label=_("数据类型"))
        length = item.get("length")
        if length in ("", None):
            length = None
        else:
            try:
                length = int(length)
                if not 0 < length <= 1_000_000:
                    raise ValueError
            except (TypeError, ValueError):
                fe.add("length", _("数据长度必须是1到1000000之间的整数。"))
                length = None
        grade = _choice(item, "sensitivity_grade", Grade, fe, label=_("分级"), default=Grade.G1.value)
        share = _choice(
            item, "share_type", ShareType, fe, label=_("共享属性"), default=ShareType.UNCONDITIONAL.value
        )
        open_attr = item.get("open_attribute") or (default_open_attribute(grade) if grade else "")
        open_attr = coerce_choice(OpenAttribute, open_attr) or ""
        if not open_attr:
            fe.add("open_attribute", _("开放属性的取值无效。"))
        if share == ShareType.NONE and open_attr and open_attr != OpenAttribute.CLOSED:
            fe.add("open_attribute", _("不予共享的信息项只能不予开放。"))
        if grade and open_attr and OPENNESS[open_attr] > OPENNESS[open_ceiling(grade)]:
            fe.add(
                "open_attribute",
                _("%(grade)s的信息项最多只能%(ceiling)s。")
                % {"grade": Grade(grade).label, "ceiling": OpenAttribute(open_ceiling(grade)).label},
            )
        value_range = _text(item, "value_range", fe, required=False, limit=256, label=_("值域"))
        if name and name in seen:
            fe.add("name", _("信息项名称“%(name)s”重复。") % {"name": name})
        seen.add(name)
        for sub, msg in fe.items.items():
            errors.add(f"{key}.{sub}", _("第%(i)s个信息项：%(msg)s") % {"i": i, "msg": msg})
        out.append(
            {
                "name": name,
                "name_en": name_en,
                "data_type": data_type,
                "length": length,
                "is_primary_key": bool(item.get("is_primary_key")),
                "value_range": value_range,
                "share_type": share,
                "open_attribute": open_attr,
                "sensitivity_grade": grade,
            }
        )
    return out


def validate_dataset_input(data: dict[str, Any]) -> dict[str, Any]:
    """Check a complete dataset description. Vocabulary references stay codes; services resolve them."""
    if not isinstance(data, dict):
        raise ValidationFailed(_("提交的内容必须是对象。"))
    e = _Errors()
    c: dict[str, Any] = {}
    c["title"] = _text(data, "title", e, required=True, limit=MAX_TITLE, label=_("信息资源名称"))
    c["title_en"] = _text(data, "title_en", e, required=False, limit=200, label=_("英文名称"))
    c["abstract"] = _text(data, "abstract", e, required=True, limit=MAX_ABSTRACT, label=_("信息资源摘要"))
    c["resource_category"] = _choice(
        data,
        "resource_category",
        ResourceCategory,
        e,
        label=_("资源属性分类"),
        default=ResourceCategory.DEPARTMENTAL,
    )
    for key, label in (("domain", _("数据领域")),):
        c[key] = _text(data, key, e, required=True, limit=16, label=label)
    for key, label in (("theme", _("主题分类")), ("genre", _("体裁分类"))):
        c[key] = _text(data, key, e, required=False, limit=16, label=label)
    c["service_objects"] = _list_of_text(
        data, "service_objects", e, label=_("服务对象"), limit_items=10, limit=16
    )
    c["tags"] = _list_of_text(data, "tags", e, label=_("标签"), limit_items=MAX_TAGS, limit=MAX_TAG)
    c["format_category"] = _choice(data, "format_category", FormatCategory, e, label=_("格式分类"))
    c["format_type"] = _text(data, "format_type", e, required=True, limit=32, label=_("格式类型"))
    c["share_type"] = _choice(data, "share_type", ShareType, e, label=_("共享类型"))
    c["share_condition"] = _text(
        data, "share_condition", e, required=False, limit=MAX_CONDITION, label=_("共享条件")
    )
    c["share_mode"] = _choice(
        data, "share_mode", ShareMode, e, label=_("共享方式"), default=ShareMode.PLATFORM_API
    )
    c["open_condition"] = _text(
        data, "open_condition", e, required=False, limit=MAX_CONDITION, label=_("开放条件")
    )
    c["legal_basis"] = _text(
        data, "legal_basis", e, required=False, limit=MAX_CONDITION, label=_("不予开放依据")
    )
    c["update_frequency"] = _choice(data, "update_frequency", UpdateFrequency, e, label=_("更新周期"))
    forms = _list_of_text(data, "open_forms", e, label=_("开放方式"), limit_items=4, limit=16)
    c["open_forms"] = []
    for f in forms:
        v = coerce_choice(OpenForm, f)
        if v is None:
            e.add("open_forms", _("开放方式“%(v)s”无效。") % {"v": f})
        else:
            c["open_forms"].append(v)
    c["related_codes"] = _list_of_text(
        data, "related_codes", e, label=_("关联资源代码"), limit_items=50, limit=40
    )
    for code in c["related_codes"]:
        try:
            scheme().parse_resource(code)
        except CodeError as exc:
            e.add("related_codes", str(exc))
    c["contact_name"] = _text(data, "contact_name", e, required=False, limit=64, label=_("联系人"))
    c["contact_phone"] = _text(data, "contact_phone", e, required=False, limit=32, label=_("联系电话"))
    c["contact_email"] = _text(data, "contact_email", e, required=False, limit=254, label=_("联系邮箱"))
    if c["contact_email"]:
        try:
            validate_email(c["contact_email"])
        except DjangoValidationError:
            e.add("contact_email", _("联系邮箱格式不正确。"))
    c["coordinate_system"] = ""
    if data.get("coordinate_system") not in (None, ""):
        c["coordinate_system"] = _choice(data, "coordinate_system", CoordinateSystem, e, label=_("坐标系"))
    c["fields"] = validate_fields(data.get("fields"), e)

    grade = max_grade([f["sensitivity_grade"] for f in c["fields"] if f["sensitivity_grade"]])
    c["sensitivity_grade"] = grade
    open_grade = max_grade(
        [
            f["sensitivity_grade"]
            for f in c["fields"]
            if f["open_attribute"] != OpenAttribute.CLOSED and f["sensitivity_grade"]
        ]
    )
    raw_open = data.get("open_attribute") or default_open_attribute(grade)
    c["open_attribute"] = coerce_choice(OpenAttribute, raw_open) or ""
    if not c["open_attribute"]:
        e.add("open_attribute", _("开放属性的取值无效。"))
    _check_cross_rules(c, open_grade, e)
    if e.items:
        raise ValidationFailed(details=e.items)
    return c


def _check_cross_rules(c: dict[str, Any], open_grade: str, e: _Errors) -> None:
    share, open_attr = c["share_type"], c["open_attribute"]
    if share == ShareType.NONE and open_attr and open_attr != OpenAttribute.CLOSED:
        e.add("open_attribute", _("不予共享的数据资源只能不予开放。"))
    if share in (ShareType.CONDITIONAL, ShareType.NONE) and not c["share_condition"]:
        e.add("share_condition", _("有条件共享或不予共享时，必须填写共享条件或依据。"))
    if open_attr == OpenAttribute.CONDITIONAL and not c["open_condition"]:
        e.add("open_condition", _("有条件开放的数据资源必须填写开放条件。"))
    if open_attr == OpenAttribute.CLOSED and not c["legal_basis"]:
        e.add("legal_basis", _("不予开放的数据资源必须填写法律法规或政策依据。"))
    if open_attr and c["fields"] and OPENNESS[open_attr] > OPENNESS[open_ceiling(open_grade)]:
        e.add(
            "open_attribute",
            _("按分级规则，含%(grade)s信息项的数据资源最多只能%(ceiling)s。")
            % {"grade": Grade(open_grade).label, "ceiling": OpenAttribute(open_ceiling(open_grade)).label},
        )
    if (
        open_attr != OpenAttribute.CLOSED
        and c["fields"]
        and all(f["open_attribute"] == OpenAttribute.CLOSED for f in c["fields"])
    ):
        e.add("open_attribute", _("所有信息项都不予开放时，数据资源也只能不予开放。"))
    if open_attr != OpenAttribute.CLOSED and not c["open_forms"]:
        c["open_forms"] = [OpenForm.DOWNLOAD.value, OpenForm.API.value]


def normalize_item_key(title: str) -> str:
    """The key under which one data item is matched across departments (一数一源)."""
    return re.sub(r"[\s\W_]+", "", title).lower()
