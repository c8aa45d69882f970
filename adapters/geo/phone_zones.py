"""``core.campaigns.NumberZones`` from the phone-region data: China keeps Beijing time officially, but
Xinjiang lives by Urumqi time (two hours behind), so its callees' calling hours are their own."""

from __future__ import annotations

from adapters.geo.phone_regions import PhoneNumberRegions
from core.phones import PhoneNumber

SITE = "Asia/Shanghai"
ZONE_OF_PROVINCE = {"新疆维吾尔自治区": "Asia/Urumqi"}


class PhoneZones:
    def __init__(self, regions: PhoneNumberRegions | None = None) -> None:
        self.regions = regions or PhoneNumberRegions()

    def zone_of(self, number: PhoneNumber) -> str:
        division = self.regions.region_of(number)
        return ZONE_OF_PROVINCE.get(division.province, SITE) if division is not None else SITE
