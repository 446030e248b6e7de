# ruff: noqa: E501
"""Departments of the demo city. Names follow the city's bodies (china-standards §6.2); credit codes are synthetic."""

# City departments: (key, name, short_name, name_en, business_code, org_kind)
# org_kind: "11" government body, "12" public institution, "91" enterprise (public utility).
CITY_DEPARTMENTS = [
    ("szj", "咸宁市政务服务和大数据管理局", "市政数局", "Xianning Municipal Administration of Government Services and Big Data", "101", "11"),
    ("scjg", "咸宁市市场监督管理局", "市市场监管局", "Xianning Municipal Administration for Market Regulation", "102", "11"),
    ("rsj", "咸宁市人力资源和社会保障局", "市人社局", "Xianning Municipal Bureau of Human Resources and Social Security", "103", "11"),
    ("ybj", "咸宁市医疗保障局", "市医保局", "Xianning Municipal Healthcare Security Administration", "104", "11"),
    ("zjj", "咸宁市住房和城乡建设局", "市住建局", "Xianning Municipal Bureau of Housing and Urban-Rural Development", "105", "11"),
    ("cgw", "咸宁市城市管理执法委员会", "市城管执法委", "Xianning Urban Management and Law Enforcement Commission", "106", "11"),
    ("gjj", "咸宁市住房公积金中心", "市住房公积金中心", "Xianning Housing Provident Fund Management Center", "107", "12"),
    ("jtj", "咸宁市交通运输局", "市交通运输局", "Xianning Municipal Transport Bureau", "108", "11"),
    ("gaj", "咸宁市公安局", "市公安局", "Xianning Municipal Public Security Bureau", "109", "11"),
    ("jjzd", "咸宁市公安局交通警察支队", "市交警支队", "Traffic Police Detachment of Xianning Public Security Bureau", "109", "11"),
    ("zrzy", "咸宁市自然资源和规划局", "市自然资源和规划局", "Xianning Municipal Bureau of Natural Resources and Planning", "110", "11"),
    ("wlj", "咸宁市文化和旅游局", "市文旅局", "Xianning Municipal Bureau of Culture and Tourism", "111", "11"),
    ("tsg", "咸宁市图书馆", "市图书馆", "Xianning Library", "111", "12"),
    ("bwg", "咸宁市博物馆", "市博物馆", "Xianning Museum", "111", "12"),
    ("sthj", "咸宁市生态环境局", "市生态环境局", "Xianning Municipal Ecology and Environment Bureau", "112", "11"),
    ("slj", "咸宁市水利和湖泊局", "市水利和湖泊局", "Xianning Municipal Bureau of Water Resources and Lakes", "113", "11"),
    ("lyj", "咸宁市林业局", "市林业局", "Xianning Municipal Forestry Bureau", "114", "11"),
    ("qxj", "咸宁市气象局", "市气象局", "Xianning Meteorological Bureau", "115", "11"),
    ("wjw", "咸宁市卫生健康委员会", "市卫健委", "Xianning Municipal Health Commission", "116", "11"),
    ("jkzx", "咸宁市疾病预防控制中心", "市疾控中心", "Xianning Center for Disease Control and Prevention", "116", "12"),
    ("xz", "咸宁市中心血站", "市中心血站", "Xianning Central Blood Station", "116", "12"),
    ("jjzx", "咸宁市紧急救援中心", "市120急救中心", "Xianning Emergency Medical Rescue Center", "116", "12"),
    ("czj", "咸宁市财政局", "市财政局", "Xianning Municipal Finance Bureau", "117", "11"),
    ("swj", "国家税务总局咸宁市税务局", "市税务局", "Xianning Taxation Bureau of the State Taxation Administration", "118", "11"),
    ("jrj", "咸宁市地方金融管理局", "市地方金融管理局", "Xianning Local Financial Administration", "119", "11"),
    ("rmyh", "中国人民银行咸宁市分行", "人民银行咸宁市分行", "Xianning Branch of the People's Bank of China", "120", "11"),
    ("fgw", "咸宁市发展和改革委员会", "市发改委", "Xianning Municipal Development and Reform Commission", "121", "11"),
    ("mzj", "咸宁市民政局", "市民政局", "Xianning Municipal Civil Affairs Bureau", "122", "11"),
    ("tyjr", "咸宁市退役军人事务局", "市退役军人事务局", "Xianning Municipal Veterans Affairs Bureau", "123", "11"),
    ("cl", "咸宁市残疾人联合会", "市残联", "Xianning Disabled Persons' Federation", "124", "12"),
    ("swuj", "咸宁市商务局", "市商务局", "Xianning Municipal Commerce Bureau", "125", "11"),
    ("jxj", "咸宁市经济和信息化局", "市经信局", "Xianning Municipal Bureau of Economy and Information Technology", "126", "11"),
    ("nync", "咸宁市农业农村局", "市农业农村局", "Xianning Municipal Agriculture and Rural Affairs Bureau", "127", "11"),
    ("jyj", "咸宁市教育局", "市教育局", "Xianning Municipal Education Bureau", "128", "11"),
    ("kjj", "咸宁市科学技术局", "市科技局", "Xianning Municipal Science and Technology Bureau", "129", "11"),
    ("tjj", "咸宁市统计局", "市统计局", "Xianning Municipal Statistics Bureau", "130", "11"),
    ("yjj", "咸宁市应急管理局", "市应急管理局", "Xianning Municipal Emergency Management Bureau", "131", "11"),
    ("sfj", "咸宁市司法局", "市司法局", "Xianning Municipal Justice Bureau", "132", "11"),
    ("ggzy", "咸宁市公共资源交易中心", "市公共资源交易中心", "Xianning Public Resources Trading Center", "133", "12"),
    ("zy", "咸宁市中级人民法院", "市中级人民法院", "Xianning Intermediate People's Court", "134", "11"),
    ("sjj", "咸宁市审计局", "市审计局", "Xianning Municipal Audit Bureau", "135", "11"),
    ("lsj", "咸宁市粮食和物资储备局", "市粮食和物资储备局", "Xianning Municipal Grain and Material Reserve Bureau", "136", "11"),
    ("yzj", "咸宁市邮政管理局", "市邮政管理局", "Xianning Postal Administration", "137", "11"),
    ("gjjt", "咸宁市公共交通集团有限公司", "市公交集团", "Xianning Public Transport Group", "138", "91"),
    ("swjt", "咸宁市城市供水有限公司", "市供水公司", "Xianning Urban Water Supply Company", "139", "91"),
    ("gdgs", "国网咸宁供电公司", "咸宁供电公司", "State Grid Xianning Power Supply Company", "140", "91"),
    ("rqgs", "咸宁市城市燃气有限公司", "市燃气公司", "Xianning City Gas Company", "141", "91"),
]

# The fifteen Chief Data Officer pilots (S8): key -> (CDO, business data, processes and responsibilities).
CITY_CDO = {
    "szj": ("刘建明（副局长）", "统筹全市政务数据资源目录编制、共享交换和开放平台运营", "目录编制—审核—发布闭环；数据供需对接；开放数据质量月度通报"),
    "scjg": ("陈晓峰（副局长）", "市场主体登记、行政许可、行政处罚、食品药品安全监管数据", "登记数据T+1归集；抽查检查结果公示；处罚信息7个工作日内公开"),
    "rsj": ("王丽娟（总经济师）", "就业登记、社会保险参保、职业技能培训、人才招聘数据", "社保数据按月汇总；招聘岗位实时更新；个人数据脱敏后开放统计结果"),
    "ybj": ("周志强（副局长）", "医保定点机构、医保结算、医疗服务价格、药品耗材集采数据", "结算数据按月汇总；价格目录动态调整；个人就医明细不予开放"),
    "zjj": ("张国华（副局长）", "房屋租赁备案、商品房预售、建筑市场主体、物业管理数据", "租赁备案按周更新；预售许可即时公开；企业资质按月同步"),
    "jtj": ("李卫东（总工程师）", "公交线路与实时到站、道路施工、客货运输企业、出租车数据", "实时数据分钟级推送；施工计划提前公示；运输企业信用季度评价"),
    "zrzy": ("黄文斌（副局长）", "基础地理信息、国土空间规划、不动产登记统计、地质灾害隐患点数据", "地理数据按年更新；规划成果批后公布；涉密测绘成果按规定脱密处理"),
    "wlj": ("吴静（副局长）", "旅游景区、星级饭店、文化场馆、演出活动与客流数据", "景区客流实时监测；节假日数据日报；演出信息提前7日发布"),
    "sthj": ("赵明亮（副局长）", "空气质量、地表水水质、污染源监管、环评审批数据", "监测数据小时级更新；环评审批结果即时公开；执法信息按月公开"),
    "wjw": ("孙海燕（副主任）", "医疗机构、医护人员执业、床位资源、传染病防控与慢病管理数据", "床位数据实时上报；传染病疫情按月统计公开；个案数据严格不予开放"),
    "fgw": ("郑宏伟（副主任、市信用办主任）", "社会信用体系、守信激励与失信惩戒名单、价格监测数据", "“双公示”数据7个工作日内归集；信用修复结果即时更新；红黑名单按月发布"),
    "mzj": ("何丽萍（副局长）", "社会救助、养老服务机构、社会组织、婚姻登记统计数据", "低保数据按月核查；养老机构信息按季更新；救助对象个人信息不予开放"),
    "swuj": ("徐志勇（副局长）", "商贸流通企业、农贸市场与商超、消费品零售、外贸进出口数据", "商超名录按季更新；消费指数按月发布；重点企业直报数据汇总后开放"),
    "nync": ("马建军（副局长）", "土地承包经营权、农业补贴发放、土地流转、农产品质量安全数据", "补贴发放按批次公示；流转合同按月归集；承包户个人信息脱敏处理"),
    "jyj": ("杨华（副局长）", "学校名录、招生计划、学位供给、校外培训机构监管数据", "学校信息每学期更新；招生政策按时发布；学生个人信息不予开放"),
}

# County departments: (type key, name suffix, short suffix, English suffix, business_code)
COUNTY_DEPARTMENT_TYPES = [
    ("szj", "政务服务和大数据管理局", "政数局", "Administration of Government Services and Big Data", "101"),
    ("scjg", "市场监督管理局", "市场监管局", "Administration for Market Regulation", "102"),
    ("rsj", "人力资源和社会保障局", "人社局", "Bureau of Human Resources and Social Security", "103"),
    ("zjj", "住房和城乡建设局", "住建局", "Bureau of Housing and Urban-Rural Development", "105"),
    ("jtj", "交通运输局", "交通运输局", "Transport Bureau", "108"),
    ("zrzy", "自然资源和规划局", "自然资源和规划局", "Bureau of Natural Resources and Planning", "110"),
    ("wlj", "文化和旅游局", "文旅局", "Bureau of Culture and Tourism", "111"),
    ("wjj", "卫生健康局", "卫健局", "Health Bureau", "116"),
    ("mzj", "民政局", "民政局", "Civil Affairs Bureau", "122"),
    ("nync", "农业农村局", "农业农村局", "Agriculture and Rural Affairs Bureau", "127"),
    ("jyj", "教育局", "教育局", "Education Bureau", "128"),
    ("tjj", "统计局", "统计局", "Statistics Bureau", "130"),
]

# One CDO pilot per county: region code -> department type.
COUNTY_CDO = {
    "421202": "scjg",
    "421221": "nync",
    "421222": "wjj",
    "421223": "jyj",
    "421224": "wlj",
    "421281": "jtj",
    "421200GX": "econ",
}

# The high-tech zone's own bodies: (type key, name, short, English, business_code, topic type it borrows)
ZONE_DEPARTMENTS = [
    ("office", "咸宁高新区管委会办公室", "高新区管委办", "Office of the Xianning High-tech Zone Management Committee", "101", "szj"),
    ("econ", "咸宁高新区经济发展局", "高新区经发局", "Economic Development Bureau of Xianning High-tech Zone", "126", "econ"),
    ("tech", "咸宁高新区科技创新局", "高新区科创局", "Science and Innovation Bureau of Xianning High-tech Zone", "129", "tech"),
    ("build", "咸宁高新区规划建设局", "高新区规建局", "Planning and Construction Bureau of Xianning High-tech Zone", "105", "zjj"),
    ("social", "咸宁高新区社会事务局", "高新区社会事务局", "Social Affairs Bureau of Xianning High-tech Zone", "122", "mzj"),
    ("market", "咸宁市市场监督管理局高新区分局", "高新区市场监管分局", "High-tech Zone Branch of Xianning Market Regulation", "102", "scjg"),
    ("safety", "咸宁高新区安全生产监督管理局", "高新区安监局", "Work Safety Bureau of Xianning High-tech Zone", "131", "safety"),
    ("invest", "咸宁高新区招商服务局", "高新区招商局", "Investment Promotion Bureau of Xianning High-tech Zone", "125", "invest"),
    ("finance", "咸宁高新区财政局", "高新区财政局", "Finance Bureau of Xianning High-tech Zone", "117", "finance"),
]
