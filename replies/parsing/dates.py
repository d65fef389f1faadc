"""Dates as Chinese government documents write them.

`2024-10-12`, `2024/10/12`, `2024.10.12`, `2024年05月30日`, `二〇二三年九月五日`, with
full-width digits or stray spaces. Every pattern is anchored on fixed separators and bounded
repetitions, so no input can make them backtrack badly.
"""

from __future__ import annotations

import datetime as dt
import re

_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

#: Chinese numeral digits as used in years (`二〇二三`); `○`, `Ｏ`, `O`, `0` stand in for 〇.
_CN_DIGIT = {
    "〇": 0,
    "○": 0,
    "Ｏ": 0,
    "O": 0,
    "零": 0,
    "0": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

_ARABIC_DATE = (
    r"(?P<y>[12]\d{3})\s?(?:年|-|/|\.|－)\s?(?P<m>\d{1,2})\s?(?:月|-|/|\.|－)"
    r"\s?(?P<d>\d{1,2})(?!\d)\s?日?"
)
_CN_DATE = (
    r"(?P<cy>[〇○Ｏ零一二三四五六七八九O0]{4})\s?年\s?(?P<cm>[一二三四五六七八九十]{1,2})\s?月"
    r"\s?(?P<cd>[一二三四五六七八九十]{1,3})\s?日"
)
DATE_PATTERN = f"(?:{_ARABIC_DATE}|{_CN_DATE})"
DATE_RE = re.compile(DATE_PATTERN)

#: A line that is nothing but a date (the date under a signature): optional brackets and
#: trailing spaces only.
DATE_LINE_RE = re.compile(rf"^[（(]?\s?{DATE_PATTERN}\s?[）)]?$")


def _cn_number(text: str) -> int | None:
    """`十` → 10, `十二` → 12, `二十` → 20, `三十一` → 31, `五` → 5."""
    if not text:
        return None
    if "十" not in text:
        if len(text) != 1:
            return None
        return _CN_DIGIT.get(text)
    tens_part, _, units_part = text.partition("十")
    tens = _CN_DIGIT.get(tens_part) if tens_part else 1
    units = _CN_DIGIT.get(units_part) if units_part else 0
    if tens is None or units is None:
        return None
    return tens * 10 + units


def _build(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _from_match(match: re.Match[str]) -> dt.date | None:
    if match.group("y"):
        return _build(int(match.group("y")), int(match.group("m")), int(match.group("d")))
    year_digits = [_CN_DIGIT.get(ch) for ch in match.group("cy")]
    if any(digit is None for digit in year_digits):
        return None
    year = int("".join(str(digit) for digit in year_digits))
    month = _cn_number(match.group("cm"))
    day = _cn_number(match.group("cd"))
    if month is None or day is None:
        return None
    return _build(year, month, day)


def find_date(text: str) -> dt.date | None:
    """The first valid date in `text`, or None."""
    text = text.translate(_FULLWIDTH_DIGITS)
    for match in DATE_RE.finditer(text):
        date = _from_match(match)
        if date is not None:
            return date
    return None


def parse_date_line(text: str) -> dt.date | None:
    """The date when `text` is a line holding only a date, else None."""
    # Measured before translating: the parser asks this of every line, and translate maps
    # each digit to one character, so the length is the same.
    text = text.strip()
    if len(text) > 30:
        return None
    text = text.translate(_FULLWIDTH_DIGITS)
    match = DATE_LINE_RE.match(text)
    return _from_match(match) if match else None


def split_trailing_date(text: str) -> tuple[str, dt.date] | None:
    """`重庆市科学技术局 2024年5月16日` → (`重庆市科学技术局`, date): a signature squeezed onto
    one line. None when the line does not end in a date."""
    normalised = text.strip()
    if len(normalised) > 60:  # before translating, as in parse_date_line
        return None
    normalised = normalised.translate(_FULLWIDTH_DIGITS)
    last = None
    for match in DATE_RE.finditer(normalised):
        last = match
    if last is None or normalised[last.end() :].strip():
        return None
    date = _from_match(last)
    if date is None:
        return None
    return normalised[: last.start()].strip(), date
