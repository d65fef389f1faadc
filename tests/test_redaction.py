import re

from hypothesis import given, settings
from hypothesis import strategies as st

from replies.redaction import _EMAIL, _LABELLED, MARK, redact


def test_contact_line_is_redacted_but_labels_stay():
    assert redact("联系人：刘老师，联系电话：023-12345678") == f"联系人：{MARK}，联系电话：{MARK}"


def test_phone_numbers_and_email_anywhere_are_redacted():
    text = "请拨打13912345678或发邮件至abc@cq.gov.cn，也可致电(023)63891234。"
    out = redact(text)
    assert "13912345678" not in out
    assert "abc@cq.gov.cn" not in out
    assert "63891234" not in out
    assert out.count(MARK) == 3


def test_numbers_that_are_not_contacts_stay():
    text = (
        "索引号11500000MB15895317/2024-00079，渝科局函〔2024〕275号，累计投资项目1276个，2.1万个。"
    )
    assert redact(text) == text


def test_email_label_in_any_case_is_redacted():
    for label in ("Email", "E-mail", "EMAIL", "e-Mail", "电子邮箱"):
        assert redact(f"{label}：kefu at cq，其他") == f"{label}：{MARK}，其他"


#: The telephone pattern as first written (its look-behind first).
_PHONE_AS_WRITTEN = re.compile(
    r"(?<![0-9A-Za-z〔\[])(?:\(?0\d{2,3}\)?[-－\s]?\d{7,8}(?:[-－转]\d{1,5})?|1[3-9]\d{9})(?![0-9])"
)


def _reference_redact(text: str) -> str:
    """Every label pattern in one pass, each pattern run over the whole text."""
    text = _LABELLED.sub(lambda m: f"{m.group('label')}{m.group('colon')}{MARK}", text)
    return _PHONE_AS_WRITTEN.sub(MARK, _EMAIL.sub(MARK, text))


_PIECES = st.sampled_from(
    [
        "(",
        "（",
        "0",
        "1",
        "5",
        "-",
        "转",
        "023",
        "6389123",
        "〔",
        "a",
        "１３９",
        "1391234567",
        "联系人",
        "联 系 人",
        "电话",
        "Email",
        "e-MAIL",
        "maİl",
        "：",
        ":",
        "，",
        "\n",
        "刘老师",
        "023-12345678",
        "13912345678",
        "a@b.cn",
        "@",
        " ",
        "经办人",
        "手机",
        "答复",
    ]
)


@given(st.lists(_PIECES, max_size=12).map("".join))
@settings(max_examples=300, deadline=None)
def test_shortcuts_redact_what_the_full_patterns_redact(text):
    # The shortcuts skip the email label and the address pattern where they cannot match, and
    # the telephone pattern checks what precedes a number after its first character.
    assert redact(text) == _reference_redact(text)
