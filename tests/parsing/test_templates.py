"""Template families the fixtures did not cover, as small documents in the shapes real
sites use: metadata labels in sibling elements without a colon, info lines with several
pairs, hard-wrapped captures, more commitment styles, and chrome listing other replies."""

from __future__ import annotations

import datetime as dt

import pytest

from replies.parsing import ParsedReply, parse_document

# --- shared letter -----------------------------------------------------------------------

TITLE = "吉林省商务厅关于省十四届人大二次会议第0521号建议的答复"

LETTER_PARAGRAPHS = [
    "王立新代表：",
    "您提出的《关于推动边境贸易创新发展的建议》（第0521号）收悉。经商省财政厅、长春海关，"
    "现答复如下：",
    "一、边境贸易发展情况",
    "2023年全省边境小额贸易进出口额86.5亿元，同比增长12.3%。",
    "二、下一步工作",
    "（一）完善支持政策。落实《边民互市贸易管理办法》（海关总署令第56号）。",
    "（二）强化通关服务。",
    "感谢您对商务工作的关心和支持。",
    "吉林省商务厅",
    "2024年5月8日",
]
LETTER_BODY = "\n".join(LETTER_PARAGRAPHS)


def letter_html(paragraphs: list[str] = LETTER_PARAGRAPHS) -> str:
    return '<div class="TRS_Editor">' + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div>"


def page(head_title: str, before_letter: str, after_letter: str = "") -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{head_title}</title></head><body>"
        '<div class="header"><a href="/">首页</a><a href="/zwgk/">政务公开</a></div>'
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>'
        " &gt; 建议提案办理</div>"
        f"{before_letter}{letter_html()}{after_letter}"
        '<div class="footer">主办单位：吉林省商务厅 网站标识码：2200000012 吉ICP备05002201号</div>'
        "</body></html>"
    ).encode()


def assert_letter(reply: ParsedReply) -> None:
    """The letter's own fields, whatever the page template around it."""
    assert reply.title == TITLE
    assert reply.body_text == LETTER_BODY
    assert reply.addressee == "王立新代表"
    assert reply.members == ["王立新"]
    assert (reply.kind, reply.session, reply.proposal_number) == (
        "suggestion",
        "省十四届人大二次会议",
        "0521",
    )
    assert reply.co_agencies == ["省财政厅", "长春海关"]
    assert reply.sender == "吉林省商务厅"
    assert reply.signed_date == dt.date(2024, 5, 8)
    assert [s.heading for s in reply.sections] == ["边境贸易发展情况", "下一步工作"]
    assert [(c.heading, c.text) for c in reply.commitments] == [
        ("完善支持政策", "落实《边民互市贸易管理办法》（海关总署令第56号）。"),
        ("强化通关服务", ""),
    ]
    assert [(c.title, c.doc_no) for c in reply.citations] == [
        ("边民互市贸易管理办法", "海关总署令第56号")
    ]


FULL_METADATA = {
    "index_no": "11220000013544357T/2024-00091",
    "doc_no": "吉商函〔2024〕45号",
    "theme": "商贸、海关、旅游",
    "publisher": "吉林省商务厅",
    "written_date": dt.date(2024, 5, 8),
    "published_date": dt.date(2024, 5, 13),
}


def metadata_of(reply: ParsedReply) -> dict[str, object]:
    return {key: getattr(reply, key) for key in FULL_METADATA}


# --- family 1: label and value in sibling elements, no colon ------------------------------

SIBLING_LABEL_BLOCKS = {
    "key-val spans, several pairs per paragraph": (
        '<div class="xxgk-head">'
        '<p><span class="key">索引号</span><span class="val">11220000013544357T/2024-00091</span>'
        '<span class="key">主题分类</span><span class="val">商贸、海关、旅游</span></p>'
        '<p><span class="key">发布机构</span><span class="val">吉林省商务厅</span>'
        '<span class="key">发文字号</span><span class="val">吉商函〔2024〕45号</span></p>'
        '<p><span class="key">成文日期</span><span class="val">2024年05月08日</span>'
        '<span class="key">发布日期</span><span class="val">2024年05月13日</span></p></div>'
    ),
    "li with tit/con spans and NBSP-spaced labels": (
        '<ul class="xxgk-list">'
        '<li><span class="tit">索&nbsp;&nbsp;引&nbsp;&nbsp;号</span>'
        '<span class="con">11220000013544357T/2024-00091</span></li>'
        '<li><span class="tit">主题分类</span><span class="con">商贸、海关、旅游</span></li>'
        '<li><span class="tit">发布机构</span><span class="con">吉林省商务厅</span></li>'
        '<li><span class="tit">文&emsp;&emsp;号</span><span class="con">吉商函〔2024〕45号</span></li>'
        '<li><span class="tit">成文日期</span><span class="con">2024-05-08</span></li>'
        '<li><span class="tit">发布日期</span><span class="con">2024-05-13</span></li>'
        '<li><span class="tit">有&nbsp;效&nbsp;性</span><span class="con">有效</span></li></ul>'
    ),
    "label and em in divs": (
        '<div class="article-attr">'
        "<div><label>索引号</label><em>11220000013544357T/2024-00091</em></div>"
        "<div><label>主题分类</label><em>商贸、海关、旅游</em></div>"
        "<div><label>发布机构</label><em>吉林省商务厅</em></div>"
        "<div><label>发文字号</label><em>吉商函〔2024〕45号</em></div>"
        "<div><label>成文日期</label><em>2024-05-08</em></div>"
        "<div><label>发布日期</label><em>2024-05-13</em></div></div>"
    ),
    "dl with dt/dd and no colons": (
        '<dl class="doc-info"><dt>索引号</dt><dd>11220000013544357T/2024-00091</dd>'
        "<dt>发文字号</dt><dd>吉商函〔2024〕45号</dd><dt>主题分类</dt><dd>商贸、海关、旅游</dd>"
        "<dt>公开方式</dt><dd>主动公开</dd><dt>发布机构</dt><dd>吉林省商务厅</dd>"
        "<dt>成文日期</dt><dd>2024年05月08日</dd><dt>发布日期</dt><dd>2024年05月13日</dd></dl>"
    ),
    "th/td table with full-width spaces in labels": (
        '<table class="xxgk-table"><tbody>'
        "<tr><th>索　引　号</th><td>11220000013544357T/2024-00091</td>"
        "<th>主题分类</th><td>商贸、海关、旅游</td></tr>"
        "<tr><th>发布机构</th><td>吉林省商务厅</td><th>文　　号</th><td>吉商函〔2024〕45号</td></tr>"
        "<tr><th>成文日期</th><td>2024年05月08日</td><th>发布日期</th><td>2024年05月13日</td></tr>"
        f'<tr><th>标　　题</th><td colspan="3">{TITLE}</td></tr>'
        "</tbody></table>"
    ),
    "key and value divs, one per line": (
        '<div class="meta">'
        '<div class="row"><div class="k">索引号</div><div class="v">11220000013544357T/2024-00091</div>'
        '<div class="k">主题分类</div><div class="v">商贸、海关、旅游</div></div>'
        '<div class="row"><div class="k">发布机构</div><div class="v">吉林省商务厅</div>'
        '<div class="k">发文字号</div><div class="v">吉商函〔2024〕45号</div></div>'
        '<div class="row"><div class="k">成文日期</div><div class="v">2024-05-08</div>'
        '<div class="k">发布日期</div><div class="v">2024-05-13</div></div></div>'
    ),
    "bracketed labels in spans": (
        '<div class="info-table">'
        "<p><span>[ 索引号 ]</span><span>11220000013544357T/2024-00091</span>"
        "<span>[ 主题分类 ]</span><span>商贸、海关、旅游</span></p>"
        "<p><span>[ 发布机构 ]</span><span>吉林省商务厅</span>"
        "<span>[ 发文字号 ]</span><span>吉商函〔2024〕45号</span></p>"
        "<p><span>[ 成文日期 ]</span><span>2024-05-08</span>"
        "<span>[ 发布日期 ]</span><span>2024-05-13</span></p></div>"
    ),
}


@pytest.mark.parametrize("block", SIBLING_LABEL_BLOCKS.values(), ids=SIBLING_LABEL_BLOCKS.keys())
def test_labels_in_sibling_elements_without_colons(block: str) -> None:
    html = page(TITLE + "_吉林省商务厅", block + f'<h1 class="title">{TITLE}</h1>')
    reply = parse_document(html, "page.html")
    assert metadata_of(reply) == FULL_METADATA
    assert reply.genre is None
    assert_letter(reply)


def test_a_bold_label_word_opening_a_letter_paragraph_is_not_rewritten() -> None:
    paragraphs = list(LETTER_PARAGRAPHS)
    paragraphs[3] = "<strong>时间</strong>紧、任务重，我厅加快推进互市贸易落地加工试点。"
    html = (
        '<html><head><meta charset="utf-8"></head><body>'
        f"<h1>{TITLE}</h1>{letter_html(paragraphs)}</body></html>"
    ).encode()
    reply = parse_document(html, "page.html")
    assert reply.sections[0].text == "时间紧、任务重，我厅加快推进互市贸易落地加工试点。"
    assert reply.published_date is None


COPIED_TABLE_CAPTURES = {
    "cells apart by spaces": (
        "索 引 号    11220000013544357T/2024-00091    主题分类    商贸、海关、旅游\n"
        "发布机构    吉林省商务厅    文　　号    吉商函〔2024〕45号\n"
        "成文日期    2024年05月08日    发布日期    2024年05月13日\n"
    ),
    "cells apart by tabs": (
        "索引号\t11220000013544357T/2024-00091\t主题分类\t商贸、海关、旅游\n"
        "发布机构\t吉林省商务厅\t发文字号\t吉商函〔2024〕45号\n"
        "成文日期\t2024-05-08\t发布日期\t2024-05-13\n"
    ),
    "label and value on lines of their own": (
        "索引号\n11220000013544357T/2024-00091\n主题分类\n商贸、海关、旅游\n发布机构\n吉林省商务厅\n"
        "发文字号\n吉商函〔2024〕45号\n成文日期\n2024-05-08\n发布日期\n2024-05-13\n"
    ),
}


@pytest.mark.parametrize("table", COPIED_TABLE_CAPTURES.values(), ids=COPIED_TABLE_CAPTURES.keys())
def test_colonless_metadata_table_copied_into_a_text_capture(table: str) -> None:
    capture = f"当前位置：首页 > 政务公开 > 建议提案办理\n\n{table}\n{TITLE}\n\n{LETTER_BODY}\n"
    reply = parse_document(capture.encode(), "capture.txt")
    assert metadata_of(reply) == FULL_METADATA
    assert_letter(reply)


# --- family 2: info lines ------------------------------------------------------------------

INFO_LINES = {
    "spaces and a view counter": (
        '<div class="info">发布时间：2024-05-13&nbsp;&nbsp;&nbsp;来源：吉林省商务厅&nbsp;&nbsp;'
        '浏览次数：<span id="views">88</span>&nbsp;&nbsp;【字号：<a href="#">大</a> '
        '<a href="#">中</a> <a href="#">小</a>】</div>',
        dt.date(2024, 5, 13),
    ),
    "spans separated by pipes": (
        '<div class="info"><span>信息来源：吉林省商务厅</span> | '
        "<span>发布时间：2024-05-13 09:12</span> | <span>浏览次数：88</span> | "
        "<span>分享到：</span></div>",
        dt.date(2024, 5, 13),
    ),
    "adjacent spans without separators": (
        '<div class="info"><span>来源：吉林省商务厅</span><span>发布时间：2024-05-13</span>'
        "<span>字号：大 中 小</span></div>",
        dt.date(2024, 5, 13),
    ),
    "bracketed pairs": (
        '<div class="info">【发布时间：2024-05-13】【来源：吉林省商务厅】【字号：大 中 小】'
        "【打印】【关闭】</div>",
        dt.date(2024, 5, 13),
    ),
    # A bare date is not labelled 发布日期: published_date stays null.
    "a bare date, then the source": (
        '<div class="info"><span class="date">2024-05-13</span>'
        '<span class="source">来源：吉林省商务厅</span></div>',
        None,
    ),
}


@pytest.mark.parametrize(("info", "published"), INFO_LINES.values(), ids=INFO_LINES.keys())
def test_info_line_pairs(info: str, published: dt.date | None) -> None:
    html = page(TITLE + "-吉林省商务厅", f"<h1>{TITLE}</h1>{info}")
    reply = parse_document(html, "page.html")
    assert reply.publisher == "吉林省商务厅"
    assert reply.published_date == published
    assert (reply.index_no, reply.doc_no, reply.theme, reply.written_date) == (
        None,
        None,
        None,
        None,
    )
    assert_letter(reply)


def test_info_line_in_a_text_capture() -> None:
    capture = (
        "吉林省商务厅\n首页 | 政务公开 | 商务动态 | 互动交流\n\n"
        f"{TITLE}\n"
        "发布时间：2024-05-13  来源：吉林省商务厅  浏览次数：88  字号：[大 中 小]\n\n"
        f"{LETTER_BODY}\n\n【打印本页】【关闭窗口】\n"
    )
    reply = parse_document(capture.encode(), "capture.txt")
    assert reply.published_date == dt.date(2024, 5, 13)
    assert reply.publisher == "吉林省商务厅"
    assert_letter(reply)


MOE_TABLE = (
    '<table class="moe-meta" width="100%">'
    f'<tr><td colspan="3">信息名称：{TITLE}</td></tr>'
    "<tr><td>信息索引：11220000013544357T/2024-00091</td><td>生成日期：2024-05-08</td>"
    "<td>发文机构：吉林省商务厅</td></tr>"
    "<tr><td>发文字号：吉商函〔2024〕45号</td><td>信息类别：建议提案</td><td></td></tr>"
    '<tr><td colspan="3">内容概述：对省十四届人大二次会议第0521号建议的答复。</td></tr></table>'
)


def test_moe_style_labels() -> None:
    reply = parse_document(page("中华人民共和国教育部政府门户网站", MOE_TABLE), "page.html")
    assert reply.index_no == "11220000013544357T/2024-00091"
    assert reply.written_date == dt.date(2024, 5, 8)
    assert reply.published_date is None
    assert reply.publisher == "吉林省商务厅"
    assert reply.doc_no == "吉商函〔2024〕45号"
    assert reply.theme is None
    assert reply.genre is None
    assert_letter(reply)


def test_label_synonyms_and_noise_labels_in_a_capture() -> None:
    capture = (
        "当前位置：首页 > 政府信息公开 > 建议提案\n\n"
        "信息索引：11220000013544357T/2024-00091\n"
        "文件编号：吉商函〔2024〕45号\n"
        "发布单位：吉林省商务厅\n"
        "成文时间：2024年05月08日\n"
        "公开日期：2024年05月13日\n"
        "有效性：有效\n公开方式：主动公开\n公开范围：面向社会\n\n"
        f"{TITLE}\n\n{LETTER_BODY}\n"
    )
    reply = parse_document(capture.encode(), "capture.txt")
    assert metadata_of(reply) == {**FULL_METADATA, "theme": None}
    assert reply.genre is None
    assert_letter(reply)


# --- family 3: hard-wrapped captures -------------------------------------------------------


def hard_wrap(paragraph: str, width: int, indent: str = "") -> list[str]:
    """Cut every `width` characters, as some capture tools do (indent included)."""
    text = indent + paragraph
    return [text[i : i + width] for i in range(0, len(text), width)]


WRAPPED_PARAGRAPHS = [
    "周晓燕委员：",
    "您提出的《关于推动巴渝传统村落保护与乡村旅游融合发展的提案》（第0233号）收悉。"
    "经与市农业农村委、市住房城乡建委共同研究，现答复如下：",
    "一、关于传统村落保护利用和乡村旅游融合发展的基本情况",
    "近年来，我委认真贯彻《中华人民共和国文物保护法》和《重庆市传统村落保护利用办法"
    "（试行）》（渝府办发〔2022〕88号），累计投入保护资金2.3亿元。",
    "二、下一步工作打算",
    "（一）完善传统村落保护利用的政策体系和工作机制。修订《重庆市乡村旅游发展规划"
    "（2024—2030年）》，明确保护与开发边界。",
    "（二）加强宣传推广",
    "打造一批传统村落旅游精品线路，举办传统村落文化旅游节。",
    "感谢您对文化旅游工作的关心和支持。",
]
WRAPPED_TITLE = "重庆市文化和旅游发展委员会关于市政协六届二次会议第0233号提案答复的函"
WRAPPED_HEADER = [
    WRAPPED_TITLE,
    "",
    "索引号：11500000009283736X/2024-00045",
    "发布机构：重庆市文化和旅游发展委员会",
    "成文日期：2024-06-03",
    "",
]
WRAPPED_SIGNATURE = ["重庆市文化和旅游发展委员会", "2024年6月3日"]


def wrapped_capture(width: int, indent: str, newline: str) -> bytes:
    """Everything wrapped, the title and metadata values too (blank lines kept)."""
    lines: list[str] = []
    for header_line in WRAPPED_HEADER:
        lines.extend(hard_wrap(header_line, width) if header_line else [""])
    lines.append(WRAPPED_PARAGRAPHS[0])
    for paragraph in WRAPPED_PARAGRAPHS[1:]:
        lines.extend(hard_wrap(paragraph, width, indent))
    lines.extend(WRAPPED_SIGNATURE)
    return newline.join(lines).encode()


@pytest.mark.parametrize("width", [16, 20, 30, 36, 40])
@pytest.mark.parametrize("indent", ["", "　　"], ids=["flush", "indented"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_captures_wrapped_at_a_fixed_width(width: int, indent: str, newline: str) -> None:
    reply = parse_document(wrapped_capture(width, indent, newline), "capture.txt")
    assert reply.body_text == "\n".join(WRAPPED_PARAGRAPHS + WRAPPED_SIGNATURE)
    assert reply.proposal_title == "关于推动巴渝传统村落保护与乡村旅游融合发展的提案"
    assert reply.co_agencies == ["市农业农村委", "市住房城乡建委"]
    assert [s.heading for s in reply.sections] == [
        "关于传统村落保护利用和乡村旅游融合发展的基本情况",
        "下一步工作打算",
    ]
    assert [(c.heading, c.text) for c in reply.commitments] == [
        (
            "完善传统村落保护利用的政策体系和工作机制",
            "修订《重庆市乡村旅游发展规划（2024—2030年）》，明确保护与开发边界。",
        ),
        ("加强宣传推广", "打造一批传统村落旅游精品线路，举办传统村落文化旅游节。"),
    ]
    assert [(c.title, c.doc_no) for c in reply.citations] == [
        ("中华人民共和国文物保护法", None),
        ("重庆市传统村落保护利用办法（试行）", "渝府办发〔2022〕88号"),
        ("重庆市乡村旅游发展规划（2024—2030年）", None),
    ]
    assert reply.sender == "重庆市文化和旅游发展委员会"
    assert reply.signed_date == dt.date(2024, 6, 3)
    assert reply.written_date == dt.date(2024, 6, 3)
    assert reply.index_no == "11500000009283736X/2024-00045"
    assert reply.publisher == "重庆市文化和旅游发展委员会"
    assert reply.title == WRAPPED_TITLE
    assert (reply.session, reply.proposal_number) == ("市政协六届二次会议", "0233")


def test_a_guillemet_title_cut_by_a_short_wrapped_line_is_joined() -> None:
    # An editor wrapped before the full width (it does not split `2024—2030`), leaving the
    # title open at a short line end.
    capture = (
        "关于市政协六届二次会议第0233号提案答复的函\r\n\r\n周晓燕委员：\r\n"
        "　　您提出的《关于推动巴渝传统村落保护与乡村旅游融合发展的提案》（第0233号）收悉。"
        "现答\r\n复如下：我委将修订《重庆市乡村旅游发展规划\r\n"
        "（2024—2030年）》，明确保护与开发边界，推动传统村落保护利用和乡村旅游融合发展，打造一\r\n"
        "批精品线路。\r\n重庆市文化和旅游发展委员会\r\n2024年6月3日\r\n"
    )
    reply = parse_document(capture.encode(), "capture.txt")
    assert [c.title for c in reply.citations] == ["重庆市乡村旅游发展规划（2024—2030年）"]
    assert reply.body_text.split("\n")[1].endswith("打造一批精品线路。")


# --- family 4: commitment styles ------------------------------------------------------------


def commitments_of(body: str) -> list[tuple[str, str]]:
    document = (
        "重庆市某某局关于市政协六届二次会议第0001号提案答复的函\n\n李洁委员：\n"
        f"您提出的提案收悉。现答复如下：\n{body}\n感谢您的关心。\n重庆市某某局\n2024年5月1日"
    )
    return [(c.heading, c.text) for c in parse_document(document.encode(), "x.txt").commitments]


def test_diyi_paragraphs_under_a_next_steps_section() -> None:
    body = (
        "一、工作情况\n已建立联席会议制度。\n二、下一步工作打算\n"
        "第一，加强统筹协调。建立市级部门协作机制。\n第二，加大资金投入。\n第三，强化考核评估。"
    )
    assert commitments_of(body) == [
        ("", "加强统筹协调。建立市级部门协作机制。"),
        ("", "加大资金投入。"),
        ("", "强化考核评估。"),
    ]


def test_diyi_clauses_inline_in_a_next_steps_paragraph() -> None:
    body = (
        "下一步，我局将重点做好以下工作：第一，加强统筹协调；第二，加大资金投入；第三，强化考核。"
    )
    assert commitments_of(body) == [
        ("", "加强统筹协调；"),
        ("", "加大资金投入；"),
        ("", "强化考核。"),
    ]


def test_shouxian_qici_zuihou() -> None:
    body = (
        "一、工作情况\n已建立联席会议制度。\n二、下一步工作\n"
        "首先，加强统筹协调，建立工作专班。\n其次，加大资金投入。\n"
        "最后，打通服务群众的最后一公里。"
    )
    assert commitments_of(body) == [
        ("", "加强统筹协调，建立工作专班。"),
        ("", "加大资金投入。"),
        ("", "打通服务群众的最后一公里。"),
    ]


def test_shouxian_qici_inline_after_jiang() -> None:
    body = "下一步，我局将首先完善政策体系，其次加大资金投入，再次优化服务，最后强化考核评估。"
    assert commitments_of(body) == [
        ("", "完善政策体系，"),
        ("", "加大资金投入，"),
        ("", "优化服务，"),
        ("", "强化考核评估。"),
    ]


def test_paren_arabic_items_under_a_next_steps_heading() -> None:
    body = (
        "一、工作情况\n已建立联席会议制度。\n二、下一步工作计划\n"
        "（1）完善政策体系。出台实施办法。\n（2）加大资金投入。\n每年安排专项资金。"
    )
    assert commitments_of(body) == [
        ("完善政策体系", "出台实施办法。"),
        ("加大资金投入", "每年安排专项资金。"),
    ]


def test_yiyao_clauses() -> None:
    body = "下一步，我局将从三个方面推进：一要加强统筹协调；二要加大资金投入；三要强化考核。"
    assert commitments_of(body) == [
        ("", "加强统筹协调；"),
        ("", "加大资金投入；"),
        ("", "强化考核。"),
    ]


def test_yishi_clauses_in_separate_paragraphs_of_a_next_steps_section() -> None:
    body = (
        "一、工作情况\n已建立联席会议制度。\n二、下一步工作打算\n"
        "下一步，我局将重点抓好以下工作：\n"
        "一是加强统筹协调，建立联席会议制度。\n二是加大资金投入，每年安排1000万元。\n"
        "三是强化考核评估。"
    )
    assert commitments_of(body) == [
        ("", "加强统筹协调，建立联席会议制度。"),
        ("", "加大资金投入，每年安排1000万元。"),
        ("", "强化考核评估。"),
    ]


def test_next_steps_subheading_inside_a_wider_part() -> None:
    body = (
        "一、工作开展情况及下一步打算\n（一）工作开展情况。已建立联席会议制度。\n"
        "（二）下一步工作打算\n1.完善政策体系。出台实施办法。\n2.加大资金投入。\n"
        "二、有关说明\n相关项目已纳入年度计划。"
    )
    assert commitments_of(body) == [("完善政策体系", "出台实施办法。"), ("加大资金投入", "")]


def test_an_item_starting_with_jinhou_is_not_a_next_steps_heading() -> None:
    body = "一、工作情况\n（一）今后要加强宣传。已印发宣传手册。\n（二）完善制度。"
    assert commitments_of(body) == []


# --- family 5: chrome listing other replies -------------------------------------------------

HOT_SIDEBAR = (
    '<div class="side"><div class="side-hd">热点推荐</div><ul>'
    '<li><a href="/c/1.html">吉林省商务厅关于省政协十三届二次会议第0012号提案的答复</a></li>'
    '<li><a href="/c/2.html">吉林省商务厅关于省十四届人大二次会议第0611号建议的答复</a></li>'
    "</ul></div>"
)
RELATED = (
    '<div class="related"><h3>相关阅读</h3><ul>'
    '<li><a href="/c/3.html">吉林省商务厅关于省十四届人大二次会议第0377号建议的答复</a>'
    "<span>2024-05-10</span></li>"
    '<li><a href="/c/4.html">吉林省商务厅关于省政协十三届二次会议第0155号提案答复的函</a>'
    "<span>2024-05-09</span></li></ul></div>"
)
PREV_NEXT = (
    '<div class="prev-next"><p>上一篇：<a href="/c/5.html">'
    "吉林省商务厅关于省十四届人大二次会议第0520号建议的答复</a></p>"
    '<p><span>下一篇</span></p><p><a href="/c/6.html">'
    "关于省十四届人大二次会议第0522号建议的答复</a></p></div>"
)
UNLABELLED_LINKS = (
    '<div class="list"><a href="/c/7.html">吉林省商务厅关于省十四届人大二次会议第0009号建议的答复</a>'
    "</div>"
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (HOT_SIDEBAR + f"<h1>{TITLE}</h1>", RELATED + PREV_NEXT),
        (PREV_NEXT + f'<div class="title">{TITLE}</div>', ""),
        (f"<h1>{TITLE}</h1>" + RELATED, PREV_NEXT),
        (UNLABELLED_LINKS + f"<h2>{TITLE}</h2>", UNLABELLED_LINKS),
    ],
    ids=["hot-sidebar-before", "prev-next-before", "related-between", "bare-link-list"],
)
def test_other_replies_titles_in_chrome_are_neither_title_nor_body(before: str, after: str) -> None:
    html = page("吉林省商务厅", before, after)
    reply = parse_document(html, "page.html")
    assert_letter(reply)


def test_chrome_without_any_own_title_gives_no_title_from_it() -> None:
    html = page("吉林省商务厅", HOT_SIDEBAR, RELATED)
    reply = parse_document(html, "page.html")
    assert "0012" not in reply.title and "0377" not in reply.title
    assert reply.body_text == LETTER_BODY


def test_related_lists_in_a_text_capture() -> None:
    capture = (
        "吉林省商务厅\n首页 | 政务公开 | 商务动态\n热点推荐\n"
        "吉林省商务厅关于省政协十三届二次会议第0012号提案的答复\n"
        "关于省十四届人大二次会议第0611号建议的答复\n"
        f"{TITLE}\n发布时间：2024-05-13 来源：吉林省商务厅\n"
        f"{LETTER_BODY}\n"
        "上一篇：\n吉林省商务厅关于省十四届人大二次会议第0520号建议的答复\n"
        "下一篇：吉林省商务厅关于省十四届人大二次会议第0522号建议的答复\n"
        "相关阅读\n关于省十四届人大二次会议第0377号建议的答复\n"
    )
    reply = parse_document(capture.encode(), "capture.txt")
    assert_letter(reply)
    assert reply.published_date == dt.date(2024, 5, 13)


def test_letter_without_a_signature_stops_before_the_related_list() -> None:
    paragraphs = LETTER_PARAGRAPHS[:-2]
    html = (
        '<html><head><meta charset="utf-8"></head><body>'
        f"<h1>{TITLE}</h1>{letter_html(paragraphs)}{RELATED}</body></html>"
    ).encode()
    reply = parse_document(html, "page.html")
    assert reply.body_text == "\n".join(paragraphs)
    assert reply.title == TITLE


def test_a_title_wrapped_in_a_script_link_or_anchor_is_still_the_title() -> None:
    for wrapped in (
        f'<h1><a href="javascript:void(0)">{TITLE}</a></h1>',
        f'<h1><a name="title">{TITLE}</a></h1>',
    ):
        html = page("吉林省商务厅", HOT_SIDEBAR + wrapped, RELATED)
        assert_letter(parse_document(html, "page.html"))


def test_an_attachment_link_inside_the_letter_stays_in_the_body() -> None:
    paragraphs = list(LETTER_PARAGRAPHS)
    paragraphs.insert(-2, '附件：<a href="/files/2024/0521.pdf">边民互市贸易点分布表.pdf</a>')
    html = (
        '<html><head><meta charset="utf-8"></head><body>'
        f"<h1>{TITLE}</h1>{letter_html(paragraphs)}{RELATED}</body></html>"
    ).encode()
    reply = parse_document(html, "page.html")
    assert "附件：边民互市贸易点分布表.pdf" in reply.body_text.split("\n")
    assert reply.sender == "吉林省商务厅"


def test_a_capture_that_is_not_wrapped_joins_nothing() -> None:
    # Short lines of one length (two headings, a nav line and a signature) are no wrap
    # width: nothing here runs on into the next line.
    capture = (
        "网站首页 | 政务公开 | 互动交流\n"
        "热点推荐\n吉林省商务厅关于省政协十三届二次会议第0012号提案的答复\n"
        "关于省十四届人大二次会议第0611号建议的答复\n\n"
        f"{TITLE}\n"
        "王立新代表：\n"
        "您提出的《关于推动边境贸易创新发展的建议》（第0521号）收悉。经商省财政厅、长春海关，"
        "现答复如下：\n"
        "一、边境贸易发展情况\n我省边境贸易稳步发展。\n"
        "二、互市贸易工作情况\n互市贸易进出口额15.2亿元。\n"
        "感谢您对商务工作的关心和支持。\n吉林省商务厅 2024年5月8日\n（此件主动公开）\n"
    )
    reply = parse_document(capture.encode(), "capture.txt")
    assert reply.title == TITLE
    assert [s.heading for s in reply.sections] == ["边境贸易发展情况", "互市贸易工作情况"]
    assert reply.body_text.endswith("感谢您对商务工作的关心和支持。\n吉林省商务厅 2024年5月8日")
    assert reply.signed_date == dt.date(2024, 5, 8)


def test_a_short_reply_with_two_wrapped_lines_is_joined() -> None:
    # Wrapped at 76 columns: two lines reach it, which is enough to tell the width.
    capture = (
        f"{TITLE}\n\n王立新代表：\n"
        "　　您提出的《关于推动边境贸易创新发展的建议》（第0521号）收悉。经商省财政厅\n"
        "、长春海关，现答复如下：\n"
        "　　下一步，我厅将积极推进以下工作：一是完善支持政策，落实边民互市贸易管理办\n"
        "法；二是强化通关服务。\n"
        "吉林省商务厅\n2024年5月8日\n"
    )
    reply = parse_document(capture.encode(), "capture.txt")
    assert reply.co_agencies == ["省财政厅", "长春海关"]
    assert [(c.heading, c.text) for c in reply.commitments] == [
        ("", "完善支持政策，落实边民互市贸易管理办法；"),
        ("", "强化通关服务。"),
    ]


def test_info_line_opening_with_a_bare_date_is_not_the_letter_without_a_salutation() -> None:
    paragraphs = LETTER_PARAGRAPHS[1:]
    html = (
        '<html><head><meta charset="utf-8"></head><body>'
        f"<h1>{TITLE}</h1>"
        '<div class="info"><span>2024-05-13 09:30</span> <span>来源：吉林省商务厅</span></div>'
        f"{letter_html(paragraphs)}</body></html>"
    ).encode()
    reply = parse_document(html, "page.html")
    assert reply.body_text == "\n".join(paragraphs)
    assert reply.publisher == "吉林省商务厅"


def test_word_file_with_tab_separated_colonless_labels() -> None:
    import io

    import docx

    document = docx.Document()
    for text in [
        TITLE,
        "索引号\t11220000013544357T/2024-00091\t主题分类\t商贸、海关、旅游",
        "发布机构\t吉林省商务厅\t发文字号\t吉商函〔2024〕45号",
        "成文日期\t2024-05-08\t发布日期\t2024-05-13",
        *LETTER_PARAGRAPHS,
    ]:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    reply = parse_document(buffer.getvalue(), "reply.docx")
    assert metadata_of(reply) == FULL_METADATA
    assert_letter(reply)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "来源：吉林省商务厅时间：2024-05-13字号：大中小",
            {"publisher": "吉林省商务厅", "published_date": "2024-05-13"},
        ),
        (
            "信息来源：吉林省商务厅　发布日期：2024年05月13日　【字号：大 中 小】【打印】【关闭】",
            {"publisher": "吉林省商务厅", "published_date": "2024年05月13日"},
        ),
        (
            "[发布时间：2024-05-13] [来源：吉林省商务厅]",
            {"published_date": "2024-05-13", "publisher": "吉林省商务厅"},
        ),
        ("更新时间：2024-05-20 浏览次数：12", {}),
        ("2024-05-13 来源：吉林省商务厅", {"publisher": "吉林省商务厅"}),
    ],
)
def test_info_line_pairs_in_text(line: str, expected: dict[str, str]) -> None:
    from replies.parsing.labels import label_values
    from replies.parsing.textnorm import single_spaced

    found = {
        pair.field: pair.value
        for pair in label_values(single_spaced(line), anywhere=True)
        if pair.field and pair.value
    }
    assert found == expected


def test_shouxian_shi_clauses() -> None:
    body = "下一步，我局将做好三方面工作：首先是完善政策体系；其次是加大资金投入；最后是强化考核。"
    assert commitments_of(body) == [
        ("", "完善政策体系；"),
        ("", "加大资金投入；"),
        ("", "强化考核。"),
    ]


def test_metadata_table_with_a_header_row_of_labels() -> None:
    table = (
        '<table class="gk-table"><tr><th>索引号</th><th>发文字号</th><th>主题分类</th></tr>'
        "<tr><td>11220000013544357T/2024-00091</td><td>吉商函〔2024〕45号</td>"
        "<td>商贸、海关、旅游</td></tr>"
        "<tr><th>发布机构</th><th>成文日期</th><th>发布日期</th></tr>"
        "<tr><td>吉林省商务厅</td><td>2024-05-08</td><td>2024-05-13</td></tr></table>"
    )
    html = page(TITLE + "_吉林省商务厅", table + f"<h1>{TITLE}</h1>")
    reply = parse_document(html, "page.html")
    assert metadata_of(reply) == FULL_METADATA
    assert_letter(reply)


def test_half_bracket_arabic_items_under_next_steps() -> None:
    body = "一、工作情况\n已建立联席会议制度。\n二、下一步工作\n1）完善政策体系。出台实施办法。\n2）加大资金投入。"
    assert commitments_of(body) == [("完善政策体系", "出台实施办法。"), ("加大资金投入", "")]
