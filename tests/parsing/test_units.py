"""Focused checks of the parser's building blocks and of small documents."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest

from replies.parsing import ParseError, parse_document
from replies.parsing.body import find_citations
from replies.parsing.dates import find_date, parse_date_line, split_trailing_date
from replies.parsing.decoding import decode_bytes
from replies.parsing.labels import label_values
from replies.parsing.lines import is_chrome, lines_from_text
from replies.parsing.people import addressee_persons, find_co_agencies, find_signer, split_agencies
from replies.parsing.textnorm import (
    collapse_spaces,
    display_width,
    normalise_value,
    restore_punctuation,
)


def letter(
    body: str, *, title: str = "重庆市某某局关于市政协六届二次会议第0001号提案答复的函"
) -> bytes:
    return f"{title}\n\n{body}".encode()


# --- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-10-12", dt.date(2024, 10, 12)),
        ("2024年05月30日", dt.date(2024, 5, 30)),
        ("2024年5月3日", dt.date(2024, 5, 3)),
        ("二〇二三年九月五日", dt.date(2023, 9, 5)),
        ("二○二三年十二月三十一日", dt.date(2023, 12, 31)),
        ("二〇二四年十月十日", dt.date(2024, 10, 10)),
        ("２０２４年５月１６日", dt.date(2024, 5, 16)),
        ("2024/7/1", dt.date(2024, 7, 1)),
        ("2024.07.01", dt.date(2024, 7, 1)),
        ("发布时间：2024-07-15 09:30:00", dt.date(2024, 7, 15)),
        ("2024年2月30日", None),
        ("第2024号", None),
    ],
)
def test_find_date(text: str, expected: dt.date | None) -> None:
    assert find_date(text) == expected


def test_date_line_only_when_the_line_is_a_date() -> None:
    assert parse_date_line("2024年5月16日") == dt.date(2024, 5, 16)
    assert parse_date_line("二〇二三年九月五日") == dt.date(2023, 9, 5)
    assert parse_date_line("于2024年5月16日召开会议") is None
    # Full-width digits, padded with ideographic spaces: still one date on its own line.
    assert parse_date_line("\u3000２０２４年５月１６日\u3000") == dt.date(2024, 5, 16)
    assert parse_date_line("２０２４年５月１６日" + "。" * 25) is None


def test_signature_with_a_trailing_full_width_date() -> None:
    assert split_trailing_date("重庆市科学技术局　２０２４年５月１６日") == (
        "重庆市科学技术局",
        dt.date(2024, 5, 16),
    )
    assert split_trailing_date("重庆市科学技术局" * 8 + "2024年5月16日") is None


# --- encodings ---------------------------------------------------------------------------

SAMPLE = "李洁委员：您提出的《关于推动科技企业孵化的建议》收悉。现答复如下：一、情况。"


def test_gbk_bytes_are_reported_as_gbk() -> None:
    decoded = decode_bytes(SAMPLE.encode("gbk"))
    assert decoded.text == SAMPLE
    assert decoded.encoding == "gbk"


def test_gb18030_only_characters() -> None:
    text = SAMPLE + "𠀀䶮"  # beyond GBK: a CJK extension B ideograph, 䶮
    decoded = decode_bytes(text.encode("gb18030"))
    assert decoded.text == text
    assert decoded.encoding == "gb18030"


def test_utf8_with_and_without_bom() -> None:
    assert decode_bytes(SAMPLE.encode("utf-8")).encoding == "utf-8"
    with_bom = decode_bytes(codecs.BOM_UTF8 + SAMPLE.encode("utf-8"))
    assert with_bom.encoding == "utf-8"
    assert with_bom.text == SAMPLE


def test_utf16_bom() -> None:
    decoded = decode_bytes(SAMPLE.encode("utf-16"))
    assert decoded.text == SAMPLE
    assert decoded.encoding == "utf-16"


def test_declared_gb2312_page_decodes_with_the_superset() -> None:
    page = f'<html><head><meta charset="gb2312"></head><body><p>{SAMPLE}</p></body></html>'
    decoded = decode_bytes(page.encode("gb18030"))
    assert decoded.encoding == "gbk"  # decoded with GB18030; the bytes are GBK
    assert SAMPLE in decoded.text


def test_declared_utf8_but_actually_gbk_is_read_as_gbk_with_a_warning() -> None:
    page = f'<html><head><meta charset="utf-8"></head><body><p>{SAMPLE}</p></body></html>'
    decoded = decode_bytes(page.encode("gbk"))
    assert decoded.encoding == "gbk"
    assert SAMPLE in decoded.text
    assert any("declares utf-8" in warning for warning in decoded.warnings)


def test_declared_gbk_but_actually_utf8_is_read_as_utf8_with_a_warning() -> None:
    page = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=GBK">'
        f"</head><body><p>{SAMPLE}</p></body></html>"
    )
    decoded = decode_bytes(page.encode("utf-8"))
    assert decoded.encoding == "utf-8"
    assert SAMPLE in decoded.text
    assert decoded.warnings


def test_parse_reports_encoding() -> None:
    reply = parse_document(
        letter("李洁委员：\n\n您提出的建议收悉。").decode().encode("gbk"), "a.txt"
    )
    assert reply.encoding == "gbk"


@pytest.mark.parametrize(
    "data", [b"", b"   \n\t ", b"\x00\x01\x02" * 100, b"%PDF-1.4 ...", b"PK\x03\x04junk"]
)
def test_unreadable_inputs_raise_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        parse_document(data, "x.txt")


def test_ascii_only_text_is_not_a_reply() -> None:
    with pytest.raises(ParseError):
        parse_document(b"hello world, nothing Chinese here", "x.txt")


# --- normalisation -----------------------------------------------------------------------


def test_whitespace_collapse_between_cjk_and_elsewhere() -> None:
    assert collapse_spaces("索 引 号") == "索引号"
    assert collapse_spaces("文\u3000\u3000号") == "文号"
    assert collapse_spaces("  重庆市\u00a0科技局  2024年 ") == "重庆市科技局 2024年"
    assert collapse_spaces("A   B") == "A B"


def test_ascii_punctuation_restored_only_next_to_cjk() -> None:
    assert restore_punctuation("打造孵化集群,树立示范标杆") == "打造孵化集群，树立示范标杆"
    assert restore_punctuation("方案(2021-2025年)") == "方案（2021-2025年）"
    assert restore_punctuation("答复如下:") == "答复如下："
    assert restore_punctuation("2021-2025, A.B (x)") == "2021-2025, A.B (x)"
    assert restore_punctuation("类别(B)") == "类别（B）"
    assert normalise_value("  是否可行?  ") == "是否可行？"


def _reference_restore(text: str) -> str:
    """restore_punctuation's definition, character by character."""
    from replies.parsing.textnorm import is_cjk

    full = dict(zip(",:;()?!", "，：；（）？！", strict=True))
    touches = [
        ch in full
        and ((i > 0 and is_cjk(text[i - 1])) or (i + 1 < len(text) and is_cjk(text[i + 1])))
        for i, ch in enumerate(text)
    ]
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")" and stack:
            j = stack.pop()
            touches[i] = touches[j] = touches[i] or touches[j]
    return "".join(full[ch] if touches[i] else ch for i, ch in enumerate(text))


def test_restore_punctuation_matches_its_definition_on_random_text():
    import random

    rng = random.Random(3)
    alphabet = ["孵", "化", "，", "a", "1", " ", ",", ":", ";", "(", ")", "?", "!", "（"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
        assert restore_punctuation(text) == _reference_restore(text), text


# --- labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("索引号：11500000MB15895317/2024-00079", {"index_no": "11500000MB15895317/2024-00079"}),
        (
            "[ 索引号 ] 1150/2024-1 [ 发文字号 ] 渝科局函〔2024〕275号",
            {"index_no": "1150/2024-1", "doc_no": "渝科局函〔2024〕275号"},
        ),
        ("【发布机构】市科技局", {"publisher": "市科技局"}),
        ("文号：国科函区〔2024〕210号", {"doc_no": "国科函区〔2024〕210号"}),
        (
            "发布时间：2024-09-10 来源：科技部",
            {"published_date": "2024-09-10", "publisher": "科技部"},
        ),
        ("主题分类：科技、教育\\科技", {"theme": "科技、教育\\科技"}),
        ("成文日期: 2024年08月20日", {"written_date": "2024年08月20日"}),
        ("发文机关：科技部\t主题词：", {"publisher": "科技部"}),
    ],
)
def test_label_values(line: str, expected: dict[str, str]) -> None:
    normalised = normalise_value(line) if "\t" not in line else line
    found = {
        pair.field: pair.value for pair in label_values(normalised) if pair.field and pair.value
    }
    assert found == expected


def test_spaced_and_fullwidth_labels_in_a_document() -> None:
    text = (
        "索 引 号：000014349/2024-00317\n文　　号：国科函区〔2024〕210号\n发 布 机 构：科技部\n\n"
        "关于政协十四届全国委员会第二次会议第00001号提案答复的函\n\n民进中央：\n\n你单位提出的提案收悉。"
    )
    reply = parse_document(text.encode(), "x.txt")
    assert reply.index_no == "000014349/2024-00317"
    assert reply.doc_no == "国科函区〔2024〕210号"
    assert reply.publisher == "科技部"


def test_conflicting_metadata_is_a_warning() -> None:
    text = (
        "索引号：A/1\n索引号：B/2\n\n关于市政协六届二次会议第0001号提案答复的函\n"
        "\n李洁委员：\n\n您提出的提案收悉。"
    )
    reply = parse_document(text.encode(), "x.txt")
    assert reply.index_no == "A/1"
    assert any("index_no" in warning for warning in reply.warnings)


# --- members, proposers, addressees ------------------------------------------------------


@pytest.mark.parametrize(
    ("addressee", "members"),
    [
        ("李洁委员", ["李洁"]),
        ("张伟、刘芳、陈明委员", ["张伟", "刘芳", "陈明"]),
        ("张伟委员、刘芳委员", ["张伟", "刘芳"]),
        ("王建国代表", ["王建国"]),
        ("欧阳明月代表", ["欧阳明月"]),
        ("尊敬的李洁委员", ["李洁"]),
        ("李洁等5位委员", ["李洁"]),
        ("民进中央", None),
        ("市交通运输委", None),
    ],
)
def test_addressee_persons(addressee: str, members: list[str] | None) -> None:
    assert addressee_persons(addressee) == members


@pytest.mark.parametrize(
    "collective",
    [
        "民进中央",
        "九三学社重庆市委会",
        "市工商联",
        "民盟市委",
        "农工党重庆市委会",
        "市政协经济界别",
    ],
)
def test_collective_proposer(collective: str) -> None:
    reply = parse_document(
        letter(
            f"{collective}：\n\n你单位提出的《关于某事的提案》收悉。现答复如下：\n\n感谢。"
        ).replace(b"\n\n", b"\n"),
        "x.txt",
    )
    assert reply.proposer_org == collective
    assert reply.members == []
    assert reply.role == "lead"


def test_members_named_in_a_co_handling_opinion_body() -> None:
    body = (
        "市交通运输委：\n关于王小明等3位委员提出的《关于某事的提案》，现将我局协办意见函告如下：\n"
        "一、情况。\n重庆市财政局\n2024年5月1日"
    )
    reply = parse_document(
        letter(body, title="关于市政协六届二次会议第0002号提案的协办意见"), "x.txt"
    )
    assert reply.role == "co"
    assert reply.members == ["王小明"]
    assert reply.lead_agency == "市交通运输委"


def test_signer_variants() -> None:
    assert find_signer("此复函已经明炬局长审签。") == "明炬"
    assert find_signer("签发人：张三") == "张三"
    assert find_signer("本答复经王小明主任审定。") == "王小明"
    assert find_signer("此复函已经局领导审签。") is None


# --- co-agencies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opening", "expected"),
    [
        (
            "收悉。经与市人力社保局、市经济信息委、市国资委共同研究办理，现答复如下：",
            ["市人力社保局", "市经济信息委", "市国资委"],
        ),
        ("收悉。经商工业和信息化部、财政部，现答复如下：", ["工业和信息化部", "财政部"]),
        (
            "收悉。我局会同市财政局和市人力资源和社会保障局等部门认真研究，现答复如下：",
            ["市财政局", "市人力资源和社会保障局"],
        ),
        ("收悉。经与市财政局进行了认真研究，现答复如下：", ["市财政局"]),
        ("收悉。我委与市公安局、市交通局联合办理，现答复如下：", ["市公安局", "市交通局"]),
        ("收悉。经与有关部门共同研究，现答复如下：", []),
        ("收悉。现答复如下：", []),
        (
            "收悉。经会同市规划自然资源局及市住房城乡建委等相关单位研究，现答复如下：",
            ["市规划自然资源局", "市住房城乡建委"],
        ),
    ],
)
def test_co_agencies(opening: str, expected: list[str]) -> None:
    assert find_co_agencies(opening) == expected


def test_split_agencies_keeps_names_with_he() -> None:
    assert split_agencies("国家发展和改革委员会和工业和信息化部") == [
        "国家发展和改革委员会",
        "工业和信息化部",
    ]


def test_agencies_named_later_in_the_body_are_not_co_agencies() -> None:
    body = (
        "李洁委员：\n您提出的建议收悉。现答复如下：\n一、情况\n"
        "我局会同市财政局印发了通知。\n重庆市科学技术局\n2024年5月1日"
    )
    assert parse_document(letter(body), "x.txt").co_agencies == []


# --- commitments -------------------------------------------------------------------------


def _commitments(body: str) -> list[tuple[str, str]]:
    full = (
        f"李洁委员：\n您提出的提案收悉。现答复如下：\n{body}\n"
        f"感谢您的关心。\n重庆市某某局\n2024年5月1日"
    )
    return [(c.heading, c.text) for c in parse_document(letter(full), "x.txt").commitments]


def test_commitments_paren_items_under_next_steps_section() -> None:
    body = (
        "一、情况\n近年来做了工作。\n二、下一步工作措施\n"
        "（一）加强统筹。统筹推进。\n继续深化。\n（二）强化保障。"
    )
    assert _commitments(body) == [("加强统筹", "统筹推进。\n继续深化。"), ("强化保障", "")]


def test_commitments_arabic_items() -> None:
    body = "下一步，我局将：\n1．完善政策。出台办法。\n2.加大投入。\n（1）细化一项。\n3、强化考核。"
    assert _commitments(body) == [
        ("完善政策", "出台办法。"),
        ("加大投入", "（1）细化一项。"),
        ("强化考核", ""),
    ]


def test_commitments_yishi_clauses() -> None:
    body = "下一步，我们将重点做好以下工作：一是加强宣传；二是完善统一是非标准；三是强化保障。"
    assert _commitments(body) == [
        ("", "加强宣传；"),
        ("", "完善统一是非标准；"),
        ("", "强化保障。"),
    ]


def test_commitments_plain_next_steps_paragraph() -> None:
    body = "一、情况\n已做工作。\n下一步，我局将继续推进此项工作。"
    assert _commitments(body) == [("", "下一步，我局将继续推进此项工作。")]


def test_no_next_steps_no_commitments() -> None:
    assert _commitments("一、情况\n已做工作。") == []


# --- citations ---------------------------------------------------------------------------


def test_citations_with_bracketed_doc_numbers() -> None:
    text = (
        "出台《重庆市高质量孵化载体建设实施方案（2021—2025年）》（渝府办发〔2021〕142号），"
        "印发《管理办法》《实施细则（试行）》，落实《条例》（国务院令第708号）和《通知》(国办发[2020]3号)。"
        "再次落实《管理办法》（渝科局发〔2022〕1号）。对《关于某事的提案》（第1005号）答复。"
    )
    citations = [
        (c.title, c.doc_no) for c in find_citations(restore_punctuation(text), {"关于某事的提案"})
    ]
    assert citations == [
        ("重庆市高质量孵化载体建设实施方案（2021—2025年）", "渝府办发〔2021〕142号"),
        ("管理办法", "渝科局发〔2022〕1号"),
        ("实施细则（试行）", None),
        ("条例", "国务院令第708号"),
        ("通知", "国办发[2020]3号"),
    ]


def test_nested_guillemets_stay_one_citation() -> None:
    citations = find_citations("印发《关于印发《某办法》的通知》。", set())
    assert [c.title for c in citations] == ["关于印发《某办法》的通知"]


def test_unclosed_guillemets_end_at_a_line_break_or_after_300_characters() -> None:
    text = "依据《未闭合\n另见《甲》和《" + "长" * 301 + "》及《乙》。"
    assert [c.title for c in find_citations(text, set())] == ["甲", "乙"]


def test_display_width_counts_cjk_twice() -> None:
    assert display_width("") == 0
    assert display_width("ab 1") == 4
    assert display_width("答复a") == 5
    # U+2E7F is the last narrow code point, U+2E80 (a CJK radical) the first wide one.
    assert display_width("\u2e7f\u2e80") == 3
    assert display_width("\U00020000") == 2


# --- chrome ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "您当前的位置：首页>>政务公开>>政府信息公开目录",
        "首页 > 信息公开 > 建议提案复文",
        "【打印本页】【关闭窗口】",
        "打印本页 关闭窗口",
        "字号：大 中 小",
        "扫一扫在手机打开当前页",
        "主办单位：重庆市教育委员会 ｜ 网站标识码：5000000021",
        "版权所有：重庆市财政局 渝ICP备00000000号-1",
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome(normalise_value(line))


@pytest.mark.parametrize(
    "line", ["一、推动全市构建科技企业孵化体系情况", "该提案主办单位为市财政局。", "李洁委员："]
)
def test_letter_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome(line)


def test_hard_wraps_are_joined_but_paragraph_breaks_kept() -> None:
    text = (
        "近年来，市科技局高度重视科技企业孵化体系构建工作，加快打造高质量孵化载体，着力\n"
        "培育优质科技企业，激发全市创新创业活力。\n"
        "一、推动全市构建科技企业孵化体系情况\n"
        "（一）统筹建设规划,构建载体体系。出台《方案》,推动全市建设规模化、专业化、高\n"
        "质量孵化载体。\n"
    )
    assert [line.text for line in lines_from_text(text)] == [
        "近年来，市科技局高度重视科技企业孵化体系构建工作，加快打造高质量孵化载体，着力培育优质科技企业，激发全市创新创业活力。",
        "一、推动全市构建科技企业孵化体系情况",
        "（一）统筹建设规划，构建载体体系。出台《方案》，推动全市建设规模化、专业化、高质量孵化载体。",
    ]


def test_body_text_excludes_chrome_and_post_signature_lines() -> None:
    page = (
        "<html><body><div>您当前的位置：首页 &gt; 政务公开</div>"
        "<div><p>重庆市某某局关于市政协六届二次会议第0001号提案答复的函</p>"
        "<p>字号：[ 大 中 小 ] 打印本页</p>"
        "<p>李洁委员：</p><p>您提出的提案收悉。</p><p>重庆市某某局</p><p>2024年5月1日</p>"
        "<p>（此件主动公开）</p><p>抄送：市政协提案委</p></div>"
        "<div>扫一扫在手机打开当前页</div></body></html>"
    )
    reply = parse_document(page.encode(), "p.html")
    assert reply.body_text == "李洁委员：\n您提出的提案收悉。\n重庆市某某局\n2024年5月1日"
    assert reply.sender == "重庆市某某局"


def test_title_from_title_tag_without_site_suffix() -> None:
    page = (
        "<html><head><title>关于市政协六届二次会议第0001号提案答复的函_重庆市教育委员会</title></head>"
        "<body><p>李洁委员：</p><p>您提出的提案收悉。</p><p>重庆市教育委员会</p><p>2024年5月1日</p></body></html>"
    )
    reply = parse_document(page.encode(), "p.html")
    assert reply.title == "关于市政协六届二次会议第0001号提案答复的函"
    assert reply.proposal_number == "0001"


def test_sender_from_title_when_no_signature_block() -> None:
    body = "李洁委员：\n您提出的提案收悉。现答复如下：一、情况。"
    reply = parse_document(letter(body), "x.txt")
    assert reply.sender == "重庆市某某局"
    assert reply.signed_date is None


def test_reply_category_forms() -> None:
    for line, expected in [
        ("答复类别：B", "B"),
        ("（A类）", "A"),
        ("答复类别：c类", "C"),
        ("办理结果为“D”", "D"),
    ]:
        body = f"李洁委员：\n您提出的提案收悉。\n{line}\n重庆市某某局\n2024年5月1日"
        assert parse_document(letter(body), "x.txt").reply_category == expected


def test_reply_category_letter_before_its_kind() -> None:
    from replies.parsing.people import find_reply_category

    assert find_reply_category("该件按B类办理，现答复如下") == "B"
    assert find_reply_category("c类答复") == "C"  # at the very start
    assert find_reply_category("代号AB类件") is None  # the letter ends a longer word
    assert find_reply_category("第3类件，A类提案") == "A"


def test_greeting_instead_of_a_colon_is_a_salutation() -> None:
    body = (
        "尊敬的张伟委员，您好！\n您提出的提案收悉。现答复如下：\n感谢。\n重庆市某某局\n2024年5月1日"
    )
    reply = parse_document(letter(body), "x.txt")
    assert reply.addressee == "尊敬的张伟委员"
    assert reply.members == ["张伟"]
    assert reply.body_text.startswith("尊敬的张伟委员，您好！\n")


def test_label_value_stops_before_a_bracketed_label() -> None:
    line = normalise_value("来源：县教委 【字体：大 中 小】")
    assert {p.field: p.value for p in label_values(line) if p.field} == {"publisher": "县教委"}


def test_contract_label_outranks_a_looser_one_and_the_difference_is_warned() -> None:
    text = (
        "发布时间：2024-07-16 来源：重庆市科学技术局\n发布机构：市科技局\n发布日期：2024-07-15\n\n"
        "关于市政协六届二次会议第0001号提案答复的函\n\n李洁委员：\n\n您提出的提案收悉。"
    )
    reply = parse_document(text.encode(), "x.txt")
    assert reply.publisher == "市科技局"
    assert reply.published_date == dt.date(2024, 7, 15)
    assert any(w.startswith("publisher:") for w in reply.warnings)
    assert any(w.startswith("published_date:") for w in reply.warnings)


def test_co_handling_opinion_sent_to_the_member_names_the_lead_agency_from_the_text() -> None:
    body = (
        "李洁委员：\n您提出的提案收悉。该提案由市教委主办，我局协办，现将我局协办意见答复如下：\n"
        "一、情况。\n重庆市某某局\n2024年5月1日"
    )
    reply = parse_document(letter(body), "x.txt")
    assert reply.role == "co"
    assert reply.members == ["李洁"]
    assert reply.lead_agency == "市教委"
