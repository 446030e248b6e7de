# ruff: noqa: E501
"""The demo city's scenario applications: one per pilot scenario (SC1–SC16), each linked to the demo
datasets it would plausibly use. Made through the services, as the providers and a reviewer would."""

from __future__ import annotations

from typing import Any

# (scenario, title, summary, provider: "dept" (the first dataset's department) or "enterprise", dataset titles)
APPLICATIONS: list[tuple[str, str, str, str, list[str]]] = [
    (
        "SC1",
        "咸宁经济运行监测与异常预警",
        "汇聚国民经济、工业、消费与价格数据，按月生成经济运行指标看板，对偏离趋势的指标自动预警，并提供重点产业分析。",
        "dept",
        [
            "国民经济主要统计数据",
            "工业经济运行统计",
            "社会消费品零售总额统计",
            "居民消费价格指数",
            "县域经济主要指标",
        ],
    ),
    (
        "SC2",
        "咸宁智慧教育地图",
        "学校、幼儿园与招生计划一图查询，家长可按住址查看学区与周边校外培训机构白名单。",
        "dept",
        ["学校名录", "幼儿园名录", "义务教育学校招生计划", "校外培训机构白名单"],
    ),
    (
        "SC3",
        "科技成果转化服务平台",
        "对接高新技术企业、科技型中小企业与科技创新平台，展示技术合同登记与科技计划项目，促进成果落地。",
        "dept",
        ["高新技术企业名录", "科技型中小企业名录", "科技创新平台名录", "技术合同登记统计"],
    ),
    (
        "SC4",
        "生态环境监测预警一张图",
        "空气、地表水、饮用水源地与污染源监测数据联动展示，超标时推送预警。",
        "dept",
        ["环境空气质量实时监测", "地表水水质监测信息", "集中式饮用水水源地水质信息", "重点排污单位名录"],
    ),
    (
        "SC5",
        "咸宁出行助手",
        "实时公交到站、停车场泊位与道路施工信息，一个入口规划出行。",
        "enterprise",
        ["公交线路信息", "公交站点信息", "公交车辆实时到站信息", "公共停车场（库）名录", "道路施工占道信息"],
    ),
    (
        "SC6",
        "车主服务与驾驶风险画像",
        "面向车主提供违法提醒、维修企业与驾培机构查询，结合事故多发路段生成出行风险提示。",
        "enterprise",
        ["机动车维修企业名录", "驾驶员培训机构名录", "交通事故多发路段信息", "交通违法行为处罚信息"],
    ),
    (
        "SC7",
        "咸宁文旅地图",
        "A级景区、温泉企业、乡村旅游重点村与公共文化场馆一图导览，含景区实时客流。",
        "dept",
        [
            "A级旅游景区名录",
            "旅游景区实时客流信息",
            "温泉旅游企业名录",
            "乡村旅游重点村名录",
            "公共文化场馆名录",
        ],
    ),
    (
        "SC8",
        "健康咸宁服务平台",
        "医疗机构、实时床位、预约挂号号源与预防接种门诊查询，附近AED点位导航。",
        "dept",
        [
            "医疗机构名录",
            "医疗机构实时床位信息",
            "医院预约挂号号源信息",
            "预防接种门诊名录",
            "公共场所AED配置点位",
        ],
    ),
    (
        "SC9",
        "综合执法协同平台",
        "市场监管、城市管理与生态环境行政处罚信息统一归集，支撑跨部门联合执法与双公示。",
        "dept",
        ["市场监管行政处罚信息", "城市管理行政处罚信息", "生态环境行政处罚信息", "行政处罚信息（双公示）"],
    ),
    (
        "SC10",
        "城市安全风险预警",
        "人员密集场所、危险化学品企业、地质灾害隐患点与气象预警叠加分析，提前发现城市安全风险。",
        "dept",
        [
            "人员密集场所名录（学校、农贸市场、超市、商场）",
            "危险化学品经营企业名录",
            "地质灾害隐患点信息",
            "气象灾害预警信号",
            "应急避难场所分布",
        ],
    ),
    (
        "SC11",
        "普惠金融信用服务",
        "以纳税信用、融资担保与小微企业融资需求为基础，为银行提供小微企业信用画像与风控参考。",
        "enterprise",
        ["纳税信用A级纳税人名单", "小微企业融资需求对接信息", "融资担保机构名录", "普惠金融服务站点分布"],
    ),
    (
        "SC12",
        "企业服务一站通",
        "市场主体登记、专精特新名单与惠企政策一站查询，为企业匹配可申报的政策。",
        "enterprise",
        ["市场主体登记信息", "专精特新中小企业名单", "规模以上工业企业名录", "经营异常名录"],
    ),
    (
        "SC13",
        "个人诚信分",
        "依据守信激励、表彰奖励与信用修复信息，在个人授权后生成诚信分，用于便民服务中的信用免押。",
        "dept",
        ["守信激励名单", "表彰奖励信息（自然人）", "信用修复信息", "公共信用综合评价结果"],
    ),
    (
        "SC14",
        "基层治理数字驾驶舱",
        "社区综合服务设施、养老机构与社会救助数据汇总到村（社区），支撑网格化治理。",
        "dept",
        ["社区综合服务设施分布", "养老服务机构名录", "城乡低保救助统计", "社会组织登记信息"],
    ),
    (
        "SC15",
        "咸宁农产品质量溯源",
        "地理标志产品、农产品质量安全抽检与龙头企业信息关联，扫码查看农产品来源与检测结果。",
        "dept",
        ["地理标志产品名录", "农产品质量安全抽检信息", "农业产业化龙头企业名录", "家庭农场和农民合作社名录"],
    ),
    (
        "SC16",
        "便民生活服务地图",
        "供水、燃气、电力营业网点与停水停电计划，一张图查询日常生活服务。",
        "dept",
        ["供水营业网点信息", "燃气服务网点信息", "停水计划公告", "计划停电信息", "电动汽车充电站分布"],
    ),
]


def _newest(actor: Any, title: str) -> Any:
    """The open dataset with this title, or the newest yearly edition of it (2025年…)."""
    from django.db.models import Q

    from kaifang.catalog.permissions import catalog_queryset

    qs = catalog_queryset(actor, "open").select_related("department")
    edition = Q(title__endswith=f"年{title}", title__regex=r"^[0-9]{4}年")
    return qs.filter(Q(title=title) | edition).order_by("-title").first()


def build_demo_applications(stdout: Any = None) -> int:
    """Create and publish the demo applications whose datasets exist and are open; returns how many."""
    from kaifang.accounts.models import User
    from kaifang.scenarios import services
    from kaifang.scenarios.models import ScenarioApplication

    users = {u.username: u for u in User.objects.filter(username__in=["operator", "reviewer", "enterprise"])}
    if len(users) < 3 or ScenarioApplication.objects.filter(is_sample=True).exists():
        return 0
    made = 0
    for scenario, title, summary, provider, titles in APPLICATIONS:
        actor = users["enterprise"] if provider == "enterprise" else users["operator"]
        datasets = [d for d in (_newest(actor, t) for t in titles) if d is not None]
        if not datasets:
            continue
        data = {
            "title": title,
            "summary": summary,
            "scenario": scenario,
            "datasets": [d.code for d in datasets],
        }
        department = None if provider == "enterprise" else datasets[0].department
        app = services.scenario_create(actor=actor, data=data, department=department, is_sample=True)
        services.scenario_publish(actor=users["reviewer"], app=app)
        made += 1
    if stdout is not None:
        stdout.write(f"场景应用：{made} 个。\n")
    return made
