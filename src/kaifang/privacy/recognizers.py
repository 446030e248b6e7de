"""Recognizers of personal information, by value and by column.

Value level: `scan_text(text)` finds every identifier in one value (structured or free text) and returns
`Finding`s with a confidence and masked evidence. Text is normalized first (全角 digits and letters to
half-width, every dash to '-'), identifiers may be written in groups with spaces or dashes, and check
digits are verified: 居民身份证 (GB 11643 check digit + a real birth date + a plausible region prefix),
bank cards (Luhn + length + BIN prefix), 统一社会信用代码 (GB 32100 check digit; 92… is an individual
business). Python's `\\b` never fires between CJK and digits, so boundaries are explicit look-arounds.

Column level: `scan_column(name, values)` samples the values, combines the hit ratio with hints from the
column name (姓名/联系人/申请人, 身份证, 手机 …) and reports per kind a confidence and masked evidence;
`scan_table(columns)` does that for every column and adds the dataset-level rules (coordinates in a table
about persons are a person's location).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from stdnum import luhn
from stdnum.cn import ric

from kaifang.privacy import kinds as K
from kaifang.privacy.masking import compact, mask_value, normalize_text, surname_of

# --- value level ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    kind: str
    confidence: float
    evidence: str  # masked; never the raw value
    start: int = -1
    end: int = -1
    detail: str = ""


# GB/T 2260 province-level prefixes (81/82/83: residence permits of HK, Macau and Taiwan residents).
PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
    "71 81 82 83".split()
)

_SEP = r"[ \-]?"
_ID18 = re.compile(r"(?<![0-9A-Za-z])([1-9](?:" + _SEP + r"\d){16}" + _SEP + r"[0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])([1-9]\d{14})(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)?86[ \-]?)?(1[3-9]\d(?:" + _SEP + r"\d){8})(?![0-9])")
_LANDLINE = re.compile(
    r"(?<![0-9])(?:\(0\d{2,3}\)|0[1-9]\d{1,2})[ \-]?[2-9]\d{2,3}[ \-]?\d{4}(?:-\d{1,4})?(?![0-9])"
)
_CARD = re.compile(r"(?<![0-9])((?:62|60|4|5[1-5]|2[2-7]|35|9[45])\d(?:" + _SEP + r"\d){12,16})(?![0-9])")
_USCC = re.compile(
    r"(?<![0-9A-Za-z])([0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-Za-z]{10})(?![0-9A-Za-z])"
)
_PROVINCE_CHARS = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE = re.compile(
    r"([" + _PROVINCE_CHARS + r"])[ ·\-]?([A-HJ-NP-Za-hj-np-z])[ ·\-]?([A-HJ-NP-Za-hj-np-z0-9]{5,6})"
    r"(?![0-9A-Za-z])|(["
    + _PROVINCE_CHARS
    + r"])[ ·\-]?([A-HJ-NP-Z])[ ·\-]?([A-HJ-NP-Z0-9]{4})([挂学警港澳])"
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
_PASSPORT = re.compile(r"(?<![0-9A-Za-z])([EG]\d{8}|E[A-HJ-NP-Z]\d{7}|[DSP]E?\d{7})(?![0-9A-Za-z])")
_HK_MACAU = re.compile(r"(?<![0-9A-Za-z])(C\d{8}|C[A-HJ-NP-Z]\d{7}|[HM]\d{8}(?:\d{2})?)(?![0-9A-Za-z])")
_TAIWAN = re.compile(r"(?<![0-9A-Za-z])([TL]\d{8})(?![0-9A-Za-z])")
_TAIWAN_CONTEXT = re.compile(
    r"(?:台胞证|台湾居民来往大陆通行证)[^0-9]{0,6}(\d{8}|\d{10}[A-Z]?)(?![0-9A-Za-z])"
)
_NAME_CONTEXT = re.compile(
    r"(?:姓名|名字|联系人|申请人|负责人|法定代表人|法人代表|法人|患者|病人|户主|经办人|收件人|寄件人|当事人|"
    r"被申请人|投诉人|举报人|监护人|家长|学生|职工|员工|业主|租户|承租人|驾驶人|车主)"
    r"\s*[:：为是]?\s*([\u4e00-\u9fff]{2,4}?)"
    r"(?=[，,。；;、\s（(]|先生|女士|$|身份|电话|手机|联系|住|性别|男|女|\d|于|在|的|已|向|和|与|因|称|反映|等|办理|提交|申请|来电|现)"
)
_NAME_TITLE = re.compile(r"([\u4e00-\u9fff]{2,3}?)(?:先生|女士|同志|老师|医生|护士|师傅)")
_ADDRESS_UNIT = re.compile(
    r"(?:[\u4e00-\u9fff]{2,}(?:路|街|大道|巷|弄|道|村|小区|花园|公寓|苑|庭|大厦|广场|社区|新村|家园|城|园)"
    r"[\u4e00-\u9fffA-Za-z0-9\-]{0,16}?)?"
    r"(?:(?:\d+[\-号]?\d*\s*(?:号楼|栋|幢|座|单元|室|户|楼|层)\s*)+|\d+-\d+-\d+|[\u4e00-\u9fff]{1,6}村\d+组(?:\d+号)?|\d+组\d+号)"
)
_ADDRESS_AREA = re.compile(r"(?:省|市|区|县|镇|乡|街道|路|街|大道|巷|村|小区|花园|苑|社区)")
_STREET_NUMBER = re.compile(r"[\u4e00-\u9fff]{2,}(?:路|街|大道|巷|弄)\d+号")
_BIRTH_CONTEXT = re.compile(
    r"(?:出生(?:日期|年月|年月日|于)?|生日|生于)\s*[:：为是]?\s*((?:19|20)\d{2})\s*[年\-/.]\s*(\d{1,2})"
    r"\s*[月\-/.]\s*(\d{1,2})"
)
_COORD_PAIR = re.compile(
    r"(?<![\d.])((?:7[3-9]|[89]\d|1[0-3]\d)\.\d{4,})\s*[,，\s]\s*((?:[3-9]|[1-4]\d|5[0-3])\.\d{4,})(?![\d.])"
    r"|(?<![\d.])((?:[3-9]|[1-4]\d|5[0-3])\.\d{4,})\s*[,，\s]\s*((?:7[3-9]|[89]\d|1[0-3]\d)\.\d{4,})(?![\d.])"
)
HEALTH_TERMS = (
    "高血压 糖尿病 冠心病 心脏病 肺炎 肺结核 结核病 肝炎 乙肝 丙肝 艾滋病 HIV 梅毒 淋病 性病 癌 肿瘤 白血病 抑郁症 "
    "抑郁 焦虑症 精神分裂 精神病 精神障碍 癫痫 哮喘 脑梗 脑卒中 中风 心肌梗死 心梗 肾衰竭 尿毒症 透析 残疾 智力障碍 "
    "传染病 新冠 阳性 确诊 诊断 病历 病史 住院 手术 妊娠 怀孕 流产 不孕 吸毒 戒毒 帕金森 阿尔茨海默 痴呆 骨折 贫血 "
    "甲亢 痛风 慢阻肺 慢性病 化疗 放疗 处方 用药"
).split()
_HEALTH = re.compile("|".join(sorted(map(re.escape, HEALTH_TERMS), key=len, reverse=True)))

# Higher wins when two findings overlap.
PRIORITY = {
    K.ID_CARD: 100,
    K.BANK_CARD: 90,
    K.USCC_INDIVIDUAL: 85,
    K.USCC: 85,
    K.PASSPORT: 80,
    K.HK_MACAU_PERMIT: 80,
    K.TAIWAN_PERMIT: 80,
    K.MOBILE: 70,
    K.EMAIL: 65,
    K.LANDLINE: 60,
    K.PLATE: 55,
    K.BIRTH_DATE: 50,
    K.ADDRESS: 45,
    K.NAME: 40,
    K.PERSON_COORDINATE: 35,
    K.COORDINATE: 30,
    K.HEALTH: 20,
}


def id_birth_date(number: str) -> dt.date | None:
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_id18(number: str, *, today: dt.date | None = None) -> float:
    """Confidence that an 18-character string is a 居民身份证号: 0 unless the check digit, the birth date
    (1900 to today) and the province prefix all hold; higher when stdnum knows the county."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return 0.0
    if number[:2] not in PROVINCES or (number[2:4] == "00" and number[:2] not in ("81", "82", "83")):
        return 0.0
    birth = id_birth_date(number)
    if birth is None or not dt.date(1900, 1, 1) <= birth <= (today or dt.date.today()):
        return 0.0
    try:
        if ric.calc_check_digit(number) != number[17]:
            return 0.0
    except Exception:  # noqa: BLE001 - stdnum can raise KeyError on odd input
        return 0.0
    try:
        ric.validate(number)
        return 0.98
    except Exception:  # noqa: BLE001 - unknown (e.g. historical) county codes: still very likely an ID
        return 0.92


def check_id15(number: str) -> float:
    """The first-generation 15-digit ID (no check digit): region + YYMMDD."""
    if len(number) != 15 or not number.isdigit() or number[:2] not in PROVINCES or number[2:4] == "00":
        return 0.0
    try:
        dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return 0.0
    return 0.5


def check_bank_card(number: str) -> float:
    if not number.isdigit() or not 16 <= len(number) <= 19 or not luhn.is_valid(number):
        return 0.0
    n = len(number)
    if number.startswith("62"):
        ok = True
    elif number.startswith("60"):
        ok = n in (16, 19)
    elif number.startswith("9"):
        ok = n == 19
    else:  # Visa, Mastercard, JCB
        ok = n == 16
    return 0.85 if ok else 0.0


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_INDEX = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_is_valid(code: str) -> bool:
    """`stdnum.cn.uscc.is_valid`, rewritten without its generic cleaning: the gate calls it for every
    value of a column of credit codes, where stdnum's version was 80 % of the whole scan (tested equal)."""
    code = code.replace(" ", "").replace("-", "").upper().strip()
    if len(code) != 18 or not code[:8].isdigit() or not code[:8].isascii():
        return False
    try:
        values = [_USCC_INDEX[c] for c in code]
    except KeyError:
        return False
    total = sum(v * w for v, w in zip(values, _USCC_WEIGHTS, strict=False))
    return values[17] == (31 - total) % 31


def check_uscc(code: str) -> str | None:
    code = code.upper()
    if not uscc_is_valid(code):
        return None
    return K.USCC_INDIVIDUAL if code.startswith("92") else K.USCC


def _cjk_only(s: str) -> bool:
    return bool(s) and all("\u4e00" <= c <= "\u9fff" or c == "·" for c in s)


_NOT_GIVEN_NAMES = frozenset(
    "有限 公司 集团 医院 学校 中学 小学 大学 学院 银行 政府 委员会 局 办公室 中心 社区 街道 村委会 居委会 "
    "小区 大道 广场 超市 市场 服务 管理 工程 科技 教育 卫生 交通 安全 国家 全国 城市 公园 花园 桥 站".split()
)


def looks_like_name(value: str) -> float:
    """A structured value that reads as a Chinese personal name: 2–4 CJK characters after a known surname
    (minority names with the middle dot allowed). A weak signal on its own."""
    s = normalize_text(value).strip()
    if not 2 <= len(s) <= 8 or not _cjk_only(s):
        return 0.0
    if "·" in s:
        return 0.5 if 3 <= len(s) <= 12 else 0.0
    if len(s) > 4:
        return 0.0
    sur = surname_of(s)
    if sur is None or len(s) == len(sur):
        return 0.0
    if any(w in s for w in _NOT_GIVEN_NAMES):
        return 0.0
    return 0.6


def names_column(values: Sequence[str]) -> bool:
    """Do the values of a column without a telling name read as personal names? Most must look like names
    and they must be varied: a column of 高中/初中 or 门诊/急诊 repeats a few words that merely start with
    a surname character."""
    texts = [str(v) for v in values if v]
    if len(texts) < 5:
        return False
    named = [t for t in texts if looks_like_name(t)]
    distinct = len(set(named))
    return len(named) >= 0.6 * len(texts) and distinct >= max(5, 0.3 * len(named))


def scan_text(value: Any, *, hints: frozenset[str] = frozenset()) -> list[Finding]:
    """Every identifier in one value. `hints` are kinds the column name suggests, which let weak patterns
    (15-digit IDs, 8-digit 台胞证, bare names) count."""
    if value is None:
        return []
    if isinstance(value, float):
        return []
    text = normalize_text(str(value))
    if not text.strip():
        return []
    found: list[Finding] = []

    def add(kind: str, conf: float, m: re.Match[str], raw: str, group: int = 0, detail: str = "") -> None:
        found.append(Finding(kind, conf, evidence_of(raw, kind), m.start(group), m.end(group), detail))

    has_digits = any(c.isdigit() for c in text)
    has_cjk = not text.isascii()
    has_letters = has_digits and any(c.isalpha() for c in text)
    if has_digits:
        for m in _ID18.finditer(text):
            number = compact(m.group(1)).upper()
            conf = check_id18(number)
            if conf:
                add(K.ID_CARD, conf, m, number, 1, "lowercase_x" if m.group(1)[-1] == "x" else "")
        if K.ID_CARD in hints or "身份证" in text:
            for m in _ID15.finditer(text):
                conf = check_id15(m.group(1))
                if conf:
                    add(K.ID_CARD, conf + (0.3 if K.ID_CARD in hints else 0.2), m, m.group(1), 1, "15")
        for m in _CARD.finditer(text):
            number = compact(m.group(1))
            conf = check_bank_card(number)
            if conf:
                add(K.BANK_CARD, conf, m, number, 1)
        for m in _USCC.finditer(text):
            kind = check_uscc(m.group(1))
            if kind:
                add(kind, 0.9, m, m.group(1).upper(), 1)
        for m in _MOBILE.finditer(text):
            number = compact(m.group(1))
            if len(number) == 11:
                add(K.MOBILE, 0.9, m, number, 1)
        for m in _LANDLINE.finditer(text):
            add(K.LANDLINE, 0.6, m, m.group(0))
        if has_letters:
            for rx, kind, conf in ((_PASSPORT, K.PASSPORT, 0.6), (_HK_MACAU, K.HK_MACAU_PERMIT, 0.6)):
                for m in rx.finditer(text.upper() if rx is _PASSPORT else text):
                    add(kind, conf + (0.3 if kind in hints else 0.0), m, m.group(1), 1)
            for m in _TAIWAN.finditer(text):
                add(K.TAIWAN_PERMIT, 0.6 + (0.3 if K.TAIWAN_PERMIT in hints else 0.0), m, m.group(1), 1)
        if has_cjk:
            for m in _TAIWAN_CONTEXT.finditer(text):
                add(K.TAIWAN_PERMIT, 0.85, m, m.group(1), 1)
        if K.TAIWAN_PERMIT in hints and re.fullmatch(r"\s*\d{8}\s*", text):
            found.append(Finding(K.TAIWAN_PERMIT, 0.8, mask_value(text.strip(), "") or "", 0, len(text)))
        if has_cjk:
            for m in _BIRTH_CONTEXT.finditer(text):
                add(K.BIRTH_DATE, 0.8, m, f"{m.group(1)}-{m.group(2)}-{m.group(3)}")
        for m in _COORD_PAIR.finditer(text):
            add(K.COORDINATE, 0.7, m, m.group(0), 0, "pair")
    if "@" in text:
        for m in _EMAIL.finditer(text):
            add(K.EMAIL, 0.9, m, m.group(0))
    if any(c in _PROVINCE_CHARS for c in text):
        for m in _PLATE.finditer(text):
            plate = compact(m.group(0)).replace("·", "").upper()
            tail = plate[2:]
            if sum(c.isdigit() for c in tail) >= 3:
                add(K.PLATE, 0.8, m, plate)
    if not has_cjk and "HIV" not in text.upper():
        return _resolve_overlaps(found)  # the rest needs Chinese text
    for m in _ADDRESS_UNIT.finditer(text):
        conf = 0.85 if _ADDRESS_AREA.search(text) else 0.6
        add(K.ADDRESS, conf, m, m.group(0))
    if K.ADDRESS in hints:
        for m in _STREET_NUMBER.finditer(text):
            # Below the gate's threshold: a street number alone (an enterprise's 住所) is public.
            add(K.ADDRESS, 0.45, m, m.group(0), 0, "street_number")
    for m in _NAME_CONTEXT.finditer(text):
        if surname_of(m.group(1)):
            add(K.NAME, 0.85, m, m.group(1), 1)
    for m in _NAME_TITLE.finditer(text):
        if surname_of(m.group(1)) and looks_like_name(m.group(1)):
            add(K.NAME, 0.6, m, m.group(1), 1)
    if K.NAME in hints:
        conf = looks_like_name(text)
        if conf:
            found.append(
                Finding(K.NAME, min(0.95, conf + 0.3), mask_value(text.strip(), K.NAME) or "", 0, len(text))
            )
    for m in _HEALTH.finditer(text):
        add(K.HEALTH, 0.6 if K.HEALTH in hints else 0.4, m, m.group(0), 0)
    return _resolve_overlaps(found)


def evidence_of(raw: str, kind: str) -> str:
    """What a reviewer may see of a finding: the usual masked form; digits hidden in addresses and
    coordinates; a health term as it is (a term names no one)."""
    if kind == K.HEALTH:
        return raw
    if kind == K.ADDRESS:
        return re.sub(r"\d", "*", raw)
    if kind in (K.COORDINATE, K.PERSON_COORDINATE):
        return re.sub(r"(\d+\.\d)\d+", r"\1*", raw)
    return mask_value(raw, kind) or ""


def _resolve_overlaps(found: list[Finding]) -> list[Finding]:
    if len(found) < 2:
        return found
    out: list[Finding] = []
    for f in sorted(found, key=lambda f: (-PRIORITY.get(f.kind, 0), -f.confidence, f.start)):
        if any(f.start < o.end and o.start < f.end and f.kind != K.HEALTH for o in out):
            continue
        out.append(f)
    return sorted(out, key=lambda f: f.start)


# --- column level --------------------------------------------------------------------------------------------

NAME_HINTS: list[tuple[str, re.Pattern[str], float]] = [
    (
        K.ID_CARD,
        re.compile(r"身份证|证件号|公民身份|身份号|sfz|id_?card|id_?no|identity|citizen_?id", re.I),
        0.9,
    ),
    (K.MOBILE, re.compile(r"手机|移动电话|联系电话|联系方式|电话|mobile|phone|tel|cell", re.I), 0.7),
    (K.BANK_CARD, re.compile(r"银行卡|卡号|银行账号|账号|账户|bank|card_?no|account", re.I), 0.8),
    (
        K.NAME,
        re.compile(
            r"姓名|名字|联系人|申请人|负责人|法定代表人|法人代表|患者|病人|户主|经办人|收件人|当事人|投诉人|举报人|"
            r"监护人|家长|业主|车主|驾驶人|学生|职工|^name$|full_?name|person_?name|contact_?name|applicant",
            re.I,
        ),
        0.8,
    ),
    (K.ADDRESS, re.compile(r"地址|住址|住所|居住地|户籍地|家庭住址|通讯地址|门牌|address|addr", re.I), 0.8),
    (K.EMAIL, re.compile(r"邮箱|电子邮件|e-?mail", re.I), 0.8),
    (K.PASSPORT, re.compile(r"护照|passport", re.I), 0.9),
    (K.HK_MACAU_PERMIT, re.compile(r"港澳|回乡证", re.I), 0.9),
    (K.TAIWAN_PERMIT, re.compile(r"台胞证|台湾.*通行证|往来台湾", re.I), 0.9),
    (K.PLATE, re.compile(r"车牌|号牌|plate", re.I), 0.8),
    (K.BIRTH_DATE, re.compile(r"出生|生日|birth|dob", re.I), 0.8),
    (
        K.HEALTH,
        re.compile(r"诊断|病情|病史|疾病|病种|症状|病名|既往史|体检|检查结果|残疾|diagnos|disease|icd", re.I),
        0.8,
    ),
    (
        K.COORDINATE,
        re.compile(r"经度|纬度|坐标|经纬|^lng$|^lon$|^lat$|longitude|latitude|_lng$|_lat$", re.I),
        0.8,
    ),
    (K.USCC, re.compile(r"信用代码|uscc|credit_?code", re.I), 0.8),
]
PERSON_LOCATION_HINT = re.compile(
    r"住|家|居|个人|人员|患者|病例|轨迹|定位|打卡|签到|用户|会员|当前位置|person|user|home", re.I
)
# Landline-looking values in a column about an organisation's contact are not a person's number.
MAX_COLUMNS = 2000
DEFAULT_SAMPLE = 1000
MIN_CONFIDENCE = 0.5


def name_hints(name: str) -> dict[str, float]:
    hints: dict[str, float] = {}
    for kind, rx, weight in NAME_HINTS:
        if rx.search(name or ""):
            hints[kind] = max(hints.get(kind, 0.0), weight)
    if K.MOBILE in hints:
        hints.setdefault(K.LANDLINE, hints[K.MOBILE])
    if K.HK_MACAU_PERMIT in hints and re.search(r"通行证", name):
        hints.setdefault(K.TAIWAN_PERMIT, 0.5)
    return hints


@dataclass
class KindReport:
    kind: str
    confidence: float
    hits: int
    checked: int
    evidence: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return K.label(self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "confidence": round(self.confidence, 2),
            "hits": self.hits,
            "checked": self.checked,
            "evidence": self.evidence,
            "reasons": self.reasons,
        }


@dataclass
class ColumnReport:
    name: str
    row_count: int
    checked: int
    non_empty: int
    free_text: bool
    kinds: list[KindReport] = field(default_factory=list)
    masked_values: int = 0
    grade: str = ""
    sensitivity: str = ""
    reasons: list[str] = field(default_factory=list)

    def kind(self, kind: str) -> KindReport | None:
        return next((k for k in self.kinds if k.kind == kind), None)

    @property
    def detected(self) -> list[str]:
        return [k.kind for k in self.kinds if k.confidence >= MIN_CONFIDENCE]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "row_count": self.row_count,
            "checked": self.checked,
            "non_empty": self.non_empty,
            "free_text": self.free_text,
            "masked_values": self.masked_values,
            "detected": self.detected,
            "kinds": [k.as_dict() for k in self.kinds],
            "grade": self.grade,
            "sensitivity": self.sensitivity,
            "reasons": self.reasons,
        }


def sample_indices(n: int, size: int) -> list[int]:
    """Deterministic, spread over the whole column: the first rows, then an even stride."""
    if n <= size:
        return list(range(n))
    head = min(50, size // 4)
    rest = size - head
    step = (n - head) / rest
    return list(range(head)) + sorted({head + int(i * step) for i in range(rest)})


_MASKED = re.compile(r"\*{2,}|＊{2,}|×{2,}")


def _is_free_text(values: Sequence[str]) -> bool:
    if not values:
        return False
    long = sum(1 for v in values if len(v) > 24 or re.search(r"[，。；！？,.;]\s*\S", v))
    return long / len(values) >= 0.2


def scan_column(name: str, values: Sequence[Any], *, sample_size: int = DEFAULT_SAMPLE) -> ColumnReport:
    """Detected kinds of one column from its name and a sample of its values."""
    from kaifang.privacy import grading

    hints = name_hints(str(name))
    idx = sample_indices(len(values), sample_size)
    sampled = [values[i] for i in idx]
    texts = [
        str(v) for v in sampled if v is not None and not (isinstance(v, float) and v != v) and str(v).strip()
    ]
    floats = [v for v in sampled if isinstance(v, float) and v == v]
    report = ColumnReport(
        name=str(name),
        row_count=len(values),
        checked=len(sampled),
        non_empty=len(texts) + len(floats),
        free_text=_is_free_text(texts),
    )
    report.masked_values = sum(1 for t in texts if _MASKED.search(t))
    per_kind: dict[str, list[Finding]] = {}
    rows_with: dict[str, int] = {}
    hint_set = frozenset(hints)
    for t in texts:
        seen: set[str] = set()
        for f in scan_text(t, hints=hint_set):
            per_kind.setdefault(f.kind, []).append(f)
            seen.add(f.kind)
        for kind in seen:
            rows_with[kind] = rows_with.get(kind, 0) + 1
    non_empty = max(1, len(texts))
    if K.NAME not in hints and not report.free_text and texts and K.NAME not in per_kind:
        bare = [t for t in texts if looks_like_name(t)]
        if names_column(texts):
            per_kind[K.NAME] = [
                Finding(K.NAME, looks_like_name(t), mask_value(t.strip(), K.NAME) or "") for t in bare
            ]
            rows_with[K.NAME] = len(bare)
    for kind, findings in per_kind.items():
        ratio = rows_with[kind] / non_empty
        mean = sum(f.confidence for f in findings) / len(findings)
        best = max(f.confidence for f in findings)
        if report.free_text:
            conf = best  # one identifier hidden in free text is one too many
        elif kind == K.NAME and K.NAME not in hints:
            conf = mean * ratio  # bare names only count when most values read as names
        elif kind == K.HEALTH and K.HEALTH not in hints:
            conf = best * max(ratio, 0.5) if ratio >= 0.2 else best * 0.6
        else:
            conf = mean * (0.6 + 0.4 * ratio)
        reasons = [f"{rows_with[kind]}/{non_empty}个抽样值命中"]
        if kind in hints:
            conf = min(0.99, conf + 0.2 * hints[kind])
            reasons.append("列名提示")
        evidence = list(dict.fromkeys(f.evidence for f in findings))[:3]
        report.kinds.append(
            KindReport(kind, round(conf, 3), rows_with[kind], len(sampled), evidence, reasons)
        )
    # Hints with no matching values: declared by the name only (an empty or already masked column).
    for kind, weight in hints.items():
        if kind in per_kind or kind in (K.USCC, K.COORDINATE, K.LANDLINE):
            continue
        if report.masked_values and report.masked_values >= 0.8 * non_empty:
            report.kinds.append(KindReport(kind, 0.3, 0, len(sampled), [], ["列名提示", "取值已脱敏"]))
        elif not texts and not floats:
            report.kinds.append(
                KindReport(kind, round(0.6 * weight, 3), 0, len(sampled), [], ["列名提示（列为空）"])
            )
        elif kind in (K.BIRTH_DATE, K.HEALTH):
            report.kinds.append(_hinted_values(kind, texts, weight, len(sampled)))
        else:
            report.kinds.append(
                KindReport(kind, round(0.25 * weight, 3), 0, len(sampled), [], ["仅列名提示"])
            )
    if K.COORDINATE in hints or floats:
        cr = _coordinate_report(str(name), sampled, hints)
        if cr:
            report.kinds = [k for k in report.kinds if k.kind != K.COORDINATE] + [cr]
    if report.free_text and texts:
        nr = _jieba_names(texts[:50])
        if nr and not report.kind(K.NAME):
            report.kinds.append(
                KindReport(
                    K.NAME,
                    0.3,
                    len(nr),
                    len(sampled),
                    [mask_value(n, K.NAME) or "" for n in nr[:3]],
                    ["jieba人名标注（弱提示）"],
                )
            )
    report.kinds = [k for k in report.kinds if k.confidence > 0]
    report.kinds.sort(key=lambda k: -k.confidence)
    grading.grade_column(report)
    return report


def _hinted_values(kind: str, texts: list[str], weight: float, checked: int) -> KindReport:
    from kaifang.privacy.masking import parse_date

    if kind == K.BIRTH_DATE:
        dates = [parse_date(t) for t in texts]
        hits = [d for d in dates if d and dt.date(1900, 1, 1) <= d <= dt.date.today()]
        ratio = len(hits) / max(1, len(texts))
        precise = sum(1 for t in texts if re.search(r"\d{4}\D?\d{1,2}\D?\d{1,2}", normalize_text(t)))
        conf = weight * ratio * (1.0 if precise else 0.5)
        ev = [f"{d.year}-**-**" for d in hits[:3]]
        return KindReport(kind, round(conf, 3), len(hits), checked, ev, ["列名提示", "取值为日期"])
    # Health: values of a diagnosis column are health information even without a listed term.
    return KindReport(kind, round(0.7 * weight, 3), len(texts), checked, [], ["列名提示（诊断、病情等）"])


def _coordinate_report(name: str, sampled: list[Any], hints: dict[str, float]) -> KindReport | None:
    nums: list[float] = []
    for v in sampled:
        try:
            f = float(normalize_text(str(v))) if v is not None and not isinstance(v, bool) else None
        except ValueError:
            f = None
        if f is not None and f == f:
            nums.append(f)
    if not nums:
        return None
    in_range = [f for f in nums if 3.0 <= abs(f) <= 136.0]
    if len(in_range) < 0.9 * len(nums):
        return None

    def decimals(f: float) -> int:
        s = repr(f)
        return len(s.split(".")[1]) if "." in s and "e" not in s else 0

    precise = sum(1 for f in in_range if decimals(f) >= 4) / len(in_range)
    if K.COORDINATE not in hints or precise < 0.5:
        return None
    person = bool(PERSON_LOCATION_HINT.search(name))
    kind = K.PERSON_COORDINATE if person else K.COORDINATE
    return KindReport(
        kind,
        round(0.8 * precise + (0.1 if person else 0), 3),
        len(in_range),
        len(sampled),
        [f"{in_range[0]:.2f}…"],
        ["列名为经纬度", "精度达到约10米（小数点后4位及以上）"] + (["列名指向个人"] if person else []),
    )


@cache
def _jieba() -> Any:
    import logging

    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    return jieba.posseg


def _jieba_names(texts: Iterable[str]) -> list[str]:
    """jieba's 'nr' tags over a few free-text values, kept only when the word starts with a known surname."""
    try:
        posseg = _jieba()
    except Exception:  # noqa: BLE001 - a weak hint; never fail the scan over it
        return []
    names = []
    for t in texts:
        for w in posseg.cut(t[:500]):
            if w.flag == "nr" and 2 <= len(w.word) <= 4 and looks_like_name(w.word):
                names.append(w.word)
    return names


@dataclass
class TableReport:
    columns: list[ColumnReport]
    row_count: int
    grade: str = ""
    sensitivity: str = ""
    open_attribute: str = ""
    reasons: list[str] = field(default_factory=list)
    refused: str = ""

    def column(self, name: str) -> ColumnReport | None:
        return next((c for c in self.columns if c.name == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row_count": self.row_count,
            "grade": self.grade,
            "sensitivity": self.sensitivity,
            "open_attribute": self.open_attribute,
            "reasons": self.reasons,
            "refused": self.refused,
            "columns": [c.as_dict() for c in self.columns],
        }


def scan_table(columns: dict[str, Sequence[Any]], *, sample_size: int = DEFAULT_SAMPLE) -> TableReport:
    """Scan every column (a sample of its values) and grade the table. More than MAX_COLUMNS columns is
    refused with a reason rather than scanned for minutes."""
    from kaifang.privacy import grading

    n_rows = max((len(v) for v in columns.values()), default=0)
    if len(columns) > MAX_COLUMNS:
        report = TableReport([], n_rows)
        report.refused = f"数据表有{len(columns)}列，超过隐私扫描的上限{MAX_COLUMNS}列，请拆分后再上传。"
        grading.grade_table(report)
        return report
    reports = []
    for name, values in columns.items():
        r = scan_column(name, values, sample_size=sample_size)
        # Identifiers in the column name itself (a header row that is really data).
        for f in scan_text(name):
            if f.kind != K.HEALTH:
                r.kinds.append(KindReport(f.kind, f.confidence, 1, 1, [f.evidence], ["列名中含有标识符"]))
        reports.append(r)
    report = TableReport(reports, n_rows)
    # Coordinates in a table about persons are a person's location (精准定位).
    personal = any(
        K.KINDS[k].sensitivity != K.Sensitivity.NON_PERSONAL and K.KINDS[k].identifier
        for c in reports
        for k in c.detected
    )
    if personal:
        for c in reports:
            kr = c.kind(K.COORDINATE)
            if kr:
                kr.kind = K.PERSON_COORDINATE
                kr.reasons.append("同表含有个人标识，坐标视为个人位置")
                grading.grade_column(c)
    grading.grade_table(report)
    return report
