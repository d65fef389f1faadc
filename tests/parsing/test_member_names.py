"""Salutations that greet members or deputies by names no surname list knows: Tibetan,
Uyghur and Hui names, rare and four-byte surnames. The title 委员 / 代表 says they are people."""

import pytest

from replies.parsing.people import addressee_persons


@pytest.mark.parametrize(
    ("salutation", "names"),
    [
        ("扎西顿珠、马建国代表", ["扎西顿珠", "马建国"]),
        ("德吉卓玛委员", ["德吉卓玛"]),
        ("阿布都热合曼等3位委员", ["阿布都热合曼"]),
        ("帕尔哈提·吐尔逊代表", ["帕尔哈提·吐尔逊"]),
        ("撒建军、纳春华、者永红代表", ["撒建军", "纳春华", "者永红"]),
        ("𬌗明委员", ["𬌗明"]),
        ("张伟、刘芳、陈明委员", ["张伟", "刘芳", "陈明"]),
    ],
)
def test_titled_salutations_name_people(salutation, names):
    assert addressee_persons(salutation) == names


@pytest.mark.parametrize(
    "salutation",
    ["各位委员", "全体代表", "市政协经济委员会", "九三学社重庆市委会", "市交通运输委", "民进中央"],
)
def test_groups_agencies_and_collectives_are_not_people(salutation):
    assert addressee_persons(salutation) is None


def test_a_title_split_by_a_soft_line_break_in_word_is_one_line():
    import io

    from docx import Document

    from replies.parsing import parse_document

    document = Document()
    document.add_paragraph("西市发改函〔2024〕12号")
    title = document.add_paragraph("西市发展和改革委员会")
    title.add_run().add_break()  # a soft line break inside the title paragraph
    title.add_run("关于市三届人大四次会议第0099号建议的答复")
    document.add_paragraph("扎西顿珠代表：")
    document.add_paragraph("您提出的《关于发展高原特色农业的建议》（第0099号）收悉。现答复如下：")
    document.add_paragraph("我委高度重视，已会同有关部门研究落实。")
    document.add_paragraph("西市发展和改革委员会")
    document.add_paragraph("2024年7月1日")
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_document(buffer.getvalue(), "reply.docx")
    assert parsed.title == "西市发展和改革委员会关于市三届人大四次会议第0099号建议的答复"
    assert parsed.members == ["扎西顿珠"]
    assert parsed.session == "市三届人大四次会议"


@pytest.mark.parametrize("salutation", ["公安部", "区应急局", "区工商联", "区商务委"])
def test_agencies_whose_first_character_is_a_surname_are_not_people(salutation):
    # A co-handling opinion greets the lead agency; 公 and 区 are also surnames.
    assert addressee_persons(salutation) is None


def test_co_handling_opinion_to_an_agency_takes_members_from_the_body():
    from replies.parsing import parse_document

    text = (
        "工业和信息化部关于十四届全国人大一次会议第00008号建议的协办意见\n\n"
        "发布时间：2023-05-18      来源：工业和信息化部\n\n"
        "索 引 号：000014FE9/2023-00002\n文　　号：工信函〔2023〕2号\n\n"
        "公安部：\n\n"
        "　　彭旭晓、曹英丽代表提出的《关于加强道路交通安全的建议》（第00008号）收悉。"
        "我单位作为协办单位，现将协办意见函告如下：\n\n　　一、有关情况\n\n"
        "　　下一步，我部将继续配合做好相关工作。\n\n工业和信息化部\n2023年4月20日\n"
    )
    reply = parse_document(text.encode(), "co.txt")
    assert reply.members == ["彭旭晓", "曹英丽"]
