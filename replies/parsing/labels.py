"""Metadata labels of disclosure pages: `索引号：…`, `[ 发文字号 ] …`, `【发布机构】…`.

Labels are matched after whitespace collapse, so `索 引 号` and `文　　号` arrive as `索引号`
and `文号`. A label counts only when bracketed or followed by a colon; a bare word in a
sentence is never a label. Several labels may share a line (`发布时间：… 来源：…`); each
value runs to the next label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .textnorm import normalise_value, remove_spaces

#: Contract field → the labels that carry it, longest first within the regex.
FIELD_LABELS: dict[str, tuple[str, ...]] = {
    "index_no": ("索引号", "信息索引号", "信息索引", "索取号", "索 引 号", "内容索引号"),
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
    "theme": ("主题分类", "主题类别", "主题", "分类", "所属主题", "主题类型"),
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
        "稿件来源",
        "来源单位",
    ),
    # 生成日期 is the MOE catalogue's name for the date the document was made (成文日期).
    "written_date": ("成文日期", "成文时间", "发文日期", "成文日", "印发日期", "生成日期"),
    "published_date": (
        "发布日期",
        "发布时间",
        "公开日期",
        "公开时间",
        "日期",
        "发文时间",
        "时间",
        "发表日期",
        "发表时间",
    ),
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
    "浏览人次",
    "点击量",
    "点击次数",
    "点击率",
    "访问量",
    "阅读量",
    "阅读数",
    "发布人",
    "录入人",
    "内容概述",
    "内容摘要",
    "失效时间",
    "字号",
    "字体",
    "作者",
    "责任编辑",
    "编辑",
    "统一编号",
    "统一登记号",
    "登记号",
    "信息类别",
    # A catalogue's own classification (建议提案办理), not the 主题分类.
    "信息分类",
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

#: Last characters of an agency name: an info line's source runs straight into the next
#: label (`来源：吉林省商务厅时间：…`), where a two-character label still counts.
_AGENCY_FINALS = "局厅委办部院署府司站网"

_OPEN = r"[\[【［〔]"
_CLOSE = r"[\]】］〕]"
#: A label either bracketed (colon optional), opening a bracket and followed by a colon
#: (`【发布时间：2024-05-13】`), or followed by a colon.
LABEL_RE = re.compile(
    rf"(?:{_OPEN} ?(?P<b>{_LABEL_ALT}) ?{_CLOSE} ?[：:]?"
    rf"|{_OPEN} ?(?P<o>{_LABEL_ALT}) ?[：:]"
    rf"|(?P<s>{_STRONG_ALT}) ?[：:]"
    rf"|(?:(?<![\u3400-\u9fff])|(?<=[{_AGENCY_FINALS}]))(?P<w>{_WEAK_ALT}) ?[：:])"
)
_BARE_LABEL_RE = re.compile(rf"^(?:{_OPEN} ?)?(?:{_LABEL_ALT})(?: ?{_CLOSE})? ?[：:]?$")
#: Characters a label can start with (brackets included): a cheap test before the regex.
LABEL_FIRST_CHARS = frozenset("[【［〔" + "".join(label[0] for label in _ALL_LABELS))
#: What may stand right before a label in the middle of an info line
#: (`2024-05-13 来源：…`, `…｜发布时间：…`, `…】【来源：…】`).
_MID_LINE_SEPARATORS = frozenset(" \t|｜/】]］)）·•")
_MID_LINE_MAX_CHARS = 240

_VALUE_EDGE = " \t|｜/·•【[［〔(（"
_CLOSERS = {"】": "【", "]": "[", "］": "［", "〕": "〔", "）": "（", ")": "("}


@dataclass(frozen=True)
class LabelValue:
    label: str
    field: str | None
    value: str


def is_bare_label(text: str) -> bool:
    """A table cell or line that is only a label (`索引号`, `[ 发文字号 ]`, `文号：`,
    `索&nbsp;&nbsp;引&nbsp;&nbsp;号` once decoded)."""
    compact = remove_spaces(text)
    return (
        0 < len(compact) <= 12
        and compact[0] in LABEL_FIRST_CHARS
        and bool(_BARE_LABEL_RE.match(compact))
    )


def starts_with_label(line: str) -> bool:
    match = LABEL_RE.match(line.lstrip())
    return match is not None


def _first_label(line: str, anywhere: bool) -> re.Match[str] | None:
    """The label the pairs start from: at the line start, or (`anywhere`) the first one
    after a separator in a short line that is no sentence (`2024-05-13 来源：…`)."""
    match = LABEL_RE.match(line)
    if match is not None or not anywhere:
        return match
    if len(line) > _MID_LINE_MAX_CHARS or "。" in line:
        return None
    for match in LABEL_RE.finditer(line):
        before = line[match.start() - 1] if match.start() else " "
        if match.group("b") or match.group("o") or before in _MID_LINE_SEPARATORS:
            return match
        if before.isascii() and before.isalnum():
            return match
    return None


def _trim_value(value: str) -> str:
    """Separators and brackets around a value: the next label may sit in brackets
    (`【字体：大 中 小】`), the value itself may close one (`【来源：市商务局】`)."""
    value = value.strip(_VALUE_EDGE).lstrip("：:")
    while value and value[-1] in _CLOSERS and _CLOSERS[value[-1]] not in value:
        value = value[:-1].rstrip(_VALUE_EDGE)
    return value


def label_values(line: str, *, anywhere: bool = False) -> list[LabelValue]:
    """Every `label → value` pair on a metadata line; empty when the line does not start
    with a label (with `anywhere`, when no label follows a separator either). Tabs (table
    cells) and runs of spaces separate pairs; each value runs to the next label."""
    stripped = line.strip()
    first = _first_label(stripped, anywhere)
    if first is None:
        return []
    matches = list(LABEL_RE.finditer(stripped, first.start(), 4000))
    pairs: list[LabelValue] = []
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(stripped)
        label = (
            match.group("b") or match.group("o") or match.group("s") or match.group("w") or ""
        ).replace(" ", "")
        value = normalise_value(_trim_value(stripped[match.end() : end]))
        pairs.append(LabelValue(label, _LABEL_TO_FIELD.get(label), value))
    return pairs
