"""A deterministic generator of realistic reply documents, at any N.

Document i depends only on the seed and on the documents before it, so the corpus of N
replies is a prefix of the corpus of 10·N: a 10k run and a 100k run share their first 10k.

What a generated reply looks like, and why:

- The page shapes the parser reads in the wild, copied from `fixtures/replies/`: the municipal
  text capture with a `[ 索引号 ]` block (`000_…txt`), the municipal HTML page with a metadata
  `<table>` (`cq-jw-…html`, also GBK-encoded), and the national ministry capture with spaced
  labels (`most-…txt`).
- Agencies at four levels (State Council departments, provinces and municipalities, cities,
  districts), written by full name in signatures and by short name (`市财政局`) in the text, as
  real letters do; Chongqing's and the national names are those of `replies/data/agencies.py`.
- Sessions 2018–2025 of CPPCC and people's congresses at each level, proposal numbers per
  session, members (Zipf-like: a few ask often, most rarely) or collective proposers, lead
  replies and co-handling opinions (协办意见), `下一步` commitments, `《…》（文号）` citations.
- Bodies of 2,000–10,000 characters from sentences of the fixture letters (numbers redrawn)
  mixed with templated sentences over per-theme vocabularies and a long tail of place and
  enterprise names, so the bigram distribution has a heavy head and a long tail.
- Planted terms with known frequencies for the benchmark's query mix: `RARE_TERM` (≈0.2% of
  replies), `COMMON_TERM` (≈40%), and the phrase `PHRASE_TERM` (whose two words also occur
  apart, the bigram index's false-positive case).

Run it alone to write files the `ingest` command reads:
    python benchmarks/generate.py --n 1000 --out /tmp/corpus
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import html
import json
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "replies"

RARE_TERM = "钙钛矿叠层电池"
RARE_TERM_RATE = 0.002
COMMON_TERM = "高质量发展"
COMMON_TERM_RATE = 0.3
PHRASE_TERM = "科技企业孵化"
PHRASE_TERM_RATE = 0.04
#: Documents per zip shard in a stored corpus.
SHARD_SIZE = 10_000

# --------------------------------------------------------------------------- vocabulary

#: theme → words its letters use. Theme names are those agencies put under 主题分类.
THEME_TERMS: dict[str, tuple[str, ...]] = {
    "科技": (
        "科技型企业",
        "高新技术企业",
        "众创空间",
        "孵化器",
        "概念验证中心",
        "成果转化",
        "技术经纪人",
        "研发费用加计扣除",
        "重点实验室",
        "新型研发机构",
        "关键核心技术",
        "科创基金",
        "专精特新",
        "产学研协同",
        "科技特派员",
        "未来产业",
        "人工智能",
        "大科学装置",
        "创新联合体",
        "知识产权质押融资",
    ),
    "教育": (
        "义务教育",
        "学前教育",
        "职业教育",
        "科学教育",
        "课后服务",
        "教师队伍建设",
        "集团化办学",
        "学位供给",
        "双减",
        "心理健康教育",
        "劳动教育",
        "产教融合",
        "县域高中",
        "智慧校园",
        "研学实践",
        "特殊教育",
        "校园安全",
        "家校共育",
    ),
    "交通运输": (
        "城市轨道交通",
        "公交线网",
        "农村公路",
        "停车泊位",
        "充电基础设施",
        "网约车",
        "货运物流",
        "多式联运",
        "交通拥堵治理",
        "慢行系统",
        "客运枢纽",
        "道路养护",
        "港口航运",
        "智慧交通",
        "跨境公路班车",
        "高速公路服务区",
    ),
    "医疗卫生": (
        "家庭医生签约",
        "分级诊疗",
        "医联体",
        "基层医疗卫生机构",
        "公共卫生",
        "儿科医疗",
        "中医药传承",
        "互联网医院",
        "急救体系",
        "疾病预防控制",
        "妇幼保健",
        "精神卫生",
        "护理人员",
        "全科医生",
        "慢性病管理",
        "职业病防治",
    ),
    "民政": (
        "养老服务",
        "社区",
        "居家养老",
        "社区食堂",
        "老年助餐",
        "养老机构",
        "适老化改造",
        "社会救助",
        "低保",
        "儿童福利",
        "婚姻登记",
        "殡葬改革",
        "社会组织",
        "志愿服务",
        "残疾人两项补贴",
        "困境儿童",
        "城乡社区治理",
    ),
    "农业农村": (
        "乡村振兴",
        "高标准农田",
        "种业振兴",
        "农村集体经济",
        "农产品加工",
        "冷链物流",
        "宅基地",
        "农村人居环境",
        "家庭农场",
        "农民专业合作社",
        "耕地保护",
        "粮食安全",
        "数字乡村",
        "乡村旅游",
        "农业社会化服务",
        "丘陵山区农机",
    ),
    "生态环境": (
        "长江保护",
        "污染防治",
        "大气污染",
        "水环境治理",
        "土壤污染",
        "固体废物",
        "碳达峰",
        "碳中和",
        "生态补偿",
        "河长制",
        "噪声污染",
        "环境监测",
        "新污染物",
        "生物多样性",
        "排污许可",
        "生态修复",
    ),
    "城乡建设": (
        "城市更新",
        "老旧小区改造",
        "保障性住房",
        "物业管理",
        "加装电梯",
        "城中村改造",
        "海绵城市",
        "地下管网",
        "建筑垃圾",
        "装配式建筑",
        "历史文化街区",
        "住房公积金",
        "房地产市场",
        "韧性城市",
        "背街小巷",
    ),
    "财政、金融": (
        "专项债券",
        "政府采购",
        "转移支付",
        "普惠金融",
        "融资担保",
        "首贷续贷",
        "科技金融",
        "绿色金融",
        "地方金融监管",
        "中小微企业融资",
        "税费优惠",
        "预算绩效",
    ),
    "文化旅游": (
        "文旅融合",
        "公共文化服务",
        "非物质文化遗产",
        "文物保护",
        "夜间经济",
        "旅游度假区",
        "博物馆",
        "全民阅读",
        "演艺市场",
        "红色旅游",
        "乡村文化振兴",
        "智慧旅游",
    ),
    "劳动就业": (
        "稳就业",
        "高校毕业生就业",
        "技能人才",
        "职业技能培训",
        "灵活就业",
        "新就业形态",
        "农民工工资",
        "社会保险",
        "劳动关系",
        "创业担保贷款",
        "公益性岗位",
        "退役军人就业",
    ),
    "商贸": (
        "消费升级",
        "内外贸一体化",
        "跨境电商",
        "步行街",
        "一刻钟便民生活圈",
        "老字号",
        "会展经济",
        "外资企业",
        "自贸试验区",
        "营商环境",
        "农村电商",
        "直播电商",
    ),
    "公安、司法": (
        "社会治安",
        "电信网络诈骗",
        "道路交通安全",
        "矛盾纠纷化解",
        "法律援助",
        "社区矫正",
        "公共法律服务",
        "行政复议",
        "人民调解",
        "未成年人保护",
        "枫桥经验",
    ),
    "工业和信息化": (
        "制造业数字化转型",
        "工业互联网",
        "智能网联新能源汽车",
        "集成电路",
        "软件信息服务",
        "中小企业",
        "专精特新企业",
        "产业集群",
        "5G基站",
        "算力基础设施",
        "绿色工厂",
        "智能制造",
        "新型工业化",
        "数据要素",
    ),
    "体育": (
        "全民健身",
        "体育公园",
        "青少年体育",
        "体育赛事",
        "健身步道",
        "学校体育场馆开放",
        "体育产业",
        "社会足球场地",
    ),
    "市场监管": (
        "食品安全",
        "药品监管",
        "特种设备",
        "质量强市",
        "标准化",
        "计量检测",
        "价格监管",
        "消费维权",
        "预付式消费",
        "公平竞争审查",
        "网络交易监管",
    ),
    "应急管理": (
        "安全生产",
        "防汛抗旱",
        "地质灾害防治",
        "森林防火",
        "应急救援队伍",
        "应急物资储备",
        "城市燃气安全",
        "消防安全",
        "自然灾害风险普查",
        "基层应急能力",
    ),
}

#: theme → (national department, provincial suffix / short, municipal suffix / short,
#: district suffix / short, 文号 abbreviation). The municipal names are Chongqing's.
DEPARTMENTS: dict[str, tuple[str, tuple[str, str], tuple[str, str], tuple[str, str], str]] = {
    "科技": (
        "科学技术部",
        ("科学技术厅", "科技厅"),
        ("科学技术局", "科技局"),
        ("科学技术局", "科技局"),
        "科",
    ),
    "教育": ("教育部", ("教育厅", "教育厅"), ("教育委员会", "教委"), ("教育委员会", "教委"), "教"),
    "交通运输": (
        "交通运输部",
        ("交通运输厅", "交通运输厅"),
        ("交通运输委员会", "交通运输委"),
        ("交通局", "交通局"),
        "交",
    ),
    "医疗卫生": (
        "国家卫生健康委员会",
        ("卫生健康委员会", "卫生健康委"),
        ("卫生健康委员会", "卫生健康委"),
        ("卫生健康委员会", "卫生健康委"),
        "卫",
    ),
    "民政": ("民政部", ("民政厅", "民政厅"), ("民政局", "民政局"), ("民政局", "民政局"), "民"),
    "农业农村": (
        "农业农村部",
        ("农业农村厅", "农业农村厅"),
        ("农业农村委员会", "农业农村委"),
        ("农业农村委员会", "农业农村委"),
        "农",
    ),
    "生态环境": (
        "生态环境部",
        ("生态环境厅", "生态环境厅"),
        ("生态环境局", "生态环境局"),
        ("生态环境局", "生态环境局"),
        "环",
    ),
    "城乡建设": (
        "住房和城乡建设部",
        ("住房和城乡建设厅", "住房城乡建设厅"),
        ("住房和城乡建设委员会", "住房城乡建委"),
        ("住房和城乡建设委员会", "住房城乡建委"),
        "建",
    ),
    "财政、金融": (
        "财政部",
        ("财政厅", "财政厅"),
        ("财政局", "财政局"),
        ("财政局", "财政局"),
        "财",
    ),
    "文化旅游": (
        "文化和旅游部",
        ("文化和旅游厅", "文化和旅游厅"),
        ("文化和旅游发展委员会", "文化旅游委"),
        ("文化和旅游发展委员会", "文化旅游委"),
        "文旅",
    ),
    "劳动就业": (
        "人力资源和社会保障部",
        ("人力资源和社会保障厅", "人力资源社会保障厅"),
        ("人力资源和社会保障局", "人力社保局"),
        ("人力资源和社会保障局", "人力社保局"),
        "人社",
    ),
    "商贸": (
        "商务部",
        ("商务厅", "商务厅"),
        ("商务委员会", "商务委"),
        ("商务委员会", "商务委"),
        "商",
    ),
    "公安、司法": (
        "公安部",
        ("公安厅", "公安厅"),
        ("公安局", "公安局"),
        ("司法局", "司法局"),
        "公",
    ),
    "工业和信息化": (
        "工业和信息化部",
        ("工业和信息化厅", "工业和信息化厅"),
        ("经济和信息化委员会", "经济信息委"),
        ("经济和信息化委员会", "经济信息委"),
        "经信",
    ),
    "体育": (
        "国家体育总局",
        ("体育局", "体育局"),
        ("体育局", "体育局"),
        ("体育局", "体育局"),
        "体",
    ),
    "市场监管": (
        "国家市场监督管理总局",
        ("市场监督管理局", "市场监管局"),
        ("市场监督管理局", "市场监管局"),
        ("市场监督管理局", "市场监管局"),
        "市监",
    ),
    "应急管理": (
        "应急管理部",
        ("应急管理厅", "应急管理厅"),
        ("应急管理局", "应急局"),
        ("应急管理局", "应急局"),
        "应急",
    ),
}
#: How a national department signs in a text capture (`科技部`), where it has a usual short name.
NATIONAL_SHORT = {
    "科学技术部": "科技部",
    "国家卫生健康委员会": "国家卫生健康委",
    "住房和城乡建设部": "住房城乡建设部",
    "人力资源和社会保障部": "人力资源社会保障部",
    "国家市场监督管理总局": "市场监管总局",
}
#: Departments that co-handle anything (they hold the money, the staff or the plan).
CO_THEMES = ("财政、金融", "劳动就业", "城乡建设", "工业和信息化", "科技", "教育", "民政")

GENERIC_NOUNS = (
    "工作机制",
    "政策体系",
    "服务体系",
    "保障措施",
    "考核评价",
    "资金投入",
    "人才队伍",
    "试点示范",
    "标准规范",
    "数字化平台",
    "协同联动",
    "监督检查",
    "宣传引导",
    "统筹规划",
    "要素保障",
    "营商环境",
    "体制机制",
    "基础设施",
    "公共服务",
    "风险防控",
)
VERBS = (
    "加快推进",
    "持续完善",
    "着力加强",
    "积极推动",
    "统筹推进",
    "深入实施",
    "不断优化",
    "进一步健全",
    "大力发展",
    "扎实推进",
    "切实做好",
    "探索建立",
    "稳步推进",
    "全面加强",
)
PLACE_CHARS = (
    "安宝北碧滨昌长城春翠大丹德东峰丰福港高光广海和河宏华环黄佳建江金锦景靖静九康兰蓝乐"
    "丽莲临龙鹿绿茂梅美明南宁平普七千青清庆泉仁荣瑞三山上石双水顺松桃天通同万文五西溪"
    "仙祥新兴星秀雅阳杨银永玉元园云泽长正中忠竹紫白柏板宝璧苍草茶朝陈城赤崇川垂大黛道"
    "稻荻渡峨凤福甘岗歌古观桂果禾合荷鹤横红洪湖虎花槐黄汇吉嘉江蛟金锦晋井静菊巨峻开"
)
PLACE_SUFFIXES = (
    "村",
    "镇",
    "街道",
    "社区",
    "产业园",
    "科技有限公司",
    "实验室",
    "示范区",
    "农业合作社",
    "工业园区",
    "小学",
    "中学",
    "卫生院",
    "养老中心",
    "物流园",
    "文化馆",
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅波辉鹏斌宇浩凯健俊"
    "帆帅旭宁婷雪琳晶欣颖慧婧瑶怡晨阳峰岩志宏海鑫立新文博东亮成林子涵思雨嘉琪晓卓诚"
)
COLLECTIVE_NATIONAL = (
    "民进中央",
    "九三学社中央",
    "民盟中央",
    "农工党中央",
    "致公党中央",
    "民革中央",
)
COLLECTIVE_LOCAL = (
    "九三学社{r}委会",
    "民革{r}委会",
    "民盟{r}委会",
    "{p}工商联",
    "{p}政协经济委员会",
)
CITED_DOC_NAMES = (
    "关于推动{t}高质量发展的实施意见",
    "{r}{t}发展规划（2021—2025年）",
    "{r}加快推进{t}若干措施",
    "关于进一步加强{t}工作的通知",
    "{r}{t}三年行动计划（2023—2025年）",
    "{r}{t}管理办法",
    "关于支持{t}的若干政策",
)


@dataclass(frozen=True)
class Region:
    name: str  # 重庆市, 广东省, 广州市, 重庆市渝中区; "" for national
    level: str  # national / provincial / city / district
    prefix: str  # how short names start there: 市 / 省 / 区 / "" (national)
    abbr: str  # 文号 prefix: 渝, 粤, 穗, 渝中
    weight: float
    #: CPPCC and people's congress terms: (first year of the term, its number).
    cppcc_term: tuple[int, int]
    npc_term: tuple[int, int]


REGIONS = (
    Region("", "national", "", "", 0.12, (2023, 14), (2023, 14)),
    Region("重庆市", "provincial", "市", "渝", 0.26, (2023, 6), (2023, 6)),
    Region("上海市", "provincial", "市", "沪", 0.06, (2023, 14), (2023, 16)),
    Region("北京市", "provincial", "市", "京", 0.05, (2023, 14), (2023, 16)),
    Region("广东省", "provincial", "省", "粤", 0.06, (2023, 13), (2023, 14)),
    Region("四川省", "provincial", "省", "川", 0.05, (2023, 13), (2023, 14)),
    Region("浙江省", "provincial", "省", "浙", 0.04, (2023, 13), (2023, 14)),
    Region("广州市", "city", "市", "穗", 0.05, (2022, 14), (2022, 16)),
    Region("成都市", "city", "市", "成", 0.05, (2022, 16), (2022, 18)),
    Region("杭州市", "city", "市", "杭", 0.03, (2022, 12), (2022, 14)),
    Region("重庆市渝中区", "district", "区", "渝中", 0.05, (2022, 15), (2022, 18)),
    Region("重庆市江北区", "district", "区", "江北", 0.04, (2022, 15), (2022, 18)),
    Region("重庆市沙坪坝区", "district", "区", "沙", 0.03, (2022, 15), (2022, 18)),
    Region("上海市浦东新区", "district", "区", "浦", 0.04, (2022, 7), (2022, 7)),
    Region("北京市朝阳区", "district", "区", "朝", 0.03, (2022, 15), (2022, 17)),
)
YEARS = tuple(range(2018, 2026))
#: More replies are published online every year.
YEAR_WEIGHTS = (0.06, 0.08, 0.10, 0.12, 0.14, 0.16, 0.18, 0.16)

_NUMERALS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1..99 as Chinese numerals (`十四`, `二十一`)."""
    if n < 10:
        return _NUMERALS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")


def session_name(region: Region, kind: str, year: int) -> str:
    """`市政协六届二次会议`, `十四届全国人大二次会议`, `政协十四届全国委员会第二次会议`."""
    first_year, term = region.cppcc_term if kind == "proposal" else region.npc_term
    # Terms last five years; the sessions (次会议) are counted within a term.
    offset = year - first_year
    term += offset // 5
    meeting = offset % 5 + 1
    term_cn, meeting_cn = chinese_number(term), chinese_number(meeting)
    if region.level == "national":
        if kind == "proposal":
            return f"政协{term_cn}届全国委员会第{meeting_cn}次会议"
        return f"{term_cn}届全国人大{meeting_cn}次会议"
    if kind == "proposal":
        return f"{region.prefix}政协{term_cn}届{meeting_cn}次会议"
    return f"{region.prefix}{term_cn}届人大{meeting_cn}次会议"


@dataclass(frozen=True)
class Agency:
    full: str  # as it signs: 重庆市科学技术局
    short: str  # as other letters name it: 市科技局
    abbr: str  # 文号 prefix: 渝科局
    code: str  # the 18-character organisation code in its 索引号


def agency_for(region: Region, theme: str) -> Agency:
    national, provincial, municipal, district, abbr = DEPARTMENTS[theme]
    if region.level == "national":
        full, short = national, NATIONAL_SHORT.get(national, national)
        doc_abbr = f"{abbr}函"
    else:
        if region.level == "district":
            suffix, short_suffix = district
        elif region.prefix == "省":
            suffix, short_suffix = provincial
        else:
            suffix, short_suffix = municipal
        full, short = region.name + suffix, region.prefix + short_suffix
        doc_abbr = f"{region.abbr}{abbr}{'厅' if region.prefix == '省' else '局'}函"
    digest = hashlib.sha256(full.encode()).hexdigest().upper()
    code = ("000014" + digest[:3]) if region.level == "national" else ("115" + digest[:15])
    return Agency(full=full, short=short, abbr=doc_abbr, code=code)


# --------------------------------------------------------------------------- phrase banks


@dataclass
class PhraseBanks:
    """Sentences and headings lifted from the fixture letters, by the theme of their letter."""

    sentences: dict[str, list[str]] = field(default_factory=dict)
    headings: list[str] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)


_SENTENCE_END = re.compile(r"(?<=[。；！])")
_SKIP_SENTENCE = re.compile(r"收悉|感谢|联系|委员|代表|现答复|审签|答复类别|函告|此复|特此|回执")


@lru_cache(maxsize=1)
def phrase_banks() -> PhraseBanks:
    banks = PhraseBanks()
    for path in sorted(FIXTURES.glob("*.expected.json")):
        expected = json.loads(path.read_text(encoding="utf-8"))
        theme = _theme_of((expected.get("theme") or "") + expected["title"])
        texts = [s["text"] for s in expected["sections"]] + [
            c["text"] for c in expected["commitments"]
        ]
        for text in texts:
            for sentence in _SENTENCE_END.split(text.replace("\n", "")):
                sentence = sentence.strip()
                if 12 <= len(sentence) <= 260 and not _SKIP_SENTENCE.search(sentence):
                    banks.sentences.setdefault(theme, []).append(sentence)
        for part in expected["sections"] + expected["commitments"]:
            heading = part["heading"].strip("。 ")
            if 4 <= len(heading) <= 30 and "下一步" not in heading:
                banks.headings.append(heading)
        banks.citations.extend(c["title"] for c in expected["citations"])
    banks.headings = sorted(set(banks.headings))
    banks.citations = sorted(set(banks.citations))
    return banks


def _theme_of(text: str) -> str:
    for theme in THEME_TERMS:
        if any(part in text for part in theme.split("、")):
            return theme
    if "教" in text:
        return "教育"
    return "科技"


# --------------------------------------------------------------------------- members


@lru_cache(maxsize=1)
def member_pool() -> tuple[str, ...]:
    """40,000 distinct names, in a fixed order (rank 0 asks most often)."""
    rng = random.Random(20240101)
    names: dict[str, None] = {}
    while len(names) < 40_000:
        given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.7 else "")
        names[rng.choice(SURNAMES) + given] = None
    return tuple(names)


# --------------------------------------------------------------------------- documents


@dataclass
class Document:
    filename: str
    data: bytes
    #: What the document says, for checking the parser and choosing queries.
    truth: dict


@dataclass
class _Proposal:
    region: Region
    kind: str
    year: int
    session: str
    number: str
    title: str
    theme: str
    members: list[str]
    proposer_org: str
    co_themes: list[str]


class Generator:
    """Yields documents 0, 1, 2, … for a seed; the same seed gives the same bytes."""

    def __init__(self, seed: int = 1) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.banks = phrase_banks()
        self.members = member_pool()
        self._numbers: dict[str, int] = {}  # session → last proposal number
        self._doc_seq: dict[tuple[str, int], int] = {}  # (agency, year) → last 文号 / 索引号

    # -- small draws

    def _weighted(self, items, weights):
        return self.rng.choices(items, weights=weights, k=1)[0]

    def _member(self) -> str:
        # Zipf-like over the pool: rank r is chosen with probability ∝ r^-0.4 (roughly).
        u = self.rng.random()
        return self.members[int(len(self.members) * u**1.6)]

    def _place(self) -> str:
        rng = self.rng
        return rng.choice(PLACE_CHARS) + rng.choice(PLACE_CHARS) + rng.choice(PLACE_SUFFIXES)

    def _number(self, digits: int) -> str:
        return str(self.rng.randint(10 ** (digits - 1), 10**digits - 1))

    def _term(self, theme: str) -> str:
        return self.rng.choice(THEME_TERMS[theme])

    # -- sentences

    def _template_sentence(self, theme: str, region: Region, co: list[Agency]) -> str:
        rng = self.rng
        t, t2 = self._term(theme), self._term(theme)
        g, v = rng.choice(GENERIC_NOUNS), rng.choice(VERBS)
        n = self._number(rng.choice((1, 2, 2, 3, 4)))
        year = rng.choice(YEARS)
        place = self._place()
        who = rng.choice(co).short if co else "相关部门"
        region_word = {"national": "全国", "district": "全区"}.get(
            region.level, "全省" if region.prefix == "省" else "全市"
        )
        templates = (
            f"{v}{t}，完善{t2}{g}，推动{t}与{t2}深度融合。",
            f"{year}年，{region_word}累计投入资金{n}亿元，支持{t}项目{self._number(3)}个。",
            f"会同{who}出台{t}支持政策，在{place}等地开展试点，形成可复制可推广的经验做法。",
            f"截至目前，已建成{t}{n}个，覆盖{region_word}{self._number(2)}个区县，服务群众{self._number(2)}万人次。",
            f"坚持问题导向，聚焦{t}领域的难点堵点，{v}{g}建设。",
            f"指导{place}建立{t}工作台账，实行清单化管理、项目化推进。",
            f"将{t}纳入年度重点工作，定期调度进展情况，确保各项任务落地见效。",
            f"充分发挥{who}职能作用，加强{t}和{t2}的统筹协调，形成工作合力。",
            f"针对您提出的{t}问题，我们组织开展了专题调研，深入{place}等{self._number(1)}个点位实地了解情况。",
            f"{v}{t2}{g}，健全部门协同、上下联动的推进机制。",
            f"依托{place}打造{t}示范项目，带动周边{self._number(2)}家单位参与。",
            f"加大{t}宣传力度，通过政务新媒体发布政策解读{self._number(2)}篇，提高政策知晓率。",
            f"建立{t}定期评估机制，对{self._number(2)}家单位开展绩效评价，评价结果与资金安排挂钩。",
            f"下一阶段将重点解决{t}中存在的投入不足、协同不够等问题。",
            f"{region_word}{t}规模达到{n}万，同比增长{self._number(1)}.{self._number(1)}%。",
        )
        return rng.choice(templates)

    def _fixture_sentence(self, theme: str) -> str:
        bank = self.banks.sentences.get(theme)
        if bank is None or self.rng.random() < 0.1:
            # Letters borrow each other's phrasing across themes, too.
            bank = self.banks.sentences[self.rng.choice(sorted(self.banks.sentences))]
        sentence = self.rng.choice(bank)
        # Redraw the figures so that numbers are not the same in every copy.
        return re.sub(r"\d+", lambda m: self._number(len(m.group())), sentence)

    def _sentence(self, theme: str, region: Region, co: list[Agency]) -> str:
        if self.rng.random() < 0.3:
            return self._fixture_sentence(theme)
        return self._template_sentence(theme, region, co)

    def _paragraph(self, theme, region, co, target: int) -> str:
        parts: list[str] = []
        length = 0
        while length < target:
            sentence = self._sentence(theme, region, co)
            parts.append(sentence)
            length += len(sentence)
        return "".join(parts)

    def _heading(self, theme: str) -> str:
        if self.rng.random() < 0.4:
            return self.rng.choice(self.banks.headings)
        return f"{self.rng.choice(VERBS)}{self._term(theme)}"

    def _citation(self, theme: str, region: Region, year: int) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < 0.25:
            title = rng.choice(self.banks.citations)
        else:
            title = rng.choice(CITED_DOC_NAMES).format(t=self._term(theme), r=region.name[:3])
        abbr = region.abbr or "国"
        doc_no = f"{abbr}府办发〔{rng.randint(2016, year)}〕{rng.randint(1, 200)}号"
        return title, doc_no

    # -- one proposal and its replies

    def _proposal(self) -> _Proposal:
        rng = self.rng
        region = self._weighted(REGIONS, [r.weight for r in REGIONS])
        kind = "proposal" if rng.random() < 0.55 else "suggestion"
        year = self._weighted(YEARS, YEAR_WEIGHTS)
        session = session_name(region, kind, year)
        number = self._numbers.get(session, rng.randint(0, 30)) + rng.randint(1, 3)
        self._numbers[session] = number
        width = rng.choice((4, 4, 4, 5)) if region.level == "national" else 4
        theme = rng.choice(sorted(THEME_TERMS))
        suffix = "提案" if kind == "proposal" and rng.random() < 0.3 else "建议"
        title = f"关于{rng.choice(VERBS)}{self._term(theme)}{rng.choice(GENERIC_NOUNS)}的{suffix}"
        proposer_org = ""
        members: list[str] = []
        if kind == "proposal" and rng.random() < 0.12:
            if region.level == "national":
                proposer_org = rng.choice(COLLECTIVE_NATIONAL)
            else:
                proposer_org = rng.choice(COLLECTIVE_LOCAL).format(
                    r=region.name[:3], p=region.prefix
                )
        else:
            count = self._weighted((1, 2, 3), (0.8, 0.12, 0.08))
            members = list(dict.fromkeys(self._member() for _ in range(count)))
        co_count = self._weighted((0, 1, 2, 3), (0.25, 0.35, 0.25, 0.15))
        co_themes = [t for t in rng.sample(CO_THEMES, co_count) if t != theme]
        return _Proposal(
            region=region,
            kind=kind,
            year=year,
            session=session,
            number=str(number).zfill(width),
            title=title,
            theme=theme,
            members=members,
            proposer_org=proposer_org,
            co_themes=co_themes,
        )

    def documents(self) -> Iterator[Document]:
        index = 0
        while True:
            proposal = self._proposal()
            yield self._reply(index, proposal, role="lead")
            index += 1
            # Some co-handling agencies publish their opinion as well.
            for co_theme in proposal.co_themes:
                if self.rng.random() < 0.35:
                    yield self._reply(index, proposal, role="co", co_theme=co_theme)
                    index += 1

    def _reply(self, index: int, p: _Proposal, *, role: str, co_theme: str = "") -> Document:
        rng = self.rng
        region = p.region
        lead = agency_for(region, p.theme)
        sender = agency_for(region, co_theme) if role == "co" else lead
        co_agencies = [agency_for(region, t) for t in p.co_themes] if role == "lead" else []
        theme_label = p.theme if role == "lead" else co_theme
        year = p.year
        written = dt.date(year, 4, 1) + dt.timedelta(days=rng.randint(0, 170))
        published = written + dt.timedelta(days=rng.randint(0, 30))
        signed = written - dt.timedelta(days=rng.choice((0, 0, 0, 1, 3, 7)))
        seq = self._doc_seq.get((sender.full, year), 0) + 1
        self._doc_seq[(sender.full, year)] = seq
        doc_no = f"{sender.abbr}〔{year}〕{seq}号"
        has_index = region.level != "district" or rng.random() < 0.6
        index_no = f"{sender.code}/{year}-{seq:05d}" if has_index else None
        kind_word = "提案" if p.kind == "proposal" else "建议"
        if role == "co":
            title = f"{sender.full}关于{p.session}第{p.number}号{kind_word}的协办意见"
        elif p.kind == "proposal":
            title = f"{sender.full}关于{p.session}第{p.number}号提案答复的函"
        else:
            title = f"{sender.full}关于{p.session}第{p.number}号建议办理情况的答复函"

        target = int(min(10_000, max(2_000, rng.lognormvariate(8.3, 0.45))))
        body, commitments, citations = self._body(p, role, lead, sender, co_agencies, target)
        theme_text = theme_label if rng.random() < 0.8 else f"{theme_label}、{p.theme}"
        genre = "政协提案办理" if p.kind == "proposal" else "人大建议办理"
        truth = {
            "index": index,
            "index_no": index_no,
            "doc_no": doc_no,
            "title": title,
            "theme": theme_text,
            "genre": genre,
            "publisher": sender.short,
            "written_date": written.isoformat(),
            "published_date": published.isoformat(),
            "signed_date": signed.isoformat(),
            "kind": p.kind,
            "session": p.session,
            "proposal_number": p.number,
            "proposal_title": p.title,
            "members": p.members,
            "proposer_org": p.proposer_org or None,
            "sender": sender.full,
            "role": role,
            "lead_agency": lead.full if role == "lead" else lead.short,
            "co_agencies": [a.short for a in co_agencies],
            "year": year,
            "region": region.name,
            "level": region.level,
            "commitments": commitments,
            "citations": citations,
            "body_chars": len(body),
            "has_rare": RARE_TERM in body,
            "has_common": COMMON_TERM in body,
            "has_phrase": PHRASE_TERM in body,
        }
        shape = self._shape(region)
        truth["shape"] = shape
        data, suffix = self._render(shape, truth, body, sender, signed)
        filename = f"bench-{index:07d}{suffix}"
        return Document(filename=filename, data=data, truth=truth)

    def _body(self, p, role, lead, sender, co_agencies, target):
        rng = self.rng
        region = p.region
        theme = p.theme
        lines: list[str] = []
        ptitle = f"《{p.title}》（第{p.number}号）"
        if role == "lead":
            if p.proposer_org:
                lines.append(f"{p.proposer_org}：")
                you = "你单位"
            elif p.kind == "proposal":
                lines.append(f"{'、'.join(p.members)}委员：")
                you = "您"
            else:
                lines.append(f"{'、'.join(p.members)}代表：")
                you = "您"
            if co_agencies:
                names = "、".join(a.short for a in co_agencies)
                opening = rng.choice(
                    (
                        f"{you}提出的{ptitle}收悉。经与{names}共同研究办理，现答复如下：",
                        f"{you}提出的{ptitle}收悉。我们会同{names}认真研究办理，现答复如下：",
                        f"{you}提出的{ptitle}收悉。经商{names}，现答复如下：",
                    )
                )
            else:
                opening = f"{you}提出的{ptitle}收悉。经认真研究，现答复如下："
        else:
            lines.append(f"{lead.short}：")
            asker = "、".join(p.members) + ("委员" if p.kind == "proposal" else "代表")
            asker = p.proposer_org or asker
            opening = (
                f"{asker}提出的{ptitle}收悉。我单位作为协办单位，结合工作职能，"
                "现将协办意见函告如下："
            )
        lines.append(opening)

        # Planted terms, each in a sentence of its own, placed in the first section.
        planted = []
        if rng.random() < COMMON_TERM_RATE:
            planted.append(f"围绕推动{self._term(theme)}{COMMON_TERM}，我们持续加大工作力度。")
        if rng.random() < RARE_TERM_RATE:
            planted.append(f"支持{self._place()}开展{RARE_TERM}中试验证和示范应用。")
        if rng.random() < PHRASE_TERM_RATE:
            planted.append(f"完善{PHRASE_TERM}服务体系，提升在孵企业成长质量。")

        citations: list[dict] = []
        commitments: list[dict] = []
        co_for_text = co_agencies or [sender]
        situation_target = int(target * 0.6)
        section_count = 1 if target < 3500 else 2
        numerals = "一二三四五六"
        length = 0
        for s in range(section_count):
            heading = (
                f"关于{self._term(theme)}工作情况"
                if s == 0
                else rng.choice(("存在的主要困难", "下一阶段面临的形势", "有关问题的说明"))
            )
            lines.append(f"{numerals[s]}、{heading}")
            items = rng.randint(2, 4)
            per_item = max(200, situation_target // section_count // items)
            for k in range(items):
                paragraph = self._paragraph(theme, region, co_for_text, per_item)
                if planted and s == 0:
                    paragraph = planted.pop() + paragraph
                if rng.random() < 0.3 and len(citations) < 5:
                    title, doc_no = self._citation(theme, region, p.year)
                    if title not in {c["title"] for c in citations}:
                        citations.append({"title": title, "doc_no": doc_no})
                        paragraph = f"出台《{title}》（{doc_no}），" + paragraph
                lines.append(f"（{numerals[k]}）{self._heading(theme)}。{paragraph}")
                length += len(paragraph)
        lines.append(f"{numerals[section_count]}、下一步工作计划")
        remaining = max(400, target - length)
        items = rng.randint(2, 5)
        for k in range(items):
            heading = self._heading(theme)
            text = self._paragraph(theme, region, co_for_text, remaining // items)
            commitments.append({"heading": heading, "text": text})
            lines.append(f"（{numerals[k]}）{heading}。{text}")
        lines.append(
            rng.choice(
                (
                    f"感谢您对{theme.split('、')[0]}工作的关心和支持。",
                    f"感谢{'您' if role == 'lead' else '贵单位'}对我们工作的关心和支持。",
                )
            )
        )
        if rng.random() < 0.5:
            lines.append(f"联系人：{self._member()}，联系电话：023-6{self._number(7)}")
        lines.append(sender.full)
        return "\n".join(lines), commitments, citations

    # -- page shapes

    def _shape(self, region: Region) -> str:
        if region.level == "national":
            return "national_text"
        return self._weighted(("html_table", "text_capture", "html_table_gbk"), (0.45, 0.45, 0.1))

    def _render(self, shape, truth, body, sender: Agency, signed: dt.date) -> tuple[bytes, str]:
        date_line = f"{signed.year}年{signed.month}月{signed.day}日"
        if shape == "national_text":
            return self._national_text(truth, body, date_line).encode("utf-8"), ".txt"
        if shape == "text_capture":
            return self._text_capture(truth, body, date_line).encode("utf-8"), ".txt"
        if shape == "html_table_gbk":
            page = self._html_table(truth, body, date_line, charset="gbk")
            try:
                return page.encode("gbk"), ".html"
            except UnicodeEncodeError:
                pass
        return self._html_table(truth, body, date_line).encode("utf-8"), ".html"

    def _text_capture(self, t: dict, body: str, date_line: str) -> str:
        """The shape of `000_…txt`: breadcrumb, the `[ label ]` block twice, title, date."""
        meta = [
            ("索引号", t["index_no"] or ""),
            ("发文字号", t["doc_no"]),
            ("主题分类", t["theme"]),
            ("体裁分类", t["genre"]),
            ("发布机构", t["publisher"]),
            ("成文日期", t["written_date"]),
            ("发布日期", t["published_date"]),
        ]
        meta = [(k, v) for k, v in meta if v]
        compact = [
            " ".join(f"[ {k} ] {v}" for k, v in meta[i : i + 2]) for i in range(0, len(meta), 2)
        ]
        expanded = [f"[ {k} ] {v}" for k, v in meta]
        column = "政协提案办理情况公开" if t["kind"] == "proposal" else "人大建议办理情况公开"
        text_body = body.replace("\n", "\n\n")
        if self.rng.random() < 0.5:
            # Many captures fold full-width punctuation to ASCII; the parser restores it.
            text_body = text_body.translate(
                str.maketrans({"，": ",", "：": ":", "（": "(", "）": ")"})
            )
        return "\n".join(
            [
                f"您当前的位置: 首页>>政务公开>>政府信息公开目录>>{column}",
                *compact,
                *expanded,
                "",
                t["title"],
                "",
                f"日期:{t['published_date']}",
                "",
                text_body,
                "",
                date_line,
                "",
                "",
                "扫一扫在手机打开当前页",
            ]
        )

    def _national_text(self, t: dict, body: str, date_line: str) -> str:
        """The shape of `most-…txt`: spaced labels, 发布时间 / 来源 line, full-width indents."""
        paragraphs = body.split("\n")
        indented = [paragraphs[0]] + ["\u3000\u3000" + p for p in paragraphs[1:-1]]
        return "\n".join(
            [
                "首页 > 信息公开 > 建议提案复文",
                "",
                t["title"],
                "",
                f"发布时间：{t['published_date']}      来源：{t['publisher']}",
                "",
                f"索 引 号：{t['index_no'] or ''}",
                f"主题分类：{t['theme']}",
                f"发文机关：{t['publisher']}",
                f"成文日期：{_cn_date(t['written_date'])}",
                f"文\u3000\u3000号：{t['doc_no']}",
                "主 题 词：",
                "",
                "\n\n".join(indented),
                "",
                paragraphs[-1],
                date_line,
                "",
                "（此件公开发布）",
                "",
                "【打印本页】【关闭窗口】",
            ]
        )

    def _html_table(self, t: dict, body: str, date_line: str, charset: str = "utf-8") -> str:
        """The shape of `cq-jw-…html`: `<meta>` tags, a `[ label ]` table, `<p>` paragraphs."""
        e = html.escape
        paragraphs = body.split("\n")
        rows = []
        for line in paragraphs[:-1]:
            style = (
                "text-align: left;"
                if line.endswith("：") and len(line) < 40
                else ("text-indent: 2em;")
            )
            if re.match(r"^[一二三四五六]、", line):
                rows.append(f'<p style="{style}"><strong>{e(line)}</strong></p>')
            else:
                rows.append(f'<p style="{style}">{e(line)}</p>')
        rows.append(f'<p style="text-align: right;">{e(paragraphs[-1])}</p>')
        rows.append(f'<p style="text-align: right;">{e(date_line)}</p>')
        rows.append('<p style="text-indent: 2em;">（此件主动公开）</p>')
        site = t["sender"]
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="{charset}">
<title>{e(t["title"])}_{e(site)}</title>
<meta name="ArticleTitle" content="{e(t["title"])}">
<meta name="PubDate" content="{t["published_date"]} 09:30">
<meta name="ContentSource" content="{e(t["publisher"])}">
</head>
<body>
<div class="header"><a href="/">{e(site)}</a> <a href="/zwgk/">政务公开</a></div>
<div class="crumbs">您当前的位置：<a href="/">首页</a>&gt;&gt;<a href="/zwgk/">政务公开</a>&gt;&gt;建议提案办理</div>
<div class="zwxl-table">
<table>
<tr><td class="t1">[ 索引号 ]</td><td class="t2">{e(t["index_no"] or "")}</td><td class="t1">[ 发文字号 ]</td><td class="t2">{e(t["doc_no"])}</td></tr>
<tr><td class="t1">[ 主题分类 ]</td><td class="t2">{e(t["theme"])}</td><td class="t1">[ 体裁分类 ]</td><td class="t2">{e(t["genre"])}</td></tr>
<tr><td class="t1">[ 发布机构 ]</td><td class="t2">{e(t["publisher"])}</td><td class="t1"></td><td class="t2"></td></tr>
<tr><td class="t1">[ 成文日期 ]</td><td class="t2">{t["written_date"]}</td><td class="t1">[ 发布日期 ]</td><td class="t2">{t["published_date"]}</td></tr>
</table>
</div>
<div class="zwxl-title"><p class="tit">{e(t["title"])}</p>
<p class="info"><span>日期：{t["published_date"]}</span> <a href="javascript:window.print()">打印本页</a></p></div>
<div class="zwxl-article">
<div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">
{chr(10).join(rows)}
</div>
</div>
<div class="zwxl-bottom"><a href="javascript:window.close()">关闭窗口</a></div>
<div class="footer">主办单位：{e(site)}</div>
<div class="ewm">扫一扫在手机打开当前页</div>
</body>
</html>
"""


def _cn_date(iso: str) -> str:
    date = dt.date.fromisoformat(iso)
    return f"{date.year}年{date.month:02d}月{date.day:02d}日"


def generate(n: int, seed: int = 1) -> Iterator[Document]:
    """The first `n` documents for `seed`."""
    for document in Generator(seed).documents():
        if document.truth["index"] >= n:
            return
        yield document


# --------------------------------------------------------------------------- stored corpora


def corpus_dir(base: Path, n: int, seed: int) -> Path:
    return base / f"corpus-seed{seed}-n{n}"


def write_corpus(directory: Path, n: int, seed: int = 1) -> Path:
    """Write the corpus as zip shards of `SHARD_SIZE` files plus `manifest.jsonl` (the truth).

    A `complete` marker is written last, so an interrupted run is not mistaken for a corpus.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "complete").unlink(missing_ok=True)
    shard: zipfile.ZipFile | None = None
    with (directory / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for document in generate(n, seed):
            index = document.truth["index"]
            if index % SHARD_SIZE == 0:
                if shard is not None:
                    shard.close()
                shard = zipfile.ZipFile(
                    directory / f"shard-{index // SHARD_SIZE:05d}.zip",
                    "w",
                    compression=zipfile.ZIP_DEFLATED,
                    compresslevel=1,
                )
            assert shard is not None
            shard.writestr(document.filename, document.data)
            manifest.write(json.dumps(document.truth, ensure_ascii=False) + "\n")
    if shard is not None:
        shard.close()
    (directory / "complete").write_text(json.dumps({"n": n, "seed": seed}))
    return directory


def corpus_is_complete(directory: Path, n: int, seed: int) -> bool:
    marker = directory / "complete"
    return marker.exists() and json.loads(marker.read_text()) == {"n": n, "seed": seed}


def read_corpus(
    directory: Path, start: int = 0, stop: int | None = None
) -> Iterator[tuple[str, bytes]]:
    """(filename, bytes) of documents start ≤ i < stop, in order."""
    for path in sorted(directory.glob("shard-*.zip")):
        first = int(path.stem.split("-")[1]) * SHARD_SIZE
        if stop is not None and first >= stop:
            return
        if first + SHARD_SIZE <= start:
            continue
        with zipfile.ZipFile(path) as shard:
            for offset, name in enumerate(shard.namelist()):
                index = first + offset
                if index < start:
                    continue
                if stop is not None and index >= stop:
                    return
                yield name, shard.read(name)


def read_manifest(directory: Path) -> Iterator[dict]:
    with (directory / "manifest.jsonl").open(encoding="utf-8") as manifest:
        for line in manifest:
            yield json.loads(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="how many documents")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="directory for the files")
    parser.add_argument("--zip", action="store_true", help="write zip shards + manifest instead")
    args = parser.parse_args()
    if args.zip:
        write_corpus(args.out, args.n, args.seed)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "manifest.jsonl").open("w", encoding="utf-8") as manifest:
        for document in generate(args.n, args.seed):
            (args.out / document.filename).write_bytes(document.data)
            manifest.write(json.dumps(document.truth, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
