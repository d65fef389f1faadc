"""Metadata labels of disclosure pages: `索引号：…`, `[ 发文字号 ] …`, `【发布机构】…`.

Labels are matched after whitespace collapse, so `索 引 号` and `文　　号` arrive as `索引号`
and `文号`. A label counts only when bracketed or followed by a colon; a bare word in a
sentence is never a label. Several labels may share a line (`发布时间：… 来源：…`); each
value runs to the next label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textnorm import normalise_value

#: Contract field → the labels that carry it, longest first within the regex.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号", "信息索引号", "索取号", "索 引 号", "内容索引号"),
    "doc_no": (
        "发文字号",
        "文号",
        "发文文号",
        "发文号",
        "文件编号",
        "文件字号",
        "公文字号",
        "发文编号",
    ),
    "title": (
        "标题",
        "名称",
        "文件名称",
        "信息名称",
        "公文标题",
        "文件标题",
        "文章标题",
        "信息标题",
    ),
    "theme": ("主题分类", "主题类别", "主题", "信息分类", "分类", "所属主题", "主题类型"),
    "genre": ("体裁分类", "体裁", "文种", "文种分类", "公文种类", "体裁类别", "文件类型"),
    "publisher": (
        "发布机构",
        "发文机关",
        "发文机构",
        "发布机关",
        "发布单位",
        "发文单位",
        "制发机关",
        "来源",
        "信息来源",
        "文章来源",
        "所属机构",
        "发布部门",
    ),
    "written_date": ("成文日期", "成文时间", "发文日期", "成文日", "印发日期"),
    "published_date": ("发布日期", "发布时间", "公开日期", "公开时间", "日期", "发文时间", "时间"),
}

#: Labels that are page furniture, not contract fields: recognised so that they end the
#: value before them and so that their lines count as metadata.
OTHER_LABELS: tuple[str, ...] = (
    "主题词",
    "关键词",
    "关键字",
    "有效性",
    "时效性",
    "效力状态",
    "有效期",
    "失效日期",
    "废止日期",
    "生效日期",
    "公开方式",
    "公开范围",
    "公开形式",
    "公开时限",
    "组配分类",
    "服务对象",
    "浏览次数",
    "访问次数",
    "点击数",
    "阅读次数",
    "浏览量",
    "字号",
    "字体",
    "作者",
    "责任编辑",
    "编辑",
    "生成日期",
    "统一编号",
    "统一登记号",
    "登记号",
    "信息类别",
    "所属栏目",
    "栏目",
    "分享到",
    "撰稿",
    "审核",
    "校对",
    "附件",
)

_LABEL_TO_FIELD: dict[str, str] = {}
for _field_name, _labels in FIELD_LABELS.items():
    for _label in _labels:
        _LABEL_TO_FIELD[_label.replace(" ", "")] = _field_name
_ALL_LABELS = sorted({*_LABEL_TO_FIELD, *OTHER_LABELS}, key=len, reverse=True)


def _spaced_alternation(labels: list[str]) -> str:
    """`索引号` → `索 ?引 ?号`: sources space out label characters (`索 引 号`, `文　　号`)."""
    return "|".join(" ?".join(re.escape(ch) for ch in label) for label in labels)


#: Two-character labels (`日期`, `来源`, `文号`) are ordinary words too: they count only
#: after a non-ideograph. Longer ones (`发布时间`, `体裁分类`) may follow a value directly.
_STRONG_ALT = _spaced_alternation([label for label in _ALL_LABELS if len(label) >= 3])
_WEAK_ALT = _spaced_alternation([label for label in _ALL_LABELS if len(label) < 3])
_LABEL_ALT = _spaced_alternation(_ALL_LABELS)

_OPEN = r"[\[【［〔]"
_CLOSE = r"[\]】］〕]"
#: A label either bracketed (colon optional) or followed by a colon.
LABEL_RE = re.compile(
    rf"(?:{_OPEN} ?(?P<b>{_LABEL_ALT}) ?{_CLOSE} ?[：:]?"
    rf"|(?P<s>{_STRONG_ALT}) ?[：:]"
    rf"|(?<![\u3400-\u9fff])(?P<w>{_WEAK_ALT}) ?[：:])"
)
_BARE_LABEL_RE = re.compile(rf"^(?:{_OPEN} ?)?(?:{_LABEL_ALT})(?: ?{_CLOSE})? ?[：:]?$")


_VALUE_EDGE = " \t|｜/·•【[［〔(（"


@dataclass(frozen=True)
class LabelValue:
    label: str
    field: str | None
    value: str


def is_bare_label(text: str) -> bool:
    """A table cell or line that is only a label (`索引号`, `[ 发文字号 ]`, `文号：`)."""
    compact = text.replace(" ", "").replace("\u3000", "").replace("\xa0", "")
    return len(compact) <= 12 and bool(_BARE_LABEL_RE.match(compact))


def starts_with_label(line: str) -> bool:
    match = LABEL_RE.match(line.lstrip())
    return match is not None


def label_values(line: str) -> list[LabelValue]:
    """Every `label → value` pair on a metadata line; empty when the line does not start
    with a label. Tabs (table cells) and runs of spaces separate pairs."""
    stripped = line.strip()
    if LABEL_RE.match(stripped) is None:
        return []
    matches = list(LABEL_RE.finditer(stripped, 0, 4000))
    pairs: list[LabelValue] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(stripped)
        label = (match.group("b") or match.group("s") or match.group("w") or "").replace(" ", "")
        # The next label may sit in brackets (`【字体：大 中 小】`): its opening bracket and
        # any separator before it are not part of this value.
        value = normalise_value(stripped[match.end() : end].strip(_VALUE_EDGE))
        pairs.append(LabelValue(label, _LABEL_TO_FIELD.get(label), value))
    return pairs
