from replies.redaction import MARK, redact


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
