"""Controlled values of the catalog (2017 guide, GB/T 43697 grading). Stored as short English codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OpenAttribute(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件开放")
    CONDITIONAL = "conditional", _("有条件开放")
    CLOSED = "closed", _("不予开放")


class ShareType(models.TextChoices):
    UNCONDITIONAL = "unconditional", _("无条件共享")
    CONDITIONAL = "conditional", _("有条件共享")
    NONE = "none", _("不予共享")


class ShareMode(models.TextChoices):
    PLATFORM_TABLE = "platform_table", _("共享平台方式-库表")
    PLATFORM_API = "platform_api", _("共享平台方式-接口")
    PLATFORM_FILE = "platform_file", _("共享平台方式-文件")
    EMAIL = "email", _("邮件方式")
    MEDIA = "media", _("介质方式")


class Grade(models.TextChoices):
    """Sensitivity grade; the order of declaration is the order of severity."""

    G1 = "G1", _("一般数据1级")
    G2 = "G2", _("一般数据2级")
    G3 = "G3", _("一般数据3级")
    G4 = "G4", _("一般数据4级")
    IMPORTANT = "IMPORTANT", _("重要数据")
    CORE = "CORE", _("核心数据")


GRADE_ORDER = {g.value: i for i, g in enumerate(Grade)}


class UpdateFrequency(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    SEMIANNUAL = "semiannual", _("每半年")
    ANNUAL = "annual", _("每年")
    IRREGULAR = "irregular", _("不定期")
    NEVER = "never", _("不更新")


class OpenForm(models.TextChoices):
    DOWNLOAD = "download", _("文件下载")
    API = "api", _("数据接口")
    FEED = "feed", _("实时数据流")
    SANDBOX = "sandbox", _("仅沙箱使用")


class FormatCategory(models.TextChoices):
    DOCUMENT = "document", _("电子文件")
    SPREADSHEET = "spreadsheet", _("电子表格")
    DATABASE = "database", _("数据库")
    IMAGE = "image", _("图形图像")
    MEDIA = "media", _("流媒体")
    SELF_DESCRIBING = "self", _("自描述格式")
    SERVICE = "service", _("服务接口")


class FieldType(models.TextChoices):
    C = "C", _("字符型C")
    N = "N", _("数值型N")
    Y = "Y", _("货币型Y")
    D = "D", _("日期型D")
    T = "T", _("日期时间型T")
    L = "L", _("逻辑型L")
    M = "M", _("备注型M")
    G = "G", _("通用型G")
    B = "B", _("双精度型B")
    I = "I", _("整型I")  # noqa: E741 - the guide's own letter
    F = "F", _("浮点型F")


class ResourceCategory(models.TextChoices):
    BASIC = "1", _("基础信息资源")
    THEMATIC = "2", _("主题信息资源")
    DEPARTMENTAL = "3", _("部门信息资源")


class DistributionKind(models.TextChoices):
    FILE = "file", _("文件")
    TABLE = "table", _("可查询数据表")
    API = "api", _("接口")
    FEED = "feed", _("实时数据流")


class State(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    IN_REVIEW = "in_review", _("审核中")
    RETURNED = "returned", _("已退回")
    PUBLISHED = "published", _("已发布")
    REVISION_IN_REVIEW = "revision_in_review", _("已发布（变更审核中）")
    WITHDRAWN = "withdrawn", _("已撤回")


# States in which the entry is part of the published catalogs.
CATALOGED_STATES = (State.PUBLISHED, State.REVISION_IN_REVIEW)


def label_of(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


class CoordinateSystem(models.TextChoices):
    """The coordinate reference system of a dataset's longitude and latitude (blank: not stated)."""

    WGS84 = "wgs84", _("WGS 84（GPS 坐标，EPSG:4326）")
    GCJ02 = "gcj02", _("GCJ-02（国测局坐标，互联网地图常用）")
    CGCS2000 = "cgcs2000", _("CGCS2000（2000 国家大地坐标系，EPSG:4490）")


# The names a GeoJSON reader may know a system by: RFC 7946 presumes WGS 84 (OGC CRS84); GCJ-02 has no
# registered code, so only the explicit member names it.
_CRS_URN = {"wgs84": "urn:ogc:def:crs:OGC:1.3:CRS84", "cgcs2000": "urn:ogc:def:crs:EPSG::4490"}
_CRS_EPSG = {"wgs84": 4326, "cgcs2000": 4490}
_CRS_CODE = {"wgs84": "WGS 84", "gcj02": "GCJ-02", "cgcs2000": "CGCS2000"}


def crs_geojson_members(code: str) -> dict[str, object]:
    """Members of a GeoJSON FeatureCollection stating the coordinate system: `coordinate_system` (a foreign
    member, RFC 7946 §6.1) always, and the legacy `crs` member where the system has a registered name."""
    if code not in _CRS_CODE:
        return {"coordinate_system": {"code": None, "name": str(_("未说明"))}}
    out: dict[str, object] = {}
    if code in _CRS_URN:
        out["crs"] = {"type": "name", "properties": {"name": _CRS_URN[code]}}
    out["coordinate_system"] = {
        "code": _CRS_CODE[code],
        "epsg": _CRS_EPSG.get(code),
        "name": str(CoordinateSystem(code).label),
    }
    return out
