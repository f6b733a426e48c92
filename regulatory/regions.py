"""Where a phone number is registered, in Chinese (the regulator's statistics by province and
city): phonenumbers' geocoding data, read once at intake and kept on the case's coding.

A +86 number is looked up in mainland China's part of that data alone
(`regulatory.region_table`), as `phonenumbers.geocoder.description_for_number(number, "zh")`
would: a number of no known type has no region, a non-geographic one (400, 800 numbers) is the
country, a geographic one is its longest known prefix's place or else the country. A number of
another country goes to phonenumbers' geocoder itself, which loads every country's data (about
100 MB) into the process the first time.
"""

import re

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from regulatory.region_table import COUNTRY_CODE, cn_table

# 江苏省常州市 → (江苏省, 常州市); 广西壮族自治区南宁市; a municipality (北京市) is its own city.
_PROVINCE = re.compile(r"^(.+?(?:省|自治区|特别行政区))(.*)$")


def split_region(description: str) -> tuple[str, str]:
    description = (description or "").strip()
    match = _PROVINCE.match(description)
    if match:
        return match.group(1), match.group(2)
    if description.endswith("市"):
        return description, description
    return description, ""


def describe(number: phonenumbers.PhoneNumber) -> str:
    """The number's place in Chinese, as phonenumbers' geocoder gives it."""
    if number.country_code != COUNTRY_CODE:
        from phonenumbers import geocoder  # every country's data: only for a foreign number

        return geocoder.description_for_number(number, "zh")
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:
        return ""
    table = cn_table()
    if not phonenumbers.is_number_type_geographical(kind, COUNTRY_CODE):
        return table.country
    digits = phonenumbers.format_number(number, PhoneNumberFormat.E164)[1:]
    return table.lookup(digits) or table.country


def region_of(phone: str) -> tuple[str, str]:
    """(province, city) of an E.164 number; ("", "") when unknown."""
    if not phone:
        return "", ""
    try:
        number = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return "", ""
    return split_region(describe(number))[:2]
