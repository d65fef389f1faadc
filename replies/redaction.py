"""Hide personal contact details before a reply is shown or indexed.

Replies often end with the handling official's name and telephone number. The archive keeps
the original for clerks and shows the public (pages, API, feeds, exports, search index) a
copy with those details replaced by a marker.
"""

from __future__ import annotations

import re

MARK = "［已隐去］"

_LABELS = r"(?:联\s*系\s*人|联系电话|联系方式|联系号码|办公电话|电\s*话|手\s*机|传\s*真|邮\s*箱|电子邮箱|E-?mail|经\s*办\s*人)"
# A label, its colon, and the value up to the next separator or end of line.
_LABELLED = re.compile(
    rf"(?P<label>{_LABELS})(?P<colon>\s*[：:]\s*)(?P<value>[^，,；;。\n（(]{{1,40}})",
    re.IGNORECASE,
)
_PHONE = re.compile(
    r"(?<![0-9A-Za-z〔\[])(?:\(?0\d{2,3}\)?[-－\s]?\d{7,8}(?:[-－转]\d{1,5})?|1[3-9]\d{9})(?![0-9])"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def redact(text: str) -> str:
    """`联系人：刘老师，联系电话：023-12345678` → `联系人：［已隐去］，联系电话：［已隐去］`."""
    if not text:
        return text
    text = _LABELLED.sub(lambda m: f"{m.group('label')}{m.group('colon')}{MARK}", text)
    text = _EMAIL.sub(MARK, text)
    return _PHONE.sub(MARK, text)


def contains_contact_details(text: str) -> bool:
    return redact(text) != text
