"""Chinese phone numbers: normalisation, mobile vs fixed line, area code, extension.

Only the numbering plan's structure is parsed here. Which city an area code or a mobile prefix belongs to
is data: it is looked up through the ``PhoneRegions`` port (core.regions), which adapters/geo implements
from a data set a package ships.

The plan, as far as this module relies on it:
- mobile numbers are 11 digits, ``1[3-9]xxxxxxxxx``; the first 7 digits (the "号段") locate the number;
- fixed lines are an area code (``10`` for Beijing, ``2x`` for the other big cities, otherwise three digits
  starting 3-9) followed by a 7- or 8-digit subscriber number that never starts with 0 or 1; inside China the
  area code is dialled with the trunk prefix 0 (010, 0755);
- 400 / 800 numbers are 10-digit nationwide service numbers; 95xxx(x) and 1xxxx are short service codes;
- from abroad the country code is +86 (or 0086) and the trunk 0 is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

COUNTRY_CODE = "86"

MOBILE = "mobile"
FIXED = "fixed"
SERVICE = "service"
KINDS = (MOBILE, FIXED, SERVICE)

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_NATIONWIDE_SERVICE = re.compile(r"(400|800)[0-9]{7}")
_SHORT_SERVICE = re.compile(r"95[0-9]{3,4}|1[0-9]{4}")  # 95588, 955xx(x) bank and carrier codes; 10086, 12345
_SUBSCRIBER = re.compile(r"[2-9][0-9]{6,7}")
_AREA_CODE = re.compile(r"10|2[0-9]|[3-9][0-9][0-9]")

# An extension after the number: "ext 123", "ext. 123", "x123", "转123", "转分机123", "分机123", ",123".
_EXTENSION = re.compile(
    r"\s*(?:ext(?:ension)?\.?|x|转(?:分机)?号?|分机号?|,)\s*[:：]?\s*([0-9]{1,6})\s*$", re.IGNORECASE
)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphen, en dash, em dash, minus: typed as "-"
_SEPARATORS = " -()./"


class InvalidPhoneNumber(ValueError):
    """The text cannot be a Chinese phone number."""

    def __init__(self, text: object, reason: str) -> None:
        super().__init__(f"{text!r} is not a Chinese phone number: {reason}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A normalised Chinese number. ``national`` has no country code, no trunk 0 and no extension."""

    national: str
    kind: str
    area_code: str = ""  # fixed lines only, without the trunk 0: "10", "755"
    extension: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidPhoneNumber(self.national, f"kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if self.kind == FIXED and not self.national.startswith(self.area_code or "-"):
            raise InvalidPhoneNumber(self.national, f"does not start with its area code {self.area_code!r}")

    @property
    def subscriber(self) -> str:
        """The number without its area code (the whole number for mobiles and service numbers)."""
        return self.national[len(self.area_code) :]

    @property
    def trunk_area_code(self) -> str:
        """The area code as dialled inside China: "010", "0755"."""
        return "0" + self.area_code if self.area_code else ""

    @property
    def e164(self) -> str:
        return "+" + COUNTRY_CODE + self.national

    @property
    def key(self) -> str:
        """What lookups compare: the E.164 form. A caller ID never carries the extension, so it is left out:
        everyone behind one switchboard matches, and the agent picks."""
        return self.e164

    @property
    def mobile_prefix(self) -> str:
        """The 7-digit block ("号段") that locates a mobile number; "" for other kinds."""
        return self.national[:7] if self.kind == MOBILE else ""

    @property
    def domestic(self) -> str:
        """Digits as dialled inside China, extension left out."""
        return "0" + self.national if self.kind == FIXED else self.national

    def display(self) -> str:
        """Grouped the way Chinese agents read numbers: 138 0013 8000, 010-6234 5678 转 123, 400-123-4567."""
        n = self.national
        if self.kind == MOBILE:
            text = f"{n[:3]} {n[3:7]} {n[7:]}"
        elif self.kind == FIXED:
            sub = self.subscriber
            split = len(sub) - 4
            text = f"{self.trunk_area_code}-{sub[:split]} {sub[split:]}"
        elif len(n) == 10:
            text = f"{n[:3]}-{n[3:6]}-{n[6:]}"
        else:
            text = n
        return f"{text} 转 {self.extension}" if self.extension else text

    def __str__(self) -> str:
        return self.display()


def parse_phone(text: str, *, default_area_code: str | None = None) -> PhoneNumber:
    """Normalise a number as typed or as a caller ID delivers it.

    Accepts spaces, dashes, dots, slashes and brackets; full-width characters; +86, 0086 or a bare 86 before
    the number; "(0)" after the country code; the trunk 0 before an area code (or, as some exchanges send
    it, before a mobile); an extension after "ext", "x", "转", "分机", a comma, or as a last dash group
    ("010-62345678-123"). A 7- or 8-digit local number takes ``default_area_code`` (the center's own,
    with or without its 0); without one it is refused, since its city is unknown.
    """
    if not isinstance(text, str):
        raise InvalidPhoneNumber(text, f"expected text, got {type(text).__name__}")
    normal = unicodedata.normalize("NFKC", text).strip()
    for dash in _DASHES:
        normal = normal.replace(dash, "-")
    if not normal:
        raise InvalidPhoneNumber(text, "it is empty")

    extension = ""
    found = _EXTENSION.search(normal)
    if found and any(ch.isdigit() for ch in normal[: found.start()]):
        extension = found.group(1)
        normal = normal[: found.start()].strip()

    body = normal.replace("(0)", " ")
    for position, ch in enumerate(body):
        if ch in "0123456789" or ch in _SEPARATORS:
            continue
        if ch == "+" and not body[:position].strip(" ("):  # "+86 ...", "(+86) ..."
            continue
        raise InvalidPhoneNumber(text, f"it contains {ch!r}")

    try:
        return _parse_digits(body, extension, default_area_code, text)
    except InvalidPhoneNumber:
        # "010-62345678-123": a last dash group that does not fit the number is the extension
        head, dash, tail = body.rpartition("-")
        if extension or not dash or not tail.strip().isdigit() or len(tail.strip()) > 6:
            raise
        try:
            number = _parse_digits(head, tail.strip(), default_area_code, text)
        except InvalidPhoneNumber:
            pass
        else:
            if number.kind == FIXED:
                return number
        raise


def _parse_digits(body: str, extension: str, default_area_code: str | None, text: str) -> PhoneNumber:
    digits = "".join(ch for ch in body if ch.isdigit())
    if not digits:
        raise InvalidPhoneNumber(text, "it has no digits")
    prefixed = True  # a country code or trunk prefix came first, so the area code must be there
    if body.lstrip(" (").startswith("+"):
        if not digits.startswith(COUNTRY_CODE):
            raise InvalidPhoneNumber(
                text, f"its country code is not China's +{COUNTRY_CODE} (it starts +{digits[:3]}…)"
            )
        national = digits[2:]
    elif digits.startswith("00"):
        if not digits.startswith("00" + COUNTRY_CODE):
            raise InvalidPhoneNumber(text, f"international prefix 00 dials another country ({digits[:5]}…)")
        national = digits[4:]
    elif digits.startswith(COUNTRY_CODE) and 12 <= len(digits) <= 14 and _is_national(digits[2:]):
        national = digits[2:]  # "8613800138000": a caller ID with the country code but no +
    elif digits.startswith("0"):
        national = digits
    else:
        national = digits
        prefixed = False
    if national.startswith("0"):
        national = national[1:]  # trunk prefix (also sent before mobiles by some exchanges, and "+86 010…")

    if _MOBILE.fullmatch(national):
        return PhoneNumber(national, MOBILE, extension=extension)
    if _NATIONWIDE_SERVICE.fullmatch(national):
        return PhoneNumber(national, SERVICE, extension=extension)
    if not prefixed and _SHORT_SERVICE.fullmatch(national):
        return PhoneNumber(national, SERVICE, extension=extension)
    if not prefixed and _SUBSCRIBER.fullmatch(national):
        if default_area_code is None:
            raise InvalidPhoneNumber(text, f"local number {national} has no area code, and no default was given")
        area = default_area_code.strip().removeprefix("0")
        if not _AREA_CODE.fullmatch(area):
            raise InvalidPhoneNumber(text, f"default area code {default_area_code!r} is not a Chinese area code")
        return _fixed(area + national, area, extension, text)
    found = _area_code_of(national)
    if found is None:
        raise InvalidPhoneNumber(text, _why_not(national))
    return _fixed(national, found, extension, text)


def _is_national(digits: str) -> bool:
    national = digits[1:] if digits.startswith("0") else digits
    if _MOBILE.fullmatch(national):
        return True
    area = _area_code_of(national)
    return area is not None and _subscriber_fits(area, national[len(area) :])


def _area_code_of(national: str) -> str | None:
    if national.startswith("10") or national[:1] == "2":
        return national[:2]
    if national[:1] in "3456789" and len(national) > 3 and national[:3] not in ("400", "800"):
        return national[:3]  # 400 and 800 start service numbers, they are no area codes
    return None


def _subscriber_fits(area: str, subscriber: str) -> bool:
    # the two-digit areas (Beijing, Shanghai, Guangzhou, ...) all have 8-digit subscriber numbers
    if len(area) == 2 and len(subscriber) != 8:
        return False
    return bool(_SUBSCRIBER.fullmatch(subscriber))


def _fixed(national: str, area: str, extension: str, text: str) -> PhoneNumber:
    subscriber = national[len(area) :]
    if not _subscriber_fits(area, subscriber):
        need = "8" if len(area) == 2 else "7 or 8"
        raise InvalidPhoneNumber(
            text,
            f"after area code 0{area} come {len(subscriber)} digits ({subscriber or 'none'}); "
            f"a subscriber number there has {need} digits and does not start with 0 or 1",
        )
    return PhoneNumber(national, FIXED, area, extension)


def _why_not(national: str) -> str:
    if national.startswith("1"):
        if len(national) != 11:
            return f"a mobile number has 11 digits, this has {len(national)} ({national})"
        return f"{national[:3]} is not a mobile prefix (mobiles start 13-19)"
    return f"{national} is neither a mobile, a fixed line nor a service number"


def same_line(a: PhoneNumber, b: PhoneNumber) -> bool:
    """True when both reach the same line (extensions aside)."""
    return a.key == b.key
