"""Important and core data (重要数据 / 核心数据): the identification factors of GB/T 43697-2024 附录G.

Values alone rarely show that data is important: what makes a table 重要 or 核心 is what it describes
(a reservoir dam's safety monitoring, grain reserves, a critical information infrastructure's topology),
at what precision and at what scale. Each factor below is one of 附录G's identification factors, turned
into evidence the platform can see: words in the dataset's title, description, keywords and field names,
coordinate columns, and the number of records. The level a factor suggests follows the standard's matrix
(§6.5): harm to national security is 核心 when serious, the other objects (economic operation, social order,
public interest) are 重要. A factor only suggests; the officer confirms or overrides with a reason
(`grade_decide`), and the reviewer sees both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from kaifang.catalog.choices import Grade

# A column whose name says it holds a coordinate (the recognizers find the values too).
_COORDINATE_NAME = re.compile(r"经度|纬度|坐标|lng|lon|lat|^x$|^y$", re.I)
LARGE_SCALE_PERSONAL = 10_000_000  # personal information of ten million people or more
LARGE_SCALE_SENSITIVE = 1_000_000  # sensitive personal information of a million people or more


@dataclass(frozen=True)
class Factor:
    code: str
    level: str  # Grade.IMPORTANT or Grade.CORE
    label: Any  # the factor as 附录G names it
    words: tuple[str, ...]  # any of these in the metadata or the field names
    needs_coordinates: bool = False  # only with the places themselves (a list of names is not a map)


FACTORS: tuple[Factor, ...] = (
    Factor(
        "G-1",
        Grade.CORE.value,
        _("关系国防和军事安全（军事设施、国防科研生产、武器装备、兵力部署）"),
        (
            "军事设施",
            "军事管理区",
            "军事禁区",
            "国防科研",
            "武器装备",
            "兵力部署",
            "军工",
            "人民武装",
            "征兵",
        ),
    ),
    Factor(
        "G-2",
        Grade.CORE.value,
        _("关系核设施、核材料和出口管制物项"),
        ("核设施", "核材料", "放射源", "出口管制", "两用物项"),
    ),
    Factor(
        "G-3",
        Grade.IMPORTANT.value,
        _("反映关键信息基础设施的网络安全保护情况，可被利用实施网络攻击"),
        ("关键信息基础设施", "网络拓扑", "安全漏洞", "系统配置", "IP地址段", "工业控制系统", "等级保护测评"),
    ),
    Factor(
        "G-4",
        Grade.IMPORTANT.value,
        _("反映重点目标、重要场所的位置或安全保护情况"),
        (
            "水库大坝",
            "大坝安全",
            "水电站",
            "变电站",
            "输电线路",
            "油气管道",
            "输油管线",
            "天然气门站",
            "燃气门站",
            "取水口",
            "水源地",
            "监狱",
            "看守所",
            "戒毒所",
            "危险化学品",
            "爆炸物",
            "民用爆炸",
            "重大危险源",
            "通信基站",
            "机场",
            "铁路桥梁",
            "隧道",
        ),
        needs_coordinates=True,
    ),
    Factor(
        "G-5",
        Grade.IMPORTANT.value,
        _("反映战略物资、粮食、能源和矿产资源的储备、产能或分布"),
        (
            "储备粮",
            "粮食储备",
            "粮食库存",
            "能源储备",
            "成品油储备",
            "战略物资",
            "矿产资源储量",
            "稀土",
            "应急物资储备",
        ),
    ),
    Factor(
        "G-6",
        Grade.IMPORTANT.value,
        _("反映群体健康、遗传信息和重要生物资源的基础数据"),
        ("人类遗传资源", "基因", "遗传信息", "生物样本", "传染病疫情", "病原微生物", "种质资源"),
    ),
    Factor(
        "G-7",
        Grade.IMPORTANT.value,
        _("高精度地理信息和测绘成果"),
        ("测绘成果", "控制点", "高精度地图", "大地测量", "航空摄影", "遥感影像", "地形图", "高程"),
        needs_coordinates=True,
    ),
    Factor(
        "G-8",
        Grade.IMPORTANT.value,
        _("未公开的经济运行、统计和金融数据"),
        ("未公开", "未发布", "内部资料", "统计快报", "初步核算", "金融风险"),
    ),
    Factor(
        "G-9",
        Grade.IMPORTANT.value,
        _("反映重点行业安全生产和重大风险隐患"),
        ("重大事故隐患", "安全生产隐患", "地质灾害隐患点", "尾矿库", "应急预案"),
    ),
)


@dataclass(frozen=True)
class Finding:
    code: str
    level: str
    reason: str


def _haystack(dataset: Any, columns: list[str]) -> str:
    tags = getattr(dataset, "tags", None) or []
    parts = [getattr(dataset, "title", ""), getattr(dataset, "abstract", ""), *map(str, tags), *columns]
    return "\n".join(str(p) for p in parts if p)


def _has_coordinates(report: Any) -> bool:
    from kaifang.privacy import kinds as K

    return any(
        c.kind(K.COORDINATE) or c.kind(K.PERSON_COORDINATE) or _COORDINATE_NAME.search(c.name)
        for c in report.columns
    )


def identify(dataset: Any, report: Any) -> list[Finding]:
    """The 附录G factors this dataset's metadata, fields and scale show, with the evidence as a reason."""
    from kaifang.privacy import kinds as K

    text = _haystack(dataset, [c.name for c in report.columns]).lower()
    coordinates = _has_coordinates(report)
    found: list[Finding] = []
    for f in FACTORS:
        hits = [w for w in f.words if w.lower() in text]
        if not hits or (f.needs_coordinates and not coordinates):
            continue
        found.append(
            Finding(
                f.code,
                f.level,
                str(_("可能构成%(level)s（GB/T 43697 附录G %(code)s：%(factor)s）：命中“%(words)s”"))
                % {
                    "level": _level_label(f.level),
                    "code": f.code,
                    "factor": f.label,
                    "words": "、".join(hits[:3]),
                },
            )
        )
    if report.sensitivity == K.Sensitivity.SENSITIVE and report.row_count >= LARGE_SCALE_SENSITIVE:
        found.append(
            Finding(
                "G-10",
                Grade.IMPORTANT.value,
                str(
                    _(
                        "含有%(n)s条敏感个人信息记录（100万条及以上），可能构成重要数据（GB/T 43697 附录G G-10）"
                    )
                )
                % {"n": report.row_count},
            )
        )
    elif report.sensitivity != K.Sensitivity.NON_PERSONAL and report.row_count >= LARGE_SCALE_PERSONAL:
        found.append(
            Finding(
                "G-10",
                Grade.IMPORTANT.value,
                str(_("含有%(n)s条个人信息记录（1000万条及以上），可能构成重要数据（GB/T 43697 附录G G-10）"))
                % {"n": report.row_count},
            )
        )
    return found


def _level_label(level: str) -> str:
    from kaifang.catalog.choices import label_of

    return str(label_of(Grade, level))
