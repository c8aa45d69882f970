"""Pinyin initials of place names, the way agents type them: 北京 -> BJ, 海淀区 -> HD or HDQ.

pypinyin reads phrases with its phrase dictionary (重庆 -> chongqing), but place names keep some
readings of their own (长治 is Changzhi, 洪洞 is Hongtong): every other reading of a character is kept
as an alternative key, ranked after the phrase reading.
"""

from __future__ import annotations

from functools import cache
from itertools import product

from pypinyin import Style, lazy_pinyin, pinyin

# Generic endings of division names, longest first. What stays is the short name people say (海淀, 深圳).
SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "林区",
    "特区",
    "地区",
    "新区",
    "省",
    "市",
    "区",
    "县",
    "盟",
    "旗",
)
AUTONOMOUS = ("自治州", "自治县", "自治旗")
MAX_READINGS = 8  # alternatives per name; heteronyms multiply quickly


def short_names(name: str) -> list[str]:
    """The names a place goes by without its administrative ending, most likely first.

    An autonomous prefecture or county is called by the place before its ethnic groups (延边朝鲜族自治州
    -> 延边). Where that place ends is not marked, and no list of ethnic groups is assumed here, so every
    cut of at least two characters before the first 族 is offered (延边, 延边朝): the extra keys are
    harmless, an agent types the real one."""
    if name.endswith(AUTONOMOUS):
        stem = name[:-3]
        # before 族 at least one character names the group; without 族 (鄂伦春自治旗) the stem may be all place
        end = stem.index("族") if "族" in stem else len(stem) + 1
        cuts = [stem[:k] for k in range(2, end)]
        return cuts or [stem or name]
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return [name[: -len(suffix)]]
    return [name]  # 单县, 城区: the ending is part of the name


@cache
def initials(text: str) -> tuple[str, ...]:
    """Upper-case initials of a Chinese text: the phrase reading first, then other readings."""
    primary = "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).upper()
    readings = [primary] if primary else []
    per_char = pinyin(text, style=Style.FIRST_LETTER, heteronym=True, errors="ignore")
    for combo in product(*per_char):
        if len(readings) >= MAX_READINGS:
            break
        key = "".join(combo).upper()
        if key and key not in readings:
            readings.append(key)
    return tuple(readings)


@cache
def name_keys(name: str) -> tuple[tuple[str, int], ...]:
    """Every way to type one place name, with a rank (0 best): short-name initials in the phrase reading,
    then the full name's (海淀区 -> HDQ), then other readings."""
    keys: dict[str, int] = {}
    for order, short in enumerate(short_names(name)):
        for reading, key in enumerate(initials(short)):
            keys.setdefault(key, (0 if reading == 0 else 2) + order)
    for reading, key in enumerate(initials(name)):
        keys.setdefault(key, 1 if reading == 0 else 3)
    return tuple(sorted(keys.items(), key=lambda kv: (kv[1], kv[0])))
