import pytest

from replies.sections import pack_sections, unpack_sections

BODY = "一、总体情况\n我们持续推进。\n二、下一步\n我们持续推进。\n三、其他"


def test_texts_in_the_body_become_spans_and_read_back_exactly():
    sections = [
        {"heading": "总体情况", "text": "我们持续推进。"},
        # The same words again: the span after the first one, not the first one again.
        {"heading": "下一步", "text": "我们持续推进。"},
    ]
    packed = pack_sections(BODY, sections)
    assert packed == [
        {"heading": "总体情况", "at": [7, 14]},
        {"heading": "下一步", "at": [21, 28]},
    ]
    assert unpack_sections(BODY, packed) == sections


def test_a_text_not_in_the_body_is_kept_and_packing_twice_changes_nothing():
    sections = [
        {"heading": "总体情况", "text": "我们持续推进。"},
        {"heading": "已改", "text": "正文改过以后不在其中的文字"},
        {"heading": "空", "text": ""},
    ]
    packed = pack_sections(BODY, sections)
    assert packed[1:] == sections[1:]
    assert pack_sections(BODY, packed) == packed
    assert unpack_sections(BODY, packed) == sections


@pytest.mark.parametrize("stored", [[], None])
def test_no_sections(stored):
    assert unpack_sections(BODY, stored) == []
