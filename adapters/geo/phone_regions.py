"""Where a Chinese number is registered, from the geocoding data of ``phonenumbers`` (Google's
libphonenumber): Chinese descriptions per area code and per mobile number block, e.g. "广东省深圳市",
"北京市", "吉林省延边朝鲜族自治州、珲春市、延吉市" (an area code several cities share), or "中国" when
the data does not know. Descriptions are matched to divisions of ``DivisionIndex``."""

from __future__ import annotations

from functools import lru_cache

from adapters.geo.divisions import DivisionIndex, load_divisions
from adapters.geo.pinyin import short_names
from core.phones import SERVICE, PhoneNumber
from core.regions import Division

UNKNOWN = ("", "中国")


class PhoneNumberRegions:
    """A ``core.regions.PhoneRegions``."""

    def __init__(self, divisions: DivisionIndex | None = None) -> None:
        self.divisions = divisions or load_divisions()
        self._division_of = lru_cache(maxsize=4096)(self._division_of_description)

    def describe(self, number: PhoneNumber) -> str:
        """The package's own description (Chinese), "" when it has none."""
        import phonenumbers
        from phonenumbers import geocoder

        parsed = phonenumbers.parse(number.e164, None)
        # the core has checked the structure already; libphonenumber's validity tables lag new number blocks
        return geocoder.description_for_valid_number(parsed, "zh")

    def region_of(self, number: PhoneNumber) -> Division | None:
        if number.kind == SERVICE:
            return None  # 400 / 800 / short codes are nationwide
        return self._division_of(self.describe(number))

    def _division_of_description(self, text: str) -> Division | None:
        text = text.strip()
        if text in UNKNOWN:
            return None
        first, *others = text.split("、")
        province, rest = self._province_at_start(first)
        if province is None:
            return None
        places = []
        for name in ([rest] if rest else []) + others:
            found = self.divisions.find_within(province, name)
            if found is None:
                return province  # a name the division data does not know: say only what is sure
            places.append(found)
        return self.divisions.common_ancestor(places) if places else province

    def _province_at_start(self, text: str) -> tuple[Division | None, str]:
        """The province a description starts with ("广东省深圳市", or short: "宁夏吴忠市"), and the rest."""
        for province in self.divisions.provinces():
            for name in (province.province, *short_names(province.province)):
                if text.startswith(name):
                    return province, text[len(name) :]
        return None, text
