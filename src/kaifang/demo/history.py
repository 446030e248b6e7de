# ruff: noqa: E501
"""A year of public interaction for the demo city, built through the services (never by inserting rows).

Comments with star ratings (moderated, many answered by the department), follows, error reports, data requests
(fulfilled with the dataset that answers them, refused with a reason, or still open), consultations, suggestions
and complaints; the work orders they open pass through every state (answered, confirmed, closed by the scheduler,
rated, reopened, transferred, withdrawn, overdue and escalated). Every step runs `clock.at(moment)` at its own
moment of the last twelve months, in the order of those moments, and the scheduler's periodic jobs (reminders,
escalation, auto-close) run at 08:00 of every day in between, so the notifications, steps and audit trail are
the ones the platform would have made.

The plan is drawn from a fixed seed. Its dates count back from the day of the build in working days of the
public calendar (`core.workdays`), and every lifecycle is laid out in working days from its order's first day,
so the same orders end in the same states whatever day the demo is built: the newest ones are still open and
not yet due, the overdue ones have missed their deadline and been escalated.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.test.utils import override_settings
from django.utils import timezone

from kaifang.accounts.models import RoleAssignment, User
from kaifang.catalog.choices import CATALOGED_STATES, OpenAttribute
from kaifang.catalog.models import Concept, Dataset
from kaifang.core import clock
from kaifang.core.workdays import is_workday
from kaifang.demo import synthetic
from kaifang.tenancy.models import Department

SEED = 20261113
DAYS = 365

# Departments that get a (sample) data officer of their own, so the orders routed to them reach a person.
# Every other department's orders go to the big data bureau's desk, as the routing rules say.
CITY_OFFICERS = ["scjg", "rsj", "zjj", "wlj", "sthj", "wjw", "jyj", "nync", "qxj", "zrzy", "mzj", "gjjt"]
COUNTY_OFFICERS = [("421202", "wjj"), ("421281", "wlj"), ("421223", "nync")]
# The lead department (牵头部门) of some domains; requests naming only another domain go to the desk.
DOMAIN_LEADS = {
    "transport": "jtj",
    "culture": "wlj",
    "health": "wjw",
    "education": "jyj",
    "housing": "zjj",
    "environment": "sthj",
    "market": "scjg",
    "employment": "rsj",
    "weather": "qxj",
    "industry": "nync",
    "geospatial": "zrzy",
    "assistance": "mzj",
}

GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉玲"

# Data not (yet) open that people ask for, by domain: (title, what they need).
WANTED = {
    "transport": [
        (
            "咸宁市公交线路实时到站数据",
            "希望开放全市公交线路的实时到站数据（车辆位置、预计到站时间），最好提供接口。",
        ),
        ("城区公共停车场泊位实时数据", "需要城区公共停车场的实时空余泊位数，用于停车诱导。"),
        ("出租车和网约车运营统计数据", "希望提供按月、按区县统计的出租车和网约车运营量、里程数据。"),
        ("共享单车电子围栏点位数据", "希望开放共享单车停放电子围栏的位置和容量。"),
        ("高速公路收费站车流量数据", "需要咸宁境内高速公路收费站节假日的小时车流量。"),
    ],
    "culture": [
        ("桂花节旅游客流数据", "希望开放历年咸宁国际温泉文化旅游节、桂花节期间各景区的客流数据。"),
        ("九宫山景区每日游客量", "需要九宫山景区按日统计的入园人数，用于出行预测。"),
        ("温泉度假区接待人次统计", "希望提供各温泉度假区按月的接待人次和过夜游客数量。"),
        ("星级酒店入住率数据", "需要全市星级酒店按月的平均入住率。"),
    ],
    "health": [
        ("二级以上医院门诊排队时长数据", "希望开放各医院门诊挂号到就诊的平均等候时间。"),
        ("医院科室医生排班信息", "需要二级以上医院各科室医生的出诊排班信息。"),
        ("疫苗接种点可预约时段", "希望提供各接种点每日可预约的时段和剩余号源。"),
    ],
    "education": [
        ("义务教育学区划分数据", "希望开放城区小学、初中的学区划分范围（对应小区和门牌）。"),
        ("中小学招生计划及录取结果", "需要各中小学历年招生计划数和实际录取人数。"),
        ("幼儿园收费标准及学位数", "希望提供全市幼儿园的收费标准、班额和空余学位。"),
    ],
    "housing": [
        ("新建商品房网签备案数据", "希望按月开放各楼盘的网签备案套数和均价。"),
        ("老旧小区改造项目清单", "需要近三年老旧小区改造项目的名单、改造内容和进度。"),
        ("公租房房源及申请条件", "希望开放公租房房源分布、户型和申请条件。"),
    ],
    "environment": [
        ("空气质量小时监测数据", "希望提供各国控、省控站点的逐小时空气质量数据（含PM2.5、臭氧）。"),
        ("陆水湖水质监测数据", "需要陆水湖各断面按月的水质监测结果。"),
        ("建筑工地扬尘在线监测数据", "希望开放在建工地扬尘在线监测的实时数据。"),
    ],
    "market": [
        ("个体工商户登记信息", "希望开放个体工商户的名称、经营范围、登记日期（不含个人信息）。"),
        ("食品经营许可证信息", "需要食品经营许可证的发证信息，用于外卖平台商户核验。"),
        ("特种设备检验信息", "希望开放电梯等特种设备的定期检验结果。"),
    ],
    "employment": [
        ("企业招聘岗位信息", "希望汇总开放本地企业在公共就业服务平台发布的招聘岗位。"),
        ("职业技能培训机构名录", "需要经认定的职业技能培训机构名单及培训工种。"),
        ("灵活就业人员参保统计", "希望提供按季度统计的灵活就业人员参保人数。"),
    ],
    "weather": [
        ("逐小时降水量观测数据", "需要各区域自动气象站的逐小时降水量。"),
        ("农业气象灾害预警数据", "希望开放历年的低温冻害、干旱等农业气象灾害预警信息。"),
    ],
    "industry": [
        ("赤壁青砖茶产量及种植面积", "希望提供各乡镇茶叶种植面积和青砖茶年产量。"),
        ("猕猴桃种植基地分布", "需要全市猕猴桃种植基地的位置、面积和品种。"),
        ("规模以上工业企业名录", "希望开放规上工业企业名单及所属行业。"),
    ],
    "finance": [
        ("政府采购项目中标结果", "希望以结构化数据开放政府采购的中标结果（项目、金额、供应商）。"),
        ("普惠小微贷款投放统计", "需要按季度、按区县统计的普惠小微贷款余额和户数。"),
    ],
    "commerce": [
        ("农产品批发市场价格数据", "希望开放主要农产品批发市场的每日价格。"),
        ("成品油零售价格及加油站分布", "需要各加油站位置和成品油零售价格调整记录。"),
    ],
    "living": [
        ("公共充电桩位置及空闲状态", "希望开放公共充电桩的位置、功率和实时空闲状态。"),
        ("菜市场营业时间及摊位信息", "需要城区菜市场的营业时间、摊位数。"),
    ],
    "assistance": [
        ("养老机构床位及收费信息", "希望开放各养老机构的床位数、空余床位和收费标准。"),
        ("社区食堂（老年助餐点）名录", "需要老年助餐点的位置、供餐时间和价格。"),
    ],
    "geospatial": [
        ("城区道路中心线矢量数据", "希望开放城区道路中心线的矢量数据（含道路等级）。"),
        ("标准地名地址库", "需要标准地名地址数据，用于地址匹配。"),
    ],
}
PURPOSES = [
    "开发面向市民的出行服务小程序，免费提供给公众使用。",
    "用于本科毕业论文研究，数据仅用于学术分析。",
    "为企业门店选址做分析，不对外提供原始数据。",
    "用于研究机构的课题研究，成果将公开发表。",
    "接入我们的政务服务App，方便群众查询。",
    "参加咸宁市数据开放创新应用大赛。",
    "用于企业内部风控模型，数据不转授第三方。",
    "为游客提供出行和住宿建议。",
]
REFUSALS = [
    "经核实，该数据包含个人信息，依据《中华人民共和国个人信息保护法》相关规定不予开放。可另行申请经汇总脱敏后的统计数据。",
    "该数据涉及公共安全，依据《咸宁市公共数据开放管理办法》属于不予开放类数据，暂不开放。",
    "该数据涉及第三方企业的商业秘密，经征求相关企业意见，暂不开放。",
    "该数据目前仍在采集治理中，质量尚不满足开放要求，已纳入下一年度开放计划，届时将在本平台发布。",
    "我单位未采集该数据，经了解相关数据由业务主管部门掌握，建议向其提出需求，我们已同步告知。",
]
PARTIAL = [
    "该数据目前以统计汇总形式按季度开放，明细数据涉及个人信息暂不开放；如需明细，可通过有条件开放申请在沙箱内使用。",
    "已将您的需求纳入本年度开放计划第三批，预计下季度发布，发布后将通知您。",
]
CONSULTATIONS = [
    (
        "数据接口每天可以调用多少次？",
        "我注册了开发者账号，想了解API密钥每分钟和每天的调用上限。",
        "您好，每个API密钥默认每分钟60次、每日10000次；如有更高需求，可在“开发者中心”提交配额申请，说明应用场景后审核调整。",
    ),
    (
        "下载的CSV文件用Excel打开是乱码",
        "下载的CSV用Excel打开中文全是乱码，怎么处理？",
        "您好，平台提供的CSV为UTF-8编码。Excel可通过“数据—自文本/CSV”导入并选择UTF-8编码，或直接下载XLSX格式。",
    ),
    (
        "有条件开放数据如何申请？",
        "想申请有条件开放的数据，需要准备哪些材料？",
        "您好，需以企业或机构账号登录，在数据资源页点击“申请使用”，填写使用场景、数据安全措施并上传承诺书，提供部门在10个工作日内审核。",
    ),
    (
        "开放数据可以用于商业用途吗？",
        "我们公司想用平台数据做商业产品，是否允许？需要注明来源吗？",
        "您好，无条件开放数据可免费用于商业和非商业用途，使用时须注明“数据来源：咸宁市公共数据开放平台”，不得歪曲数据原意。",
    ),
    (
        "API密钥丢失怎么办？",
        "之前创建的API密钥没有保存，能找回吗？",
        "您好，密钥仅在创建时显示一次，平台不保存明文。请在“我的密钥”中吊销旧密钥并重新创建。",
    ),
    (
        "数据多久更新一次？",
        "公交线路数据上次更新是两个月前，是否还在维护？",
        "您好，该数据集按月更新，因线路调整数据正在核对，本月内将发布新版本，您可关注该数据集以获得更新提醒。",
    ),
    (
        "企业账号认证需要多久？",
        "提交了企业实名认证，多长时间可以审核完？",
        "您好，企业认证通常在3个工作日内完成，审核结果会通过站内消息通知。",
    ),
    (
        "能否提供历史版本数据？",
        "需要某数据集去年的历史版本，平台上还能下载吗？",
        "您好，已发布数据的历史版本可在数据资源页“版本历史”中查看和下载。",
    ),
    (
        "坐标系是哪一种？",
        "数据中的经纬度是WGS84还是GCJ-02坐标？",
        "您好，平台开放数据的坐标均注明坐标系，目前统一为WGS 84，可在数据资源页“坐标系”一项查看。",
    ),
]
SUGGESTIONS = [
    (
        "建议增加按区县批量下载",
        "希望能一次下载某个区县的全部开放数据。",
        "感谢建议。我们正在建设按区县、按领域打包下载功能，预计下季度上线。",
    ),
    (
        "建议开放更多实时数据",
        "实时数据太少，希望增加公交、停车、空气质量等实时数据接口。",
        "感谢建议，已转相关部门研究，实时数据将逐步接入平台。",
    ),
    (
        "建议数据预览支持地图展示",
        "含经纬度的数据如果能在预览时直接显示在地图上就好了。",
        "感谢建议，含坐标的数据集已支持地图预览，我们将继续完善。",
    ),
    (
        "建议提供英文字段说明",
        "外籍研究人员使用时看不懂字段名，建议提供英文说明。",
        "感谢建议，信息项已逐步补充英文名称，可在字段说明中查看。",
    ),
    (
        "建议增加数据更新提醒",
        "希望关注的数据更新时能收到短信或邮件。",
        "感谢建议。平台已支持关注数据集并通过站内消息和邮件提醒，可在个人中心设置。",
    ),
    (
        "建议公开数据需求的办理进度",
        "希望能看到其他人提出的数据需求及办理结果。",
        "感谢建议，数据需求及答复已在“交流互动”栏目公开，提出人可选择匿名。",
    ),
]
COMPLAINTS = [
    (
        "数据申请超过两周未答复",
        "我提交的有条件开放申请已经超过两周，一直显示审核中。",
        "非常抱歉给您带来不便。经督办，提供部门已于今日完成审核，请在“我的申请”中查看结果。",
    ),
    (
        "数据下载链接失效",
        "数据资源页的下载链接点击后提示文件不存在。",
        "经核实，因文件迁移导致链接失效，现已修复，请重新下载。感谢反馈。",
    ),
    (
        "数据集长期未更新",
        "标注“每月更新”的数据集已经半年没有更新了。",
        "经核实情况属实，已督促数据提供部门补充更新，并将其纳入月度考核通报。",
    ),
    (
        "接口频繁超时",
        "最近一周调用数据接口经常超时。",
        "经排查，系统升级期间接口响应变慢，现已恢复，给您带来的不便深表歉意。",
    ),
]
ERRORS = [
    (
        "该字段部分记录为空，与数据说明不符。",
        "经核实，部分记录因源系统字段缺失未能同步，已补全并发布新版本。",
    ),
    ("该行数值明显异常，疑似录入错误（多了一位数）。", "经核实确为录入错误，已更正。感谢您的反馈！"),
    ("名称中有错别字。", "已更正，感谢指正。"),
    ("该记录已停业（现场已关闭），名录中仍显示在营。", "经核实，该主体已办理注销，已在最新版本中更新状态。"),
    ("存在重复记录，两行内容完全相同。", "已删除重复记录并优化数据汇聚去重规则。"),
    ("日期格式不统一，有的是2025/3/1，有的是2025-03-01。", "已统一为YYYY-MM-DD格式，新版本已发布。"),
    ("经纬度落在长江中，坐标疑似错误。", "经核实坐标有误，已按地址重新定位并更正。"),
]
ERROR_DOUBT = (
    "经核实，该数据与源系统记录一致，并无错误；该行反映的是统计口径调整后的数值，已在数据说明中补充口径解释。"
)
COMMENTS = {
    5: [
        "数据很实用，已经用在我们的小程序里了，感谢开放！",
        "字段说明很清楚，下载也很方便，点赞。",
        "更新很及时，做研究帮了大忙。",
        "接口稳定，文档清楚，希望多开放这样的数据。",
    ],
    4: [
        "数据质量不错，希望能提高更新频率。",
        "很有用，如果能提供历史年份的数据就更好了。",
        "整体不错，部分字段缺少单位说明。",
        "希望增加按区县的汇总统计。",
    ],
    3: [
        "数据有一定参考价值，但有些记录不完整。",
        "更新有点慢，上个月的数据还没出来。",
        "希望提供接口方式，现在只能下载文件。",
    ],
    2: ["部分数据和实际情况不符，希望核实。", "字段太少，很多需要的信息没有。"],
    1: ["数据半年没更新了，基本没法用。"],
}
SPAM = [
    ("专业办理各类资质证书，价格优惠，详询VX：kf8888。", "含广告信息，不予公开。"),
    ("出售企业联系人名单，量大从优。", "涉嫌违法信息，不予公开。"),
    ("顶顶顶！！！", "与数据资源无关，不予公开。"),
    ("这个网站做得什么玩意儿，垃圾。", "含不文明用语，请文明留言。"),
]
REPLIES = {
    "good": [
        "感谢您的肯定和使用，我们会持续做好数据更新维护。",
        "感谢支持！欢迎将应用成果在平台“场景应用”中分享。",
    ],
    "ask": [
        "感谢建议，我们已将更新频率调整为每月，并将补充历史年份数据。",
        "感谢反馈，字段单位已在信息项说明中补充。",
        "感谢建议，按区县汇总的统计表将在下一版本中提供。",
        "感谢建议，接口方式已在开发中，上线后将通知关注本数据的用户。",
    ],
    "bad": [
        "感谢反馈，我们已安排专人核实，将在下次更新时修正。",
        "非常抱歉，因源系统改造更新中断，现已恢复更新。",
    ],
}
REOPEN_REASONS = [
    "答复没有说明数据的更新频率，请补充。",
    "答复中提到的下载地址无法打开，请核实。",
    "希望能提供接口方式，而不仅是文件下载，请再研究。",
    "答复与我提出的问题不一致，请重新办理。",
]
SECOND_ANSWERS = [
    "补充答复：该数据按月更新，每月10日前发布上月数据；接口方式已同步开通，可在数据资源页查看调用说明。",
    "补充答复：下载地址已修复，请重新访问。给您带来不便深表歉意。",
    "补充答复：经进一步核实，已按您的意见处理，详见数据资源页最新版本。",
]
RATINGS = {
    5: ["答复及时，问题已解决，谢谢！", "办理很快，很满意。", ""],
    4: ["答复清楚，希望数据能再及时一些。", ""],
    3: ["基本解决，但等待时间较长。", ""],
    2: ["答复与问题关系不大。"],
    1: ["问题没有解决。"],
}
WITHDRAWALS = ["已在其他渠道找到所需数据。", "提交重复，撤回此条。", "需求已变更，撤回。"]
TRANSFER_REASONS = [
    "该数据由%(d)s负责采集和维护，转其办理。",
    "经研判，该诉求属于%(d)s职责范围，转其办理。",
    "诉求涉及的业务系统由%(d)s管理，转其答复。",
]

# How an order's life goes, laid out in working days from the day it was opened ("d" is its term in working
# days, 5 or 10): the share of orders of each story, and whether it must lie among the newest days.
STORIES = [
    ("rated", 30),  # answered in time, confirmed, rated
    ("confirmed", 9),  # answered, confirmed, not rated
    ("auto_closed", 9),  # answered, never confirmed: the scheduler closes it
    ("answered", 8),  # answered lately, waiting for the requester
    ("reopened", 6),  # answered, reopened, answered again, confirmed, rated
    ("reopened_open", 3),  # answered, reopened lately: open again
    ("transferred", 8),  # transferred to the department it belongs to, answered, rated
    ("transferred_open", 3),  # transferred lately, open
    ("late", 6),  # missed its deadline, escalated, answered late, rated
    ("overdue", 8),  # missed its deadline, escalated, still open
    ("open", 6),  # opened in the last days, not yet due
    ("withdrawn", 4),
]


@dataclass(order=True)
class _Event:
    moment: datetime.datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


@dataclass
class _Order:
    kind: str
    requester: User
    story: str
    start: int  # index of its first day among the working days
    make: Callable[[], Any]  # opens it, returns the PublicRequest or ErrorReport
    obj: Any = None
    outcome: str = ""
    answer: str = ""
    answer_dataset: Dataset | None = None
    dataset: Dataset | None = None  # the dataset an error report is about
    transfer_to: Department | None = None


class History:
    def __init__(self, *, users: dict[str, User], scale: float, stdout: Any = None) -> None:
        self.users = users
        self.stdout = stdout
        self.k = max(float(scale), 0.2)
        self.rng = random.Random(SEED)
        self.now = clock.now()
        self.tz = timezone.get_current_timezone()
        today = timezone.localdate(self.now)
        first = today - datetime.timedelta(days=DAYS)
        self.days = [first + datetime.timedelta(days=i) for i in range(DAYS)]  # up to yesterday
        self.workdays = [d for d in self.days if is_workday(d)]
        self.events: list[_Event] = []
        self.officers: dict[int, list[User]] = {}
        self.citizens: list[User] = []

    # --- people ---------------------------------------------------------------------------------------------

    def people(self) -> None:
        """Sample officers for some departments, the domains' lead departments, and sample citizens."""
        from kaifang.operations.models import DomainLead

        by_key = _department_keys()
        hashed = make_password(None)  # they exist to act in the history; nobody logs in as them
        wanted = [(by_key.get(("421200", k)), k) for k in CITY_OFFICERS]
        wanted += [(by_key.get(c), f"{c[0]}_{c[1]}") for c in COUNTY_OFFICERS]
        for dept, key in wanted:
            if dept is None:
                continue
            user, created = User.objects.get_or_create(
                username=f"demo_officer_{key}",
                defaults={
                    "password": hashed,
                    "kind": User.Kind.STAFF,
                    "display_name": f"{dept.short_name}数据管理员（示例）",
                    "real_name_level": 3,
                },
            )
            if created:
                RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.OFFICER, department=dept)
        for code, key in DOMAIN_LEADS.items():
            dept = by_key.get(("421200", key))
            domain = Concept.objects.filter(scheme="domain", code=code).first()
            if dept is not None and domain is not None:
                DomainLead.objects.get_or_create(domain=domain, defaults={"department": dept})
        rows = RoleAssignment.objects.filter(role="officer", user__is_active=True, department__isnull=False)
        for ra in rows.select_related("user").order_by("user__username"):
            self.officers.setdefault(ra.department_id, []).append(ra.user)
        n = max(12, round(40 * self.k))
        rng = random.Random(SEED + 1)
        for i in range(1, n + 1):
            surname = synthetic.SURNAMES[rng.randrange(60)]
            given = "".join(rng.sample(GIVEN, rng.choice((1, 2))))
            user, _created = User.objects.get_or_create(
                username=f"demo_citizen_{i:02d}",
                defaults={
                    "password": hashed,
                    "kind": User.Kind.CITIZEN,
                    "display_name": f"{surname}{given}（示例）",
                    "real_name_level": 2,
                },
            )
            self.citizens.append(user)

    # --- scheduling -----------------------------------------------------------------------------------------

    def at(self, day: datetime.date, start: float = 9.0, end: float = 17.5) -> datetime.datetime:
        minutes = self.rng.randrange(int(start * 60), int(end * 60))
        moment = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60), tzinfo=self.tz)
        return min(moment, self.now - datetime.timedelta(minutes=1))

    def schedule(self, moment: datetime.datetime, run: Callable[[], None]) -> datetime.datetime:
        self.events.append(_Event(moment, len(self.events), run))
        return moment

    def then(
        self, after: datetime.datetime, day: datetime.date, run: Callable[[], None], **hours: float
    ) -> datetime.datetime:
        """Schedule `run` on `day`, strictly after `after` (a step of the same order)."""
        moment = self.at(day, **hours)
        if moment <= after:
            moment = after + datetime.timedelta(minutes=self.rng.randint(5, 90))
        return self.schedule(moment, run)

    def run_events(self) -> None:
        from kaifang.operations.tasks import close_unconfirmed, escalate_overdue, send_reminders

        def tick() -> None:
            send_reminders()
            escalate_overdue()
            close_unconfirmed()

        for day in [*self.days, None]:
            moment = datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=self.tz) if day else self.now
            self.schedule(moment, tick)
        for event in sorted(self.events):
            with clock.at(event.moment):
                event.run()

    # --- the plan -------------------------------------------------------------------------------------------

    def build(self) -> dict[str, int]:
        with override_settings(KAIFANG_RATELIMIT_ENABLED=False):  # a year of submissions in one run
            self.people()
            self.plan()
            self.run_events()
        return self.counts()

    def plan(self) -> None:
        from kaifang.catalog.permissions import datasets_visible_to

        # What the public sees of the catalog (closed entries are listed for staff only).
        cataloged = list(
            datasets_visible_to(self.users["citizen"])
            .filter(state__in=CATALOGED_STATES)
            .exclude(open_attribute=OpenAttribute.CLOSED)
            .select_related("department", "domain")
            .order_by("pk")
        )
        staffed = [d for d in cataloged if d.department_id in self.officers]
        self.open_data = [
            d for d in cataloged if d.open_attribute == OpenAttribute.UNCONDITIONAL and d.publish_date
        ]
        people = [self.users["citizen"], self.users["enterprise"], *self.citizens]
        self.plan_comments(cataloged, staffed, people)
        self.plan_follows(cataloged, people)
        self.plan_orders(cataloged, staffed, people)

    def _pick_dataset(self, cataloged: list[Dataset], staffed: list[Dataset]) -> Dataset:
        return self.rng.choice(staffed if staffed and self.rng.random() < 0.75 else cataloged)

    def _first_day(self, ds: Dataset | None, lo: int = 0) -> int:
        """A day index (into self.days) from `lo`, after the dataset was published."""
        if ds is not None and ds.publish_date is not None:
            lo = max(lo, (ds.publish_date - self.days[0]).days + 1)
        return self.rng.randrange(min(lo, len(self.days) - 2), len(self.days))

    def plan_comments(self, cataloged: list[Dataset], staffed: list[Dataset], people: list[User]) -> None:
        from kaifang.interaction.services import comment_moderate, comment_reply, comment_submit

        reviewer = self.users["reviewer"]
        n = round(320 * self.k)
        for i in range(n):
            ds = self._pick_dataset(cataloged, staffed)
            author = self.rng.choice(people)
            spam = i % 13 == 7
            if spam:
                text, reject_reason = SPAM[i % len(SPAM)]
                stars = None
            else:
                stars = self.rng.choices([5, 4, 3, 2, 1], weights=[40, 32, 15, 8, 5])[0]
                text, reject_reason = self.rng.choice(COMMENTS[stars]), ""
                if self.rng.random() < 0.1:
                    stars = None  # a comment without stars
            day_index = self._first_day(ds)
            day = self.days[day_index]
            holder: dict[str, Any] = {}

            def submit(
                ds: Dataset = ds,
                author: User = author,
                text: str = text,
                stars: int | None = stars,
                h: dict[str, Any] = holder,
            ) -> None:
                h["c"] = comment_submit(actor=author, dataset=ds, text=text, rating=stars)

            posted = self.schedule(self.at(day, 7.5, 23.0), submit)
            # The newest comments wait for moderation.
            if day_index >= len(self.days) - 4 or (self.rng.random() < 0.04 and not spam):
                continue
            moderators = [reviewer, *self.officers.get(ds.department_id, [])]
            moderator = self.rng.choice(moderators)
            mod_day = self._later_workday(day, self.rng.randint(0, 2))
            if mod_day is None:
                continue
            decision = "reject" if spam else "publish"

            def moderate(
                m: User = moderator, d: str = decision, r: str = reject_reason, h: dict[str, Any] = holder
            ) -> None:
                h["c"] = comment_moderate(actor=m, comment=h["c"], decision=d, reason=r)

            moderated = self.then(posted, mod_day, moderate)
            officers = self.officers.get(ds.department_id)
            if spam or not officers or self.rng.random() < 0.35:
                continue
            reply_day = self._later_workday(mod_day, self.rng.randint(0, 4))
            if reply_day is None:
                continue
            mood = "good" if (stars or 4) >= 5 else ("ask" if (stars or 4) >= 3 else "bad")
            reply_text = self.rng.choice(REPLIES[mood])

            def reply(o: User = officers[0], t: str = reply_text, h: dict[str, Any] = holder) -> None:
                h["c"] = comment_reply(actor=o, comment=h["c"], text=t)

            self.then(moderated, reply_day, reply)

    def plan_follows(self, cataloged: list[Dataset], people: list[User]) -> None:
        from kaifang.interaction.services import dataset_follow

        n = round(220 * self.k)
        seen: set[tuple[int, int]] = set()
        for _i in range(n):
            user = self.rng.choice(people)
            ds = self.rng.choice(cataloged)
            if (user.pk, ds.pk) in seen:
                continue
            seen.add((user.pk, ds.pk))
            day = self.days[self._first_day(ds)]

            def follow(u: User = user, d: Dataset = ds) -> None:
                dataset_follow(actor=u, dataset=d)

            self.schedule(self.at(day, 7.0, 23.5), follow)

    def _later_workday(self, day: datetime.date, n: int) -> datetime.date | None:
        """The n-th working day after `day` (the same day when n is 0 and it is a working day), if not today."""
        later = [d for d in self.workdays if d >= day]
        if n == 0 and later and later[0] == day:
            return day
        after = [d for d in later if d > day]
        return after[n - 1] if len(after) >= max(n, 1) else None

    # --- work orders ----------------------------------------------------------------------------------------

    def plan_orders(self, cataloged: list[Dataset], staffed: list[Dataset], people: list[User]) -> None:
        kinds = [
            ("data_request", 64),
            ("consultation", 40),
            ("suggestion", 22),
            ("complaint", 14),
            ("error_report", 40),
        ]
        orders: list[_Order] = []
        stories = [name for name, weight in STORIES for _ in range(weight)]
        domains = {c.code: c for c in Concept.objects.filter(scheme="domain")}
        for kind, base in kinds:
            for _i in range(max(3, round(base * self.k))):
                story = stories[len(orders) * 37 % len(stories)]
                orders.append(self.plan_order(kind, story, cataloged, staffed, people, domains))
        for order in orders:
            self.lay_out(order)

    def plan_order(
        self,
        kind: str,
        story: str,
        cataloged: list[Dataset],
        staffed: list[Dataset],
        people: list[User],
        domains: dict[str, Concept],
    ) -> _Order:
        from kaifang.interaction.services import error_report_submit, public_request_submit

        rng = self.rng
        requester = rng.choice(people)
        order = _Order(kind=kind, requester=requester, story=story, start=0, make=lambda: None)
        if kind == "error_report":
            ds = self._pick_dataset(cataloged, staffed)
            fields = [f.name for f in ds.fields.all() if f.open_attribute != "closed"]
            described, answer = rng.choice(ERRORS)
            doubted = rng.random() < 0.15
            order.answer = ERROR_DOUBT if doubted else answer
            name = rng.choice(fields) if fields and rng.random() < 0.8 else ""
            row = str(rng.randint(2, 400)) if rng.random() < 0.6 else ""
            order.make = lambda: error_report_submit(
                actor=requester, dataset=ds, description=described, field=name, row_reference=row
            )
            order.dataset = ds
            return order
        department: Department | None = None
        domain: Concept | None = None
        purpose = ""
        if kind == "data_request":
            outcome = rng.choices(["fulfilled", "refused", "partial"], weights=[45, 35, 20])[0]
            order.outcome = outcome
            purpose = rng.choice(PURPOSES)
            if outcome == "fulfilled" and self.open_data:
                ds = rng.choice(self.open_data)
                title = rng.choice(["希望开放%s", "申请开放%s", "能否提供%s", "需要%s"]) % ds.title
                body = f"我们需要{ds.title}，希望以CSV或接口方式提供，并保持定期更新。"
                order.answer = f"您好，您需要的数据已以“{ds.title}”开放，可在本平台下载或通过接口调用，欢迎使用并反馈意见。"
                order.answer_dataset = ds
                if ds.department_id in self.officers and rng.random() < 0.6:
                    department = ds.department
                else:
                    domain = ds.domain
            else:
                code = rng.choice(sorted(WANTED))
                title, body = rng.choice(WANTED[code])
                domain = domains.get(code)
                if rng.random() < 0.25:
                    domain = None  # the requester does not know: the desk routes it
                order.answer = rng.choice(REFUSALS if outcome == "refused" else PARTIAL)
        else:
            pool = {"consultation": CONSULTATIONS, "suggestion": SUGGESTIONS, "complaint": COMPLAINTS}[kind]
            title, body, order.answer = rng.choice(pool)
            if kind == "complaint" and rng.random() < 0.5 and staffed:
                department = rng.choice(staffed).department
        show = rng.random() < 0.3
        order.make = lambda: public_request_submit(
            actor=requester,
            kind=kind,
            title=title,
            body=body,
            purpose=purpose,
            department=department,
            domain=domain,
            show_name=show,
        )
        if story.startswith("transferred"):
            candidates = [d for d in self.officers if d != getattr(department, "pk", None)]
            order.transfer_to = (
                Department.objects.get(pk=rng.choice(sorted(candidates))) if candidates else None
            )
        return order

    def lay_out(self, order: _Order) -> None:
        """Choose the order's first day and schedule each of its steps in working days from it."""
        from kaifang.operations.services import DEADLINE_WORKDAYS

        rng = self.rng
        term = DEADLINE_WORKDAYS[order.kind]
        story = order.story
        last = len(self.workdays) - 1
        # The newest stories end on the last working day before the build: their first day counts back from it.
        if story == "open":
            start = last - rng.randint(0, min(2, term - 2))
        elif story == "transferred_open":
            start = last - rng.randint(1, term // 2)
        elif story == "reopened_open":
            start = last - rng.randint(3, term)
        elif story == "answered":
            start = last - rng.randint(term // 2 + 2, term + 4)
        elif story == "overdue":
            start = last - term - rng.choice([2, 3, 5, 8, 12, 20, 40])
        else:
            ds = order.dataset or order.answer_dataset
            low = 0
            if ds is not None and ds.publish_date is not None:
                low = sum(1 for d in self.workdays if d <= ds.publish_date)
            # Busier lately (the platform grows): draw twice, keep the later.
            span = last - 3 * term - 12
            start = max(rng.randint(min(low, span), span), rng.randint(min(low, span), span))
        order.start = max(0, start)
        wd = self.workdays

        def day(offset: int) -> datetime.date:
            return wd[min(order.start + offset, last)]

        def opened() -> None:
            order.obj = order.make()

        t = self.schedule(self.at(day(0), 7.5, 22.5), opened)
        if story == "open" or story == "overdue":
            return
        if story == "withdrawn":
            reason = rng.choice(WITHDRAWALS)
            self.then(t, day(rng.randint(0, 2)), lambda: self._withdraw(order, reason), start=8.0, end=22.0)
            return
        if story.startswith("transferred"):
            t = self.then(t, day(1), lambda: self._transfer(order))
            if story == "transferred_open":
                return
        room = last - order.start  # working days between its first day and the last one before the build
        if story == "late":
            answer_at = term + rng.randint(1, 4)
        elif story == "answered":
            # Within its term, and fewer than AUTO_CLOSE_WORKDAYS ago, so nobody has closed it yet.
            answer_at = max(1, min(term, room - rng.randint(1, 3)))
        elif story == "reopened_open":
            answer_at = rng.randint(1, room - 2)
        else:
            answer_at = rng.randint(1, term)
        t = self.then(t, day(answer_at), lambda: self._answer(order, order.answer, order.answer_dataset))
        if story == "answered":
            return
        if story.startswith("reopened"):
            reason = rng.choice(REOPEN_REASONS)
            back = answer_at + (1 if story == "reopened_open" else rng.randint(1, 3))
            t = self.then(t, day(back), lambda: self._reopen(order, reason), start=8.0, end=22.0)
            if story == "reopened_open":
                return
            second = rng.choice(SECOND_ANSWERS)
            answer_at = answer_at + 3 + rng.randint(1, term)
            t = self.then(t, day(answer_at), lambda: self._answer(order, second, order.answer_dataset))
        if story == "auto_closed":
            return  # the scheduler closes it after AUTO_CLOSE_WORKDAYS
        t = self.then(t, day(answer_at + rng.randint(0, 3)), lambda: self._close(order), start=8.0, end=22.0)
        if story == "confirmed":
            return
        if order.outcome == "refused" or story in ("late", "reopened"):
            stars = rng.choice([1, 2, 3, 3, 4])
        elif order.outcome == "partial":
            stars = rng.choice([3, 4, 4, 5])
        else:
            stars = rng.choice([4, 5, 5, 5])
        remark = rng.choice(RATINGS[stars])
        self.then(
            t,
            day(answer_at + rng.randint(0, 3)),
            lambda: self._rate(order, stars, remark),
            start=8.0,
            end=22.0,
        )

    # --- the steps (each one service call) ------------------------------------------------------------------

    def _work_order(self, order: _Order) -> Any:
        wo = order.obj.work_order
        wo.refresh_from_db()
        return wo

    def _handler(self, order: _Order) -> User:
        wo = self._work_order(order)
        if wo.department_id is None:
            return self.users["reviewer"] if self.rng.random() < 0.7 else self.users["operator"]
        officers = self.officers.get(wo.department_id)
        return officers[0] if officers else self.users["demo_loader"]

    def _answer(self, order: _Order, text: str, dataset: Dataset | None) -> None:
        from kaifang.operations.services import work_order_answer

        work_order_answer(
            actor=self._handler(order), work_order=self._work_order(order), answer=text, dataset=dataset
        )

    def _transfer(self, order: _Order) -> None:
        from kaifang.operations.services import work_order_transfer

        target = order.transfer_to
        wo = self._work_order(order)
        if target is None or target.pk == wo.department_id:
            return
        reason = self.rng.choice(TRANSFER_REASONS) % {"d": target.name}
        work_order_transfer(actor=self._handler(order), work_order=wo, department=target, reason=reason)

    def _requester_call(self, order: _Order, name: str, **kwargs: Any) -> None:
        from kaifang.interaction import services as interaction
        from kaifang.operations import services as operations

        if hasattr(order.obj, "kind"):  # a public request: its own services wrap the work order's
            getattr(interaction, f"public_request_{name}")(actor=order.requester, request=order.obj, **kwargs)
        else:
            getattr(operations, f"work_order_{name}")(
                actor=order.requester, work_order=self._work_order(order), **kwargs
            )

    def _reopen(self, order: _Order, reason: str) -> None:
        self._requester_call(order, "reopen", reason=reason)

    def _close(self, order: _Order) -> None:
        self._requester_call(order, "close")

    def _rate(self, order: _Order, stars: int, remark: str) -> None:
        self._requester_call(order, "rate", rating=stars, comment=remark)

    def _withdraw(self, order: _Order, reason: str) -> None:
        self._requester_call(order, "withdraw", reason=reason)

    # --- result ---------------------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        from kaifang.interaction.models import Comment, ErrorReport, Follow, PublicRequest
        from kaifang.notifications.models import Notification
        from kaifang.operations.models import WorkOrder

        return {
            "comments": Comment.objects.count(),
            "follows": Follow.objects.count(),
            "requests": PublicRequest.objects.count(),
            "error_reports": ErrorReport.objects.count(),
            "work_orders": WorkOrder.objects.count(),
            "notifications": Notification.objects.count(),
        }


def _department_keys() -> dict[tuple[str, str], Department]:
    """The demo's departments by (region code, key of the department data)."""
    from kaifang.demo.data import departments as dept_data
    from kaifang.demo.data import regions as region_data

    names = {name: key for key, name, *_rest in dept_data.CITY_DEPARTMENTS}
    out: dict[tuple[str, str], Department] = {}
    for dept in Department.objects.select_related("region"):
        if dept.region.code == "421200" and dept.name in names:
            out[("421200", names[dept.name])] = dept
    counties = {c[0]: c[1] for c in region_data.COUNTIES}
    for dept in Department.objects.select_related("region"):
        county = counties.get(dept.region.code)
        if county is None:
            continue
        for key, suffix, *_rest in dept_data.COUNTY_DEPARTMENT_TYPES:
            if dept.name == f"{county}{suffix}":
                out[(dept.region.code, key)] = dept
    return out


def build_history(*, users: dict[str, User], scale: float = 1.0, stdout: Any = None) -> dict[str, int]:
    """Build the demo city's year of interaction (see the module's docstring); returns what exists after."""
    result = History(users=users, scale=scale, stdout=stdout).build()
    if stdout is not None:
        stdout.write(
            f"互动与工单：{result['comments']} 条评论，{result['requests']} 条诉求，{result['error_reports']} 条纠错，"
            f"{result['work_orders']} 个工单，{result['notifications']} 条站内消息\n"
        )
    return result
