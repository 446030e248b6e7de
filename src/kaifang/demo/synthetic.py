# ruff: noqa: E501
"""Deterministic synthetic values for the demo city: credit codes, field definitions and table rows.

Everything takes a random.Random so a fixed seed gives the same city every time. No personal data is
generated: names of people are masked (张**), phone numbers of people are masked, ID numbers never appear.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import os
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kaifang.demo.data.regions import CENTRES, COUNTIES, ROADS, TOWNS

# --- Unified social credit codes (GB 32100-2015) and organisation codes (GB 11714-1997) ---------------------

# GB 32100-2015 code set: 31 characters (no I, O, S, V, Z).
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def uscc_check_digit(first17: str) -> str:
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code(body8: str) -> str:
    """An organisation code: eight characters and the GB 11714 check character."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    return body8 + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))


def make_uscc(kind: str, region6: str, serial: int) -> str:
    """kind "11" government body, "12" public institution, "91" enterprise; region6 a GB/T 2260 code."""
    first17 = f"{kind}{region6}{org_code(f'{serial:08d}')}"
    return first17 + uscc_check_digit(first17)


def is_valid_uscc(code: str) -> bool:
    return (
        isinstance(code, str)
        and len(code) == 18
        and all(c in USCC_CHARSET for c in code)
        and uscc_check_digit(code[:17]) == code[17]
    )


# --- Field definitions ---------------------------------------------------------------------------------------

# (keywords, type, length); the first rule whose keyword occurs in the field name wins.
_TYPE_RULES: list[tuple[tuple[str, ...], str, int | None]] = [
    (("等级", "级别"), "C", 16),  # 空气质量等级 is 良, not a number
    (("经度", "纬度"), "B", 12),
    (
        (
            "计量单位",
            "首班时间",
            "末班时间",
            "开放时间",
            "营业时间",
            "办公时间",
            "接种时间",
            "出诊时段",
            "高峰时段",
            "统计时段",
            "电费年月",
        ),
        "C",
        32,
    ),
    (("是否",), "L", 1),
    (("时间", "时刻"), "T", 19),
    (("年份", "年度", "建成年份", "建站日期年"), "I", 4),
    (("月份",), "C", 8),
    (("季度", "学年", "时段", "期限", "有效期起", "有效期止", "采购周期", "所属期", "电费年月"), "C", 32),
    (("日期", "有效期至", "公告日", "入藏"), "D", 10),
    (
        (
            "金额",
            "费用",
            "价格",
            "资本",
            "收入",
            "税额",
            "补贴标准",
            "资金",
            "单价",
            "票价",
            "工资",
            "薪资",
            "租金",
            "投资",
            "损失",
            "挂号费",
            "收费",
            "财产",
            "余额",
            "总额",
            "预算数",
            "执行数",
            "节约",
            "成交价",
            "限额",
            "缴费基数",
        ),
        "Y",
        18,
    ),
    (
        (
            "率",
            "比例",
            "指数",
            "占比",
            "浓度",
            "AQI",
            "车速",
            "速度",
            "气温",
            "温度",
            "降水",
            "湿度",
            "风速",
            "面积",
            "长度",
            "里程",
            "水位",
            "流量",
            "雨量",
            "重量",
            "产量",
            "增长",
            "增速",
            "时长",
            "库容",
            "声级",
            "日照",
            "距平",
            "单产",
            "载重",
            "海拔",
            "桥长",
            "蓄积",
            "水量",
            "用水量",
            "用电量",
            "用气量",
            "供应量",
            "分辨率",
            "云量",
            "系数",
            "数值",
            "比",
            "浊度",
            "余氯",
            "库存量",
            "采集量",
            "血小板量",
            "GDP",
            "生产总值",
            "增加值",
            "零售总额",
        ),
        "N",
        16,
    ),
    (
        (
            "数",
            "量",
            "人次",
            "册次",
            "场次",
            "记分",
            "排名",
            "户数",
            "剂次",
            "套数",
            "件数",
            "宗数",
            "份数",
            "次数",
        ),
        "I",
        10,
    ),
    (
        (
            "说明",
            "描述",
            "简介",
            "内容",
            "范围",
            "备注",
            "事由",
            "理由",
            "依据",
            "情况",
            "指南",
            "违法事实",
            "措施",
            "情形",
            "信用记录",
            "病史",
            "处罚内容",
        ),
        "M",
        1000,
    ),
    (("地址", "坐落", "住所", "地点", "位置", "路线", "场所", "区域"), "C", 200),
    (
        (
            "编号",
            "代码",
            "编码",
            "证号",
            "号码",
            "文号",
            "书号",
            "案号",
            "户号",
            "批号",
            "标识码",
            "注册号",
            "流水号",
            "识别号",
            "单元号",
            "档案号",
            "学籍号",
            "献血码",
            "救助证号",
        ),
        "C",
        32,
    ),
    (("名称", "名", "单位", "企业", "机构", "人", "方"), "C", 100),
]

_MONEY_LIKE = ("Y",)

# Chinese term -> English word, matched longest first, for the English column names.
EN_TERMS = {
    "统一社会信用代码": "uscc",
    "纳税人识别号": "taxpayer_id",
    "法定代表人": "legal_representative",
    "经营范围": "business_scope",
    "营业期限": "business_term",
    "注册资本": "registered_capital",
    "实缴资本": "paid_in_capital",
    "登记机关": "registration_authority",
    "经度": "longitude",
    "纬度": "latitude",
    "名称": "name",
    "编号": "no",
    "代码": "code",
    "编码": "code",
    "地址": "address",
    "联系电话": "phone",
    "电话": "phone",
    "日期": "date",
    "时间": "time",
    "统计": "stat",
    "月份": "month",
    "季度": "quarter",
    "年度": "year",
    "年份": "year",
    "县市区": "county",
    "乡镇街道": "township",
    "乡镇": "township",
    "类型": "type",
    "类别": "category",
    "等级": "grade",
    "级别": "level",
    "数量": "count",
    "人数": "persons",
    "人次": "visits",
    "金额": "amount",
    "价格": "price",
    "费用": "cost",
    "面积": "area",
    "状态": "status",
    "企业": "enterprise",
    "单位": "unit",
    "机构": "institution",
    "医院": "hospital",
    "医疗": "medical",
    "科室": "department",
    "床位": "beds",
    "空闲": "free",
    "核定": "approved",
    "使用率": "usage_rate",
    "率": "rate",
    "更新": "updated",
    "许可": "license",
    "证": "certificate",
    "有效期至": "valid_until",
    "发证": "issue",
    "处罚": "penalty",
    "决定书": "decision",
    "文号": "doc_no",
    "当事人": "party",
    "违法": "violation",
    "行为": "act",
    "内容": "content",
    "依据": "basis",
    "罚款": "fine",
    "罚没款": "confiscation",
    "线路": "line",
    "站点": "stop",
    "车辆": "vehicle",
    "车牌号码": "plate",
    "预计": "expected",
    "到站": "arrival",
    "距离": "distance",
    "站数": "stops",
    "拥挤度": "crowding",
    "满载率": "load_factor",
    "路段": "road_section",
    "路口": "intersection",
    "道路": "road",
    "拥堵": "congestion",
    "指数": "index",
    "平均": "average",
    "车速": "speed",
    "车流量": "traffic_volume",
    "周期": "cycle",
    "时长": "duration",
    "相位": "phase",
    "绿信比": "green_ratio",
    "配时方案": "timing_plan",
    "生效": "effective",
    "施工": "works",
    "停车场": "car_park",
    "泊位": "spaces",
    "总数": "total",
    "学校": "school",
    "学段": "stage",
    "在校生": "students",
    "办学": "schooling",
    "性质": "nature",
    "景区": "scenic_area",
    "门票": "ticket",
    "开放": "open",
    "饭店": "hotel",
    "星级": "star",
    "客房": "rooms",
    "场馆": "venue",
    "演出": "performance",
    "场次": "shows",
    "票价": "fare",
    "借阅": "loans",
    "册次": "volumes",
    "读者": "readers",
    "藏品": "object",
    "年代": "period",
    "质地": "material",
    "监测": "monitoring",
    "监测点": "site",
    "空气质量": "air_quality",
    "浓度": "concentration",
    "首要污染物": "primary_pollutant",
    "水质": "water_quality",
    "断面": "section",
    "天气": "weather",
    "现象": "phenomenon",
    "最高": "max",
    "最低": "min",
    "气温": "temperature",
    "风向": "wind_direction",
    "风力": "wind_force",
    "风速": "wind_speed",
    "降水": "precipitation",
    "概率": "probability",
    "湿度": "humidity",
    "预报": "forecast",
    "预警": "warning",
    "病种": "disease",
    "发病": "incidence",
    "死亡": "deaths",
    "疫苗": "vaccine",
    "接种": "vaccination",
    "剂次": "doses",
    "血型": "blood_type",
    "库存": "stock",
    "献血": "donation",
    "急救": "ambulance",
    "响应": "response",
    "结算": "settlement",
    "基金": "fund",
    "支付": "paid",
    "个人": "personal",
    "负担": "share",
    "险种": "insurance",
    "就诊": "visit",
    "药品": "drug",
    "剂型": "dosage_form",
    "规格": "spec",
    "生产": "production",
    "批准": "approval",
    "备案": "filing",
    "项目": "item",
    "计价单位": "unit",
    "中选": "winning",
    "耗材": "consumable",
    "型号": "model",
    "设备": "equipment",
    "配置": "configured",
    "购置": "purchase",
    "号源": "slots",
    "医生": "doctor",
    "职称": "title",
    "出诊": "clinic",
    "挂号费": "fee",
    "候诊": "waiting",
    "门诊": "outpatient",
    "补贴": "subsidy",
    "发放": "payment",
    "批次": "batch",
    "流转": "transfer",
    "流入方": "transferee",
    "流出方": "transferor",
    "承包": "contract",
    "确权": "titling",
    "农户": "households",
    "标准": "standard",
    "对象": "beneficiary",
    "租赁": "lease",
    "房屋": "house",
    "坐落": "location",
    "建筑": "building",
    "用途": "use",
    "月租金": "monthly_rent",
    "纳税": "tax",
    "用水": "water",
    "用电": "power",
    "用气": "gas",
    "用水量": "water_use",
    "用电量": "power_use",
    "用气量": "gas_use",
    "缴费": "payment",
    "户号": "account",
    "抄表": "meter",
    "信用": "credit",
    "失信": "dishonest",
    "守信": "trustworthy",
    "激励": "incentive",
    "认定": "determination",
    "部门": "department",
    "列入": "listed",
    "移出": "removed",
    "修复": "repair",
    "表彰": "award",
    "授予": "granting",
    "获奖人": "awardee",
    "姓名": "name",
    "案由": "cause",
    "审理": "trial",
    "法院": "court",
    "裁判": "judgment",
    "文书": "document",
    "公开": "published",
    "专利": "patent",
    "授权": "granted",
    "商标": "trademark",
    "食品": "food",
    "抽样": "sampling",
    "检验": "inspection",
    "结果": "result",
    "不合格": "failed",
    "指标": "indicator",
    "计量单位": "unit",
    "本期": "current",
    "数值": "value",
    "同比": "yoy",
    "环比": "mom",
    "增长": "growth",
    "累计": "cumulative",
    "消费": "consumption",
    "零售": "retail",
    "总额": "total",
    "人口": "population",
    "收入": "income",
    "人均": "per_capita",
    "可支配": "disposable",
    "城镇": "urban",
    "农村": "rural",
    "居民": "residents",
    "场所": "place",
    "高峰": "peak",
    "时段": "period",
    "周边": "nearby",
    "事故": "accidents",
    "受伤": "injured",
    "损失": "loss",
    "直接": "direct",
    "起数": "count",
    "开始": "start",
    "结束": "end",
    "截止": "deadline",
    "起始": "start",
    "许可证": "license",
    "有效期": "validity",
    "岗位": "job",
    "招聘": "recruiting",
    "学历": "education",
    "要求": "requirement",
    "薪资": "salary",
    "下限": "min",
    "上限": "max",
    "发布": "published",
    "工作": "work",
    "地点": "place",
    "参保": "insured",
    "养老": "pension",
    "失业": "unemployment",
    "工伤": "injury",
    "保险": "insurance",
    "新增": "new",
    "就业": "employment",
    "登记": "registration",
    "成立": "established",
    "住所": "domicile",
    "市场主体": "market_entity",
    "经营": "business",
    "方式": "mode",
}
_EN_KEYS = sorted(EN_TERMS, key=len, reverse=True)


def english_name(name: str, seq: int) -> str:
    out, i = [], 0
    while i < len(name):
        for key in _EN_KEYS:
            if name.startswith(key, i):
                out.append(EN_TERMS[key])
                i += len(key)
                break
        else:
            i += 1
    words = [w for w in out if w]
    if not words:
        return f"item_{seq}"
    return "_".join(dict.fromkeys(words))[:60]


def parse_field(token: str, seq: int) -> dict[str, Any]:
    """'名称', '名称:C50', '身份证号码!4' -> a field description for the catalog services."""
    grade = "G1"
    if "!" in token:
        token, g = token.split("!", 1)
        grade = f"G{g}"
    override = None
    if ":" in token:
        token, override = token.split(":", 1)
    name = token
    if override:
        data_type, length = override[0], int(override[1:]) if override[1:] else None
    else:
        data_type, length = infer_type(name)
    if grade == "G1" and any(
        k in name for k in ("姓名", "负责人", "法定代表人", "联系人", "获奖人", "承包方代表")
    ):
        grade = "G2"
    field = {
        "name": name,
        "name_en": english_name(name, seq),
        "data_type": data_type,
        "length": length,
        "sensitivity_grade": grade,
        "share_type": "conditional" if grade in ("G3", "G4") else "unconditional",
    }
    if grade == "G4":
        field["open_attribute"] = "closed"
    enum = ENUMS.get(name)
    if enum:
        field["value_range"] = "、".join(enum)[:256]
    return field


def infer_type(name: str) -> tuple[str, int | None]:
    if name.endswith("数据来源"):
        return "C", 100
    for keys, data_type, length in _TYPE_RULES:
        if any(k in name for k in keys):
            return data_type, length
    return "C", 50


# --- Value pools ---------------------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武"
WORDS = [
    "鑫泰",
    "华誉",
    "楚天",
    "金桂",
    "香城",
    "温泉",
    "鄂南",
    "联创",
    "恒达",
    "博远",
    "宏图",
    "信诚",
    "瑞丰",
    "嘉禾",
    "隽丰",
    "赤马",
    "陆水",
    "九宫",
    "淦河",
    "富水",
    "银泉",
    "星辰",
    "天成",
    "宏发",
    "新源",
    "绿野",
    "青山",
    "长江",
    "正通",
    "润泽",
    "盛世",
    "丰收",
    "百川",
    "兴业",
    "康源",
    "汇丰",
    "中南",
    "明德",
    "春晖",
    "桂乡",
    "桃溪",
    "凤凰",
]
INDUSTRIES = [
    "科技",
    "商贸",
    "建设工程",
    "农业开发",
    "食品",
    "物流",
    "纺织",
    "机电",
    "医药",
    "电子",
    "新材料",
    "置业",
    "文化传媒",
    "餐饮管理",
    "汽车服务",
    "茶业",
    "竹木制品",
    "生物科技",
    "建材",
    "电力工程",
]
FORMS = ["有限公司", "有限责任公司", "股份有限公司"]
HOSPITALS = [
    "咸宁市中心医院",
    "咸宁市第一人民医院",
    "咸宁市中医医院",
    "咸宁市妇幼保健院",
    "咸宁市精神卫生中心",
    "咸安区人民医院",
    "嘉鱼县人民医院",
    "通城县人民医院",
    "崇阳县人民医院",
    "通山县人民医院",
    "赤壁市人民医院",
    "嘉鱼县中医医院",
    "通城县中医医院",
    "崇阳县中医院",
    "通山县中医医院",
    "赤壁市中医医院",
]
SCENIC = [
    "九宫山风景名胜区",
    "隐水洞地质公园",
    "三国赤壁古战场",
    "星星竹海",
    "太乙洞",
    "潜山国家森林公园",
    "咸宁温泉谷",
    "向阳湖文化名人旧址",
    "黄袍山",
    "药姑山",
    "羊楼洞古镇",
    "陆水湖风景区",
    "龙潭峡谷",
    "九宫山云中湖",
    "三湖连江",
    "金桂湖",
    "锡山森林公园",
    "浪口温泉",
    "大幕山",
    "白岩泉",
    "通山富水湖",
    "崇阳浪口",
    "赤壁古镇",
    "嘉鱼二乔公园",
]
DRUGS = [
    "阿莫西林胶囊",
    "布洛芬缓释胶囊",
    "盐酸二甲双胍片",
    "苯磺酸氨氯地平片",
    "阿托伐他汀钙片",
    "头孢克肟分散片",
    "奥美拉唑肠溶胶囊",
    "复方甘草片",
    "维生素C片",
    "硝苯地平控释片",
    "蒙脱石散",
    "氯雷他定片",
    "瑞舒伐他汀钙片",
    "左氧氟沙星片",
    "板蓝根颗粒",
    "感冒清热颗粒",
    "银杏叶片",
    "甲钴胺片",
    "格列美脲片",
    "厄贝沙坦片",
]
CONSUMABLES = [
    "冠脉药物洗脱支架",
    "人工髋关节",
    "人工膝关节",
    "一次性使用输液器",
    "留置针",
    "吻合器",
    "骨科创伤类耗材",
    "人工晶体",
    "心脏起搏器",
    "冠脉球囊",
    "医用胶片",
    "血液透析器",
]
VACCINES = [
    "乙肝疫苗",
    "卡介苗",
    "脊灰灭活疫苗",
    "百白破疫苗",
    "麻腮风疫苗",
    "乙脑减毒活疫苗",
    "A群流脑多糖疫苗",
    "甲肝减毒活疫苗",
    "流感疫苗",
    "23价肺炎球菌多糖疫苗",
    "HPV疫苗",
    "水痘减毒活疫苗",
]
DISEASES = [
    "病毒性肝炎",
    "肺结核",
    "梅毒",
    "手足口病",
    "流行性感冒",
    "其他感染性腹泻病",
    "细菌性痢疾",
    "猩红热",
    "流行性腮腺炎",
    "登革热",
    "布鲁氏菌病",
    "艾滋病",
    "水痘",
    "新型冠状病毒感染",
]
FOODS = [
    "大米",
    "菜籽油",
    "豆腐",
    "猪肉",
    "鸡蛋",
    "桂花糕",
    "青砖茶",
    "腊肉",
    "豆瓣酱",
    "米酒",
    "饼干",
    "挂面",
    "酱油",
    "食醋",
    "牛奶",
    "白酒",
    "月饼",
    "鲜鱼",
    "蔬菜",
    "楠竹笋",
]
GOODS = [
    "大米",
    "面粉",
    "食用油",
    "猪肉",
    "牛肉",
    "鸡蛋",
    "白菜",
    "土豆",
    "西红柿",
    "苹果",
    "汽油92号",
    "柴油0号",
]
CROPS = ["水稻", "小麦", "油菜", "玉米", "红薯", "茶叶", "桂花", "楠竹", "柑橘", "猕猴桃", "蔬菜", "中药材"]
INDICATORS = [
    ("地区生产总值", "亿元"),
    ("第一产业增加值", "亿元"),
    ("第二产业增加值", "亿元"),
    ("第三产业增加值", "亿元"),
    ("规模以上工业增加值增速", "%"),
    ("固定资产投资增速", "%"),
    ("社会消费品零售总额", "亿元"),
    ("一般公共预算收入", "亿元"),
    ("城镇居民人均可支配收入", "元"),
    ("农村居民人均可支配收入", "元"),
    ("进出口总额", "亿元"),
    ("金融机构各项存款余额", "亿元"),
]
BOOKS = [
    ("平凡的世界", "路遥"),
    ("活着", "余华"),
    ("三体", "刘慈欣"),
    ("红岩", "罗广斌"),
    ("围城", "钱锺书"),
    ("白鹿原", "陈忠实"),
    ("人世间", "梁晓声"),
    ("长安的荔枝", "马伯庸"),
    ("额尔古纳河右岸", "迟子建"),
    ("繁花", "金宇澄"),
    ("茶馆", "老舍"),
    ("朝花夕拾", "鲁迅"),
    ("骆驼祥子", "老舍"),
    ("家", "巴金"),
]
PRESSES = ["人民文学出版社", "长江文艺出版社", "湖北人民出版社", "作家出版社", "重庆出版社", "上海文艺出版社"]
RELICS = [
    "青铜鼎",
    "青瓷碗",
    "铜镜",
    "陶罐",
    "玉璧",
    "青砖茶砖模",
    "石砚",
    "瓷瓶",
    "铁剑",
    "木雕",
    "书法手卷",
    "古钱币",
]
ERAS = ["新石器时代", "商", "西周", "战国", "汉", "三国", "唐", "宋", "元", "明", "清", "近现代"]
PERFORMANCES = [
    "提琴戏《双玉禅》",
    "话剧《向阳湖》",
    "交响音乐会",
    "采茶戏专场",
    "儿童剧《小桂花》",
    "民族器乐专场",
    "温泉文化节开幕演出",
    "赤壁大型实景演出",
    "京剧折子戏专场",
    "相声专场",
]
ENUMS: dict[str, list[str]] = {
    "机构等级": ["三级甲等", "二级甲等", "二级乙等", "一级", "未定级"],
    "景区等级": ["5A", "4A", "3A", "2A"],
    "星级": ["五星", "四星", "三星", "二星"],
    "拥挤度等级": ["空闲", "舒适", "较拥挤", "拥挤"],
    "拥堵等级": ["畅通", "基本畅通", "轻度拥堵", "中度拥堵", "严重拥堵"],
    "空气质量等级": ["优", "良", "轻度污染", "中度污染"],
    "水质类别": ["Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类"],
    "天气现象": ["晴", "多云", "阴", "小雨", "中雨", "雷阵雨", "阵雨"],
    "风向": ["东风", "东北风", "北风", "西北风", "西风", "西南风", "南风", "东南风"],
    "风力": ["1-2级", "3级", "3-4级", "4-5级"],
    "检验结果": ["合格", "合格", "合格", "合格", "不合格"],
    "检测结果": ["合格", "合格", "合格", "不合格"],
    "登记状态": ["存续", "在业", "存续", "注销", "迁出"],
    "市场主体类型": [
        "有限责任公司",
        "股份有限公司",
        "个人独资企业",
        "合伙企业",
        "农民专业合作社",
        "个体工商户",
    ],
    "险种类型": ["职工基本医疗保险", "城乡居民基本医疗保险"],
    "就诊类别": ["普通门诊", "住院", "门诊慢特病", "门诊统筹"],
    "血型": ["A型", "B型", "O型", "AB型"],
    "血液品种": ["悬浮红细胞", "新鲜冰冻血浆", "机采血小板", "冷沉淀"],
    "库存状态": ["充足", "正常", "偏紧", "紧张"],
    "办学类型": ["小学", "初级中学", "九年一贯制学校", "完全中学", "高级中学"],
    "办学性质": ["公办", "民办"],
    "办园性质": ["公办", "普惠性民办", "民办"],
    "学段": ["小学", "初中", "高中"],
    "招生学段": ["小学一年级", "初中一年级"],
    "处罚类别": ["警告", "罚款", "没收违法所得", "责令停产停业"],
    "信用等级": ["A", "B", "M", "C"],
    "场所类型": ["学校", "农贸市场", "超市", "商场"],
    "设备类型": ["电子警察", "治安卡口", "区间测速", "违停抓拍", "流量监测"],
    "流转方式": ["出租", "转包", "入股", "互换"],
    "补贴项目": ["耕地地力保护补贴", "农机购置补贴", "稻谷目标价格补贴", "种粮一次性补贴", "油菜种植补贴"],
    "缴费状态": ["正常", "正常", "正常", "欠费"],
    "建设状态": ["前期", "在建", "在建", "已竣工"],
    "病种类别": ["甲类", "乙类", "丙类"],
    "免疫规划类别": ["免疫规划疫苗", "非免疫规划疫苗"],
    "医保类别": ["定点医疗机构", "门诊统筹定点"],
    "灾害类型": ["滑坡", "崩塌", "泥石流", "地面塌陷"],
    "规模等级": ["小型", "中型", "大型"],
    "技术状况等级": ["一类", "二类", "三类"],
    "审判程序": ["一审", "二审", "再审"],
    "文书类型": ["判决书", "裁定书", "调解书"],
    "专利类型": ["发明", "实用新型", "外观设计"],
    "房屋用途": ["住宅", "商业", "办公", "厂房"],
    "主体类型": ["家庭农场", "农民专业合作社"],
    "交叉口类型": ["十字", "T字", "环形", "Y字"],
    "行驶方向": ["上行", "下行"],
    "站点方向": ["上行", "下行"],
    "占道方式": ["半幅施工", "全封闭", "夜间施工"],
    "预警类型": ["暴雨", "高温", "大风", "雷电", "寒潮", "大雾"],
    "预警级别": ["蓝色", "黄色", "橙色", "红色"],
    "抽查结果": ["未发现问题", "未发现问题", "发现问题已责令改正", "未按规定公示年报"],
    "失信类型": ["严重违法失信", "重大税收违法", "拖欠农民工工资"],
    "激励类型": ["A级纳税人", "守合同重信用企业", "诚信示范企业"],
    "表彰级别": ["国家级", "省级", "市级"],
    "培训类别": ["体育", "艺术", "科技", "研学"],
    "开放时间": ["09:00-17:00", "08:30-17:30", "全天开放", "09:00-21:00"],
}
ENUMS.update(
    {
        "行业门类": [
            "制造业",
            "批发和零售业",
            "建筑业",
            "住宿和餐饮业",
            "农、林、牧、渔业",
            "信息传输、软件和信息技术服务业",
            "租赁和商务服务业",
            "交通运输、仓储和邮政业",
            "科学研究和技术服务业",
        ],
        "所属行业": ["制造业", "批发和零售业", "建筑业", "农业", "信息技术服务业", "交通运输业"],
        "币种": ["人民币"],
        "申请类型": ["设立登记", "变更登记"],
        "经营方式": ["零售", "批发", "零售连锁"],
        "许可类别": ["普通", "特许", "认可", "核准", "登记"],
        "违法行为类型": [
            "虚假宣传",
            "无证经营",
            "销售不合格产品",
            "未按规定明码标价",
            "超范围经营",
            "违反环境保护规定",
        ],
        "主体业态": ["食品销售经营者", "餐饮服务经营者", "单位食堂"],
        "抽查事项": ["年报公示信息", "登记事项", "产品质量", "广告发布"],
        "处罚依据": [
            "《中华人民共和国行政处罚法》",
            "《中华人民共和国食品安全法》",
            "《中华人民共和国广告法》",
            "《中华人民共和国药品管理法》",
            "《中华人民共和国道路交通安全法》",
        ],
        "剂型": ["片剂", "胶囊剂", "颗粒剂", "注射剂", "口服溶液剂"],
        "规格": ["0.25g", "0.5g", "10mg", "20mg", "100ml:0.5g"],
        "险种": ["职工医保", "居民医保"],
        "车辆类型": ["重型罐式货车", "重型半挂牵引车", "大件运输车"],
        "医生职称": ["主任医师", "副主任医师", "主治医师"],
        "出诊时段": ["上午", "下午"],
        "首要污染物": ["PM2.5", "PM10", "O3", "—"],
        "学历要求": ["不限", "高中", "大专", "本科"],
        "机构类别": ["综合医院", "中医医院", "专科医院", "卫生院", "社区卫生服务中心", "诊所"],
        "机构性质": ["公办", "民办", "公建民营"],
        "组织类型": ["社会团体", "民办非企业单位", "基金会"],
        "场馆类型": ["图书馆", "文化馆", "博物馆", "美术馆", "综合文化站"],
        "登记机关": [
            "咸宁市市场监督管理局",
            "咸安区市场监督管理局",
            "赤壁市市场监督管理局",
            "嘉鱼县市场监督管理局",
        ],
        "天气": ["晴", "多云", "阴"],
        "办公时间": ["工作日 08:30-12:00 14:30-17:30", "周一至周六 09:00-17:00"],
        "营业时间": ["06:00-20:00", "08:00-22:00", "09:00-21:30", "24小时"],
        "接种时间": ["周一至周五 08:00-11:30", "周二、周四全天"],
        "案由": [
            "买卖合同纠纷",
            "民间借贷纠纷",
            "劳动争议",
            "机动车交通事故责任纠纷",
            "金融借款合同纠纷",
            "物业服务合同纠纷",
        ],
        "评价等级": ["A", "B", "C"],
        "修复方式": ["主动纠正违法行为", "作出信用承诺", "完成信用修复培训"],
        "停车场类型": ["地面停车场", "地下停车库", "立体停车库", "机械式停车库"],
        "灾害类型_": ["暴雨洪涝", "风雹", "低温冷冻", "干旱"],
        "主要事故形态": ["追尾", "侧面碰撞", "刮擦", "撞固定物"],
        # The plan's named items of D2, D4 and D5 (special vehicles, model lists, supervision, listings, bonds).
        "渣土车车型": ["重型自卸货车", "中型自卸货车", "新型智能渣土车"],
        "核定载质量（吨）": ["14", "18", "25", "31"],
        "垃圾车车型": ["压缩式垃圾车", "桶装垃圾运输车", "餐厨垃圾车", "勾臂式垃圾车"],
        "日均收运量（吨）": ["6", "8", "10", "12", "15"],
        "工程车车型": ["混凝土搅拌运输车", "自卸货车", "随车起重运输车", "混凝土泵车"],
        "监测方式": ["礼让行人抓拍", "视频监控", "人工巡查"],
        "示范类型": ["诚信建设示范企业", "守合同重信用企业", "诚信经营示范店", "信用示范街区"],
        "认定部门": [
            "咸宁市发展和改革委员会",
            "咸宁市市场监督管理局",
            "国家税务总局咸宁市税务局",
            "咸宁市人力资源和社会保障局",
        ],
        "检查结果": ["合格", "合格", "基本合格", "不合格（已责令整改）"],
        "处理措施": ["无", "无", "责令限期整改", "警告", "罚款"],
        "投诉类别": ["食品安全", "产品质量", "价格收费", "合同纠纷", "虚假宣传", "售后服务"],
        "处理结果": ["调解成功", "调解成功", "调解不成终止调解", "转立案查处", "不属于职责范围，告知投诉人"],
        "办理时长（工作日）": ["2", "3", "5", "7", "10", "15"],
        "拟上市板块": ["上交所主板", "深交所创业板", "北交所", "上交所科创板", "新三板创新层"],
        "债券简称": [
            "24咸投01",
            "23咸宁城发MTN001",
            "24赤壁城投债",
            "23嘉鱼绿色债01",
            "24通城PPN001",
            "23崇阳乡村振兴债",
        ],
        "债券类型": ["企业债", "公司债", "中期票据", "短期融资券", "定向债务融资工具"],
        "发行规模（亿元）": ["3", "5", "6", "8", "10", "15"],
        "期限（年）": ["3", "5", "7", "10"],
    }
)
SCOPES = [
    "许可项目：食品销售；一般项目：日用百货销售、农副产品销售",
    "一般项目：技术服务、技术开发、技术咨询、软件开发",
    "许可项目：建设工程施工；一般项目：建筑材料销售",
    "一般项目：茶叶种植、初级农产品收购、农产品加工",
    "一般项目：道路货物运输（不含危险货物）、仓储服务",
    "一般项目：纺织品制造、服装制造、针纺织品销售",
    "一般项目：旅游业务、酒店管理、会议及展览服务",
    "许可项目：药品零售；一般项目：医疗器械销售",
]
VIOLATIONS = [
    "未按规定公示年度报告",
    "销售不符合食品安全标准的食品",
    "发布虚假广告",
    "未取得许可从事经营活动",
    "超标排放大气污染物",
    "拖欠劳动者工资",
    "未按规定明码标价",
    "违规占道经营",
]
BED_DEPTS = [
    "内科",
    "外科",
    "妇产科",
    "儿科",
    "骨科",
    "心血管内科",
    "呼吸内科",
    "神经内科",
    "重症医学科",
    "肿瘤科",
]
ROAD_TYPES = ["普通泊位", "新能源泊位", "无障碍泊位"]
COUNTY_NAMES = [c[1] for c in COUNTIES]
LON_RANGE, LAT_RANGE = (113.55, 114.60), (29.05, 30.05)


class Context:
    """What row generation knows about the dataset it fills."""

    def __init__(
        self, rng: random.Random, title: str, region_code: str, year: int, anchor: datetime.date
    ) -> None:
        self.rng = rng
        self.title = title
        self.region_code = region_code
        self.year = year
        self.anchor = anchor
        self.towns = TOWNS.get(region_code, TOWNS["421200"])
        self.roads = ROADS.get(region_code, ROADS["421200"])
        self.centre = CENTRES.get(region_code, CENTRES["421200"])
        self.county = dict((c[0], c[1]) for c in COUNTIES).get(
            region_code, "咸宁高新区" if region_code == "421200GX" else None
        )
        self.row = 0
        # Statistics tables run over a category (county, disease, ...) within each period, newest period first.
        self.period = 0
        self.group_field: str | None = None
        self.group_value: str | None = None
        self.city_wide = region_code not in TOWNS or region_code == "421200"
        self.end = datetime.date(year, 12, 31) if year < anchor.year else anchor - datetime.timedelta(days=1)

    def locate(self, region_code: str) -> None:
        """City-wide tables place each row in one county, so its town, road and coordinates agree."""
        self.towns = TOWNS[region_code]
        self.roads = ROADS[region_code]
        self.centre = CENTRES[region_code]
        self.county = dict((c[0], c[1]) for c in COUNTIES).get(
            region_code, "咸宁高新区" if region_code == "421200GX" else None
        )

    # Helpers shared by the generators.
    def pick(self, seq: list[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def person(self) -> str:
        return self.pick(SURNAMES) + "**"

    def company(self) -> str:
        return f"{self.rng.choice(['咸宁', '湖北', '咸宁市', ''])}{self.pick(WORDS)}{self.pick(INDUSTRIES)}{self.pick(FORMS)}"

    def town(self) -> str:
        return self.pick(self.towns)

    def county_name(self) -> str:
        return self.county or self.pick(COUNTY_NAMES)

    def address(self) -> str:
        prefix = "咸宁市" + (self.county or self.pick(COUNTY_NAMES))
        if self.rng.random() < 0.5:
            return f"{prefix}{self.town()}{self.pick(self.roads)}{self.rng.randint(1, 399)}号"
        return f"{prefix}{self.pick(self.roads)}{self.rng.randint(1, 999)}号"

    def date(self, start_year: int | None = None) -> datetime.date:
        start = datetime.date(start_year or self.year, 1, 1)
        end = min(datetime.date((start_year or self.year), 12, 31), self.anchor - datetime.timedelta(days=1))
        if end < start:
            end = start
        return start + datetime.timedelta(days=self.rng.randint(0, (end - start).days))

    def datetime(self) -> str:
        d = self.date()
        return f"{d.isoformat()} {self.rng.randint(6, 22):02d}:{self.rng.randint(0, 59):02d}:{self.rng.randint(0, 59):02d}"

    def coord(self, lat: bool) -> str:
        lon0, lat0 = self.centre
        if lat:
            v = min(max(lat0 + self.rng.gauss(0, 0.06), LAT_RANGE[0] + 0.01), LAT_RANGE[1] - 0.01)
        else:
            v = min(max(lon0 + self.rng.gauss(0, 0.07), LON_RANGE[0] + 0.01), LON_RANGE[1] - 0.01)
        return f"{v:.6f}"

    def entity(self) -> str:
        t, r = self.title, self.rng
        if any(k in t for k in ("医院", "床位", "门诊", "医疗机构", "挂号", "医用设备", "医疗服务质量")):
            if r.random() < 0.3:
                return f"{self.town()}卫生院"
            return self.pick(HOSPITALS)
        if "学校" in t or "招生" in t:
            return r.choice(
                [
                    f"{self.town()}中心小学",
                    f"{self.county_name()}第{r.randint(1, 9)}中学",
                    f"{self.county_name()}{self.pick(self.roads)}小学",
                    f"{self.town()}初级中学",
                ]
            )
        if "幼儿园" in t:
            return f"{self.pick(WORDS)}幼儿园"
        if "景区" in t:
            return self.pick(SCENIC)
        if "饭店" in t or "酒店" in t:
            return r.choice(
                [
                    f"咸宁{self.pick(WORDS)}大酒店",
                    f"{self.pick(WORDS)}温泉度假酒店",
                    f"{self.pick(WORDS)}国际酒店",
                ]
            )
        if "停车" in t:
            return f"{self.pick(self.roads)}{r.choice(['公共停车场', '地下停车库', '立体停车库'])}"
        if "农贸市场" in t:
            return f"{self.town()}农贸市场"
        if "超市" in t:
            return f"{self.pick(WORDS)}超市{self.town()}店"
        if "商场" in t or "商圈" in t:
            return f"{self.pick(WORDS)}{r.choice(['购物中心', '广场', '百货'])}"
        if "场馆" in t or "文化" in t:
            return r.choice(
                [
                    f"{self.county_name()}图书馆",
                    f"{self.county_name()}文化馆",
                    f"{self.town()}综合文化站",
                    "咸宁市博物馆",
                    "咸宁市文化中心",
                    f"{self.town()}农家书屋",
                ]
            )
        if "养老" in t:
            return f"{self.town()}{r.choice(['社会福利院', '养老服务中心', '颐养院'])}"
        if "药店" in t or "药品零售" in t:
            return f"{self.pick(WORDS)}大药房{self.town()}店"
        if "献血" in t:
            return r.choice(["咸宁市中心血站", f"{self.pick(self.roads)}献血屋", "流动献血车"])
        if "社会组织" in t or "慈善" in t:
            return f"咸宁市{self.pick(WORDS)}{r.choice(['志愿者协会', '慈善会', '商会', '行业协会', '社会工作服务中心'])}"
        return self.company()


def _counter(prefix: str) -> Callable[[Context], str]:
    return lambda c: f"{prefix}{c.year}{c.row + 1:05d}"


def _month(c: Context) -> str:
    index = c.end.year * 12 + c.end.month - 1 - c.period
    return f"{index // 12}-{index % 12 + 1:02d}"


def _quarter(c: Context) -> str:
    index = c.end.year * 4 + (c.end.month - 1) // 3 - c.period
    return f"{index // 4}年第{index % 4 + 1}季度"


GROUPS: dict[str, list[str]] = {
    "病种名称": DISEASES,
    "疫苗名称": VACCINES,
    "指标名称": [i[0] for i in INDICATORS],
    "作物名称": CROPS,
    "类别名称": [
        "食品烟酒",
        "衣着",
        "居住",
        "生活用品及服务",
        "交通通信",
        "教育文化娱乐",
        "医疗保健",
        "其他用品及服务",
    ],
    "税种": ["增值税", "企业所得税", "个人所得税", "资源税", "城市维护建设税", "房产税", "印花税", "契税"],
    "收支类别": [
        "一般公共预算收入",
        "税收收入",
        "非税收入",
        "一般公共预算支出",
        "教育支出",
        "社会保障和就业支出",
        "卫生健康支出",
    ],
    "险种类型": ["职工基本医疗保险", "城乡居民基本医疗保险"],
    "线路编号": [f"{n}路" for n in range(1, 31)],
    "血型": ["A型", "B型", "O型", "AB型"],
    "交易类型": ["工程建设", "政府采购", "土地矿业权", "国有产权"],
}
PERIOD_FIELDS = {"月份": 12, "季度": 4, "日期": 365, "年度": 1}


def plan_rows(
    names: list[str], genre: str, suggested: int, county_fixed: bool
) -> tuple[int, str | None, int]:
    """Choose the row count and the grouping for a table; returns (rows, group field, group size)."""
    group = None
    if "县市区" in names and not county_fixed:
        group = "县市区"
    else:
        group = next((n for n in names if n in GROUPS), None)
    size = len(COUNTY_NAMES) + 1 if group == "县市区" else len(GROUPS[group]) if group else 1
    if genre != "stats":
        return suggested, group if group != "县市区" else None, size
    per_year = next(
        (v for k, v in PERIOD_FIELDS.items() if any(n.startswith("统计") and k in n for n in names)), 1
    )
    rows = max(50, min(2000, size * per_year))
    return rows, group, size


def _number_for(name: str, c: Context) -> str:
    r = c.rng
    if "率" in name or "比例" in name or "占比" in name:
        return f"{r.uniform(0.5, 99.5):.2f}"
    if "增长" in name or "增速" in name or "涨跌" in name or "距平" in name:
        return f"{r.uniform(-8, 15):.1f}"
    if "指数" in name:
        return f"{r.uniform(95, 108):.1f}"
    if "AQI" in name:
        return str(r.randint(18, 160))
    if "浓度" in name:
        return f"{r.uniform(2, 90):.1f}"
    if "气温" in name or "温度" in name:
        return f"{r.uniform(-2, 38):.1f}"
    if "车速" in name or "速度" in name:
        return f"{r.uniform(12, 65):.1f}"
    if "湿度" in name:
        return str(r.randint(35, 98))
    if "时长" in name:
        return f"{r.uniform(3, 25):.1f}"
    if "面积" in name:
        return f"{r.uniform(20, 5000):.2f}"
    return f"{r.uniform(1, 10000):.2f}"


def value_for(name: str, data_type: str, c: Context) -> str:
    r = c.rng
    if c.group_field == name and c.group_value is not None:
        return c.group_value
    if name in ENUMS:
        return c.pick(ENUMS[name])
    if name == "经度":
        return c.coord(lat=False)
    if name == "纬度":
        return c.coord(lat=True)
    if name.endswith("经度"):
        return c.coord(lat=False)
    if name.endswith("纬度"):
        return c.coord(lat=True)
    if name in ("统一社会信用代码", "纳税人识别号"):
        return make_uscc("91", c.region_code[:6], r.randint(10_000_000, 99_999_999))
    if data_type == "L":
        return "是" if r.random() < 0.6 else "否"
    if "月份" in name or name == "电费年月":
        return _month(c)
    if "季度" in name:
        return _quarter(c)
    if name in (
        "统计年度",
        "评价年度",
        "招生年度",
        "公开年度",
        "年鉴年度",
        "公报年度",
        "认定年度",
        "立项年度",
    ):
        return str(c.end.year - c.period)
    if "年份" in name:
        return str(r.randint(1985, c.year))
    if name == "学年":
        return f"{c.year - 1}-{c.year}学年"
    if name == "统计日期" or name == "日期" or name == "监测日期":
        return (c.end - datetime.timedelta(days=c.period)).isoformat()
    if "有效期至" in name or name in ("截止日期", "结束日期", "完工日期", "有效期止"):
        return (c.date() + datetime.timedelta(days=r.randint(30, 1800))).isoformat()
    if data_type == "D":
        return c.date().isoformat()
    if name == "首班时间":
        return f"0{r.randint(5, 7)}:{r.choice(['00', '20', '30', '40'])}"
    if name == "末班时间":
        return f"{r.randint(19, 22)}:{r.choice(['00', '30'])}"
    if name in ("高峰时段", "统计时段"):
        return c.pick(["07:00-09:00", "11:30-13:30", "17:00-19:00"])
    if name in ("更新时间", "定位时间", "监测时间", "观测时间", "预报时间"):
        return f"{(c.anchor - datetime.timedelta(days=1)).isoformat()} {8 + c.row % 12:02d}:{(c.row * 5) % 60:02d}:00"
    if data_type == "T":
        return c.datetime()
    if name in ("营业期限", "承包期限", "租赁期限", "流转期限", "规划期限", "采购周期"):
        start = c.date(r.randint(2005, c.year))
        if r.random() < 0.4 and name == "营业期限":
            return f"{start.isoformat()}至长期"
        end = start + datetime.timedelta(days=365 * r.choice([2, 3, 5, 10, 20]))
        return f"{start.isoformat()}至{end.isoformat()}"
    if name == "县市区":
        return c.county_name()
    if name in ("乡镇街道", "所在乡镇", "所在街道", "作业区域"):
        return c.town()
    if name in ("所在村", "所在村组", "村名称", "村社区名称"):
        return f"{c.town()}{c.pick(WORDS)}村"
    if name in ("联系电话", "咨询电话", "投诉电话", "服务电话"):
        return f"0715-{r.randint(8100000, 8899999)}"
    if "手机" in name:
        return f"1{r.choice('3589')}{r.randint(0, 9)}****{r.randint(1000, 9999)}"
    if any(
        k in name
        for k in (
            "姓名",
            "负责人",
            "法定代表人",
            "联系人",
            "获奖人",
            "流出方",
            "承包方代表",
            "补贴对象",
            "经营者姓名",
        )
    ):
        return c.person()
    if name in ("病种名称",):
        return c.pick(DISEASES)
    if name in ("疫苗名称",):
        return c.pick(VACCINES)
    if name in ("药品名称",):
        return c.pick(DRUGS)
    if name in ("耗材名称",):
        return c.pick(CONSUMABLES)
    if name in ("食品名称", "产品名称") and "地理标志" not in c.title:
        return c.pick(FOODS)
    if name in ("商品名称", "品种"):
        return c.pick(GOODS)
    if name in ("作物名称", "主导产品", "主营产品"):
        return c.pick(CROPS)
    if name == "指标名称":
        return INDICATORS[c.row % len(INDICATORS)][0]
    if name == "计量单位":
        return c.pick(["亿元", "元", "%", "万人", "吨"])
    if name in ("图书名称",):
        return BOOKS[c.row % len(BOOKS)][0]
    if name == "作者":
        return BOOKS[c.row % len(BOOKS)][1]
    if name == "出版社":
        return c.pick(PRESSES)
    if name == "排名":
        return str(c.row + 1)
    if name == "藏品名称":
        return c.pick(ERAS) + c.pick(RELICS)
    if name == "年代":
        return c.pick(ERAS)
    if name == "演出名称":
        return c.pick(PERFORMANCES)
    if name == "血型":
        return c.pick(ENUMS["血型"])
    if name == "科室名称":
        return c.pick(BED_DEPTS)
    if name in ("线路编号", "线路名称", "所属线路"):
        return f"{r.choice(['', '', 'K', 'Y'])}{r.randint(1, 36)}路"
    if name in ("站点名称", "起点站", "终点站"):
        return f"{c.pick(c.roads)}{r.choice(['站', '口站', '中段站', '公交站'])}"
    if name in ("路口名称",):
        a, b = r.sample(c.roads, 2)
        return f"{a}与{b}交叉口"
    if name in ("路段名称", "施工路段", "管制路段", "所在道路", "道路名称", "通行路线"):
        a, b = r.sample(c.roads, 2)
        return f"{a}（{b}段）" if "路段" in name else a
    if name in ("车牌号码",):
        return f"鄂L{r.choice('ABCDEFGHJK')}{r.randint(0, 9)}**{r.randint(0, 9)}"
    if name == "泊位类型":
        return c.pick(ROAD_TYPES)
    if name in (
        "机构名称",
        "单位名称",
        "企业名称",
        "医院名称",
        "医疗机构名称",
        "学校名称",
        "景区名称",
        "饭店名称",
        "场馆名称",
        "场所名称",
        "停车场名称",
        "市场名称",
        "超市名称",
        "商场名称",
        "主体名称",
        "当事人名称",
        "行政相对人名称",
        "纳税人名称",
        "经营者名称",
        "被抽样单位名称",
        "生产企业名称",
        "招聘单位名称",
        "组织名称",
        "幼儿园名称",
        "药店名称",
        "献血点名称",
        "中标人",
        "竞得人",
        "供应商名称",
        "中标供应商",
        "流入方名称",
        "被执行人名称",
        "申领单位",
        "投资方",
        "受检单位",
        "使用单位名称",
        "业户名称",
        "平台公司名称",
        "开发企业",
        "建设单位",
        "施工单位",
        "采购单位",
        "招标人",
        "上市许可持有人",
        "生产企业",
        "项目单位",
        "取水单位",
        "设置单位",
        "承担单位",
        "依托单位",
        "经营企业",
        "运输企业名称",
        "收运单位名称",
        "所属单位名称",
        "被投诉单位名称",
        "发行主体名称",
        "名称",
    ):
        return (
            c.entity()
            if name not in ("生产企业", "生产企业名称", "供应商名称", "中标供应商", "中标人")
            else c.company()
        )
    if "地址" in name or name in (
        "住所",
        "房屋坐落",
        "坐落位置",
        "土地坐落",
        "经营场所",
        "安装地点",
        "建设地点",
        "建设地址",
        "所在地址",
        "所在地",
        "设置地点",
        "土地位置",
        "地块位置",
        "放置场所",
        "仓库地址",
    ):
        return c.address()
    if name.endswith("名称"):
        stem = name[:-2]
        return f"{c.county_name()}{c.pick(WORDS)}{stem}" if len(stem) <= 4 else f"{c.pick(WORDS)}{stem}"
    if data_type == "Y":
        if "票价" in name or "挂号费" in name or "收费" in name or "标准" in name:
            return f"{r.choice([1, 2, 3, 5, 8, 10, 15, 20, 30, 50]):.2f}"
        if "价格" in name:
            return f"{r.uniform(1, 500):.2f}"
        if "票款" in name:
            return f"{r.uniform(300, 9000):.2f}"
        if "租金" in name:
            return f"{r.randint(600, 6000)}.00"
        if "薪资" in name or "工资" in name:
            return f"{r.randint(25, 150) * 100}.00"
        return f"{r.uniform(1_000, 5_000_000):.2f}"
    if data_type == "I":
        if any(k in name for k in ("床位", "泊位", "人数", "人次", "户数")):
            return str(r.randint(5, 3000))
        return str(r.randint(0, 800))
    if data_type in ("N", "B", "F"):
        return _number_for(name, c)
    if name == "经营范围" or name == "业务范围" or name == "服务范围":
        return c.pick(SCOPES)
    if name in ("违法行为", "违法事实", "主要违法事实", "原失信信息"):
        return c.pick(VIOLATIONS)
    if name == "处罚内容":
        return c.pick(
            ["警告", f"罚款{r.randint(1, 50) * 1000}元", f"没收违法所得并罚款{r.randint(1, 20) * 1000}元"]
        )
    if data_type == "M":
        return f"{c.title.replace('（', '').replace('）', '')}相关{name}：按照有关规定办理，详见原始文书。"
    if any(
        k in name
        for k in (
            "编号",
            "代码",
            "编码",
            "证号",
            "号码",
            "文号",
            "案号",
            "户号",
            "批号",
            "标识码",
            "注册号",
            "流水号",
        )
    ):
        if "文号" in name or "决定书" in name:
            return f"咸{c.pick(['市监', '交运', '环', '城管', '人社', '卫'])}罚〔{c.year}〕{c.row + 1}号"
        if name == "案号":
            return f"（{c.year}）鄂12{c.pick(['民初', '民终', '刑初', '执', '行初'])}{c.row + 1}号"
        return f"{c.region_code[:6]}{c.year}{c.row + 1:05d}"
    if "类型" in name or "类别" in name:
        return c.pick(["一类", "二类", "三类", "综合类"])
    if "状态" in name:
        return c.pick(["正常", "正常", "暂停", "已完成"])
    if "等级" in name or "级别" in name:
        return c.pick(["国家级", "省级", "市级", "县级"])
    if "时间" in name or "时段" in name:
        return c.pick(["06:00-22:00", "08:00-18:00", "07:30-19:30"])
    return f"{name}{c.row + 1}"


def generate_rows(
    fields: list[dict[str, Any]],
    n: int,
    ctx: Context,
    *,
    group: str | None = None,
    group_size: int = 1,
    unique_first: bool = True,
) -> list[list[str]]:
    """`n` rows of the fields' values; the first column made unique (a suffix on repeats) unless the caller
    keeps its own key (`unique_first=False`: a feed keeps the first row of each key, its values in range)."""
    values = (COUNTY_NAMES + ["咸宁高新区"]) if group == "县市区" else GROUPS.get(group or "", [])
    ctx.group_field = group if values else None
    rows = []
    for i in range(n):
        ctx.row = i
        if values:
            ctx.period, ctx.group_value = i // len(values), values[i % len(values)]
        else:
            ctx.period = i
        if ctx.city_wide:
            ctx.locate(ctx.pick(COUNTIES)[0])
        rows.append([value_for(f["name"], f["data_type"], ctx) for f in fields])
    if values or not unique_first:
        return rows  # the key is (period, category); both columns are already unique together
    # The first column is the primary key: keep it unique.
    seen: set[str] = set()
    for i, row in enumerate(rows):
        key = row[0]
        if key in seen:
            row[0] = f"{key}-{i + 1}"
        seen.add(row[0])
    return rows


def write_csv_atomic(path: Path, header: list[str], rows: list[list[str]]) -> tuple[int, str]:
    """Write UTF-8 CSV (with BOM, so spreadsheet programs open it correctly) atomically; return size and sha256."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    data = ("\ufeff" + buf.getvalue()).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return len(data), hashlib.sha256(data).hexdigest()


_SPACE = re.compile(r"\s+")
