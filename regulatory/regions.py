"""Where a phone number is registered, in Chinese (the regulator's statistics by province and
city): phonenumbers' geocoder, read once at intake and kept on the case's coding."""

import re

import phonenumbers
from phonenumbers import geocoder

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


def region_of(phone: str) -> tuple[str, str]:
    """(province, city) of an E.164 number; ("", "") when unknown."""
    if not phone:
        return "", ""
    try:
        number = phonenumbers.parse(phone, "CN")
    except phonenumbers.NumberParseException:
        return "", ""
    return split_region(geocoder.description_for_number(number, "zh"))[:2]
