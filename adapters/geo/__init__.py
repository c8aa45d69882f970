"""Geography from packaged data: administrative divisions by pinyin initials and postcode
(core.regions.DivisionDirectory) and the region of a phone number (core.regions.PhoneRegions)."""

from adapters.geo.divisions import DivisionIndex, load_divisions
from adapters.geo.phone_regions import PhoneNumberRegions

__all__ = ["DivisionIndex", "PhoneNumberRegions", "load_divisions"]
