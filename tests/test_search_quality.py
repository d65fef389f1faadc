"""Search quality over the fixture corpus: a table of queries with the reply each must find,
scored as recall@10 and MRR; exact titles and 文号 must come first."""

import random
import re

import pytest
from django.http import QueryDict

from replies.search import run_search
from tests.conftest import fixture_documents

# (query, fixture file stem, must be first)
QUALITY_TABLE: list[tuple[str, str, bool]] = [
    # Exact titles.
    ("重庆市科学技术局关于市政协六届二次会议第1005号提案答复的函", "000_81af6d2964a35163", True),
    (
        "北京市人力资源和社会保障局关于市十六届人大二次会议第0734号建议的协办意见",
        "bj-rsj-co-opinion-gb2312",
        True,
    ),
    (
        "浙江省商务厅关于省十四届人大二次会议第326号建议的答复",
        "zj-swt-2024-suggestion-brtitle",
        True,
    ),
    ("关于十四届全国人大二次会议第5012号建议的答复", "mot-2024-suggestion-table", True),
    ("上海市民政局关于市政协十四届二次会议第0467号提案的答复", "sh-mzj-2024-proposal-nosig", True),
    # 文号 and 索引号.
    ("渝科局函〔2024〕275号", "000_81af6d2964a35163", True),
    ("京人社协〔2024〕19号", "bj-rsj-co-opinion-gb2312", True),
    ("朝教函〔2024〕31号", "chaoyang-district-suggestion-dl", True),
    ("渝民函〔2024〕143号", "cq-mzj-2024-suggestion-dateline", True),
    ("粤教职函〔2023〕86号", "gd-jyt-2023-proposal-gbk", True),
    ("交公路函〔2024〕412号", "mot-2024-suggestion-table", True),
    ("川发改提[2024]58号", "sc-fgw-committee-proposal-table", True),
    ("11310115MB2F35621C/2024-00127", "pudong-district-jiebie-proposal-bom", True),
    # Members and collective proposers.
    ("李洁", "000_81af6d2964a35163", False),
    ("李堃", "bj-rsj-co-opinion-gb2312", False),
    ("孟庆华", "chaoyang-district-suggestion-dl", False),
    ("陈明华", "cq-mzj-2024-suggestion-dateline", False),
    ("王㛃", "mee-2023-proposal-gb18030", False),
    ("孙立新", "mot-2024-suggestion-table", False),
    ("邵丽萍", "sh-mzj-2024-proposal-nosig", False),
    ("刘红梅", "yuzhong-district-suggestion", False),
    ("九三学社", "cq-sthjj-jiusan-proposal-meta", False),
    ("区政协经济界别", "pudong-district-jiebie-proposal-bom", False),
    ("省政协经济委员会", "sc-fgw-committee-proposal-table", False),
    # Agencies, short and full names.
    ("市国资委", "000_81af6d2964a35163", False),
    ("重庆市人民政府国有资产监督管理委员会", "000_81af6d2964a35163", False),
    ("市医保局", "cq-mzj-2024-suggestion-dateline", False),
    ("重庆市医疗保障局", "cq-mzj-2024-suggestion-dateline", False),
    ("杭州海关", "zj-swt-2024-suggestion-brtitle", False),
    ("区金融工作局", "pudong-district-jiebie-proposal-bom", False),
    ("解放碑街道办事处", "yuzhong-district-suggestion", False),
    ("市公安局交通警察支队", "gz-jtj-2024-suggestion-labels", False),
    ("生态环境部", "mee-2023-proposal-gb18030", False),
    # Phrases from titles and bodies, 2–8 characters.
    ("孵化器", "000_81af6d2964a35163", False),
    ("技术经纪", "000_81af6d2964a35163", False),
    ("明月湖", "000_81af6d2964a35163", False),
    ("科学教育", "cq-jw-2024-00213", False),
    ("新污染物", "cq-sthjj-jiusan-proposal-meta", False),
    ("黑臭水体", "mee-2023-proposal-gb18030", False),
    ("除颤器", "jiangbei-district-proposal-oldsite", False),
    ("AED", "jiangbei-district-proposal-oldsite", False),
    ("跨境电商", "zj-swt-2024-suggestion-brtitle", False),
    ("背街小巷", "yuzhong-district-suggestion", False),
    ("公交接驳", "gz-jtj-2024-suggestion-labels", False),
    ("嵌入式养老", "sh-mzj-2024-proposal-nosig", False),
    ("双师型", "bj-rsj-co-opinion-gb2312", False),
    ("学位资源", "chaoyang-district-suggestion-dl", False),
    ("车购税", "mot-2024-suggestion-table", False),
    ("县域富民产业", "moa-2023-minjin-proposal", False),
    ("停车设施", "sh-jtw-co-opinion", False),
    ("居家养老", "cq-mzj-2024-suggestion-dateline", False),
    ("毕业生就业", "gd-jyt-2023-proposal-gbk", False),
    ("成渝地区双城经济圈", "sc-fgw-committee-proposal-table", False),
    ("科技型中小企业", "most-2024-03105", False),
    # Traditional-character spellings.
    ("黑臭水體", "mee-2023-proposal-gb18030", False),
    ("跨境電商", "zj-swt-2024-suggestion-brtitle", False),
    ("嵌入式養老", "sh-mzj-2024-proposal-nosig", False),
    ("孵化體系", "000_81af6d2964a35163", False),
    ("停車設施", "sh-jtw-co-opinion", False),
    ("學位資源", "chaoyang-district-suggestion-dl", False),
    ("職業院校", "bj-rsj-co-opinion-gb2312", False),
]


def ranked_files(query: str, filename_by_id: dict[int, str]) -> list[str]:
    params = QueryDict(mutable=True)
    params["q"] = query
    return [filename_by_id[hit.reply.pk].rsplit(".", 1)[0] for hit in run_search(params).hits]


@pytest.fixture
def filename_by_id(ingested):
    return {outcome.reply_id: name for name, outcome in ingested.items()}


def score(table, filename_by_id) -> tuple[float, float, list[str]]:
    found = reciprocal = 0.0
    misses = []
    for query, stem, must_be_first in table:
        ranking = ranked_files(query, filename_by_id)[:10]
        if stem in ranking:
            found += 1
            reciprocal += 1 / (ranking.index(stem) + 1)
            if must_be_first and ranking[0] != stem:
                misses.append(f"{query}: {stem} at rank {ranking.index(stem) + 1}")
        else:
            misses.append(f"{query}: {stem} not in top 10 ({ranking[:3]})")
    return found / len(table), reciprocal / len(table), misses


def test_quality_table_recall_and_mrr(filename_by_id):
    recall, mrr, misses = score(QUALITY_TABLE, filename_by_id)
    assert not misses
    assert recall == 1.0
    assert mrr >= 0.9


def sampled_queries(seed: int = 20241012, per_document: int = 6) -> list[tuple[str, str, bool]]:
    """Substrings of 2–8 characters drawn from each fixture's title and body: queries the
    table's author did not choose."""
    from replies.parsing import parse_document

    rng = random.Random(seed)
    table = []
    for path in fixture_documents():
        parsed = parse_document(path.read_bytes(), path.name)
        runs = re.findall(r"[\u4e00-\u9fff]{4,}", parsed.title + "\n" + parsed.body_text)
        for _ in range(per_document):
            run = rng.choice(runs)
            length = rng.randint(3, min(8, len(run)))
            start = rng.randint(0, len(run) - length)
            table.append((run[start : start + length], path.name.rsplit(".", 1)[0], False))
    return table


def test_sampled_substrings_recall(filename_by_id):
    # A sampled substring may occur in other replies too; it must still rank its own reply
    # in the top ten almost always.
    recall, mrr, misses = score(sampled_queries(), filename_by_id)
    assert recall >= 0.95, misses
    assert mrr >= 0.6, (mrr, misses)
