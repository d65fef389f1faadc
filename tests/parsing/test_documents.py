"""Whole documents in shapes beyond the three fixtures: co-handling opinions, meta-only
metadata, GBK pages, hard-wrapped text captures, Word files."""

from __future__ import annotations

import datetime as dt
import io

from replies.parsing import parse_document

from .samples import (
    CO_HANDLING_HTML,
    HUIBAN_OPINION_HTML,
    JOINT_REPLY_GB2312_HTML,
    LABEL_TITLE_WRAPPED_TEXT,
    UNWRAPPED_NO_BLANKS_TEXT,
    WRAPPED_TEXT,
)


def test_co_handling_opinion_from_gbk_html_with_meta_only_metadata() -> None:
    reply = parse_document(CO_HANDLING_HTML.encode("gbk"), "page.html")
    assert reply.encoding == "gbk"
    assert reply.title == "重庆市财政局关于市政协六届二次会议第0123号提案的协办意见"
    assert reply.published_date == dt.date(2024, 6, 1)
    assert reply.publisher == "市财政局"
    assert reply.role == "co"
    assert reply.addressee == "市交通运输委"
    assert reply.lead_agency == "市交通运输委"
    assert reply.sender == "重庆市财政局"
    assert reply.members == ["张伟", "刘芳", "陈明"]
    assert reply.proposer_org is None
    assert (reply.session, reply.proposal_number, reply.kind) == (
        "市政协六届二次会议",
        "0123",
        "proposal",
    )
    assert reply.signed_date == dt.date(2024, 5, 30)
    assert reply.written_date is None
    assert [s.heading for s in reply.sections] == ["资金保障情况", "下一步工作打算"]
    assert reply.sections[0].text == "2023年市级财政安排公交运营补贴12亿元，支持线网优化。"
    assert [(c.heading, c.text) for c in reply.commitments] == [
        ("", "加大资金投入；"),
        ("", "强化绩效管理；"),
        ("", "加强监督检查。"),
    ]
    assert reply.body_text.startswith("市交通运输委：\n张伟、刘芳、陈明委员提出的")
    assert reply.body_text.endswith("重庆市财政局\n二〇二四年五月三十日")
    assert "联系人" not in reply.body_text
    assert "版权所有" not in reply.body_text


def test_hard_wrapped_text_capture_in_gb18030() -> None:
    reply = parse_document(WRAPPED_TEXT.encode("gb18030"), "capture.txt")
    assert reply.encoding == "gbk"
    assert reply.title == "区十八届人大三次会议第45号建议答复的函"
    assert reply.index_no == "008123456/2023-01234"
    assert reply.doc_no == "某区教委函〔2023〕9号"
    assert reply.written_date == dt.date(2023, 9, 5)
    assert reply.published_date == dt.date(2023, 9, 8)
    assert reply.kind == "suggestion"
    assert reply.session == "区十八届人大三次会议"
    assert reply.members == ["张伟", "刘芳", "陈明"]
    assert reply.addressee == "张伟、刘芳、陈明代表"
    assert reply.co_agencies == ["区发展改革委", "区财政局", "区规划自然资源局"]
    assert reply.signer == "赵六"
    assert reply.sender == "某区教育委员会"
    body_lines = reply.body_text.split("\n")
    assert body_lines[1] == (
        "你们提出的《关于加快建设城南片区中小学校的建议》（第45号）收悉。我委会同区发展改革委、"
        "区财政局和区规划自然资源局认真研究，现答复如下："
    )
    assert body_lines[3] == (
        "近年来，我区新建改扩建中小学校12所，新增学位1.5万个，有效缓解了城南片区的学位紧张问题。"
    )
    assert [(c.heading, c.text) for c in reply.commitments] == [
        ("加快项目建设", "确保城南第二小学于2024年秋季投用。"),
        (
            "优化学位供给",
            "通过集团化办学扩大优质学位供给，落实《义务教育学校管理标准》（教基〔2017〕9号）。",
        ),
    ]
    assert [(c.title, c.doc_no) for c in reply.citations] == [
        ("义务教育学校管理标准", "教基〔2017〕9号")
    ]
    assert "打印本页" not in reply.body_text


def test_docx_reply_detected_by_content_not_extension() -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=4)
    for row, cells in zip(
        table.rows,
        [
            ["索引号", "11500000MB15895317/2024-00100", "发文字号", "渝交函〔2024〕12号"],
            ["发布机构", "市交通运输委", "成文日期", "2024-03-01"],
        ],
        strict=True,
    ):
        for cell, value in zip(row.cells, cells, strict=True):
            cell.text = value
    for text in [
        "重庆市交通运输委员会关于市六届人大二次会议第0456号建议办理情况的答复函",
        "李明代表：",
        "您提出的《关于完善农村客运网络的建议》（第0456号）收悉。经商市财政局，现答复如下：",
        "下一步，我委将持续完善农村客运网络，提升服务水平。",
        "感谢您的关心。",
        "重庆市交通运输委员会",
        "2024年3月1日",
    ]:
        document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    reply = parse_document(buffer.getvalue(), "upload.bin")
    assert reply.encoding == "docx"
    assert reply.source_format == "docx"
    assert reply.index_no == "11500000MB15895317/2024-00100"
    assert reply.doc_no == "渝交函〔2024〕12号"
    assert reply.publisher == "市交通运输委"
    assert reply.written_date == dt.date(2024, 3, 1)
    assert reply.members == ["李明"]
    assert reply.kind == "suggestion"
    assert reply.proposal_number == "0456"
    assert reply.co_agencies == ["市财政局"]
    assert [(c.heading, c.text) for c in reply.commitments] == [
        ("", "下一步，我委将持续完善农村客运网络，提升服务水平。")
    ]
    assert reply.sender == "重庆市交通运输委员会"


def test_title_label_cut_by_a_hard_wrap_yields_to_the_whole_title() -> None:
    reply = parse_document(LABEL_TITLE_WRAPPED_TEXT.encode(), "capture.txt")
    assert reply.title == "重庆市城市管理局关于市政协六届二次会议第0788号提案答复的函"
    assert reply.co_agencies == ["市住房城乡建委", "市规划自然资源局"]
    assert reply.signed_date == dt.date(2024, 6, 11)
    assert reply.sender == "重庆市城市管理局"
    assert reply.body_text.endswith("特此函复。\n重庆市城市管理局 2024年6月11日")
    assert [(c.title, c.doc_no) for c in reply.citations] == [
        ("重庆市城市公园管理办法", "渝府令第355号")
    ]
    assert not reply.warnings


def test_huiban_opinion_takes_session_from_the_opening() -> None:
    reply = parse_document(HUIBAN_OPINION_HTML.encode(), "page.html")
    assert reply.title == "关于王小明代表第123号建议的会办意见"
    assert reply.role == "co"
    assert reply.lead_agency == "市发展改革委"
    assert reply.members == ["王小明"]
    assert (reply.session, reply.proposal_number, reply.kind) == (
        "市六届人大二次会议",
        "123",
        "suggestion",
    )
    assert reply.publisher == "重庆市财政局"
    assert reply.published_date == dt.date(2024, 5, 20)
    assert [s.heading for s in reply.sections] == ["关于资金支持", "关于政策衔接"]
    assert reply.sections[1].text == "我局将配合贵委做好政策衔接工作。"
    assert reply.commitments == []


def test_joint_reply_to_a_party_committee() -> None:
    reply = parse_document(JOINT_REPLY_GB2312_HTML.encode("gbk"), "page.html")
    assert reply.encoding == "gbk"
    assert reply.addressee == "尊敬的民革市委"
    assert reply.proposer_org == "民革市委"
    assert reply.members == []
    assert reply.sender == "重庆市科学技术局、重庆市财政局"
    assert reply.co_agencies == ["市财政局", "市发展改革委", "市教委"]
    assert reply.signer is None
    assert reply.sections == []
    assert [(c.heading, c.text) for c in reply.commitments] == [
        ("加强平台建设", "推动一批国家级平台落地。"),
        ("深化区域合作", "联合四川省科技厅共同实施川渝科技创新合作计划。"),
    ]


def test_single_line_paragraphs_without_blank_lines_are_not_joined() -> None:
    reply = parse_document(UNWRAPPED_NO_BLANKS_TEXT.encode(), "capture.txt")
    assert [s.heading for s in reply.sections] == [
        "推动全市构建科技企业孵化体系情况",
        "下一步工作计划和具体安排措施",
    ]
    assert [c.heading for c in reply.commitments] == ["打造孵化集群，树立示范标杆"]
