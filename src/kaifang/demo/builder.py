# ruff: noqa: E501
"""The deterministic synthetic demo city (咸宁市 and its counties): `build_demo()` is the only entry point.

Everything goes through the catalog services (register, submit, publish, return, withdraw) so the demo
data obeys the same rules, codes and audit trail as real data. A fixed seed and a fixed anchor date make
every build identical.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from kaifang.accounts.models import RoleAssignment, User
from kaifang.accounts.staffing import grant_admin_access
from kaifang.catalog import services
from kaifang.catalog.codes import slug_for_code
from kaifang.catalog.models import Concept, Dataset, Distribution
from kaifang.catalog.rules import normalize_item_key
from kaifang.catalog.vocabularies import load_vocabularies
from kaifang.demo import synthetic
from kaifang.demo.data import departments as dept_data
from kaifang.demo.data import regions as region_data
from kaifang.demo.data import topics as topic_data
from kaifang.tenancy.models import Department, Region, ResponsibilityItem

SEED = 20261101
ANCHOR = datetime.date(2026, 11, 1)  # "today" of the demo city
NEWEST_YEAR = 2025
PASSWORD = "kaifang-demo-2026"
CITY_CODE = "421200"
# Where the conditional entries' source files are written (under KAIFANG_HOME, outside the served files/).
DEMO_SOURCES = "demo-sources"

# (username, kind, display name, organisation, role description)
PERSONAS = [
    ("citizen", User.Kind.CITIZEN, "张市民", "", "个人用户（公众）"),
    ("enterprise", User.Kind.ENTERPRISE, "香城数据科技", "咸宁香城数据科技有限公司（示例）", "企业用户"),
    ("officer", User.Kind.STAFF, "交通运输局数据管理员", "", "部门数据管理员：咸宁市交通运输局"),
    ("county_officer", User.Kind.STAFF, "咸安区教育局数据管理员", "", "部门数据管理员：咸安区教育局"),
    ("reviewer", User.Kind.STAFF, "市政数局审核员", "", "审核员：咸宁市（全市）"),
    ("county_admin", User.Kind.STAFF, "咸安区管理员", "", "县市区管理员：咸安区"),
    ("operator", User.Kind.STAFF, "平台运营", "", "平台运营"),
    ("auditor", User.Kind.STAFF, "安全审计员", "", "安全审计员"),
    ("evaluator", User.Kind.STAFF, "第三方评估", "", "第三方评估"),
]
LOADER, REVIEWER2 = "demo_loader", "demo_reviewer2"

THEMES = {
    "market": "02",
    "employment": "16",
    "housing": "06",
    "transport": "04",
    "geospatial": "03",
    "culture": "09",
    "environment": "06",
    "weather": "10",
    "health": "14",
    "finance": "08",
    "credit": "02",
    "assistance": "17",
    "commerce": "09",
    "industry": "07",
    "education": "13",
    "safety": "12",
    "production": "04",
    "legal": "12",
    "living": "17",
    "placename": "03",
    "organizations": "17",
    "other": "01",
}
USES = {
    "market": "可用于企业征信、营商环境分析和市场主体服务类应用。",
    "employment": "可用于就业服务、人力资源配置分析和社保政策研究。",
    "housing": "可用于住房租赁服务、房地产市场分析和城市更新研究。",
    "transport": "可支撑出行导航、公交查询、停车诱导和交通治理等应用场景。",
    "geospatial": "可用于空间分析、选址评估和国土空间规划研究。",
    "culture": "可用于文旅导览、客流疏导和文化消费类应用开发。",
    "environment": "可用于环境质量评价、公众健康出行提示和生态研究。",
    "weather": "可用于出行提醒、农业生产和防灾减灾类应用。",
    "health": "可用于就医指引、公共卫生研究和健康服务类应用开发。",
    "finance": "可用于经济运行分析、普惠金融风控和政策评估。",
    "credit": "可用于信用查询、信用评价和联合奖惩场景。",
    "assistance": "可用于社会救助政策评估和为老助残服务类应用。",
    "commerce": "可用于商业选址、消费分析和商贸流通服务。",
    "industry": "可用于产业分析、农业金融服务和招商引资决策。",
    "education": "可用于择校查询、教育资源配置分析和科技服务。",
}
FORMATS = {
    "xlsx": ("spreadsheet", "xlsx", ["download", "api"], "platform_file"),
    "csv": ("spreadsheet", "csv", ["download", "api"], "platform_file"),
    "json": ("self", "json", ["download", "api"], "platform_api"),
    "geojson": ("self", "geojson", ["download", "api"], "platform_file"),
    "api": ("service", "RESTful API", ["api"], "platform_api"),
    "feed": ("service", "实时数据流（JSON）", ["feed", "api"], "platform_api"),
    "pdf": ("document", "pdf", ["download"], "platform_file"),
    "db": ("database", "数据库表", [], "platform_table"),
}
FREQ_LABEL = {
    "realtime": "实时",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "semiannual": "每半年",
    "annual": "每年",
    "irregular": "不定期",
    "never": "一次性",
}
# Field names that make a field the one graded G3 when a dataset is opened only conditionally.
SENSITIVE_HINTS = (
    "联系电话",
    "地址",
    "住所",
    "金额",
    "价格",
    "经营者",
    "负责人",
    "联系人",
    "法定代表人",
    "数量",
    "人数",
    "坐落",
)
DEFAULT_CONDITION = (
    "申请人须为依法登记的企业、科研机构或社会组织，通过开放平台提交数据使用申请，说明使用场景和安全保障措施，"
    "签署《咸宁市公共数据开放利用协议》，经数据提供部门审核同意后获取；数据仅限用于约定用途，不得转授第三方。"
)
RETURN_REASONS = [
    "信息项“数据长度”填写不完整，请补充后重新提交。",
    "摘要未说明数据时间范围和统计口径，请完善。",
    "开放条件表述不清，请明确申请主体范围和使用限制。",
    "部分信息项涉及个人信息，请确认分级并做脱敏处理。",
    "更新周期与实际数据更新频率不一致，请核实。",
]
WITHDRAW_REASONS = [
    "数据口径调整，原数据集停止更新，将以新版本重新发布。",
    "经核查与其他部门数据重复，按一数一源原则由权威部门发布。",
    "数据源系统升级改造，暂停开放，待数据质量核验后重新发布。",
]


@dataclass
class Plan:
    department: Department
    title: str
    topic: tuple[Any, ...]
    year: int | None
    region_code: str
    essential: bool
    fate: str = "published"
    dataset: Dataset | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def openness(self) -> str:
        return self.options.get("open", self.topic[4])

    @property
    def d_item(self) -> str:
        return self.options.get("d", "")


def _say(stdout: Any, msg: str) -> None:
    if stdout is not None:
        stdout.write(msg + "\n")


def accounts() -> list[tuple[str, str, str]]:
    return [(u, PASSWORD, desc) for u, _kind, _name, _org, desc in PERSONAS]


def build_demo(*, stdout: Any = None, scale: float = 1.0) -> dict[str, Any]:
    """Build the demo city once. Returns the persona accounts and what was created."""
    if Region.objects.filter(code=CITY_CODE).exists():
        _say(stdout, "演示数据已存在，跳过。")
        return {
            "accounts": accounts(),
            "datasets": Dataset.objects.filter(is_sample=True).count(),
            "created": False,
        }
    scale = max(0.01, min(float(scale), 1.0))
    with transaction.atomic():
        result = _Builder(stdout=stdout, scale=scale).run()
    from kaifang.tabular.bootstrap import ingest_demo_files

    result["tables"] = ingest_demo_files(stdout=stdout, sources=DEMO_SOURCES)["tables"]  # published tables
    from kaifang.demo.live import publish_samples

    result["samples"] = publish_samples(stdout=stdout)["samples"]  # conditional entries' public samples
    from kaifang.feeds.simulator import seed_demo_feeds

    result["feeds"] = seed_demo_feeds(stdout=stdout)  # hospital beds, bus arrivals, parking: first snapshots
    from kaifang.demo.live import seed_realtime_feeds

    result["feeds"] += seed_realtime_feeds(stdout=stdout)  # every other real-time item, moved by the rhythm
    from kaifang.scenarios.demo import build_demo_applications

    result["applications"] = build_demo_applications(stdout=stdout)  # SC1-SC16, linked to their datasets
    from kaifang.search.permissions import COMMAND_LINE
    from kaifang.search.services import search_index_rebuild

    search_index_rebuild(actor=COMMAND_LINE)  # the demo city ends with an indexed catalog
    return result


class _Builder:
    def __init__(self, *, stdout: Any, scale: float) -> None:
        self.stdout = stdout
        self.scale = scale
        self.rng = random.Random(SEED)
        self.regions: dict[str, Region] = {}
        self.region_titles: dict[str, str] = {}
        self.city_depts: dict[str, Department] = {}
        self.county_depts: dict[tuple[str, str], Department] = {}
        self.users: dict[str, User] = {}
        self.concepts: dict[tuple[str, str], Concept] = {}
        self.serial = 0

    # --- organisation ---------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        load_vocabularies()  # a flushed test database has lost the migration's rows
        self._regions()
        self._departments()
        self._users()
        plans = self._plans()
        self._assign_fates(plans)
        self._responsibilities(plans)
        self._register_all(plans)
        self._extras(plans)
        self._spread_publish_dates(plans)
        files = self._files(plans)
        from kaifang.demo.history import build_history

        # A year of comments, requests and work orders, through the interaction and operations services.
        history = build_history(users=self.users, scale=self.scale, stdout=self.stdout)
        from kaifang.core.maintenance import refresh_statistics

        refresh_statistics()
        open_count = (
            Dataset.objects.filter(state__in=["published", "revision_in_review"])
            .exclude(open_attribute="closed")
            .count()
        )
        _say(
            self.stdout, f"完成：{len(plans)} 个数据资源计划，{open_count} 个开放数据集，{files} 个数据文件。"
        )
        return {
            "accounts": accounts(),
            "datasets": Dataset.objects.count(),
            "open_datasets": open_count,
            "files": files,
            "departments": Department.objects.count(),
            "history": history,
            "created": True,
        }

    def _regions(self) -> None:
        def make(row: tuple[Any, ...], parent: Region | None, spatial: Region | None = None) -> Region:
            code, name, short, name_en, level, catalog_code, standard, order = row
            region = Region.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                level=level,
                parent=parent,
                spatial_parent=spatial,
                is_standard_code=standard,
                catalog_code=catalog_code,
                order=order,
            )
            self.regions[code] = region
            self.region_titles[code] = short
            return region

        city = make(region_data.CITY, None)
        for row in region_data.COUNTIES:
            make(row, city)
        make(region_data.ZONE, city, self.regions[region_data.ZONE_SPATIAL_PARENT])
        _say(self.stdout, f"行政区划：{len(self.regions)} 个")

    def _next_uscc(self, kind: str, region: Region) -> str:
        self.serial += 1
        body = 31_000_000 + self.serial * 7_919 + self.rng.randint(0, 999)
        region6 = (
            region.code
            if region.is_standard_code
            else (region.spatial_parent.code if region.spatial_parent else CITY_CODE)
        )
        return synthetic.make_uscc(kind, region6, body)

    def _dept(
        self, region: Region, seq: int, name: str, short: str, name_en: str, business: str, kind: str
    ) -> Department:
        return Department.objects.create(
            name=name,
            short_name=short,
            name_en=name_en,
            uscc=self._next_uscc(kind, region),
            region=region,
            seq=f"{seq:03d}",
            business_code=business,
            contact_phone=f"0715-{8_120_000 + self.serial * 37:07d}",
            contact_email=f"data{region.catalog_code}{seq:03d}@demo.kaifang.example",
            is_sample=True,
        )

    def _departments(self) -> None:
        city = self.regions[CITY_CODE]
        for seq, (key, name, short, name_en, business, kind) in enumerate(
            dept_data.CITY_DEPARTMENTS, start=1
        ):
            dept = self._dept(city, seq, name, short, name_en, business, kind)
            cdo = dept_data.CITY_CDO.get(key)
            if cdo:
                who, data, process = cdo
                dept.is_cdo_pilot = True
                dept.cdo_name = who
                dept.cdo_notes = (
                    f"业务数据：{data}。\n业务流程：{process}。\n职责：首席数据官统筹本部门数据资源编目、分级分类、"
                    f"共享开放和数据安全，按季度向市政数局报告责任清单完成情况。"
                )
                dept.save(update_fields=["is_cdo_pilot", "cdo_name", "cdo_notes"])
            self.city_depts[key] = dept
        for code, cname, short, name_en, *_rest in region_data.COUNTIES:
            region = self.regions[code]
            for seq, (tkey, suffix, short_suffix, en_suffix, business) in enumerate(
                dept_data.COUNTY_DEPARTMENT_TYPES, start=1
            ):
                dept = self._dept(
                    region,
                    seq,
                    f"{cname}{suffix}",
                    f"{short[:-1] if len(short) > 2 else short}{short_suffix}",
                    f"{name_en} {en_suffix}",
                    business,
                    "11",
                )
                self.county_depts[(code, tkey)] = dept
        zone = self.regions[region_data.ZONE[0]]
        for seq, (tkey, name, short, name_en, business, _topic) in enumerate(
            dept_data.ZONE_DEPARTMENTS, start=1
        ):
            self.county_depts[(zone.code, tkey)] = self._dept(zone, seq, name, short, name_en, business, "11")
        for code, tkey in dept_data.COUNTY_CDO.items():
            dept = self.county_depts[(code, tkey)]
            dept.is_cdo_pilot = True
            dept.cdo_name = f"{synthetic.SURNAMES[len(code) + int(code[-2:] if code[-2:].isdigit() else 7) % 40]}某某（分管副局长）"
            dept.cdo_notes = (
                f"业务数据：{dept.short_name}职责范围内的行政许可、监管执法、公共服务和统计数据。\n"
                "业务流程：按责任清单梳理数据资源—编目—提交市政数局审核—发布开放，每月更新。\n"
                "职责：首席数据官负责本单位数据资源目录和开放质量，承担县级试点经验总结。"
            )
            dept.save(update_fields=["is_cdo_pilot", "cdo_name", "cdo_notes"])
        _say(self.stdout, f"部门：{Department.objects.count()} 个")

    def _users(self) -> None:
        hashed = make_password(PASSWORD)
        city = self.regions[CITY_CODE]
        xianan = self.regions["421202"]
        for username, kind, name, org, _desc in PERSONAS:
            self.users[username] = User.objects.create(
                username=username,
                password=hashed,
                kind=kind,
                display_name=name,
                organization_name=org,
                real_name_level=2 if kind != User.Kind.STAFF else 3,
            )
        roles = [
            ("officer", RoleAssignment.Role.OFFICER, self.city_depts["jtj"], None),
            ("county_officer", RoleAssignment.Role.OFFICER, self.county_depts[("421202", "jyj")], None),
            ("reviewer", RoleAssignment.Role.REVIEWER, None, city),
            ("county_admin", RoleAssignment.Role.COUNTY_ADMIN, None, xianan),
            ("operator", RoleAssignment.Role.OPERATOR, None, None),
            ("auditor", RoleAssignment.Role.AUDITOR, None, None),
            ("evaluator", RoleAssignment.Role.EVALUATOR, None, None),
        ]
        for username, role, dept, region in roles:
            RoleAssignment.objects.create(
                user=self.users[username], role=role, department=dept, region=region
            )
        grant_admin_access(self.users["operator"])
        loader = User.objects.create(
            username=LOADER, kind=User.Kind.STAFF, display_name="演示数据装载", is_active=False
        )
        loader.set_unusable_password()
        loader.save(update_fields=["password"])
        reviewer2 = User.objects.create(
            username=REVIEWER2, kind=User.Kind.STAFF, display_name="演示数据审核", is_active=False
        )
        reviewer2.set_unusable_password()
        reviewer2.save(update_fields=["password"])
        RoleAssignment.objects.bulk_create(
            [
                RoleAssignment(user=loader, role=RoleAssignment.Role.OFFICER, department=d)
                for d in Department.objects.all()
            ]
        )
        RoleAssignment.objects.create(user=reviewer2, role=RoleAssignment.Role.REVIEWER, region=city)
        self.users[LOADER] = loader
        self.users[REVIEWER2] = reviewer2
        for user in self.users.values():
            if hasattr(user, "_kaifang_roles"):
                del user._kaifang_roles
        _say(self.stdout, f"账号：{len(PERSONAS)} 个演示角色")

    # --- the catalog plan -----------------------------------------------------------------------------------

    def _editions(self, topic: tuple[Any, ...], county: bool) -> list[int | None]:
        opts = topic[7] if len(topic) > 7 else {}
        years = opts.get("y", 1)
        if topic[2] == "stats":
            years = max(years, 5 if county else 3)
        if years <= 1:
            return [None]
        if self.scale < 1.0:
            return [NEWEST_YEAR]
        return [NEWEST_YEAR - i for i in range(years)]

    def _plans(self) -> list[Plan]:
        plans: list[Plan] = []
        seen: set[tuple[str, str]] = set()
        rng = random.Random(SEED + 1)

        def add(
            dept: Department, topic: tuple[Any, ...], title: str, year: int | None, essential: bool
        ) -> None:
            key = (dept.region.code, normalize_item_key(title))
            if key in seen:
                return
            seen.add(key)
            opts = topic[7] if len(topic) > 7 else {}
            plans.append(Plan(dept, title, topic, year, dept.region.code, essential, options=dict(opts)))

        for key, topics in topic_data.CITY_TOPICS.items():
            dept = self.city_depts[key]
            for i, topic in enumerate(topics):
                opts = topic[7] if len(topic) > 7 else {}
                essential = i == 0 or bool(opts.get("d"))
                # The officer persona's department is always complete, so its pages have content.
                if not essential and key != "jtj" and rng.random() >= self.scale:
                    continue
                for year in self._editions(topic, county=False):
                    title = f"{year}年{topic[0]}" if year else topic[0]
                    add(dept, topic, title, year, essential and year in (None, NEWEST_YEAR))
        units = [
            (c[0], c[2], [t[0] for t in dept_data.COUNTY_DEPARTMENT_TYPES]) for c in region_data.COUNTIES
        ]
        zone_types = {t[0]: t[5] for t in dept_data.ZONE_DEPARTMENTS}
        units.append((region_data.ZONE[0], region_data.ZONE[2], list(zone_types)))
        for code, rname, dept_keys in units:
            for n, dkey in enumerate(dept_keys):
                dept = self.county_depts[(code, dkey)]
                topic_key = zone_types.get(dkey, dkey) if code == region_data.ZONE[0] else dkey
                for i, topic in enumerate(topic_data.COUNTY_TOPICS[topic_key]):
                    # At reduced scale every county keeps a few departments' first topics.
                    essential = i == 0 and (self.scale >= 1.0 or n < 4)
                    persona_dept = (code, dkey) == ("421202", "jyj")
                    if not essential and not persona_dept and rng.random() >= self.scale:
                        continue
                    for year in self._editions(topic, county=True):
                        title = topic[0].format(r=f"{rname}{year}年" if year else rname)
                        add(dept, topic, title, year, essential and year in (None, NEWEST_YEAR))
        _say(self.stdout, f"编目计划：{len(plans)} 条")
        return plans

    def _assign_fates(self, plans: list[Plan]) -> None:
        """Most entries are published; a few dozen stay in the workflow, some are listed but not cataloged."""
        rng = random.Random(SEED + 2)
        candidates = [
            p
            for p in plans
            if not p.essential and not p.d_item and p.openness != "x" and p.year in (None, NEWEST_YEAR)
        ]
        rng.shuffle(candidates)
        k = max(self.scale, 0.3)
        wanted = [
            ("unlisted", int(48 * k)),
            ("draft", int(12 * k)),
            ("submitted", int(8 * k)),
            ("in_review", int(6 * k)),
            ("returned", int(8 * k)),
            ("withdrawn", int(6 * k)),
            ("revision", int(3 * k)),
        ]
        # The officer personas' departments always show a draft, a returned and a published entry.
        officer_dept = self.city_depts["jtj"]
        county_dept = self.county_depts[("421202", "jyj")]
        forced: list[tuple[Department, str]] = [
            (officer_dept, "draft"),
            (officer_dept, "returned"),
            (officer_dept, "submitted"),
            (county_dept, "draft"),
            (county_dept, "submitted"),
        ]
        for dept, fate in forced:
            for p in plans:
                if (
                    p.department == dept
                    and p.fate == "published"
                    and not p.d_item
                    and p.openness != "x"
                    and p.year is None
                    and _not_first(p, plans)
                ):
                    p.fate = fate
                    break
        # About a fifth of the open catalog is opened only conditionally (detail records with sensitive items).
        # Decided per topic and department, so all yearly editions of one topic share their openness.
        share = {"records": 0.5, "registry": 0.5, "spatial": 0.4, "service": 0.4, "stats": 0.12}
        for p in plans:
            draw = random.Random(f"{SEED}:{p.department.pk}:{p.topic[0]}").random()
            if p.openness == "u" and not p.d_item and draw < share.get(p.topic[2], 0.0):
                p.options["open"] = "c"
        pool = iter(p for p in candidates if p.fate == "published")
        for fate, count in wanted:
            for _ in range(count):
                p = next(pool, None)
                if p is None:
                    break
                p.fate = fate

    def _responsibilities(self, plans: list[Plan]) -> None:
        rng = random.Random(SEED + 3)
        loader = self.users[LOADER]
        items = []
        for p in plans:
            if p.fate == "published" or p.fate == "revision":
                due = ANCHOR - datetime.timedelta(days=rng.randint(30, 700))
            elif p.fate == "unlisted":
                due = (
                    ANCHOR - datetime.timedelta(days=rng.randint(15, 240))
                    if rng.random() < 0.6
                    else ANCHOR + datetime.timedelta(days=rng.randint(30, 240))
                )
            else:
                due = ANCHOR + datetime.timedelta(days=rng.randint(-60, 180))
            items.append(
                ResponsibilityItem(
                    department=p.department,
                    title=p.title,
                    domain=self._concept("domain", p.topic[1]),
                    due_date=due,
                    notes="尚未完成编目，请抓紧梳理。" if p.fate == "unlisted" else "",
                    created_by=loader,
                )
            )
        ResponsibilityItem.objects.bulk_create(items)
        _say(self.stdout, f"责任清单条目：{len(items)} 条")

    def _concept(self, scheme: str, code: str) -> Concept:
        key = (scheme, code)
        if key not in self.concepts:
            self.concepts[key] = Concept.objects.get(scheme=scheme, code=code)
        return self.concepts[key]

    # --- datasets -------------------------------------------------------------------------------------------

    def dataset_data(self, p: Plan, rng: random.Random) -> dict[str, Any]:
        title, domain, genre, freq, _openness, fmt, field_spec = p.topic[:7]
        openness = p.openness
        opts = p.options
        fields = [synthetic.parse_field(tok, i) for i, tok in enumerate(field_spec.split(), start=1)]
        fields[0]["is_primary_key"] = True
        # Grouped statistics repeat the period for every group: the key is (period, group).
        names = [f["name"] for f in fields]
        _n, group, _size = synthetic.plan_rows(names, genre, 100, p.region_code != CITY_CODE)
        if group in names[1:]:
            fields[names.index(group)]["is_primary_key"] = True
        if opts.get("pk"):  # a composite key named by the topic (a feed's row per hospital and ward)
            for f in fields:
                f["is_primary_key"] = f["name"] in opts["pk"].split()
        for f in fields:
            if openness == "u" and f["sensitivity_grade"] == "G3":
                f["sensitivity_grade"] = "G2"
                f["share_type"] = "unconditional"
        if openness == "c" and not any(f["sensitivity_grade"] == "G3" for f in fields):
            candidates = [f for f in fields[1:] if f.get("open_attribute") != "closed"] or fields
            sensitive = [f for f in candidates if any(k in f["name"] for k in SENSITIVE_HINTS)]
            chosen = (sensitive or candidates)[-1]
            chosen["sensitivity_grade"] = "G3"
            chosen["share_type"] = "conditional"
            chosen.pop("open_attribute", None)
        category, fmt_type, forms, share_mode = FORMATS[fmt]
        if opts.get("fmt_forms"):
            forms = opts["fmt_forms"].split()
        if p.year and p.year < NEWEST_YEAR:
            freq = "never"
        dept = p.department
        names = "、".join(f["name"] for f in fields[:6])
        freq_text = (
            f"按{FREQ_LABEL[freq]}更新"
            if freq not in ("irregular", "never")
            else ("不定期更新" if freq == "irregular" else "为历史年度数据，不再更新")
        )
        region_name = p.department.region.name
        parts = [
            f"{dept.name}{'' if region_name in dept.name else f'（{region_name}）'}提供的{p.title}，{freq_text}，"
            f"包括{names}等{len(fields)}个信息项。"
        ]
        if p.year:
            parts.append(f"数据时间范围为{p.year}年1月1日至{p.year}年12月31日。")
        parts.append(USES.get(domain, "可用于政务服务优化、社会治理和公众查询。"))
        if openness == "u":
            parts.append("本数据无条件开放，可免费下载或通过接口调用，使用时请注明数据来源。")
        elif openness == "c":
            parts.append("本数据有条件开放，申请并获批准后方可使用。")
        else:
            parts.append("本数据涉及个人信息或重要数据，仅在政务资源目录中编目，不向社会开放。")
        tags = [t for t in opts.get("tags", "").split(",") if t]
        tags += [self._concept("domain", domain).label, region_name]
        if p.year:
            tags.append(f"{p.year}年")
        if p.d_item:
            tags.append("重点领域")
        if freq == "realtime":
            tags.append("实时数据")
        service_objects = {
            "registry": ["person", "enterprise"],
            "records": ["enterprise", "social_org"],
            "stats": ["government", "research", "person"],
            "spatial": ["person", "enterprise", "research"],
            "monitoring": ["person", "enterprise"],
            "document": ["person", "government"],
            "service": ["person", "enterprise"],
            "media": ["person"],
        }[genre]
        data: dict[str, Any] = {
            "title": p.title,
            "abstract": "".join(parts),
            "resource_category": opts.get("cat", "3"),
            "domain": domain,
            "theme": opts.get("theme", THEMES.get(domain, "01")),
            "genre": genre,
            "service_objects": service_objects,
            "tags": list(dict.fromkeys(tags))[:20],
            "format_category": category,
            "format_type": fmt_type,
            "share_mode": share_mode,
            "update_frequency": freq,
            "open_forms": forms,
            "contact_name": f"{dept.short_name}数据管理员",
            "contact_phone": dept.contact_phone,
            "contact_email": dept.contact_email,
            "fields": fields,
        }
        if {"经度", "纬度"} <= {f.get("name") for f in fields}:
            # The synthetic coordinates are plain longitude and latitude, drawn on the map as they are.
            data["coordinate_system"] = "wgs84"
        if openness == "u":
            data.update(open_attribute="unconditional", share_type="unconditional")
            if rng.random() < 0.15:
                data.update(
                    share_type="conditional", share_condition="向履行相关职责的政务部门共享，需说明使用事项。"
                )
        elif openness == "c":
            data.update(
                open_attribute="conditional",
                open_condition=opts.get("cond", DEFAULT_CONDITION),
                share_type="conditional",
                share_condition="向履行相关职责的政务部门共享，经提供部门审核同意。",
            )
        else:
            data.update(open_attribute="closed", legal_basis=opts["legal"], open_forms=[])
            if rng.random() < 0.35:
                data.update(share_type="none", share_condition=f"不予共享依据：{opts['legal']}")
            else:
                data.update(
                    share_type="conditional",
                    share_condition="仅向依法履职需要的政务部门按需共享，须经审批并留痕。",
                )
        return data

    def _register_all(self, plans: list[Plan]) -> None:
        rng = random.Random(SEED + 4)
        loader, reviewer2 = self.users[LOADER], self.users[REVIEWER2]
        officer, county_officer = self.users["officer"], self.users["county_officer"]
        officer_dept, county_dept = self.city_depts["jtj"].pk, self.county_depts[("421202", "jyj")].pk
        for i, p in enumerate(plans):
            if p.fate == "unlisted":
                continue
            actor = loader
            if p.fate != "published" and p.department.pk == officer_dept:
                actor = officer
            elif p.fate != "published" and p.department.pk == county_dept:
                actor = county_officer
            data = self.dataset_data(p, rng)
            ds = services.dataset_register(actor=actor, department=p.department, data=data, is_sample=True)
            p.dataset = ds
            if p.fate == "draft":
                continue
            ds = services.dataset_submit(actor=actor, dataset=ds)
            if p.fate == "submitted":
                continue
            if p.fate in ("in_review", "returned"):
                ds = services.dataset_review_start(actor=reviewer2, dataset=ds)
                if p.fate == "returned":
                    ds = services.dataset_return(
                        actor=reviewer2, dataset=ds, reason=RETURN_REASONS[i % len(RETURN_REASONS)]
                    )
                continue
            ds = services.dataset_publish(actor=reviewer2, dataset=ds)
            if p.fate == "withdrawn":
                ds = services.dataset_withdraw(
                    actor=reviewer2, dataset=ds, reason=WITHDRAW_REASONS[i % len(WITHDRAW_REASONS)]
                )
            elif p.fate == "revision":
                changed = dict(data)
                changed["fields"] = [dict(f) for f in data["fields"]] + [
                    {"name": "数据更新说明", "data_type": "M", "length": 500, "sensitivity_grade": "G1"}
                ]
                ds = services.dataset_update(
                    actor=loader,
                    dataset=ds,
                    data=changed,
                    lock_version=ds.lock_version,
                    reason="新增“数据更新说明”信息项",
                )
            p.dataset = ds
            if (i + 1) % 200 == 0:
                _say(self.stdout, f"  已登记 {i + 1} / {len(plans)}")

    def _extras(self, plans: list[Plan]) -> None:
        """One data, one source: a second department registers a data item the commerce bureau already has."""
        original = next((p for p in plans if p.title == "农贸市场名录" and p.dataset is not None), None)
        if original is None:
            return
        rng = random.Random(SEED + 5)
        dup = Plan(
            self.city_depts["scjg"], "农贸市场名录", original.topic, None, CITY_CODE, False, options={}
        )
        ds = services.dataset_register(
            actor=self.users[LOADER],
            department=dup.department,
            data=self.dataset_data(dup, rng),
            is_sample=True,
        )
        services.dataset_submit(actor=self.users[LOADER], dataset=ds)

    def _spread_publish_dates(self, plans: list[Plan]) -> None:
        rng = random.Random(SEED + 6)
        start = datetime.date(2024, 1, 8)
        span = (ANCHOR - datetime.timedelta(days=2) - start).days
        for p in plans:
            ds = p.dataset
            if ds is None or ds.publish_date is None:
                continue
            if p.year:
                day = datetime.date(p.year + 1, 1, 15) + datetime.timedelta(days=rng.randint(0, 80))
                day = max(day, start + datetime.timedelta(days=rng.randint(0, 60)))
            else:
                day = start + datetime.timedelta(days=rng.randint(0, span))
            day = min(day, ANCHOR - datetime.timedelta(days=1))
            Dataset.objects.filter(pk=ds.pk).update(publish_date=day)

    # --- tabular files --------------------------------------------------------------------------------------

    def _files(self, plans: list[Plan]) -> int:
        rng = random.Random(SEED + 7)
        eligible = [
            p
            for p in plans
            if p.dataset is not None
            and p.fate in ("published", "revision")
            and p.openness in ("u", "c")
            and p.topic[5] in ("csv", "xlsx", "json", "geojson", "api")
        ]
        # Every open entry opened for download or through the API has data (issue 14): the unconditional ones
        # as downloadable files, the conditional ones through their raw zone, open version and public sample.
        eligible.sort(key=lambda p: p.dataset.pk)
        chosen = eligible
        base = Path(settings.KAIFANG_HOME) / "files" / "demo"
        base.mkdir(parents=True, exist_ok=True)
        sources = Path(settings.KAIFANG_HOME) / DEMO_SOURCES
        sources.mkdir(parents=True, exist_ok=True)
        dists = []
        sourced = 0
        for p in chosen:
            ds = p.dataset
            fields = [f for f in ds.fields.all() if f.open_attribute != "closed"]
            genre = p.topic[2]
            low, high = {
                "registry": (80, 600),
                "records": (200, 2000),
                "stats": (50, 240),
                "spatial": (60, 500),
                "monitoring": (200, 1200),
            }.get(genre, (50, 400))
            n = rng.randint(low, high)
            if self.scale < 1.0:
                n = max(50, min(n, int(n * self.scale * 2)))
            names = [f.name for f in fields]
            county_fixed = p.region_code != CITY_CODE
            n, group, size = synthetic.plan_rows(names, genre, n, county_fixed)
            ctx = synthetic.Context(
                random.Random(f"{SEED}:{ds.code}"), ds.title, p.region_code, p.year or ANCHOR.year, ANCHOR
            )
            rows = synthetic.generate_rows(
                [{"name": f.name, "data_type": f.data_type} for f in fields],
                n,
                ctx,
                group=group,
                group_size=size,
            )
            slug = slug_for_code(ds.code)
            if p.openness == "c":
                # A conditional entry's rows are not for everyone: its file is only the ingest's source, kept
                # outside the served files; what anyone sees is its public sample (demo.live.publish_samples).
                synthetic.write_csv_atomic(sources / f"{slug}.csv", [f.name for f in fields], rows)
                sourced += 1
                continue
            size, digest = synthetic.write_csv_atomic(base / f"{slug}.csv", [f.name for f in fields], rows)
            dists.append(
                Distribution(
                    dataset=ds,
                    kind="file",
                    title=f"{ds.title}（CSV）",
                    media_type="text/csv",
                    access_url=f"/files/demo/{slug}.csv",
                    byte_size=size,
                    checksum=f"sha256:{digest}",
                )
            )
        Distribution.objects.bulk_create(dists)
        _say(self.stdout, f"数据文件：{len(dists)} 个开放下载，{sourced} 个有条件开放数据的源文件")
        return len(dists) + sourced


def _not_first(p: Plan, plans: list[Plan]) -> bool:
    """The first topic of a department is kept published (it is what the department is known for)."""
    for q in plans:
        if q.department == p.department:
            return q is not p
    return True
