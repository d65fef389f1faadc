"""Character-level normalisation shared by every value the parser emits.

The rules are the ones in `docs/parsing-conventions.md`: whitespace runs collapse to nothing
between two CJK characters and to one space elsewhere; ASCII `, : ; ( ) ? !` that text
captures fold from full-width punctuation are restored when they touch CJK text.
"""

from __future__ import annotations

import re

#: Whitespace the sources use inside lines: ASCII blanks, NBSP, ideographic space, the
#: typographic spaces, zero-width space and a stray BOM.
_SPACE_CHARS = (
    " \t\u00a0\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u200b\u202f\u205f\ufeff"
)
_SPACE_RUN_RE = re.compile(f"[{_SPACE_CHARS}]+")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")

#: Ideograph ranges for regex character classes: CJK Unified, extension A, compatibility,
#: and the supplementary planes (names such as 王㛃 use extension A).
CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"

_RESTORE = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！"}
_RESTORABLE_RE = re.compile(r"[,:;()?!]")


def is_cjk_char(ch: str) -> bool:
    """An ideograph (CJK Unified, extensions A and the compatibility block)."""
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FA1F
        or ch in "〇"
    )


def is_cjk_punct(ch: str) -> bool:
    """Full-width / CJK punctuation: the CJK symbols block, full-width forms (excluding
    full-width ASCII letters and digits), curly quotes and the em dash family."""
    code = ord(ch)
    if 0x3000 < code <= 0x303F:
        return True
    if 0xFF01 <= code <= 0xFF65:
        return not ("０" <= ch <= "９" or "Ａ" <= ch <= "Ｚ" or "ａ" <= ch <= "ｚ")
    return ch in "“”‘’—…·〔〕【】《》〈〉「」『』"


def is_cjk(ch: str) -> bool:
    return is_cjk_char(ch) or is_cjk_punct(ch)


def collapse_spaces(text: str) -> str:
    """Trim, then collapse each whitespace run: to nothing between two CJK characters or
    CJK punctuation, to one ASCII space elsewhere."""
    text = _CONTROL_RE.sub("", text)
    text = text.strip(_SPACE_CHARS + "\r\n")
    if not text:
        return ""

    def replace(match: re.Match[str]) -> str:
        start, end = match.start(), match.end()
        before = text[start - 1] if start > 0 else ""
        after = text[end] if end < len(text) else ""
        if before and after and is_cjk(before) and is_cjk(after):
            return ""
        return " "

    return _SPACE_RUN_RE.sub(replace, text)


def restore_punctuation(text: str) -> str:
    """Restore ASCII `, : ; ( ) ? !` next to CJK text to their full-width forms. Brackets are
    restored in matched pairs, so `(A)` at a line end follows its partner."""
    # Only the marks are visited: a value or a line is long, its marks few.
    marks = [match.start() for match in _RESTORABLE_RE.finditer(text)]
    if not marks:
        return text
    length = len(text)
    restore: dict[int, bool] = {}
    open_brackets: list[int] = []
    pairs: list[tuple[int, int]] = []
    for index in marks:
        restore[index] = (index > 0 and is_cjk(text[index - 1])) or (
            index + 1 < length and is_cjk(text[index + 1])
        )
        if text[index] == "(":
            open_brackets.append(index)
        elif text[index] == ")" and open_brackets:
            pairs.append((open_brackets.pop(), index))
    for opening, closing in pairs:
        if restore[opening] or restore[closing]:
            restore[opening] = restore[closing] = True
    if not any(restore.values()):
        return text
    chars = list(text)
    for index, wanted in restore.items():
        if wanted:
            chars[index] = _RESTORE[chars[index]]
    return "".join(chars)


def remove_spaces(text: str) -> str:
    """The text without any whitespace: how a spaced label (`索 引 号`) is compared."""
    return _SPACE_RUN_RE.sub("", text).replace("\r", "").replace("\n", "")


def single_spaced(text: str) -> str:
    """Trim and turn each whitespace run into one ASCII space, even between CJK
    characters: the form in which `来源：市民政局　字号：…` still shows where a value ends."""
    text = _CONTROL_RE.sub("", text).strip(_SPACE_CHARS + "\r\n")
    return restore_punctuation(_SPACE_RUN_RE.sub(" ", text))


def normalise_value(text: str) -> str:
    """Whitespace collapse plus punctuation restoration: the form every emitted value has."""
    return restore_punctuation(collapse_spaces(text))


def leading_indent(text: str) -> int:
    """Columns of whitespace that open the line: a full-width space takes two, like the
    ideographs it pads, and a tab four."""
    columns = 0
    for ch in text:
        if ch == "\u3000":
            columns += 2
        elif ch == "\t":
            columns += 4
        elif ch in _SPACE_CHARS:
            columns += 1
        else:
            break
    return columns


#: Runs of characters from the CJK radicals on, which a fixed-width capture draws two
#: columns wide.
_WIDE_RUN_RE = re.compile("[\u2e80-\U0010ffff]+")


def display_width(text: str) -> int:
    """Columns a line takes in a fixed-width capture: CJK characters are two wide."""
    # Two columns each, less the narrow ones' second: what is left when the wide runs are
    # cut out (3× faster than listing every wide character; every line is measured).
    return 2 * len(text) - len(_WIDE_RUN_RE.sub("", text))
