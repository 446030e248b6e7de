"""The kinds of personal information the recognizers report, with their GB/T 35273 sensitivity and the
GB/T 43697 grade a field holding them is suggested (china-standards.md §3.1, §3.2, §3.4)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from kaifang.catalog.choices import Grade

ID_CARD = "id_card"
MOBILE = "mobile"
LANDLINE = "landline"
BANK_CARD = "bank_card"
USCC = "uscc"
USCC_INDIVIDUAL = "uscc_individual"
PLATE = "plate"
EMAIL = "email"
PASSPORT = "passport"
HK_MACAU_PERMIT = "hk_macau_permit"
TAIWAN_PERMIT = "taiwan_permit"
NAME = "name"
ADDRESS = "address"
COORDINATE = "coordinate"
PERSON_COORDINATE = "person_coordinate"
BIRTH_DATE = "birth_date"
HEALTH = "health"


class Sensitivity:
    NON_PERSONAL = "non_personal"
    PERSONAL = "personal"
    SENSITIVE = "sensitive"

    ORDER = {NON_PERSONAL: 0, PERSONAL: 1, SENSITIVE: 2}
    LABELS = {NON_PERSONAL: _("非个人信息"), PERSONAL: _("个人信息"), SENSITIVE: _("敏感个人信息")}


@dataclass(frozen=True)
class KindInfo:
    label: object
    sensitivity: str
    grade: str
    reason: object
    # A direct identifier must not survive into a published output (the gate refuses it).
    identifier: bool


S, P, N = Sensitivity.SENSITIVE, Sensitivity.PERSONAL, Sensitivity.NON_PERSONAL

KINDS: dict[str, KindInfo] = {
    ID_CARD: KindInfo(
        _("居民身份证号"),
        S,
        Grade.G4,
        _("居民身份证号属于个人身份信息，是敏感个人信息（GB/T 35273 附录B）"),
        True,
    ),
    PASSPORT: KindInfo(_("护照号码"), S, Grade.G4, _("护照号码属于个人身份信息，是敏感个人信息"), True),
    HK_MACAU_PERMIT: KindInfo(
        _("港澳通行证/回乡证号码"), S, Grade.G4, _("港澳出入境证件号码属于个人身份信息，是敏感个人信息"), True
    ),
    TAIWAN_PERMIT: KindInfo(
        _("台湾通行证/台胞证号码"), S, Grade.G4, _("涉台出入境证件号码属于个人身份信息，是敏感个人信息"), True
    ),
    BANK_CARD: KindInfo(_("银行卡号"), S, Grade.G4, _("银行卡号属于个人财产信息，是敏感个人信息"), True),
    HEALTH: KindInfo(
        _("健康生理信息"), S, Grade.G4, _("疾病、诊断等属于个人健康生理信息，是敏感个人信息"), False
    ),
    PERSON_COORDINATE: KindInfo(
        _("个人精确位置"), S, Grade.G4, _("个人的精准定位、行踪轨迹是敏感个人信息"), True
    ),
    NAME: KindInfo(_("姓名"), P, Grade.G3, _("姓名可识别特定自然人，属于个人信息"), True),
    MOBILE: KindInfo(_("手机号码"), P, Grade.G3, _("手机号码可识别特定自然人，属于个人信息"), True),
    EMAIL: KindInfo(_("电子邮箱"), P, Grade.G3, _("电子邮箱可识别特定自然人，属于个人信息"), True),
    ADDRESS: KindInfo(_("详细地址"), P, Grade.G3, _("精确到楼栋、单元或房间的地址属于个人信息"), True),
    PLATE: KindInfo(_("机动车号牌"), P, Grade.G3, _("机动车号牌可关联到车主，属于个人信息"), True),
    # A landline is usually an office's; only in a table about persons does the gate refuse it.
    LANDLINE: KindInfo(_("固定电话"), P, Grade.G2, _("固定电话可能关联到个人，属于个人信息"), False),
    BIRTH_DATE: KindInfo(
        _("出生日期"), P, Grade.G2, _("出生日期是准标识符，与其他信息结合可识别个人"), False
    ),
    USCC_INDIVIDUAL: KindInfo(
        _("个体工商户统一社会信用代码"),
        P,
        Grade.G2,
        _("个体工商户（92开头）的统一社会信用代码关联到经营者本人，属于个人信息"),
        False,
    ),
    USCC: KindInfo(
        _("统一社会信用代码"), N, Grade.G1, _("法人和其他组织的统一社会信用代码是公开信息"), False
    ),
    COORDINATE: KindInfo(_("精确坐标"), N, Grade.G1, _("未发现与个人关联的精确坐标（设施位置等）"), False),
}


def label(kind: str) -> str:
    info = KINDS.get(kind)
    return str(info.label) if info else kind
