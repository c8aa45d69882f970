"""How an address (and the phone on it) is stored in a row: shared by the customer and order repositories."""

from __future__ import annotations

from core.phones import PhoneNumber
from core.regions import Address, Division


def phone_text(number: PhoneNumber | None) -> str:
    """A PhoneNumber as ``national|kind|area_code|extension`` ("" for none): exact, no re-parsing."""
    if number is None:
        return ""
    return "|".join((number.national, number.kind, number.area_code, number.extension))


def phone_from_text(text: str) -> PhoneNumber | None:
    if not text:
        return None
    national, kind, area_code, extension = text.split("|")
    return PhoneNumber(national, kind, area_code, extension)


def address_columns(address: Address) -> dict:
    division = address.division
    return dict(
        division_code=division.code,
        province=division.province,
        city=division.city,
        county=division.county,
        detail=address.detail,
        recipient=address.recipient,
        phone=phone_text(address.phone),
        postcode=address.postcode,
    )


def to_address(row) -> Address:
    return Address(
        Division(row.division_code, row.province, row.city, row.county),
        row.detail,
        recipient=row.recipient,
        phone=phone_from_text(row.phone),
        postcode=row.postcode,
    )
