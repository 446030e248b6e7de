"""The GB/T 37964 de-identification toolbox (china-standards.md §3.3).

Every technique is a pure function over one value (None in, None out; a value that cannot be processed
safely becomes None rather than leaking), and where practical also a DuckDB SQL expression, so an open
version can be written by one `COPY (SELECT …)`. The families:

- 抑制 (suppression): `mask_*` (屏蔽/掩码: 身份证 6+4, 手机 3+4, 银行卡 6+4, 姓名 keeps the surname, e-mail keeps
  the first character and the domain), column suppression, row suppression (groups below k);
- 假名化 (pseudonymization): keyed HMAC-SHA256 with a per-dataset key, so one value maps to one pseudonym
  within a dataset (joins still work) and to different ones across datasets; the key never leaves the server;
- 泛化 (generalization): date to month or year, age to bands, address to district or township, coordinates
  to a grid of N metres;
- 随机化 (randomization): Laplace noise, deterministic per (dataset, column, row) so a re-publication does
  not let anyone average the noise away.

A `PublicationProfile` is the per-field rule list of one dataset, stored as JSON.
"""

# SQL here is built from quoted column names and numbers only (see _q, _lit); bound values are not possible
# inside expressions that the caller embeds in a COPY.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MASK = "*"
_HEX_TO_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")
PSEUDONYM_LENGTH = 20  # 80 bits; letters only, so a pseudonym never looks like a number or a code


# --- helpers ------------------------------------------------------------------------------------------------

_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−﹣－"})


def normalize_text(value: str) -> str:
    """Full-width to half-width (NFKC), every dash to '-', the ideographic space to a space."""
    return unicodedata.normalize("NFKC", value).translate(_DASHES)


def compact(value: str) -> str:
    """Normalized, with spaces and dashes removed (for identifiers written in groups)."""
    return re.sub(r"[\s\-]", "", normalize_text(value))


@cache
def surnames() -> tuple[tuple[str, ...], frozenset[str]]:
    """(compound surnames, single surnames) from the shipped list."""
    path = Path(__file__).with_name("data") / "surnames.txt"
    names = [
        line.strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return tuple(n for n in names if len(n) > 1), frozenset(n for n in names if len(n) == 1)


def surname_of(name: str) -> str | None:
    compound, single = surnames()
    for s in compound:
        if name.startswith(s):
            return s
    return name[0] if name and name[0] in single else None


def keep_ends(value: Any, head: int, tail: int) -> str | None:
    """Keep `head` leading and `tail` trailing characters, mask the rest; a value too short to keep both
    is masked entirely."""
    if value is None:
        return None
    s = str(value)
    n = len(s)
    if n <= head + tail:
        return MASK * n
    return s[:head] + MASK * (n - head - tail) + (s[n - tail :] if tail else "")


# --- masking (屏蔽) -------------------------------------------------------------------------------------------


def mask_id_card(value: Any) -> str | None:
    return None if value is None else keep_ends(compact(str(value)).upper(), 6, 4)


def mask_mobile(value: Any) -> str | None:
    if value is None:
        return None
    s = compact(str(value))
    s = re.sub(r"^(\+?86)(?=1\d{10}$)", "", s)
    return keep_ends(s, 3, 4)


def mask_bank_card(value: Any) -> str | None:
    return None if value is None else keep_ends(compact(str(value)), 6, 4)


def mask_name(value: Any) -> str | None:
    if value is None:
        return None
    s = normalize_text(str(value)).strip()
    if not s:
        return s
    sur = surname_of(s) or s[0]
    return sur + MASK * max(1, len(s) - len(sur))


def mask_email(value: Any) -> str | None:
    if value is None:
        return None
    s = normalize_text(str(value)).strip()
    local, at, domain = s.rpartition("@")
    if not at or not local:
        return keep_ends(s, 1, 0)
    return local[0] + MASK * 3 + "@" + domain


def mask_generic(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value)
    return keep_ends(s, 1, 1) if len(s) > 3 else MASK * len(s)


def mask_address(value: Any) -> str | None:
    if value is None:
        return None
    kept = generalize_address(value, "township") or ""
    return kept + MASK * 4


def mask_value(value: Any, kind: str) -> str | None:
    """The usual Chinese masked form of a value of a recognized kind (also used for evidence)."""
    from kaifang.privacy import kinds as k

    fn = {
        k.ID_CARD: mask_id_card,
        k.MOBILE: mask_mobile,
        k.LANDLINE: lambda v: keep_ends(compact(str(v)), 4, 2),
        k.BANK_CARD: mask_bank_card,
        k.NAME: mask_name,
        k.EMAIL: mask_email,
        k.ADDRESS: mask_address,
        k.USCC: lambda v: keep_ends(compact(str(v)), 8, 2),
        k.USCC_INDIVIDUAL: lambda v: keep_ends(compact(str(v)), 8, 2),
        k.PLATE: lambda v: keep_ends(compact(str(v)), 2, 1),
        k.BIRTH_DATE: lambda v: generalize_date(v, "year"),
    }.get(kind, mask_generic)
    return fn(value)


# --- pseudonymization (假名化) -------------------------------------------------------------------------------


def dataset_key(dataset_id: int) -> bytes:
    """The per-dataset pseudonymization key: derived on the server from the instance secret, never stored
    with the data and never exported."""
    from django.conf import settings

    return hmac.new(
        settings.SECRET_KEY.encode(), f"kaifang-privacy-pseudonym-v1|{dataset_id}".encode(), hashlib.sha256
    ).digest()


def _pseudonym_input(value: Any) -> str:
    return str(value).strip(" ")


def pseudonymize(value: Any, key: bytes) -> str | None:
    """HMAC-SHA256(key, value), 80 bits written with the letters a–p."""
    if value is None:
        return None
    digest = hmac.new(key, _pseudonym_input(value).encode(), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH].translate(_HEX_TO_LETTERS)


# --- generalization (泛化) -----------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*[-/.月]?\s*(\d{1,2})?\s*日?")


def parse_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    s = normalize_text(str(value))
    m = re.match(r"^\s*(\d{4})(\d{2})(\d{2})\s*$", s) or _DATE_RE.match(s)
    if not m:
        return None
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except (TypeError, ValueError):
        return None


def generalize_date(value: Any, to: str = "month") -> str | None:
    d = parse_date(value)
    if d is None:
        return None
    return f"{d.year:04d}" if to == "year" else f"{d.year:04d}-{d.month:02d}"


def age_band(value: Any, width: int = 10, top: int = 90) -> str | None:
    """20 -> '20-29'; at or above `top` -> '90+'."""
    if value is None:
        return None
    try:
        age = int(float(str(value).strip()))
    except ValueError:
        return None
    if age < 0:
        return None
    if age >= top:
        return f"{top}+"
    low = age // width * width
    return f"{low}-{low + width - 1}"


_ADDRESS_RE = re.compile(
    r"^(?P<province>(?:北京|天津|上海|重庆)市|[\u4e00-\u9fff]{2,3}省|[\u4e00-\u9fff]{2,8}?自治区)?"
    r"(?P<city>[\u4e00-\u9fff]{2,9}?(?:自治州|地区|盟|市|州))?"
    r"(?P<district>[\u4e00-\u9fff]{1,9}?(?:自治县|区|县|旗|市))?"
    r"(?P<township>[\u4e00-\u9fff]{1,9}?(?:街道办事处|街道|镇|乡))?"
)


def generalize_address(value: Any, level: str = "district") -> str | None:
    """The administrative prefix of an address: down to the district (区/县) or the township (乡/镇/街道).
    An address with no recognizable prefix becomes None (suppressed) rather than passing through."""
    if value is None:
        return None
    s = re.sub(r"\s", "", normalize_text(str(value)))
    m = _ADDRESS_RE.match(s)
    if not m:
        return None
    parts = ["province", "city", "district"] + (["township"] if level == "township" else [])
    out = "".join(m.group(p) or "" for p in parts)
    return out or None


METRES_PER_DEGREE = 111_320.0


def coordinate_grid(value: Any, metres: float, axis: str = "lat", ref_lat: float = 30.0) -> float | None:
    """Snap a latitude or longitude to the centre of a grid cell of about `metres` (longitude cells use the
    reference latitude, so the grid is the same for every row)."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(v):
        return None
    step = _grid_step(metres, axis, ref_lat)
    return round(math.floor(v / step) * step + step / 2, 6)


def _grid_step(metres: float, axis: str, ref_lat: float) -> float:
    step = metres / METRES_PER_DEGREE
    if axis == "lng":
        step /= max(math.cos(math.radians(ref_lat)), 0.01)
    return step


# --- randomization (随机化) ----------------------------------------------------------------------------------


def add_noise(value: Any, scale: float, key: bytes, salt: str) -> float | None:
    """Value plus Laplace(scale) noise drawn from HMAC(key, salt): the same row gets the same noise every
    time it is published."""
    if value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    raw = int.from_bytes(hmac.new(key, salt.encode(), hashlib.sha256).digest()[:8], "big")
    u = (raw + 0.5) / 2**64 - 0.5  # in (-0.5, 0.5)
    noise = -scale * math.copysign(1.0, u) * math.log(1 - 2 * abs(u))
    return round(v + noise, 6)


# --- the publication profile ---------------------------------------------------------------------------------

ACTIONS = (
    "keep",
    "mask",
    "pseudonymize",
    "generalize_date",
    "age_band",
    "generalize_address",
    "coordinate_grid",
    "suppress",
    "noise",
)
ACTION_LABELS = {
    "keep": gettext_lazy("保留原值"),
    "mask": gettext_lazy("屏蔽（掩码）"),
    "pseudonymize": gettext_lazy("假名化（密钥哈希）"),
    "generalize_date": gettext_lazy("日期泛化"),
    "age_band": gettext_lazy("年龄分段"),
    "generalize_address": gettext_lazy("地址泛化"),
    "coordinate_grid": gettext_lazy("坐标网格化"),
    "suppress": gettext_lazy("删除该列"),
    "noise": gettext_lazy("添加噪声"),
}
# What each action does to a recognized identifier: True when the output no longer holds it.
REMOVES_IDENTIFIER = {a: a != "keep" and a != "noise" for a in ACTIONS}


@dataclass
class PublicationProfile:
    """Per-field rules plus the k-anonymity declaration of one dataset's open version."""

    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    quasi_identifiers: list[str] = field(default_factory=list)
    sensitive_attribute: str = ""
    k: int = 5
    l_diversity: int = 0
    suppress_rows_below_k: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PublicationProfile:
        data = data or {}
        return cls(
            fields={str(k): dict(v) for k, v in (data.get("fields") or {}).items()},
            quasi_identifiers=[str(c) for c in data.get("quasi_identifiers") or []],
            sensitive_attribute=str(data.get("sensitive_attribute") or ""),
            k=int(data.get("k") or 5),
            l_diversity=int(data.get("l_diversity") or 0),
            suppress_rows_below_k=bool(data.get("suppress_rows_below_k")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "fields": self.fields,
            "quasi_identifiers": self.quasi_identifiers,
            "sensitive_attribute": self.sensitive_attribute,
            "k": self.k,
            "l_diversity": self.l_diversity,
            "suppress_rows_below_k": self.suppress_rows_below_k,
        }

    def rule(self, column: str) -> dict[str, Any]:
        return self.fields.get(column) or {"action": "keep"}

    def output_columns(self, columns: list[str]) -> list[str]:
        return [c for c in columns if self.rule(c).get("action") != "suppress"]


def validate_profile(data: Any) -> dict[str, str]:
    """Problems with a profile's JSON, keyed by field, in Chinese; empty when it is usable."""
    from kaifang.privacy import kinds as k

    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        return {"rules": _("脱敏规则必须是对象。")}
    fields = data.get("fields") or {}
    if not isinstance(fields, dict):
        return {"fields": _("字段规则必须是对象。")}
    if len(fields) > 2000:
        errors["fields"] = _("字段规则不能超过2000条。")
    for name, rule in fields.items():
        key = f"fields.{name}"
        if not isinstance(rule, dict) or rule.get("action") not in ACTIONS:
            errors[key] = _("字段“%(name)s”的处理方式无效。") % {"name": name}
            continue
        action = rule["action"]
        if action == "mask" and rule.get("kind") and rule["kind"] not in k.KINDS:
            errors[key] = _("字段“%(name)s”的屏蔽类型无效。") % {"name": name}
        if action == "generalize_date" and rule.get("to", "month") not in ("month", "year"):
            errors[key] = _("日期只能泛化到月或年。")
        if action == "generalize_address" and rule.get("level", "district") not in ("district", "township"):
            errors[key] = _("地址只能泛化到区县或乡镇街道。")
        if action == "coordinate_grid":
            if rule.get("axis") not in ("lat", "lng"):
                errors[key] = _("坐标网格化必须指明是经度还是纬度。")
            if not _positive(rule.get("metres"), 10, 100_000):
                errors[key] = _("坐标网格的边长必须在10到100000米之间。")
        if action == "age_band" and not _positive(rule.get("width", 10), 1, 50):
            errors[key] = _("年龄分段的宽度必须在1到50之间。")
        if action == "noise" and not _positive(rule.get("scale"), 0, 1e12):
            errors[key] = _("噪声尺度必须是正数。")
    qi = data.get("quasi_identifiers") or []
    if not isinstance(qi, list) or not all(isinstance(c, str) for c in qi) or len(qi) > 20:
        errors["quasi_identifiers"] = _("准标识符必须是不超过20个字段名的列表。")
    if not _positive(data.get("k", 5), 2, 1000):
        errors["k"] = _("k值必须在2到1000之间。")
    if not _positive(data.get("l_diversity", 0) or 0, -1, 100):
        errors["l_diversity"] = _("l值必须在0到100之间。")
    if data.get("l_diversity") and not data.get("sensitive_attribute"):
        errors["sensitive_attribute"] = _("设置l-多样性时必须指定敏感属性。")
    return errors


def _positive(value: Any, low: float, high: float) -> bool:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return low < v <= high if low <= 0 else low <= v <= high


def apply_rule(value: Any, rule: dict[str, Any], *, key: bytes, salt: str = "") -> Any:
    """One value through one field rule."""
    action = rule.get("action", "keep")
    if value is None or action == "keep":
        return value
    if action == "suppress":
        return None
    if action == "mask":
        return mask_value(value, rule.get("kind") or "")
    if action == "pseudonymize":
        return pseudonymize(value, key)
    if action == "generalize_date":
        return generalize_date(value, rule.get("to", "month"))
    if action == "age_band":
        return age_band(value, int(rule.get("width", 10)))
    if action == "generalize_address":
        return generalize_address(value, rule.get("level", "district"))
    if action == "coordinate_grid":
        return coordinate_grid(
            value, float(rule["metres"]), rule.get("axis", "lat"), rule.get("ref_lat", 30.0)
        )
    if action == "noise":
        return add_noise(value, float(rule["scale"]), key, salt)
    raise ValueError(action)


def apply_profile(
    columns: dict[str, list[Any]], profile: PublicationProfile, *, key: bytes
) -> dict[str, list[Any]]:
    """The open version of a table given as {column: values}: rules applied, suppressed columns dropped,
    and (if asked) rows whose quasi-identifier group is smaller than k removed."""
    out: dict[str, list[Any]] = {}
    for name in profile.output_columns(list(columns)):
        rule = profile.rule(name)
        values = columns[name]
        if rule.get("action", "keep") == "keep":
            out[name] = list(values)
        else:
            out[name] = [apply_rule(v, rule, key=key, salt=f"{name}|{i}") for i, v in enumerate(values)]
    if profile.suppress_rows_below_k and profile.quasi_identifiers:
        out = suppress_rows_below_k(out, profile.quasi_identifiers, profile.k)
    return out


def suppress_rows_below_k(columns: dict[str, list[Any]], qi: list[str], k: int) -> dict[str, list[Any]]:
    """Row suppression (记录抑制): drop the rows whose quasi-identifier combination occurs fewer than k times."""
    present = [c for c in qi if c in columns]
    if not present:
        return columns
    n = len(next(iter(columns.values()), []))
    keys = [tuple(columns[c][i] for c in present) for i in range(n)]
    counts: dict[tuple[Any, ...], int] = {}
    for key_ in keys:
        counts[key_] = counts.get(key_, 0) + 1
    keep = [i for i in range(n) if counts[keys[i]] >= k]
    return {c: [v[i] for i in keep] for c, v in columns.items()}


# --- the same rules as DuckDB SQL ----------------------------------------------------------------------------


class NotExpressibleInSQL(Exception):
    """A rule (noise, address generalization) that only the Python path applies."""


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _let(value: str, body: str) -> str:
    """`body` with every `{s}` standing for `value`. Written inline rather than as a scalar subquery
    (`(SELECT … FROM (SELECT value AS s))`), which DuckDB runs as a correlated subquery: on 2 million rows
    that made the masking write 2.5× slower than a plain rewrite."""
    return body.replace("{s}", f"({value})")


def sql_keep_ends(expr: str, head: int, tail: int) -> str:
    tail_sql = f"right({{s}}, {tail})" if tail else "''"
    return _let(
        f"regexp_replace(CAST({expr} AS VARCHAR), '[\\s\\-]', '', 'g')",
        f"CASE WHEN {{s}} IS NULL THEN NULL WHEN length({{s}}) <= {head + tail} THEN repeat('*', length({{s}})) "
        f"ELSE left({{s}}, {head}) || repeat('*', length({{s}}) - {head + tail}) || {tail_sql} END",
    )


def sql_pseudonymize(expr: str, key: bytes) -> str:
    """HMAC-SHA256 in SQL: sha256((K ^ opad) || unhex(sha256((K ^ ipad) || m))), the same output as
    `pseudonymize`. The key appears only in the SQL text of an in-process connection."""
    block = key.ljust(64, b"\0") if len(key) <= 64 else hashlib.sha256(key).digest().ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    inner = f"unhex(sha256(unhex('{ipad}') || encode(trim(CAST({expr} AS VARCHAR), ' '))))"
    digest = f"sha256(unhex('{opad}') || {inner})"
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL ELSE "
        f"translate(left({digest}, {PSEUDONYM_LENGTH}), '0123456789abcdef', 'abcdefghijklmnop') END"
    )


_SQL_DATE = (
    "COALESCE(TRY_CAST({e} AS DATE), CAST(try_strptime(CAST({e} AS VARCHAR), "
    "['%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%Y%m%d', '%Y年%m月%d日']) AS DATE))"
)


def rule_sql(column: str, rule: dict[str, Any], *, key: bytes) -> str:
    """One rule as a DuckDB expression over the column."""
    e = _q(column)
    action = rule.get("action", "keep")
    kind = rule.get("kind") or ""
    if action == "keep":
        return e
    if action == "suppress":
        return "NULL"
    if action == "pseudonymize":
        return sql_pseudonymize(e, key)
    if action == "mask":
        ends = {"id_card": (6, 4), "mobile": (3, 4), "bank_card": (6, 4), "landline": (4, 2)}
        if kind in ends:
            return sql_keep_ends(e, *ends[kind])
        if kind == "name":
            compound = ", ".join(_lit(c) for c in surnames()[0])
            return _let(
                f"trim(CAST({e} AS VARCHAR))",
                "CASE WHEN {s} IS NULL OR {s} = '' THEN {s} "
                f"WHEN left({{s}}, 2) IN ({compound}) "
                "THEN left({s}, 2) || repeat('*', greatest(1, length({s}) - 2)) "
                "ELSE left({s}, 1) || repeat('*', greatest(1, length({s}) - 1)) END",
            )
        if kind == "email":
            return _let(
                f"trim(CAST({e} AS VARCHAR))",
                "CASE WHEN {s} IS NULL THEN NULL "
                "WHEN regexp_matches({s}, '^.+@') THEN left({s}, 1) || '***@' || regexp_extract({s}, '@([^@]*)$', 1) "
                "WHEN length({s}) <= 1 THEN repeat('*', length({s})) "
                "ELSE left({s}, 1) || repeat('*', length({s}) - 1) END",
            )
        raise NotExpressibleInSQL(column)
    if action == "generalize_date":
        fmt = "%Y" if rule.get("to") == "year" else "%Y-%m"
        return f"strftime({_SQL_DATE.format(e=e)}, {_lit(fmt)})"
    if action == "age_band":
        w = int(rule.get("width", 10))
        a = f"TRY_CAST(TRY_CAST({e} AS DOUBLE) AS BIGINT)"
        return (
            f"CASE WHEN {a} IS NULL OR {a} < 0 THEN NULL WHEN {a} >= 90 THEN '90+' "
            f"ELSE CAST({a} // {w} * {w} AS VARCHAR) || '-' || CAST({a} // {w} * {w} + {w - 1} AS VARCHAR) END"
        )
    if action == "coordinate_grid":
        step = _grid_step(float(rule["metres"]), rule.get("axis", "lat"), float(rule.get("ref_lat", 30.0)))
        v = f"TRY_CAST({e} AS DOUBLE)"
        return f"round(floor({v} / {step!r}) * {step!r} + {step / 2!r}, 6)"
    raise NotExpressibleInSQL(column)


def profile_select_sql(
    profile: PublicationProfile, columns: list[str], *, key: bytes, table: str = "t"
) -> str:
    """`SELECT <masked columns> FROM t` for the whole profile (row suppression as a QUALIFY over the
    generalized quasi-identifiers), or NotExpressibleInSQL (then use `apply_profile`)."""
    exprs = [f"{rule_sql(c, profile.rule(c), key=key)} AS {_q(c)}" for c in profile.output_columns(columns)]
    sql = f"SELECT {', '.join(exprs) or 'NULL AS empty'} FROM {_q(table)}"
    qi = [c for c in profile.quasi_identifiers if c in profile.output_columns(columns)]
    if profile.suppress_rows_below_k and qi:
        parts = ", ".join(_q(c) for c in qi)
        sql = f"SELECT * FROM ({sql}) QUALIFY count(*) OVER (PARTITION BY {parts}) >= {int(profile.k)}"
    return sql
